"""Named agents: subclasses of :class:`dosaku.Agent` that learn a set of tasks on init.

Importing this package is cheap; each agent is imported on first use.

Example::

    from dosaku.agents import Dosaku

    dosk = Dosaku(enable_services=True)
    dosk.Chat('Hello!')
    dosk.do('Make an image of a lighthouse at dawn.')
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Dosaku": "dosaku.agents.dosaku",
    "ChatCannotCallTools": "dosaku.errors",
    "Answer": "dosaku.agents.steps",
    "Step": "dosaku.agents.steps",
    "ArtifactStore": "dosaku.agents.artifacts",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from dosaku.agents.artifacts import ArtifactStore
    from dosaku.agents.dosaku import Dosaku
    from dosaku.agents.steps import Answer, Step
    from dosaku.errors import ChatCannotCallTools


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dosaku.agents' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
