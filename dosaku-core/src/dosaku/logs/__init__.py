"""The conversation log: every chat, and every step of the Dosaku agent, kept in a SQLite file in the user data
directory (``logs.db``, mode 0600, WAL), searchable (FTS5), resumable, with secrets never written.

An agent logs the conversation of every Chat module that keeps a :class:`dosaku.conversation.Conversation`
(EchoBot, LlamaCppChat, OpenAIChat) unless told not to: ``Agent(log=False)``, ``[LOGS] ENABLED = false`` or
``dosaku logs off``. A past conversation comes back with ``agent.learn('Chat', conversation=ID)`` or
:func:`resume`.

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

from dosaku.logs.attach import conversation_of, resume, store_of
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
from dosaku.logs.store import LogStore, logging_enabled

__all__ = ["AmbiguousConversationId", "CannotResume", "ConversationNotFound", "ConversationRecord",
           "ConversationSummary", "LogDatabaseError", "LogStatus", "LogStore", "LoggedArtifact", "LoggedMessage",
           "LoggedStep", "LogsError", "SearchHit", "conversation_of", "logging_enabled", "resume", "store_of",
           "use_store", "use_user"]
