"""What the log gives back: conversations, their messages and steps, search hits, the log's status."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ConversationSummary:
    """One logged conversation, without its messages.

    Attributes:
        id: Its id (sortable by time; a unique prefix names it too).
        title: The start of its first user message.
        agent: The agent that had it (e.g. ``'Agent'``, ``'Dosaku'``).
        module: The Chat module (e.g. ``'LlamaCppChat'``).
        model: The model, when the module names one.
        user: Whose it is (``''``: the machine's own user; a GUI login name otherwise).
        started: When it started (seconds since the epoch).
        updated: When its last message was logged.
        messages: How many messages it holds.
    """

    id: str
    title: str
    agent: str | None
    module: str | None
    model: str | None
    user: str
    started: float
    updated: float
    messages: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoggedArtifact:
    """A file a step or message produced (an image), stored once under its SHA-256 hash."""

    hash: str
    media_type: str
    path: Path
    bytes: int
    width: int | None = None
    height: int | None = None
    label: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


@dataclass(frozen=True)
class LoggedMessage:
    """One message: ``role`` is user, assistant, tool or system; ``extra`` holds the rest of the wire form
    (``tool_calls``, ``tool_call_id``...)."""

    id: int
    position: int
    role: str
    content: str
    created: float
    extra: dict[str, Any] = field(default_factory=dict)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    duration_s: float | None = None

    def as_chat(self) -> dict[str, Any]:
        """The message as a Chat module keeps it: ``{'role': ..., 'content': ..., **extra}``."""
        return {"role": self.role, "content": self.content, **self.extra}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoggedStep:
    """One tool call of the Dosaku agent, after the message at ``after_position``."""

    id: int
    after_position: int
    request: str | None
    index: int
    tool: str
    task: str | None
    action: str | None
    kind: str | None
    arguments: dict[str, Any]
    status: str
    summary: Any
    error: str | None
    duration_s: float | None
    created: float
    artifacts: list[LoggedArtifact] = field(default_factory=list)

    def call(self) -> str:
        """``'RestoreFaces.restore(image=artifact-1)'``, as :meth:`dosaku.agents.Step.call` shows it."""
        arguments = ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in self.arguments.items())
        if self.tool == "learn_task":
            return f"learn_task({arguments})"
        return f"{self.task}.{self.action}({arguments})" if self.task else f"{self.tool}({arguments})"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["artifacts"] = [artifact.as_dict() for artifact in self.artifacts]
        return data


@dataclass(frozen=True)
class ConversationRecord:
    """A logged conversation with everything in it.

    Example::

        record = LogStore().show('01j9x3')
        record.summary.title, [m.content for m in record.messages], [s.call() for s in record.steps]
    """

    summary: ConversationSummary
    system_prompt: str | None
    messages: list[LoggedMessage]
    steps: list[LoggedStep]

    @property
    def id(self) -> str:
        return self.summary.id

    def chat_messages(self) -> list[dict[str, Any]]:
        """The messages as a Chat module keeps them (what :meth:`dosaku.conversation.Conversation.restore`
        takes)."""
        return [message.as_chat() for message in self.messages]

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary.as_dict(), "system_prompt": self.system_prompt,
                "messages": [m.as_dict() for m in self.messages], "steps": [s.as_dict() for s in self.steps]}


@dataclass(frozen=True)
class SearchHit:
    """A message matching a search: where it is and an excerpt with the match in ``[brackets]``."""

    conversation_id: str
    title: str
    message_id: int
    position: int
    role: str
    snippet: str
    created: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LogStatus:
    """Whether logging is on, where the database is and what it holds."""

    enabled: bool
    path: Path
    exists: bool
    conversations: int
    messages: int
    steps: int
    artifacts: int
    size_bytes: int

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}
