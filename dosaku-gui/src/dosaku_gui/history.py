"""A browser session's past conversations: whose they are (the logged-in user), listing, resuming and deleting
them, through the conversation log (:mod:`dosaku.logs`). Imports no gradio.

Example::

    bind_user(session, 'alice')
    for summary in conversations(session):
        print(summary.id, summary.title)
    record, choice = reopen(session, summary.id)   # the session's chat now continues it
"""
from __future__ import annotations

from typing import Any

from dosaku.logs import LogStore, conversation_of, resume, use_user
from dosaku.logs.logger import logger_of

from dosaku_gui.session import DOSAKU_CHOICE, AgentSession, chat_modules, default_chat_module

#: How many conversations the panel lists.
LIST_LIMIT = 50


def user_of(request: Any) -> str:
    """The logged-in user of a gradio request (``''``: no login, the machine's own user)."""
    return (getattr(request, "username", None) or "").strip().lower() if request is not None else ""


def bind_user(session: AgentSession, user: str) -> LogStore:
    """Make ``session``'s agents log as ``user`` (whether they log at all is unchanged) and read only ``user``'s
    conversations; returns the store the session reads from.

    A session belongs to the first user it serves: a request of another user is refused (gradio's login keeps a
    session to one browser and user anyway)."""
    current = getattr(session, "user", None)
    if current is not None and current != user:
        raise PermissionError("This browser session belongs to another user; log in again.")
    session.user = user
    for agent in (session.agent, session.dosaku_agent):
        if agent is not None:
            use_user(agent, user)
    return session_store(session)


def session_store(session: AgentSession) -> LogStore:
    """Where the session's conversations are: the store its chat writes to, else the default log, as its user's."""
    user = getattr(session, "user", None) or ""
    for agent in (session.dosaku_agent, session.agent):
        if agent is not None and "Chat" in agent.tasks:
            try:
                logger = logger_of(conversation_of(agent))
            except Exception:  # noqa: BLE001 - a module keeping no Conversation
                logger = None
            store = logger.store() if logger is not None else None
            if store is not None:
                return store
    store = getattr(session, "log_store", None)
    if store is None:
        store = session.log_store = LogStore(config=session.agent.config, user=user)
    return store


def conversations(session: AgentSession, query: str | None = None) -> list[Any]:
    """The session user's conversations, the most recently active first (only those matching ``query``)."""
    store = session_store(session)
    return store.list(LIST_LIMIT, query=(query or "").strip() or None)


def current_id(session: AgentSession) -> str | None:
    """The id of the conversation the session's chat is in (None before its first message)."""
    for agent in (session.dosaku_agent, session.agent):
        if agent is not None and "Chat" in agent.tasks:
            try:
                ident = conversation_of(agent).id
            except Exception:  # noqa: BLE001 - a module keeping no Conversation has no id
                ident = None
            if ident:
                return ident
    return None


def reopen(session: AgentSession, ident: str) -> tuple[Any, str]:
    """Continue the conversation ``ident`` in ``session``: with its own module when this session may use it
    (the Dosaku agent's with the Dosaku agent), else with the current one. Returns (its record, the module
    choice the chat now uses).

    Raises:
        ConversationNotFound: it is not one of this user's conversations.
    """
    summary = session_store(session).show(ident).summary
    if summary.agent == "Dosaku":
        session.use_chat_module(DOSAKU_CHOICE)
        bind_user(session, session.user)  # the Dosaku agent may have just been made
        return resume(session.dosaku, summary.id), DOSAKU_CHOICE
    permitted = chat_modules(session.agent)
    choice = summary.module if summary.module in permitted else (session.chat_module or
                                                                 default_chat_module(session.agent))
    session.use_chat_module(choice)
    return resume(session.agent, summary.id), choice


def forget(session: AgentSession, ident: str) -> str:
    """Delete the conversation ``ident`` from the log (a new conversation starts if the chat was in it)."""
    store = session_store(session)
    full = store.resolve(ident)
    if current_id(session) == full:
        session.reset_chat(DOSAKU_CHOICE if session.dosaku_agent is not None else None)
        session.reset_chat(None)
    store.delete(full)
    return full
