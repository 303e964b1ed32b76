"""The local model picker in a real browser (Debian chromium, playwright) against a real ``dosaku_gui``: the catalog
with sizes, a download from a loopback Hugging Face whose progress shows in the page while another session keeps
chatting, chatting with the downloaded model, and a model too big for the machine refused before it loads."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil

import pytest
from gui_helpers import GuiServer, save_screenshot

pytestmark = pytest.mark.skipif(importlib.util.find_spec("dosaku_llamacpp") is None,
                                reason="dosaku-modules-llamacpp is not installed in this environment")

TIMEOUT_MS = 180_000
TINY_KEY = "test-org/Tiny-Chat-GGUF/tiny-chat-q4_1.gguf"
RATE = 6_000_000  # bytes/s: the 98 MB download takes about 16 s, long enough to watch it and chat meanwhile


@pytest.fixture(scope="module")
def picker_server(tmp_path_factory):
    from dosaku_llamacpp.models import default_model_path
    from dosaku_llamacpp.testing import HuggingFaceFiles, sha256_of

    source = default_model_path()
    home = tmp_path_factory.mktemp("picker-home")
    models = home / "data" / "models"
    models.mkdir(parents=True)
    try:
        os.link(source, models / "huge-chat.gguf")  # installed, but its catalog entry needs 10 PB of RAM
    except OSError:
        shutil.copy(source, models / "huge-chat.gguf")
    size, sha = source.stat().st_size, sha256_of(source)
    (home / "models.json").write_text(json.dumps({"models": {
        "tiny-chat": {"title": "SmolLM2 served as tiny-chat", "repo": "test-org/Tiny-Chat-GGUF",
                      "file": "tiny-chat-q4_1.gguf", "size": size, "sha256": sha, "ram": 400_000_000,
                      "context_length": 8192, "license": "Apache-2.0", "tools": False},
        "huge-chat": {"title": "Too big", "repo": "test-org/Huge-GGUF", "file": "huge-chat.gguf", "size": size,
                      "sha256": sha, "ram": 10**16, "license": "Apache-2.0", "tools": False},
    }}))
    with HuggingFaceFiles({TINY_KEY: source}, rate=RATE) as hub:
        server = GuiServer(home, "--max-tokens", "24", "--temperature", "0", env={"HF_ENDPOINT": hub.url})
        try:
            yield server, hub, home
        finally:
            server.stop()


def open_page(browser, url):
    context = browser.new_context(viewport={"width": 1200, "height": 1400})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.locator("#chat-status").get_by_text("Chatting with LlamaCppChat.").wait_for()
    return context, page


def pick(page, dropdown_id, option):
    page.locator(f"#{dropdown_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def send_and_wait(page, text, replies):
    box = page.locator("#chat-input textarea")
    box.fill(text)
    box.press("Enter")
    page.locator('#chatbot [data-testid="bot"]').nth(replies - 1).wait_for()
    page.locator("#chat-status").get_by_text(re.compile(r"^Chatting with")).wait_for()
    return page.locator('#chatbot [data-testid="bot"]').nth(replies - 1).inner_text().strip()


def test_pick_pull_and_chat_with_a_local_model(browser, picker_server):
    server, hub, home = picker_server
    first_context, first = open_page(browser, server.url)
    second_context, second = open_page(browser, server.url)
    try:
        first.locator("#model-picker").get_by_text("Local models (llama.cpp)").click()
        catalog = first.locator("#model-catalog")
        catalog.get_by_text("qwen2.5-1.5b").wait_for()
        assert "1.12 GB" in catalog.inner_text() and "tiny-chat" in catalog.inner_text()
        assert "installed" in catalog.inner_text()  # huge-chat is in the model directory already

        pick(first, "model-pull-choice", "tiny-chat")
        first.locator("#model-pull").click()
        status = first.locator("#model-pull-status")
        status.get_by_text(re.compile(r"tiny-chat: \d+% \(")).wait_for()
        during = status.inner_text()

        # Another session chats while the download runs: the download blocks nobody.
        reply = send_and_wait(second, "What is the capital of France? Answer in one word.", 1)
        assert reply
        still = status.inner_text()
        assert "%" in still and "downloaded" not in still, (during, still)
        assert hub.bytes_sent < hub.files[TINY_KEY].size  # the reply came before the download ended

        status.get_by_text("tiny-chat: downloaded and verified (98 MB).").wait_for()
        assert (home / "data" / "models" / "tiny-chat-q4_1.gguf").is_file()

        pick(first, "model-choice", "tiny-chat")
        first.locator("#model-message").get_by_text("Using tiny-chat in this session.").wait_for()
        assert send_and_wait(first, "Name a colour.", 1)

        pick(first, "model-choice", "huge-chat")
        message = first.locator("#model-message")
        message.get_by_text(re.compile("Not loaded")).wait_for()
        assert "huge-chat needs about 10000 TB of RAM" in message.inner_text()
        assert first.locator("#model-choice input").input_value() == "tiny-chat"  # still the one in use
        assert send_and_wait(first, "Thanks!", 2)  # still chatting with tiny-chat

        save_screenshot(first, "gui_model_picker.png", "the model picker")
    finally:
        first_context.close()
        second_context.close()
    assert "Traceback" not in server.log()
