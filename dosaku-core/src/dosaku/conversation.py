"""A Chat module's conversation: the one object that holds its messages, so that the agent can log and restore
every Chat module the same way.

A Chat module keeps its history in a :class:`Conversation` (``module.conversation``) instead of a private list:
it adds each exchange with :meth:`Conversation.add`, reads :attr:`Conversation.messages` to build its prompt, and
answers ``history()`` and ``reset()`` with :meth:`Conversation.history` and :meth:`Conversation.reset`. Observers
(e.g. the log, :mod:`dosaku.logs`) hear of every change; :meth:`Conversation.restore` puts a past conversation
back, and the module's next prompt holds it.

Example::

    from dosaku.conversation import Conversation

    conversation = Conversation(system_prompt='You are terse.')
    conversation.begin()                                   # a turn starts (for its duration)
    conversation.add({'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello.'},
                     usage={'prompt_tokens': 12, 'completion_tokens': 2})
    conversation.messages   # [{'role': 'system', ...}, {'role': 'user', ...}, {'role': 'assistant', ...}]
    conversation.reset()    # the system prompt stays
"""
from __future__ import annotations

import copy
import logging
import time
from typing import Any

#: One message: ``{'role': 'user' | 'assistant' | 'system' | 'tool', 'content': str, ...}``.
Message = dict[str, Any]


class ConversationObserver:
    """Hears of a :class:`Conversation`'s changes. Subclass it and override what you need; each method is called
    after the change, in the thread that made it, and must not raise (an observer's failure is logged and
    ignored, so that a chat never breaks because of its log)."""

    def added(self, conversation: Conversation, messages: list[Message], details: dict[str, Any]) -> None:
        """``messages`` were appended. ``details`` may hold ``prompt_tokens``, ``completion_tokens``, ``cost_usd``
        and ``duration_s`` (seconds since :meth:`Conversation.begin`), when known."""

    def reset(self, conversation: Conversation) -> None:
        """The conversation was forgotten (the system prompt stays): what follows is a new conversation."""

    def restored(self, conversation: Conversation) -> None:
        """A past conversation (``conversation.id``) was put back."""


class Conversation:
    """The messages of one chat, oldest first; a system prompt, when given, is the first and survives
    :meth:`reset`.

    Args:
        system_prompt: The system prompt (None: none).

    Attributes:
        messages: The live list of message dicts (``{'role': ..., 'content': ..., ...}``). Chat modules read it
            to build a prompt; change it only through :meth:`add`, :meth:`reset` and :meth:`restore`.
        id: The log's id of this conversation (set when it is logged or restored; None when it is new).
        observers: The :class:`ConversationObserver` objects told of each change.

    Example::

        conversation = Conversation('You are terse.')
        conversation.add({'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello.'})
        conversation.history()[1:]   # [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', ...}]
    """

    def __init__(self, system_prompt: str | None = None):
        self.system_prompt = system_prompt
        self.messages: list[Message] = []
        self.id: str | None = None
        self.observers: list[ConversationObserver] = []
        self._turn_started: float | None = None
        self._clear()

    def _clear(self) -> None:
        self.messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []

    # --- what a Chat module calls -------------------------------------------------------------------------------
    def begin(self) -> None:
        """Note that a turn starts now, so that the next :meth:`add` knows how long it took."""
        self._turn_started = time.perf_counter()

    def add(self, *messages: Message, usage: dict[str, Any] | None = None) -> None:
        """Append ``messages`` (e.g. the user's message and the reply) and tell the observers.

        Args:
            *messages: Message dicts with at least ``role`` and ``content``.
            usage: What the turn used, when known: ``prompt_tokens``, ``completion_tokens``, ``cost_usd``.

        Example::

            conversation.add({'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello.'})
        """
        if not messages:
            return
        self.messages.extend(messages)
        details = {key: value for key, value in (usage or {}).items() if value is not None}
        if self._turn_started is not None:
            details["duration_s"] = time.perf_counter() - self._turn_started
            self._turn_started = None
        self._tell("added", list(messages), details)

    def history(self) -> list[Message]:
        """The conversation so far (a deep copy), the system prompt first when there is one."""
        return copy.deepcopy(self.messages)

    def turns(self) -> list[Message]:
        """The messages other than the system prompt (the live dicts)."""
        return [message for message in self.messages if message.get("role") != "system"]

    def reset(self) -> None:
        """Forget the conversation, keeping the system prompt; what follows is logged as a new conversation."""
        self._clear()
        self.id = None
        self._turn_started = None
        self._tell("reset")

    def restore(self, messages: list[Message], id: str | None = None, system_prompt: str | None = None) -> None:
        """Put a past conversation back: its ``messages`` (system messages among them are dropped) follow this
        conversation's system prompt, or ``system_prompt`` when this one has none.

        Args:
            messages: The past messages, oldest first.
            id: The past conversation's log id (what is added next continues it in the log).
            system_prompt: The past conversation's system prompt, used when this conversation has none.

        Example::

            module.conversation.restore([{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello'}])
        """
        if self.system_prompt is None and system_prompt:
            self.system_prompt = system_prompt
        self._clear()
        self.messages.extend(copy.deepcopy([m for m in messages if m.get("role") != "system"]))
        self.id = id
        self._turn_started = None
        self._tell("restored")

    # --- observers ------------------------------------------------------------------------------------------
    def _tell(self, event: str, *args: Any) -> None:
        for observer in list(self.observers):
            try:
                getattr(observer, event)(self, *args)
            except Exception:  # noqa: BLE001 - a chat must not break because an observer (the log) failed
                logging.getLogger(__name__).exception("The conversation observer %r failed on %s", observer, event)

    def __len__(self) -> int:
        return len(self.messages)

    def __repr__(self) -> str:
        return f"Conversation(id={self.id!r}, messages={len(self.messages)})"
