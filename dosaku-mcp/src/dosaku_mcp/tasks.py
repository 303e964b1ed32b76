"""Where the plugin's specs point: ``dosaku_mcp.tasks:TASKS.<key>`` is the task class of one MCP server and
``dosaku_mcp.tasks:MODULES.<key>`` its module class, made on first use (see :mod:`dosaku_mcp.classes`).

The key names the config file and the server (:attr:`dosaku_mcp.servers.ServerEntry.key`), so the classes follow the
configuration the agent listed its tasks from, whichever config file that was.
"""
from __future__ import annotations

from typing import Any


class _Classes:
    """``TASKS.<key>`` / ``MODULES.<key>``: builds the class of the server that ``key`` names."""

    def __init__(self, which: int, what: str):
        self._which, self._what = which, what

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        from dosaku_mcp.classes import classes_for
        from dosaku_mcp.servers import decode_key

        return classes_for(decode_key(key))[self._which]

    def __repr__(self) -> str:
        return f"<the {self._what} classes of the configured MCP servers>"


TASKS = _Classes(0, "task")
MODULES = _Classes(1, "module")
