"""Tool calling for chat modules: the calls a model asks for, and a reply that carries them.

A chat module that supports tools takes ``tools=[...]`` (JSON-schema function descriptions, the OpenAI format)
in ``message(...)`` and returns a :class:`ChatReply`: a ``str`` (the text, often empty when tools are called)
whose ``tool_calls`` list what the model wants run. Run them and send the results back with the module's
``message(None, tool_results={call_id: output})``.

Example::

    tools = [{'type': 'function', 'function': {
        'name': 'get_weather', 'description': 'Weather in a city',
        'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}, 'required': ['city']}}}]
    reply = agent.Chat.message('Weather in Paris?', tools=tools)
    for call in reply.tool_calls:
        print(call.name, call.arguments)          # get_weather {'city': 'Paris'}
    final = agent.Chat.message(None, tool_results={reply.tool_calls[0].id: '18°C, sunny'}, tools=tools)
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dosaku.errors import DosakuError
from dosaku.task import accepts_keyword

#: The result given to a tool call the conversation moved on from without answering (so that the conversation
#: stays one an OpenAI-style API accepts: every call answered).
NOT_ANSWERED = "Not run: the conversation went on without this call's result."


@dataclass(frozen=True)
class ToolCall:
    """One call a model asks for.

    Attributes:
        id: The call's id, to answer it with its result.
        name: The function's name.
        arguments: The arguments, parsed from JSON (``{}`` when there are none).
        raw_arguments: The arguments as the model wrote them (may be invalid JSON).
    """

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw_arguments: str = ""

    @classmethod
    def from_json(cls, ident: str, name: str, raw_arguments: str | None) -> ToolCall:
        """Build from the wire form; arguments that are not a JSON object stay only in ``raw_arguments``."""
        raw = raw_arguments or ""
        try:
            parsed = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError:
            parsed = {}
        return cls(ident, name, parsed if isinstance(parsed, dict) else {}, raw)

    def as_message(self) -> dict[str, Any]:
        """The OpenAI wire form of this call (inside an assistant message's ``tool_calls``)."""
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.raw_arguments}}


class ChatReply(str):
    """A chat reply: the text, plus the tool calls the model asked for and why it stopped.

    Example::

        reply = ChatReply('', tool_calls=[ToolCall('call_1', 'get_weather', {'city': 'Paris'})])
        reply == ''            # True: it is the text
        reply.tool_calls[0].name
    """

    tool_calls: list[ToolCall]
    finish_reason: str | None

    def __new__(
        cls, text: str, tool_calls: list[ToolCall] | None = None, finish_reason: str | None = None
    ) -> ChatReply:
        reply = super().__new__(cls, text)
        reply.tool_calls = list(tool_calls or [])
        reply.finish_reason = finish_reason
        return reply


def calls_tools(message: Any) -> bool:
    """Whether a Chat module's ``message`` (a function, or a Chat module class's method) supports tool calls: it
    takes ``tools`` and ``tool_results`` by name.

    Example::

        calls_tools(OpenAIChat.message)   # True
        calls_tools(EchoBot.message)      # False
    """
    return accepts_keyword(message, "tools", strict=True) and accepts_keyword(message, "tool_results", strict=True)


def pending_call_results(
    chat: str, messages: list[dict[str, Any]], tool_results: Mapping[str, str] | None
) -> list[dict[str, Any]]:
    """The ``tool`` turns answering the tool calls of the conversation's last message: each with its result from
    ``tool_results``, :data:`NOT_ANSWERED` when it has none.

    Args:
        chat: The Chat module's name, for the error message.
        messages: The conversation so far (OpenAI's form: an assistant turn with ``tool_calls``).
        tool_results: ``{call_id: output}``.

    Raises:
        DosakuError: a result answers no pending call.

    Example::

        pending_call_results('MyChat', conversation.messages, {'call_1': '18 C'})
        # [{'role': 'tool', 'tool_call_id': 'call_1', 'content': '18 C'}]
    """
    pending = [call["id"] for turn in messages[-1:] for call in turn.get("tool_calls") or ()]
    answers = dict(tool_results or {})
    unknown = set(answers) - set(pending)
    if unknown:
        raise DosakuError(
            f"{chat}: no pending tool call has the id(s) {sorted(unknown)}; answer the ids in the last reply's "
            f"tool_calls ({sorted(pending) or 'none pending'})."
        )
    return [{"role": "tool", "tool_call_id": ident, "content": str(answers.get(ident, NOT_ANSWERED))}
            for ident in pending]
