"""Named agents: subclasses of :class:`dosaku.Agent` that learn a set of tasks on init.

Example::

    from dosaku.agents import Dosaku

    dosk = Dosaku()                # chats and does requests through the best tool-calling Chat module installed
    dosk.Chat('Hello!')
    dosk.do('Make an image of a lighthouse at dawn.')
"""
from __future__ import annotations

from dosaku.agents.artifacts import ArtifactStore
from dosaku.agents.dosaku import Dosaku
from dosaku.agents.steps import Answer, Step
from dosaku.errors import ChatCannotCallTools

__all__ = ["Answer", "ArtifactStore", "ChatCannotCallTools", "Dosaku", "Step"]
