"""Module instances shared between agents: only for modules whose spec says ``shareable=True`` (stateless ones).

An instance is keyed by module name and constructor arguments, counted per user, and unloaded when its last
agent lets it go.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_instances: dict[tuple[str, str], list[Any]] = {}  # key -> [instance, number of agents using it]


def _key(name: str, kwargs: dict[str, Any]) -> tuple[str, str]:
    return name, repr(sorted(kwargs.items()))


def acquire(name: str, kwargs: dict[str, Any], build: Callable[[], Any]) -> Any:
    """The shared instance of module ``name`` built with ``kwargs`` (built by ``build()`` the first time)."""
    key = _key(name, kwargs)
    with _lock:
        if key not in _instances:
            _instances[key] = [build(), 0]
        _instances[key][1] += 1
        return _instances[key][0]


def release(name: str, kwargs: dict[str, Any]) -> bool:
    """Let go of a shared instance. Returns True when it was the last user (the caller then unloads it)."""
    key = _key(name, kwargs)
    with _lock:
        entry = _instances.get(key)
        if entry is None:
            return True
        entry[1] -= 1
        if entry[1] > 0:
            return False
        del _instances[key]
        return True
