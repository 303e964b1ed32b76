"""An MCP server for the tests that wants an API key: the SDK's MCPServer over streamable HTTP on 127.0.0.1, behind a
check that answers 401 (or ``--status``) to any request whose header does not carry the key. The key comes from
the variable ``AUTH_SERVER_KEY`` (not the command line); by default it is expected as ``Authorization: Bearer KEY``,
with ``--header NAME`` raw in that header.

    AUTH_SERVER_KEY=... python auth_server.py PORT [--header X-API-Key] [--status 403]

Its tool ``seen`` tells what the check saw (never the key): the header that carried it, how many requests it let
through and how many it refused; ``revoke`` makes it refuse every later request (a key revoked mid-session).
"""
from __future__ import annotations

import argparse
import os
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer

SEEN: dict[str, Any] = {"header": None, "accepted": 0, "refused": 0, "revoked": False}


class RequireKey:
    """ASGI middleware: HTTP requests must carry ``expected`` in ``header``, else ``status``."""

    def __init__(self, app: Any, header: str, expected: str, status: int):
        self.app, self.header, self.expected, self.status = app, header.lower().encode(), expected.encode(), status

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            values = [value for name, value in scope["headers"] if name == self.header]
            if values != [self.expected] or SEEN["revoked"]:
                SEEN["refused"] += 1
                await send({"type": "http.response.start", "status": self.status,
                            "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b'Bearer realm="t"')]})
                await send({"type": "http.response.body", "body": b"missing or wrong API key"})
                return
            SEEN["header"], SEEN["accepted"] = self.header.decode(), SEEN["accepted"] + 1
        await self.app(scope, receive, send)


def create_server() -> MCPServer:
    server = MCPServer("dosaku-test-auth")

    @server.tool(description="Echo a text back.")
    def echo(text: str) -> str:
        return text

    @server.tool(description="What the key check saw: the header that carried the key, requests let in and refused.")
    def seen() -> dict[str, Any]:
        return dict(SEEN)

    @server.tool(description="Refuse every later request, as if the key had been revoked.")
    def revoke() -> str:
        SEEN["revoked"] = True
        return "revoked"

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--header", default=None, help="The header carrying the key raw (default: Authorization: "
                                                        "Bearer KEY).")
    parser.add_argument("--status", type=int, default=401)
    args = parser.parse_args()
    key = os.environ["AUTH_SERVER_KEY"]
    header, expected = (args.header, key) if args.header else ("Authorization", f"Bearer {key}")
    app = RequireKey(create_server().streamable_http_app(host="127.0.0.1"), header, expected, args.status)
    uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning")).run()


if __name__ == "__main__":
    main()
