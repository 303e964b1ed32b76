"""Optional traces: with ``opentelemetry-api`` installed and ``[TRACES] ENABLED = true`` (or
``DOSAKU_TRACES__ENABLED=true``), each learn, action call, chat exchange and tool step of the Dosaku agent becomes
an OpenTelemetry span with the GenAI semantic conventions (``gen_ai.operation.name``, ``gen_ai.request.model``,
``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``, ``gen_ai.tool.name``...; the estimated cost as
``dosaku.cost_usd``). Spans go to whatever tracer provider the program set up (the SDK's exporters).

Nothing is imported, and every function here returns at once, unless traces are turned on: ``opentelemetry`` is
imported on the first span.

Example::

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    agent = Agent(config=config_with_traces_on)
    agent.learn('Chat')           # a span 'learn Chat'
    agent.Chat('Hi')              # spans 'Chat.message' and 'chat EchoBot'
"""
from __future__ import annotations

import functools
import importlib.util
import time
from typing import Any

from dosaku.conversation import Conversation, ConversationObserver

#: The ``gen_ai.provider.name`` of the modules the repository ships.
PROVIDERS = {"OpenAIChat": "openai", "LlamaCppChat": "llama.cpp", "EchoBot": "dosaku"}
_TRUE = ("1", "true", "yes", "on")


def enabled(config: Any) -> bool:
    """Whether traces are on for ``config``: ``[TRACES] ENABLED`` is true and opentelemetry-api is installed."""
    value = config.get("TRACES", "ENABLED")
    if value is None or str(value).strip().lower() not in _TRUE:
        return False
    return importlib.util.find_spec("opentelemetry") is not None


def _on(agent: Any) -> bool:
    try:
        return enabled(agent.config)
    except Exception:  # noqa: BLE001 - traces must never break the agent
        return False


def tracer() -> Any:
    """Dosaku's OpenTelemetry tracer (imports opentelemetry)."""
    from opentelemetry import trace

    return trace.get_tracer("dosaku")


def _span(name: str, attributes: dict[str, Any], start_ns: int, end_ns: int | None = None,
          error: str | None = None) -> None:
    span = tracer().start_span(name, start_time=start_ns,
                               attributes={k: v for k, v in attributes.items() if v is not None})
    if error:
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR, error))
        span.set_attribute("error.type", "tool_error")
    span.end(end_time=end_ns or time.time_ns())


def learned(agent: Any, task: str, module: str, started_ns: int) -> None:
    """A span for a learn that started at ``started_ns`` and has just finished; attaches the chat tracer."""
    if not _on(agent):
        return
    _span(f"learn {task}", {"dosaku.agent": agent.name, "dosaku.task": task, "dosaku.module": module}, started_ns)
    conversation = getattr(getattr(agent, task).module, "conversation", None)
    if isinstance(conversation, Conversation):
        for old in [o for o in conversation.observers if isinstance(o, ChatTracer)]:
            conversation.observers.remove(old)
        from dosaku.logs.logger import model_of

        conversation.observers.append(ChatTracer(module, model_of(getattr(agent, task).module)))


def step(agent: Any, event: Any) -> None:
    """A span for one tool step of the Dosaku agent (``execute_tool``)."""
    if not _on(agent):
        return
    end = time.time_ns()
    start = end - int(float(event.duration_s or 0.0) * 1e9)
    _span(f"execute_tool {event.tool}", {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": event.tool, "gen_ai.tool.call.id": event.call_id,
        "gen_ai.tool.type": "function", "dosaku.task": event.task, "dosaku.action": event.action,
        "dosaku.kind": event.kind, "dosaku.step.status": event.status,
    }, start, end, error=event.error if event.status == "error" else None)


def traced_action(agent: Any, action: str, function: Any) -> Any:
    """``function`` (an action of a learned module) wrapped in a span per call when traces are on; else itself.
    A streamed reply's span ends when the stream does."""
    if not _on(agent):
        return function
    owner = type(getattr(function, "__self__", None)).__name__

    @functools.wraps(function)
    def traced(*args: Any, **kwargs: Any) -> Any:
        span = tracer().start_span(f"{owner}.{action}", attributes={
            "dosaku.agent": agent.name, "dosaku.module": owner, "dosaku.action": action})
        try:
            result = function(*args, **kwargs)
        except BaseException as error:
            span.record_exception(error)
            span.end()
            raise
        if hasattr(result, "__next__") and not isinstance(result, str):
            return _ending(result, span)
        span.end()
        return result

    return traced


def _ending(items: Any, span: Any) -> Any:
    try:
        yield from items
    finally:
        span.end()


class ChatTracer(ConversationObserver):
    """A ``chat`` span (GenAI conventions) for each exchange a Chat module adds to its conversation."""

    def __init__(self, module: str, model: str | None):
        self.module, self.model = module, model

    def added(self, conversation: Conversation, messages: list[dict[str, Any]], details: dict[str, Any]) -> None:
        end = time.time_ns()
        start = end - int(float(details.get("duration_s") or 0.0) * 1e9)
        _span(f"chat {self.model or self.module}", {
            "gen_ai.operation.name": "chat", "gen_ai.provider.name": PROVIDERS.get(self.module, self.module),
            "gen_ai.request.model": self.model, "gen_ai.conversation.id": conversation.id,
            "gen_ai.usage.input_tokens": details.get("prompt_tokens"),
            "gen_ai.usage.output_tokens": details.get("completion_tokens"),
            "dosaku.cost_usd": details.get("cost_usd"), "dosaku.module": self.module,
        }, start, end)
