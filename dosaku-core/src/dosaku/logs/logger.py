"""What writes a Chat module's conversation to the log: a :class:`~dosaku.conversation.ConversationObserver` the
agent attaches to ``module.conversation`` when it learns the task (see :mod:`dosaku.logs.attach`)."""
from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dosaku.conversation import Conversation, ConversationObserver

if TYPE_CHECKING:
    from dosaku.config import Config
    from dosaku.logs.store import LogStore

#: Per agent, the store chosen with :func:`use_store` (None there: nothing is logged for that agent).
_CHOSEN: weakref.WeakKeyDictionary[Any, LogStore | None] = weakref.WeakKeyDictionary()
#: Per agent, the user chosen with :func:`use_user`: its conversations are written as (and read as) that user's.
_USERS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
#: One store (one connection) per database, user and config file, shared by the agents of a process.
_SHARED: dict[tuple[str, str, str], LogStore] = {}
_SHARED_LOCK = threading.Lock()


def shared_store(config: Config, user: str = "") -> LogStore:
    """The process's store for ``config``'s log database and ``user`` (made on first use)."""
    from dosaku.logs.store import LogStore, default_path

    key = (str(default_path(config)), user, str(config.path))
    with _SHARED_LOCK:
        store = _SHARED.get(key)
        if store is None:
            store = _SHARED[key] = LogStore(config=config, user=user)
        return store


def use_store(agent: Any, store: LogStore | None) -> None:
    """Log ``agent``'s conversations to ``store`` from now on (None: log nothing for it), whatever it was made
    with; e.g. the GUI gives each logged-in user's agent a store limited to that user.

    Example::

        use_store(agent, LogStore(user='alice'))
    """
    _CHOSEN[agent] = store


def use_user(agent: Any, user: str) -> None:
    """Write ``agent``'s conversations as ``user``'s (a GUI login name; ``''`` for the machine's own user), to
    wherever it logs; whether it logs at all stays as it was (``Agent(log=False)``, ``[LOGS] ENABLED``).

    Example::

        use_user(agent, 'alice')
    """
    _USERS[agent] = user


def _as_user(agent: Any, store: LogStore | None) -> LogStore | None:
    user = _USERS.get(agent)
    if store is None or user is None or store.user == user:
        return store
    return store.for_user(user)


def chosen_store(agent: Any) -> tuple[bool, LogStore | None]:
    """(whether a store was chosen for ``agent`` with :func:`use_store`, that store)."""
    if agent in _CHOSEN:
        return True, _CHOSEN[agent]
    return False, None


def store_for(agent: Any, log: Any) -> LogStore | None:
    """Where ``agent``'s conversations are written, or None when they are not: the store chosen with
    :func:`use_store`, else by the agent's ``log`` argument (False: none; a LogStore: it; True: the default
    one; None: the default one unless ``[LOGS] ENABLED`` is false)."""
    from dosaku.logs.store import LogStore, logging_enabled

    chosen, store = chosen_store(agent)
    if chosen:
        return store
    if log is False:
        return None
    if isinstance(log, LogStore):
        return _as_user(agent, log)
    if log is True or logging_enabled(agent.config):
        return _as_user(agent, shared_store(agent.config))
    return None


def reading_store(agent: Any, log: Any) -> LogStore:
    """Where ``agent`` reads past conversations from (even with logging off: reading writes nothing)."""
    from dosaku.logs.store import LogStore

    chosen, store = chosen_store(agent)
    if chosen and store is not None:
        return store
    return _as_user(agent, log if isinstance(log, LogStore) else shared_store(agent.config))


def model_of(module: Any) -> str | None:
    """The model a Chat module uses, when it says: its ``model``, else its model file's name."""
    model = getattr(module, "model", None)
    if isinstance(model, str) and model:
        return model
    path = getattr(module, "model_path", None)
    return Path(path).name if path else None


class ConversationLogger(ConversationObserver):
    """Writes each exchange of one module's conversation to the agent's log store.

    Args:
        agent: The agent (held weakly).
        log: The agent's ``log`` argument (see :func:`store_for`).
        module: The Chat module's name.
        model: The model, when known.
    """

    def __init__(self, agent: Any, log: Any, module: str | None, model: str | None):
        self._agent = weakref.ref(agent)
        self.log, self.agent_name, self.module, self.model = log, getattr(agent, "name", None), module, model
        self._store: Any = self

    def store(self) -> LogStore | None:
        """Where this conversation is written now (None: nowhere)."""
        agent = self._agent()
        if agent is None:
            return None
        chosen, store = chosen_store(agent)
        if chosen:
            return store
        if self._store is self:  # resolved once: the config is read on the first message, not on every one
            self._store = store_for(agent, self.log)
        return _as_user(agent, self._store)

    def added(self, conversation: Conversation, messages: list[dict[str, Any]], details: dict[str, Any]) -> None:
        store = self.store()
        turns = [message for message in messages if message.get("role") != "system"]
        if store is None or not turns:
            return
        if conversation.id is None:
            from dosaku.logs.ids import new_id

            conversation.id = new_id()
        store.log_messages(conversation.id, turns, details=details, agent=self.agent_name, module=self.module,
                           model=self.model, system_prompt=conversation.system_prompt)

    def log_step(self, conversation: Conversation, step: Any, request: str | None) -> None:
        """Keep a step of the Dosaku agent with the conversation it belongs to."""
        store = self.store()
        if store is not None and conversation.id is not None:
            store.log_step(conversation.id, step, request)

    def __repr__(self) -> str:
        return f"ConversationLogger(agent={self.agent_name!r}, module={self.module!r})"


def logger_of(conversation: Conversation) -> ConversationLogger | None:
    """The logger attached to ``conversation``, if any."""
    return next((o for o in conversation.observers if isinstance(o, ConversationLogger)), None)
