"""The conversation log: every chat, and every step of the Dosaku agent, kept in a SQLite file in the user data
directory (``logs.db``, mode 0600, WAL), searchable (FTS5), resumable, with secrets never written.

An agent logs the conversation of every Chat module that keeps a :class:`dosaku.conversation.Conversation`
(EchoBot, LlamaCppChat, OpenAIChat) unless told not to: ``Agent(log=False)``, ``[LOGS] ENABLED = false`` or
``dosaku logs off``. A past conversation comes back with ``agent.learn('Chat', conversation=ID)`` or
:func:`resume`.

Importing this package is cheap (no sqlite3 until a store is used).

Example::

    from dosaku import Agent
    from dosaku.logs import LogStore, resume

    agent = Agent()
    agent.learn('Chat')
    agent.Chat('Remember: the password hint is "blue".')
    store = LogStore()
    latest = store.latest()
    print(latest.id, latest.title, latest.module)

    later = Agent()
    later.learn('Chat', conversation=latest.id)      # EchoBot with the past messages
    later.Chat.history()
    store.search('hint'), store.export(latest.id, 'markdown'), store.delete(latest.id)
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "LogStore": "dosaku.logs.store",
    "logging_enabled": "dosaku.logs.store",
    "ConversationSummary": "dosaku.logs.records",
    "ConversationRecord": "dosaku.logs.records",
    "LoggedMessage": "dosaku.logs.records",
    "LoggedStep": "dosaku.logs.records",
    "LoggedArtifact": "dosaku.logs.records",
    "SearchHit": "dosaku.logs.records",
    "LogStatus": "dosaku.logs.records",
    "LogsError": "dosaku.logs.errors",
    "ConversationNotFound": "dosaku.logs.errors",
    "AmbiguousConversationId": "dosaku.logs.errors",
    "LogDatabaseError": "dosaku.logs.errors",
    "CannotResume": "dosaku.logs.errors",
    "resume": "dosaku.logs.seam",
    "conversation_of": "dosaku.logs.seam",
    "store_of": "dosaku.logs.seam",
    "use_store": "dosaku.logs.logger",
    "use_user": "dosaku.logs.logger",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from dosaku.logs.errors import (
        AmbiguousConversationId,
        CannotResume,
        ConversationNotFound,
        LogDatabaseError,
        LogsError,
    )
    from dosaku.logs.logger import use_store, use_user
    from dosaku.logs.records import (
        ConversationRecord,
        ConversationSummary,
        LoggedArtifact,
        LoggedMessage,
        LoggedStep,
        LogStatus,
        SearchHit,
    )
    from dosaku.logs.seam import conversation_of, resume, store_of
    from dosaku.logs.store import LogStore, logging_enabled


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dosaku.logs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
