"""What answers ``dosaku serve``'s chat completions: a pool of agents, each with its own Chat module (or a Dosaku
agent), so concurrent conversations never share a module's history.

The OpenAI API is stateless: each request carries the whole conversation. So a request takes an idle agent from the
pool (one is made when none is idle and the pool is not full; else it waits), sets that module's conversation to the
request's earlier messages, sends the last user message, and gives the agent back.

Example::

    pool = ChatPool({'enable_services': False, 'enable_executors': False}, module='EchoBot')
    pool.reply([{'role': 'user', 'content': 'Hi'}])          # "Hi, I'm EchoBot. You said: Hi"
    list(pool.stream([{'role': 'user', 'content': 'a b'}]))  # ["Hi, I'm EchoBot.", ' You', ' said:', ' a', ' b']
"""
from __future__ import annotations

import contextlib
import inspect
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from dosaku.errors import DosakuError

from dosaku_mcp.errors import ChatHistoryUnsupported

log = logging.getLogger(__name__)
#: Seconds a request waits for an idle agent before it is refused as busy.
WAIT_S = 300.0
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


class BadRequest(DosakuError, ValueError):
    """A chat request this endpoint cannot answer (what is wrong is in the message)."""


class Busy(DosakuError):
    """Every agent of the pool stayed busy for :data:`WAIT_S` seconds."""


def text_of(content: Any) -> str:
    """A message's content as text: a string, or the text parts of a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") in ("text", "input_text"):
                texts.append(str(part.get("text", "")))
            else:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise BadRequest(f"Only text content is supported, not {kind!r} parts.")
        return "".join(texts)
    raise BadRequest(f"A message's content must be a string or a list of parts, not {type(content).__name__}.")


def conversation(messages: Any) -> tuple[list[dict[str, str]], str]:
    """``(earlier turns, last user message)`` of a request's messages (roles normalised, text only).

    Raises:
        BadRequest: no messages, an unknown role, non-text content, or a last message not from the user.
    """
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list of {'role': ..., 'content': ...} objects.")
    turns = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            role = message.get("role") if isinstance(message, dict) else message
            raise BadRequest(f"Unsupported message role {role!r}: use system, developer, user or assistant.")
        turns.append({"role": ROLES[message["role"]], "content": text_of(message.get("content"))})
    if turns[-1]["role"] != "user":
        raise BadRequest("The last message must be the user's (role 'user').")
    return turns[:-1], turns[-1]["content"]


def load_history(module: Any, history: list[dict[str, str]]) -> None:
    """Make ``history`` the conversation of the Chat ``module`` (forgetting what it had).

    # TODO(core): Chat offers no public way to set a module's conversation. Issue 19's Conversation should give one
    # (e.g. ``module.set_history(messages)`` or a Conversation passed to ``message``); until then this uses the
    # ``_history`` list that EchoBot, OpenAIChat and LlamaCppChat all keep, after their public ``reset()``.

    Raises:
        ChatHistoryUnsupported: the module has neither a ``set_history`` method nor that list.
    """
    setter = getattr(module, "set_history", None)
    if callable(setter):
        setter([dict(turn) for turn in history])
        return
    reset = getattr(module, "reset", None)
    if callable(reset):
        reset()
    current = getattr(module, "_history", None)
    if not isinstance(current, list):
        raise ChatHistoryUnsupported(
            f"The Chat module {type(module).__name__} offers no way to set its conversation, so `dosaku serve` cannot "
            f"answer requests that carry earlier messages with it. Use a module with a reset() and a history (e.g. "
            f"EchoBot, LlamaCppChat, OpenAIChat), or send only the last message.")
    module._history = [dict(turn) for turn in history]


def _accepts(function: Any, name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def deltas(partials: Iterator[str]) -> Iterator[str]:
    """Chat modules stream the whole reply so far; the OpenAI API streams what is new."""
    sent = ""
    for partial in partials:
        partial = str(partial)
        delta = partial[len(sent):] if partial.startswith(sent) else partial
        sent = partial
        if delta:
            yield delta


class _Pool:
    """Agents made on demand, up to ``size``, one request at a time each."""

    model_id = ""

    def __init__(self, make: Callable[[], Any], size: int):
        self._make, self._size = make, max(1, int(size))
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._made, self._lock = 0, threading.Lock()

    def check(self) -> None:
        """Make the first agent now, so a bad module or permission fails before serving."""
        with self._agent():
            pass

    @contextlib.contextmanager
    def _agent(self) -> Iterator[Any]:
        agent = None
        try:
            agent = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                build = self._made < self._size
                self._made += build
            if build:
                try:
                    agent = self._make()
                except BaseException:
                    with self._lock:
                        self._made -= 1
                    raise
            else:
                try:
                    agent = self._idle.get(timeout=WAIT_S)
                except queue.Empty:
                    raise Busy(f"All {self._size} agents stayed busy for {WAIT_S:g} s; try again, or start "
                               f"`dosaku serve` with more --instances.") from None
        try:
            yield agent
        finally:
            self._idle.put(agent)


class ChatPool(_Pool):
    """Agents that each learned Chat with ``module`` (default: what ``learn('Chat')`` picks).

    Args:
        permissions: ``enable_services`` / ``enable_executors`` for every agent.
        module: The Chat module.
        size: At most this many agents (and module instances).
        make_agent: Makes an agent (default ``Agent(**permissions)``); tests pass isolated ones.
        module_kwargs: Passed to the module when it is learned.
    """

    def __init__(self, permissions: dict[str, bool], module: str | None = None, size: int = 4,
                 make_agent: Callable[[], Any] | None = None, module_kwargs: dict[str, Any] | None = None):
        def make() -> Any:
            if make_agent is None:
                from dosaku import Agent

                agent = Agent(**permissions)
            else:
                agent = make_agent()
            agent.learn("Chat", module=module, **(module_kwargs or {}))
            self.model_id = self.model_id or agent.loaded_modules[-1]
            return agent

        super().__init__(make, size)
        self.model_id = module or ""

    def _prepare(self, agent: Any, messages: Any) -> str:
        """Give ``agent``'s module the request's earlier turns (its own system prompt kept unless the request has
        one); returns the last user message."""
        history, last = conversation(messages)
        chat = agent.Chat
        if "reset" in dir(chat):
            chat.reset()
        elif not history:
            load_history(chat.module, [])  # no reset(): forget the previous request some other way
        if history:
            if not any(turn["role"] == "system" for turn in history) and "history" in dir(chat):
                history = [turn for turn in chat.history() if turn.get("role") == "system"] + history
            load_history(chat.module, history)
        return last

    def reply(self, messages: Any, options: dict[str, Any] | None = None) -> str:
        """The reply to the conversation ``messages`` (OpenAI format)."""
        with self._agent() as agent:
            last = self._prepare(agent, messages)
            message = agent.Chat.message
            extra = {"stream": False} if _accepts(message, "stream") else {}
            reply = message(last, **extra, **(options or {}))
            if not isinstance(reply, str):
                reply = [*reply][-1] if reply is not None else ""
            return str(reply)

    def stream(self, messages: Any, options: dict[str, Any] | None = None) -> Iterator[str]:
        """The reply to ``messages`` as it grows, as pieces (the agent is held until the stream ends)."""
        with self._agent() as agent:
            last = self._prepare(agent, messages)
            message = agent.Chat.message
            extra = {"stream": True} if _accepts(message, "stream") else {}
            reply = message(last, **extra, **(options or {}))
            if isinstance(reply, str):
                if reply:
                    yield str(reply)
                return
            yield from deltas(reply)


class DosakuPool(_Pool):
    """Dosaku agents: each request is done with :meth:`dosaku.agents.Dosaku.do` (it may call its tasks as tools).

    Args:
        permissions: ``enable_services`` / ``enable_executors``.
        chat_module: Dosaku's Chat module (default Dosaku's own default); it must support tool calls.
        tasks: Tasks each agent learns first.
        size: At most this many agents.
        make_agent: Makes a Dosaku agent (default ``Dosaku(**permissions, chat_module=...)``).
    """

    model_id = "dosaku"

    def __init__(self, permissions: dict[str, bool], chat_module: str | None = None, tasks: list[str] | None = None,
                 size: int = 4, make_agent: Callable[[], Any] | None = None):
        def make() -> Any:
            if make_agent is not None:
                agent = make_agent()
            else:
                from dosaku.agents import Dosaku

                options = {"chat_module": chat_module} if chat_module else {}
                agent = Dosaku(**permissions, stream_chat=False, **options)
            for task in tasks or ():
                if task not in agent.tasks:
                    agent.learn(task)
            return agent

        super().__init__(make, size)

    def _answer(self, messages: Any) -> str:
        history, last = conversation(messages)
        with self._agent() as agent:
            chat = agent.Chat
            chat.reset()
            own = [turn for turn in chat.history() if turn.get("role") == "system"] if "history" in dir(chat) else []
            if history:
                load_history(chat.module, own + history)
            return str(agent.do(last))

    def reply(self, messages: Any, options: dict[str, Any] | None = None) -> str:
        return self._answer(messages)

    def stream(self, messages: Any, options: dict[str, Any] | None = None) -> Iterator[str]:
        text = self._answer(messages)
        words = text.split(" ")
        for index, word in enumerate(words):
            yield word if index == 0 else " " + word
