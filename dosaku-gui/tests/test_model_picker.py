"""The model picker's handlers, in process, against a real loopback Hugging Face (the browser test drives the page)."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import time

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("dosaku_llamacpp") is None,
                                reason="dosaku-modules-llamacpp is not installed in this environment")
TINY_KEY = "test-org/Tiny-Chat-GGUF/tiny-chat-q4_1.gguf"


@pytest.fixture
def hub(dosaku_home, monkeypatch):
    from dosaku_llamacpp.models import default_model_path
    from dosaku_llamacpp.testing import HuggingFaceFiles, sha256_of

    source = default_model_path()
    size, sha = source.stat().st_size, sha256_of(source)
    config_dir = dosaku_home / "config"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "models.json").write_text(json.dumps({"models": {
        "tiny-chat": {"repo": "test-org/Tiny-Chat-GGUF", "file": "tiny-chat-q4_1.gguf", "size": size, "sha256": sha,
                      "ram": 400_000_000},
        "huge-chat": {"repo": "test-org/Huge-GGUF", "file": "huge-chat.gguf", "size": size, "sha256": sha,
                      "ram": 10**16},
    }}))
    models = dosaku_home / "data" / "models"
    models.mkdir(parents=True)
    shutil.copy(source, models / "huge-chat.gguf")
    with HuggingFaceFiles({TINY_KEY: source}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


class FakeOptions:
    system_prompt = None


class Session:
    """The two things the picker uses of an AgentSession: its agent and its options."""

    def __init__(self):
        from dosaku import Agent

        self.agent, self.options = Agent(), FakeOptions()


def test_the_picker_shows_where_llamacppchat_is_a_chat_module():
    from dosaku_gui.model_picker import picker_available

    assert picker_available(["LlamaCppChat", "EchoBot"])
    assert not picker_available(["EchoBot"])


def test_the_catalog_table_has_sizes_ram_and_what_is_installed(hub):
    from dosaku_gui.model_picker import catalog_table, installed_names, pullable_names

    table = catalog_table()
    assert "`qwen2.5-1.5b`" in table and "1.12 GB" in table and "1.60 GB" in table
    huge = next(line for line in table.splitlines() if "`huge-chat`" in line)
    assert "installed" in huge
    assert "huge-chat" in installed_names() and "smollm2-135m" in installed_names()
    assert "tiny-chat" in pullable_names() and "huge-chat" not in pullable_names()


def test_a_model_that_does_not_fit_is_not_loaded(hub):
    from dosaku_gui.model_picker import choose_model

    session = Session()
    choose_model(session, "smollm2-135m")
    _, _, _, message, choice = choose_model(session, "huge-chat")
    assert message.startswith("**Not loaded.**") and "10000 TB of RAM" in message
    assert choice["value"] == "smollm2-135m"  # the picker shows the model still in use
    assert session.agent.Chat.module.model_path.name.startswith("SmolLM2-135M")


def test_choosing_a_model_learns_chat_with_it(hub):
    from dosaku_gui.model_picker import choose_model

    session = Session()
    module, history, status, message, _ = choose_model(session, "smollm2-135m")
    assert message == "Using **smollm2-135m** in this session." and history == []
    assert "(smollm2-135m)" in status and module["value"] == "LlamaCppChat"
    assert session.agent.Chat.module.model_path.name.startswith("SmolLM2-135M")


def test_a_download_runs_in_the_background_and_the_poll_ends_it(hub):
    from dosaku_gui.model_picker import poll_pull, start_pull

    hub.rate = 30_000_000
    started = time.monotonic()
    progress, timer = start_pull("tiny-chat")
    assert time.monotonic() - started < 1.0 and timer.active  # the click returns at once
    assert "tiny-chat" in progress
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress, timer, choice, to_pull, table = poll_pull("tiny-chat", None)
        if not timer.active:
            break
        assert "<progress" in progress
        time.sleep(0.2)
    assert "downloaded and verified" in progress
    assert "tiny-chat" in choice["choices"] and "tiny-chat" not in to_pull["choices"]
    assert os.path.exists(hub.files[TINY_KEY].path)


def test_a_failed_download_shows_its_reason(hub):
    from dosaku_gui.model_picker import poll_pull, start_pull

    start_pull("qwen2.5-0.5b")  # not on the loopback server
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress, timer, *_ = poll_pull("qwen2.5-0.5b", None)
        if not timer.active:
            break
        time.sleep(0.1)
    assert "failed" in progress and "HTTP 404" in progress
