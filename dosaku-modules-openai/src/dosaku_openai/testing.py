"""A loopback server speaking OpenAI's wire format, for tests and benchmarks (stdlib only).

It answers ``POST /v1/chat/completions`` (whole or streamed as server-sent events, with usage and tool calls)
and ``POST /v1/images/generations`` (base64 PNG), checks the bearer key, records every request and plays
faults (see :class:`dosaku.testing.loopback.LoopbackServer`).

Example::

    from dosaku_openai.chat import OpenAIChat
    from dosaku_openai.testing import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        chat = OpenAIChat(base_url=server.base_url, api_key=server.api_key, model='gpt-4o-mini')
        chat.message('Hello')             # 'You said: Hello'
        server.requests[-1].json['messages']
"""
from __future__ import annotations

import base64
import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from dosaku.testing.loopback import LoopbackServer, Reply, Request, png_bytes

TEST_KEY = "sk-test-0123456789abcdefSECRET"


def echo_reply(messages: list[dict[str, Any]]) -> str:
    """The default answer: 'You said: <the last user message>'."""
    users = [m for m in messages if m.get("role") == "user"]
    return f"You said: {users[-1]['content']}" if users else "Hello."


def count_tokens(text: str) -> int:
    """The server's token count: one per whitespace-separated word (a stand-in for a tokenizer)."""
    return len(text.split())


def _unanswered_tool_call(messages: list[dict[str, Any]]) -> str | None:
    """The first tool call id in ``messages`` not answered by the tool messages right after its assistant message."""
    for index, message in enumerate(messages):
        calls = [call["id"] for call in message.get("tool_calls") or ()]
        answered = set()
        for later in messages[index + 1:]:
            if later.get("role") != "tool":
                break
            answered.add(later.get("tool_call_id"))
        missing = [call for call in calls if call not in answered]
        if missing:
            return missing[0]
    return None


class FakeOpenAIServer(LoopbackServer):
    """OpenAI's chat completions and image generation, on 127.0.0.1.

    Args:
        api_key: The key the server accepts (None: any).
        reply: Makes the answer text from the request's messages (default :func:`echo_reply`).
        chunk_words: Words per streamed event.
        chunk_delay_s: Pause between streamed events (0 for the fastest server).
    """

    def __init__(
        self,
        api_key: str | None = TEST_KEY,
        reply: Callable[[list[dict[str, Any]]], str] = echo_reply,
        chunk_words: int = 1,
        chunk_delay_s: float = 0.0,
    ):
        super().__init__()
        self.api_key, self.reply, self.chunk_words, self.chunk_delay_s = api_key, reply, chunk_words, chunk_delay_s
        self.tool_call_queue: deque[list[dict[str, Any]]] = deque()

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def call_tools(self, *calls: tuple[str, dict[str, Any]]) -> None:
        """Make the next chat answer ask for these tool calls, ``(name, arguments)`` each."""
        self.tool_call_queue.append(
            [{"id": f"call_{i}_{name}", "name": name, "arguments": json.dumps(args)}
             for i, (name, args) in enumerate(calls)]
        )

    def error_body(self, status: int) -> Any:
        kinds = {429: ("rate_limit_exceeded", "Rate limit reached. Please retry."),
                 500: ("server_error", "The server had an error while processing your request."),
                 503: ("server_error", "The engine is currently overloaded.")}
        code, message = kinds.get(status, ("error", f"HTTP {status}"))
        return {"error": {"message": message, "type": code, "param": None, "code": code}}

    # --- handling ---
    def handle(self, request: Request, reply: Reply) -> None:
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            reply.json(401, {"error": {"message": f"Incorrect API key provided: {given}.",
                                       "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}})
            return
        if request.path.endswith("/chat/completions"):
            self._chat(request.json or {}, reply)
        elif request.path.endswith("/images/generations"):
            self._image(request.json or {}, reply)
        else:
            reply.json(404, {"error": {"message": f"Unknown path {request.path}", "type": "invalid_request_error"}})

    def _chat(self, body: dict[str, Any], reply: Reply) -> None:
        messages = body.get("messages") or []
        unanswered = _unanswered_tool_call(messages)
        if unanswered:  # as the real API: every tool call must be answered before the conversation goes on
            reply.json(400, {"error": {
                "message": "An assistant message with 'tool_calls' must be followed by tool messages responding to "
                           f"each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                           f"{unanswered}", "type": "invalid_request_error", "param": "messages", "code": None}})
            return
        calls = self.tool_call_queue.popleft() if self.tool_call_queue and body.get("tools") else []
        text = "" if calls else self.reply(messages)
        prompt = sum(count_tokens(str(m.get("content") or "")) for m in messages)
        usage = {"prompt_tokens": prompt, "completion_tokens": count_tokens(text) + len(calls),
                 "total_tokens": prompt + count_tokens(text) + len(calls)}
        base = {"id": "chatcmpl-loopback", "created": int(time.time()), "model": body.get("model", "")}
        finish = "tool_calls" if calls else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": text or None}
            if calls:
                message["tool_calls"] = [
                    {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                    for c in calls
                ]
            reply.json(200, {**base, "object": "chat.completion", "usage": usage,
                             "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}]})
            return
        self._chat_stream(base, text, calls, finish, usage, body, reply)

    def _chat_stream(self, base: dict[str, Any], text: str, calls: list[dict[str, Any]], finish: str,
                     usage: dict[str, int], body: dict[str, Any], reply: Reply) -> None:
        def event(delta: dict[str, Any], finish_reason: str | None = None) -> bool:
            chunk = {**base, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}
            return reply.event(b"data: " + json.dumps(chunk).encode() + b"\n\n")

        reply.start_stream()
        if not event({"role": "assistant", "content": ""}):
            return
        words = text.split(" ")
        for start in range(0, len(words) if text else 0, self.chunk_words):
            piece = " ".join(words[start:start + self.chunk_words])
            if start:
                piece = " " + piece
            if self.chunk_delay_s:
                time.sleep(self.chunk_delay_s)
            if not event({"content": piece}):
                return
        for index, call in enumerate(calls):
            head = {"index": index, "id": call["id"], "type": "function",
                    "function": {"name": call["name"], "arguments": ""}}
            half = len(call["arguments"]) // 2
            for part in (head, {"index": index, "function": {"arguments": call["arguments"][:half]}},
                         {"index": index, "function": {"arguments": call["arguments"][half:]}}):
                if not event({"tool_calls": [part]}):
                    return
        if not event({}, finish):
            return
        if (body.get("stream_options") or {}).get("include_usage"):
            chunk = {**base, "object": "chat.completion.chunk", "choices": [], "usage": usage}
            if not reply.event(b"data: " + json.dumps(chunk).encode() + b"\n\n"):
                return
        if reply.event(b"data: [DONE]\n\n"):
            reply.end_stream()

    def _image(self, body: dict[str, Any], reply: Reply) -> None:
        if not body.get("prompt"):
            reply.json(400, {"error": {"message": "prompt is required", "type": "invalid_request_error"}})
            return
        width, _, height = str(body.get("size") or "1024x1024").partition("x")
        data = base64.b64encode(png_bytes(int(width), int(height))).decode()
        reply.json(200, {"created": int(time.time()), "data": [{"b64_json": data, "revised_prompt": body["prompt"]}]})


class ScriptedReplies:
    """A scripted chat model for :class:`FakeOpenAIServer` (``reply=``): each request is answered from the queue of
    its step, the first line of the last user message (``'STEP: plan'``; Ponder's prompts start so). A step's last
    reply is repeated once its queue runs out, so a model that never fixes its code is easy to script.

    Args:
        **steps: ``step=reply`` or ``step=[reply, reply, ...]``.

    Example::

        script = ScriptedReplies(plan=PLAN_JSON, task=TASK_CODE, repair=['FILE: module\\n```python\\n...```'])
        with FakeOpenAIServer(reply=script) as server:
            ...
        script.asked   # ['plan', 'task', ..., 'repair']
    """

    def __init__(self, **steps: str | list[str]):
        self.queues = {
            step: deque([replies] if isinstance(replies, str) else replies) for step, replies in steps.items()
        }
        self.asked: list[str] = []

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        users = [m for m in messages if m.get("role") == "user"]
        first_line = str(users[-1]["content"]).split("\n", 1)[0] if users else ""
        step = first_line.removeprefix("STEP:").strip()
        self.asked.append(step)
        queue = self.queues.get(step)
        if not queue:
            return f"(no scripted reply for step {step!r})"
        return queue.popleft() if len(queue) > 1 else queue[0]
