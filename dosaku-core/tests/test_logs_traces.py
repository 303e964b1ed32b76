"""Optional traces: with ``[TRACES] ENABLED = true`` and opentelemetry installed, learns, action calls, chat exchanges
and the Dosaku agent's tool steps become spans with GenAI attributes; without it nothing of opentelemetry is
imported."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from dosaku.agents import Step
from dosaku.config import Config
from dosaku.logs import tracing
from dosaku.testing import isolated_agent

sdk = pytest.importorskip("opentelemetry.sdk.trace", reason="needs opentelemetry-sdk (the traces extra)")
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans():
    if not isinstance(trace.get_tracer_provider(), sdk.TracerProvider):
        provider = sdk.TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def traced_config(tmp_path, on: bool = True) -> Config:
    path = tmp_path / "config.ini"
    path.write_text(f"[TRACES]\nENABLED = {'true' if on else 'false'}\n")
    return Config(path, environ={})


def test_learn_action_and_chat_are_spans_with_genai_attributes(spans, tmp_path):
    agent = isolated_agent(config=traced_config(tmp_path))
    agent.learn("Chat")
    agent.Chat.message("hello")
    list(agent.Chat.message("streamed", stream=True))
    by_name = {}
    for span in spans.get_finished_spans():
        by_name.setdefault(span.name, []).append(span)
    assert set(by_name) == {"learn Chat", "EchoBot.message", "chat EchoBot"}
    assert by_name["learn Chat"][0].attributes["dosaku.module"] == "EchoBot"
    assert len(by_name["EchoBot.message"]) == 2 and by_name["EchoBot.message"][0].attributes["dosaku.action"] == (
        "message")
    chat = by_name["chat EchoBot"][0].attributes
    assert chat["gen_ai.operation.name"] == "chat" and chat["gen_ai.provider.name"] == "dosaku"

    conversation = agent.Chat.module.conversation
    conversation.begin()
    conversation.add({"role": "user", "content": "q"}, {"role": "assistant", "content": "a"},
                     usage={"prompt_tokens": 12, "completion_tokens": 3, "cost_usd": 0.5})
    last = [s for s in spans.get_finished_spans() if s.name == "chat EchoBot"][-1]
    assert (last.attributes["gen_ai.usage.input_tokens"], last.attributes["gen_ai.usage.output_tokens"]) == (12, 3)
    assert last.attributes["dosaku.cost_usd"] == 0.5 and last.end_time >= last.start_time


def test_a_tool_step_is_an_execute_tool_span(spans, tmp_path):
    agent = isolated_agent(config=traced_config(tmp_path))
    tracing.step(agent, Step(1, "TextToImage__text_to_image", "TextToImage", "text_to_image", {"prompt": "red"},
                             kind="module", duration_s=0.25, call_id="call_1"))
    tracing.step(agent, Step(2, "Oops__x", "Oops", "x", {}, status="error", error="boom"))
    first, second = spans.get_finished_spans()
    assert first.name == "execute_tool TextToImage__text_to_image"
    assert first.attributes["gen_ai.tool.name"] == "TextToImage__text_to_image"
    assert first.attributes["gen_ai.tool.call.id"] == "call_1"
    assert 0.24e9 < first.end_time - first.start_time < 0.3e9
    assert second.status.status_code.name == "ERROR" and second.attributes["error.type"] == "tool_error"


def test_traces_off_make_no_span(spans, tmp_path):
    agent = isolated_agent(config=traced_config(tmp_path, on=False))
    agent.learn("Chat")
    agent.Chat.message("hello")
    assert spans.get_finished_spans() == ()


def test_without_traces_configured_opentelemetry_is_never_imported(dosaku_home):
    script = textwrap.dedent("""
        import sys
        from dosaku.testing import isolated_agent
        agent = isolated_agent(log=True)
        agent.learn('Chat')
        agent.Chat.message('hello')
        print(sorted(name for name in sys.modules if name.startswith('opentelemetry')))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
