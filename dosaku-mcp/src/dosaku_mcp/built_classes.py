"""The task and module classes made so far, per server configuration and tool list (see :mod:`dosaku_mcp.classes`);
kept apart so a module can drop its server's classes when the server's tools change."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from dosaku_mcp.servers import ServerEntry

_built: dict[tuple[Any, ...], tuple[type, type]] = {}
_lock = threading.Lock()


def get_or_build(key: tuple[Any, ...], build: Callable[[], tuple[type, type]]) -> tuple[type, type]:
    """The classes kept under ``key`` (its first two items: config file and server name), made by ``build`` once."""
    with _lock:
        if key not in _built:
            _built[key] = build()
        return _built[key]


def forget(server: ServerEntry) -> None:
    """Drop the classes made for ``server``, so the next learn builds them from the current tool list."""
    with _lock:
        for key in [key for key in _built if key[:2] == (server.config_path, server.name)]:
            del _built[key]
