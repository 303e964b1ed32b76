"""The tool lists of MCP servers, cached in the user cache directory so that ``agent.api`` and ``agent.doc`` need not
start a server.

One JSON file per server and configuration, ``<cache dir>/mcp/<name>-<fingerprint>.json``: changing the server's
command or URL changes the fingerprint, so a stale list is never used for another command. Each connection (learning
the task) refreshes the file; ``dosaku mcp refresh [NAME]`` (or :func:`dosaku_mcp.refresh_tools`) does it on demand.
The file holds the tools' names, descriptions and schemas only (no arguments, results or secrets).

Example::

    listing = load(server)         # a ToolListing, or None when the server was never reached
    [tool['name'] for tool in listing.tools]
"""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from dosaku.config import Config

from dosaku_mcp.servers import ServerEntry

log = logging.getLogger(__name__)
FORMAT = 1


class ToolListing:
    """What a server offers: its tools (``name``, ``description``, ``input_schema``, ``output_schema``,
    ``annotations``, as plain dicts) and how it describes itself."""

    def __init__(self, tools: list[dict[str, Any]], server_name: str = "", server_version: str = "",
                 instructions: str = "", fetched: float | None = None):
        self.tools, self.server_name, self.server_version = tools, server_name, server_version
        self.instructions, self.fetched = instructions, fetched if fetched is not None else time.time()

    def as_dict(self) -> dict[str, Any]:
        return {"tools": self.tools, "server_name": self.server_name, "server_version": self.server_version,
                "instructions": self.instructions, "fetched": self.fetched}

    def same_tools(self, other: ToolListing | None) -> bool:
        return other is not None and json.dumps(self.tools, sort_keys=True) == json.dumps(other.tools, sort_keys=True)

    def tool(self, name: str) -> dict[str, Any] | None:
        return next((tool for tool in self.tools if tool["name"] == name), None)


def cache_dir() -> Path:
    return Config().cache_dir / "mcp"


def cache_path(server: ServerEntry) -> Path:
    """Where ``server``'s tool list is cached."""
    return cache_dir() / f"{server.name}-{server.fingerprint()}.json"


def load(server: ServerEntry) -> ToolListing | None:
    """The cached tool list of ``server``, or None (never fetched, or written for another command)."""
    try:
        data = json.loads(cache_path(server).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        return ToolListing(data["tools"], data.get("server_name", ""), data.get("server_version", ""),
                           data.get("instructions", ""), data.get("fetched"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(server: ServerEntry, listing: ToolListing) -> None:
    """Cache ``listing`` as ``server``'s tool list (replacing lists cached for its earlier commands)."""
    path = cache_path(server)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        clear(server.name, keep=path)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"format": FORMAT, **listing.as_dict()}, indent=1), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:  # a read-only cache must not break a working server
        log.warning("could not cache the tools of the MCP server %r in %s: %s", server.name, path, error)


def clear(name: str, keep: Path | None = None) -> int:
    """Forget the cached tool lists of the server ``name``; returns how many files were removed."""
    removed = 0
    try:
        files = list(cache_dir().glob(f"{name.lower()}-*.json"))
    except OSError:
        return 0
    for file in files:
        if file != keep and file.stem.rsplit("-", 1)[0] == name.lower():
            try:
                file.unlink()
                removed += 1
            except OSError:
                pass
    return removed
