"""A small MCP server for the tests, on the official SDK's MCPServer: echo, an image, a failing tool, and faults
(a crash mid-call, a crash on the first call only, a hang). Serves stdio, or streamable HTTP with ``--http PORT``.

    python tool_server.py [--http PORT] [--marker FILE]
"""
from __future__ import annotations

import argparse
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Annotated

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    pixels = zlib.compress((b"\x00" + bytes(rgb) * width) * height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def create_server(marker: Path | None) -> MCPServer:
    server = MCPServer("dosaku-test-tools", instructions="Tools for testing Dosaku's MCP client.")

    @server.tool(description="Echo a text back, optionally repeated.")
    def echo(text: Annotated[str, Field(description="The text to echo.")],
             times: Annotated[int, Field(description="How many times.")] = 1) -> str:
        return " ".join([text] * times)

    @server.tool(description="Add two numbers.", annotations=ToolAnnotations(read_only_hint=True))
    def add(a: float, b: float) -> float:
        return a + b

    @server.tool(description="A solid red image of the given size.")
    def swatch(width: int = 8, height: int = 4) -> Image:
        return Image(data=png(width, height, (200, 30, 30)), format="png")

    @server.tool(description="Always fails, with a message.")
    def fail(reason: str = "it went wrong") -> str:
        raise ToolError(f"failed on purpose: {reason}")

    @server.tool(description="Kills the server in the middle of the call.")
    def crash() -> str:
        os._exit(3)

    @server.tool(description="Kills the server on its first call only (a marker file remembers).",
                 annotations=ToolAnnotations(idempotent_hint=True))
    def crash_once() -> str:
        if marker is not None and not marker.exists():
            marker.write_text("crashed")
            os._exit(3)
        return "survived"

    @server.tool(description="Never answers (sleeps for a long time).")
    def hang(seconds: float = 3600) -> str:
        time.sleep(seconds)
        return "woke up"

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, default=None)
    parser.add_argument("--marker", type=Path, default=None)
    args = parser.parse_args()
    server = create_server(args.marker)
    if args.http is None:
        server.run()
    else:
        import anyio

        anyio.run(lambda: server.run_streamable_http_async(host="127.0.0.1", port=args.http))


if __name__ == "__main__":
    main()
