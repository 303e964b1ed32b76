"""dosaku-mcp: Dosaku speaks the ecosystem's protocols.

* MCP servers as tasks: each server in ``[MCP_SERVERS]`` (``dosaku mcp add``) is a task with one action per tool.
* Dosaku as an MCP server: ``dosaku mcp serve`` exposes an agent's tasks as MCP tools (stdio, or ``--http PORT``).
* An OpenAI-compatible endpoint: ``dosaku serve`` answers ``/v1/chat/completions`` with a Chat module or Dosaku.

Importing this package (or its plugin) imports no MCP SDK, starlette or uvicorn; names are imported on first use.

Example::

    from dosaku import Agent

    agent = Agent()                      # with [MCP_SERVERS] time = mcp-server-time
    agent.learn('Time')                  # starts the server
    agent.Time.get_current_time(timezone='Europe/Paris')   # {'timezone': 'Europe/Paris', 'datetime': ...}
"""
from __future__ import annotations

from typing import Any

_EXPORTS = {
    "refresh_tools": "dosaku_mcp.classes",
    "MCPError": "dosaku_mcp.errors",
    "MCPConfigError": "dosaku_mcp.errors",
    "MCPServerNotStarted": "dosaku_mcp.errors",
    "MCPAuthError": "dosaku_mcp.errors",
    "MCPMissingKey": "dosaku_mcp.errors",
    "MCPServerCrashed": "dosaku_mcp.errors",
    "MCPTimeout": "dosaku_mcp.errors",
    "MCPToolError": "dosaku_mcp.errors",
    "MCPMalformedResult": "dosaku_mcp.errors",
    "MCPArgumentError": "dosaku_mcp.classes",
    "ChatHistoryUnsupported": "dosaku_mcp.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dosaku_mcp' has no attribute {name!r}")
