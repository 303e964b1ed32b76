"""OpenAIChat: the ``Chat`` task through OpenAI's chat completions API, or any endpoint that speaks it."""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import openai
from dosaku.config import Config
from dosaku.conversation import Conversation
from dosaku.errors import ServiceError, ServiceTimeout
from dosaku.module import Service
from dosaku.services import Reservation, estimate_prompt_tokens
from dosaku.tasks.chat import Chat
from dosaku.tool_calls import ChatReply, ToolCall, pending_call_results

from dosaku_openai.client import Connection, translate

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_MAX_TOKENS = 1024


class OpenAIChat(Service, Chat):
    """Chat with an OpenAI model, or any OpenAI-compatible server (Ollama, vLLM, llama.cpp's server...).

    Args:
        model: The model (default ``[OPENAI] MODEL``, else ``'gpt-4o-mini'``).
        stream: Stream replies by default: ``message`` then yields the reply so far, growing.
        system_prompt: Sent first in every request; kept by :meth:`reset`.
        temperature: Sampling temperature (default: the server's).
        max_tokens: The most tokens a reply may take; also what the spend limit reserves for it.
        base_url: The endpoint (default ``[OPENAI] BASE_URL`` / ``OPENAI_BASE_URL``, else OpenAI's).
        api_key: The key (default ``[API_KEYS] OPENAI`` / ``OPENAI_API_KEY``); required for OpenAI itself.
        timeout: Seconds for each request and each read of a stream (default ``[OPENAI] TIMEOUT``, 60).
        max_retries: Retries of 429, 5xx, timeouts and lost connections, with backoff (default 2).
        tools: Tool (function) schemas offered to the model in every message (see :mod:`dosaku.tool_calls`).
        config: The configuration (default :class:`dosaku.Config`).

    Raises:
        MissingAPIKey: OpenAI's API is used and no key is configured (raised here, before any request).

    Example::

        from dosaku import Agent

        agent = Agent(enable_services=True)
        agent.learn('Chat', module='OpenAIChat', model='gpt-4o-mini', stream=True,
                    system_prompt='You are a helpful assistant.')
        for partial_response in agent.Chat('Write a haiku about spring.'):
            print(partial_response)

        chat = OpenAIChat(base_url='http://localhost:11434/v1', model='llama3')   # a local Ollama
        chat.message('Hi')
    """

    def __init__(
        self,
        model: str | None = None,
        stream: bool = False,
        system_prompt: str | None = None,
        temperature: float | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        tools: list[dict[str, Any]] | None = None,
        config: Config | None = None,
    ):
        self.config = config if config is not None else Config()
        self.connection = Connection.resolve(
            self.config, base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries
        )
        self.model = model or self.config.get("OPENAI", "MODEL") or DEFAULT_MODEL
        self.stream, self.system_prompt = bool(stream), system_prompt
        self.temperature, self.max_tokens, self.tools = temperature, int(max_tokens), tools
        self._client = self.connection.client()
        self.conversation = Conversation(system_prompt)  # the history, logged and restored by the agent

    # --- Chat -----------------------------------------------------------------------------------------------
    def message(
        self,
        message: str | None,
        *,
        stream: bool | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: str | dict[str, Any] | None = None,
        tool_results: Mapping[str, str] | None = None,
    ) -> ChatReply | Iterator[str]:
        """Send a message (in the context of the conversation so far) and get the reply.

        Args:
            message: The user's message (None when only answering tool calls).
            stream: Override the default: yield the reply so far as it grows.
            temperature: Override the sampling temperature for this message.
            max_tokens: Override the reply's token limit for this message.
            tools: Tool schemas for this message (default: those given when made).
            tool_choice: ``'auto'``, ``'none'``, ``'required'`` or a specific function.
            tool_results: Results of the last reply's tool calls, ``{call_id: output}``. A call left unanswered
                (none given for it, or a request that failed half-way through a tool loop) is answered with
                :data:`~dosaku.tool_calls.NOT_ANSWERED`, so the conversation stays one the API accepts.

        Returns:
            A :class:`~dosaku.tool_calls.ChatReply` (a ``str`` with ``tool_calls``), or when streaming an iterator
            of partial replies, each the whole reply so far (a last :class:`ChatReply` follows if tools were called).

        Raises:
            SpendLimitExceeded: the call could pass the spend limit (nothing was sent).
            ServiceAuthError, ServiceRateLimited, ServiceUnavailable, ServiceTimeout, ServiceError: the call failed;
                a stream cut mid-way raises ServiceError with the text so far in ``error.partial``.

        Example::

            chat.message('Hello!')                    # 'Hi! How can I help?'
            for partial in chat.message('Count to 3', stream=True):
                print(partial)                        # '1', '1, 2', '1, 2, 3'
        """
        new = self._new_messages(message, tool_results)
        self.conversation.begin()
        max_tokens = int(max_tokens if max_tokens is not None else self.max_tokens)
        tools = tools if tools is not None else self.tools
        messages = self.conversation.messages + new
        request: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": max_tokens}
        temperature = temperature if temperature is not None else self.temperature
        if temperature is not None:
            request["temperature"] = temperature
        if tools:
            request["tools"] = tools
            if tool_choice is not None:
                request["tool_choice"] = tool_choice
        streaming = self.stream if stream is None else bool(stream)
        prompt_bound = estimate_prompt_tokens(request["messages"]) + estimate_prompt_tokens(str(tools or ""))
        reservation = self.meter.reserve(self.model, prompt_tokens=prompt_bound, max_output_tokens=max_tokens)
        if streaming:
            request["stream"], request["stream_options"] = True, {"include_usage": True}
            return self._stream(request, new, reservation, prompt_bound)
        return self._complete(request, new, reservation)

    def history(self) -> list[dict[str, Any]]:
        """The conversation so far, oldest first (the system prompt first, when there is one).

        Example::

            chat.history()  # [{'role': 'system', ...}, {'role': 'user', 'content': 'Hi'}, {'role': 'assistant', ...}]
        """
        return self.conversation.history()

    def reset(self) -> None:
        """Forget the conversation (the system prompt is kept).

        Example::

            chat.reset()
        """
        self.conversation.reset()

    # --- internals -------------------------------------------------------------------------------------------
    def _new_messages(self, message: str | None, tool_results: Mapping[str, str] | None) -> list[dict[str, Any]]:
        if message is None and not tool_results:
            raise TypeError("OpenAIChat.message needs a message (a str), or tool_results answering tool calls.")
        new = pending_call_results("OpenAIChat", self.conversation.messages, tool_results)
        if message is not None:
            if not isinstance(message, str):
                raise TypeError(f"OpenAIChat.message takes a str, not {type(message).__name__}.")
            new.append({"role": "user", "content": message})
        return new

    def _remember(self, new: list[dict[str, Any]], reply: ChatReply, usage: dict[str, Any] | None = None) -> None:
        answer: dict[str, Any] = {"role": "assistant", "content": str(reply)}
        if reply.tool_calls:
            answer["tool_calls"] = [call.as_message() for call in reply.tool_calls]
        self.conversation.add(*new, answer, usage=usage)

    def _create(self, request: dict[str, Any], reservation: Reservation) -> Any:
        """Send ``request``; on any failure the reservation is released and OpenAI's errors are translated."""
        try:
            return self._client.chat.completions.create(**request)
        except openai.OpenAIError as error:
            reservation.release()
            raise translate(error, type(self).__name__, self.connection) from None
        except BaseException:
            reservation.release()
            raise

    def _complete(self, request: dict[str, Any], new: list[dict[str, Any]], reservation: Reservation) -> ChatReply:
        response = self._create(request, reservation)
        usage = response.usage
        used = {"prompt_tokens": usage.prompt_tokens if usage else reservation_prompt(request),
                "completion_tokens": usage.completion_tokens if usage else int(request["max_tokens"])}
        used["cost_usd"] = reservation.settle(**used)
        choice = response.choices[0]
        calls = [
            ToolCall.from_json(call.id, call.function.name, call.function.arguments)
            for call in (choice.message.tool_calls or ())
            if getattr(call, "function", None) is not None
        ]
        reply = ChatReply(choice.message.content or "", calls, choice.finish_reason)
        self._remember(new, reply, used)
        return reply

    def _stream(
        self, request: dict[str, Any], new: list[dict[str, Any]], reservation: Reservation, prompt_bound: int
    ) -> Iterator[str]:
        return self._read_stream(self._create(request, reservation), new, reservation, prompt_bound)

    def _read_stream(self, stream: Any, new: list[dict[str, Any]], reservation: Reservation, prompt_bound: int
                     ) -> Iterator[str]:
        text, pieces, calls, usage, finish = "", 0, _ToolCallParts(), None, None
        try:
            for chunk in stream:
                if chunk.usage is not None:
                    usage = chunk.usage
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None and delta.tool_calls:
                        calls.add(delta.tool_calls)
                    if choice.finish_reason:
                        finish = choice.finish_reason
                    if delta is not None and delta.content:
                        text += delta.content
                        pieces += 1
                        yield text
        except GeneratorExit:  # the reader stopped early: keep what it saw
            stream.close()
            used = self._settle_stream(reservation, usage, prompt_bound, pieces)
            self._remember(new, ChatReply(text, [], "stopped"), used)
            raise
        except Exception as error:  # noqa: BLE001 - any transport failure mid-stream becomes a ServiceError
            stream.close()
            reservation.release(charge_worst_case=True)
            raise self._cut(error, text) from None
        if finish is None:
            reservation.release(charge_worst_case=True)
            raise self._cut(None, text)
        used = self._settle_stream(reservation, usage, prompt_bound, pieces)
        reply = ChatReply(text, calls.done(), finish)
        self._remember(new, reply, used)
        if reply.tool_calls:
            yield reply

    @staticmethod
    def _settle_stream(reservation: Reservation, usage: Any, prompt_bound: int, pieces: int) -> dict[str, Any]:
        if usage is not None:
            used = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
        else:  # the server sent no usage: bound the prompt, count a token per piece
            used = {"prompt_tokens": prompt_bound, "completion_tokens": pieces}
        used["cost_usd"] = reservation.settle(**used)
        return used

    def _cut(self, error: BaseException | None, text: str) -> ServiceError:
        """The error for a stream that broke off: a timeout, a dropped connection, or an end without a finish."""
        name, where = type(self).__name__, self.connection.base_url
        causes = [error, getattr(error, "__cause__", None), getattr(error, "__context__", None)]
        timed_out = any(c is not None and "timeout" in type(c).__name__.lower() for c in causes)
        if timed_out:
            reason = f"the stream from {where} stalled for more than {self.connection.timeout:g} s"
        elif error is not None:
            reason = f"the stream from {where} was cut ({type(error).__name__}: {self.connection.scrub(str(error))})"
        else:
            reason = f"the stream from {where} ended before the reply was finished"
        error_type = ServiceTimeout if timed_out else ServiceError
        return error_type(
            f"{name}: {reason}, after {len(text)} characters of the reply; the text so far is in error.partial. "
            f"Try again.", service=name, partial=text,
        )

    def __repr__(self) -> str:
        return f"OpenAIChat(model={self.model!r}, base_url={self.connection.base_url!r}, stream={self.stream})"


def reservation_prompt(request: dict[str, Any]) -> int:
    """The prompt's token bound, for servers that report no usage."""
    return estimate_prompt_tokens(request["messages"])


class _ToolCallParts:
    """Tool calls arriving in pieces over a stream, put together by index."""

    def __init__(self) -> None:
        self._parts: dict[int, dict[str, str]] = {}

    def add(self, deltas: list[Any]) -> None:
        for delta in deltas:
            part = self._parts.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            part["id"] = delta.id or part["id"]
            if delta.function is not None:
                part["name"] += delta.function.name or ""
                part["arguments"] += delta.function.arguments or ""

    def done(self) -> list[ToolCall]:
        return [ToolCall.from_json(p["id"], p["name"], p["arguments"]) for _, p in sorted(self._parts.items())]
