"""The app in-process, driven over HTTP by the real ``gradio_client``: chat, sessions, image tasks, errors."""
from __future__ import annotations

import os

import pytest
from dosaku.testing import isolated_agent
from dosaku_gui.options import GuiOptions
from gui_helpers import free_port, make_test_agent

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def launch(options: GuiOptions, factory):
    from dosaku_gui.app import build_app

    demo = build_app(options, agent_factory=factory)
    demo.queue()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, ssr_mode=False, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def app_url():
    demo, url = launch(GuiOptions(module="EchoBot"), make_test_agent)
    yield url
    demo.close()


@pytest.fixture
def client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False)


def texts(chat):
    def text(content):
        if isinstance(content, list):
            return "".join(part.get("text", "") for part in content)
        return content

    return [(message["role"], text(message["content"])) for message in chat]


def test_chat_streams_partial_replies(client):
    job = client.submit("hello there", [], "EchoBot", 0.7, 64, api_name="/chat")
    final_chat, box, status = job.result(timeout=60)
    assert texts(final_chat) == [("user", "hello there"), ("assistant", "Hi, I'm EchoBot. You said: hello there")]
    assert box == "" and status == "Chatting with **EchoBot**."
    replies = [texts(output[0])[-1][1] for output in job.outputs() if len(output[0]) == 2]
    assert len(set(replies)) >= 3, replies  # several growing partial replies were streamed


def test_each_client_session_has_its_own_agent(app_url):
    from gradio_client import Client

    first, second = Client(app_url, verbose=False), Client(app_url, verbose=False)
    first.predict("only in the first", [], "EchoBot", 0.7, 64, api_name="/chat")
    assert "**Learned tasks:** `Chat` → `EchoBot`" in first.predict(api_name="/agent_info")
    assert "**Learned tasks:** none yet" in second.predict(api_name="/agent_info")


def test_agent_panel_lists_tasks_and_modules(client):
    info = client.predict(api_name="/agent_info")
    assert "| `RestoreFaces` | `MirrorFaces` |" in info and "| `TextToImage` | `SwatchTextToImage` |" in info
    assert "**Services:** disabled" in info and "`KeyedChat` (service, not enabled)" in info


def test_a_service_is_not_offered_without_enable_services(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="KeyedChat is not in the list of choices"):
        client.predict("KeyedChat", api_name="/switch_module")


def test_permission_error_is_a_clear_message():
    from gradio_client import Client

    demo, url = launch(GuiOptions(module="KeyedChat"), make_test_agent)  # asked for on the command line
    try:
        chat, status = Client(url, verbose=False).predict("KeyedChat", api_name="/switch_module")
    finally:
        demo.close()
    assert chat == []
    assert status.startswith("**Permission needed.**") and "--enable-services" in status
    assert "Traceback" not in status


def test_missing_weights_error_is_a_clear_message(client):
    final_chat, _, status = client.predict("hi", [], "MissingWeightsChat", 0.7, 64, api_name="/chat")
    assert texts(final_chat) == [("user", "hi")]
    assert status == ("**Model or weights missing.** The weights file '/nonexistent/weights.bin' does not exist; "
                      "download them first.")


def test_missing_api_key_error_is_a_clear_message():
    from gradio_client import Client

    demo, url = launch(GuiOptions(module="KeyedChat", enable_services=True), make_test_agent)
    try:
        _, status = Client(url, verbose=False).predict("KeyedChat", api_name="/switch_module")
    finally:
        demo.close()
    assert status.startswith("**Missing API key.** No API key for TESTCHAT is configured.")
    assert "TESTCHAT_KEY" in status


def test_restore_faces_shows_the_result(client, tmp_path):
    from gradio_client import handle_file
    from PIL import Image

    source = Image.new("RGB", (40, 30), "white")
    source.paste((255, 0, 0), (0, 0, 10, 30))  # red stripe on the left
    source.save(tmp_path / "face.png")
    result, status = client.predict("MirrorFaces", handle_file(str(tmp_path / "face.png")), api_name="/restorefaces")
    restored = Image.open(result).convert("RGB")
    assert restored.size == (80, 60) and status == "Done with **MirrorFaces**."
    assert restored.getpixel((79, 30)) == (255, 0, 0) and restored.getpixel((0, 30)) == (255, 255, 255)


def test_text_to_image_shows_the_result(client):
    result, status = client.predict("SwatchTextToImage", "a blue square", api_name="/texttoimage")
    from PIL import Image

    assert Image.open(result).convert("RGB").getpixel((5, 5)) == (0, 0, 255)
    assert status == "Done with **SwatchTextToImage**."


def test_image_task_without_input_asks_for_it(client):
    assert client.predict("MirrorFaces", None, api_name="/restorefaces") == (None, "Upload an image first.")


def test_tabs_say_what_to_install_when_no_module_does_the_task():
    from dosaku_gui.app import build_app

    demo = build_app(GuiOptions(allow_install=False), agent_factory=lambda enable_services=False: isolated_agent())
    markdowns = [getattr(block, "value", "") for block in demo.blocks.values()]
    assert "No installed module does RestoreFaces. Install one: `dosaku install RestoreFaces`." in markdowns
    assert any(isinstance(text, str) and text.startswith("No installed module does TextToImage") for text in markdowns)
    offering = build_app(GuiOptions(), agent_factory=lambda enable_services=False: isolated_agent())
    markdowns = [getattr(block, "value", "") for block in offering.blocks.values()]
    assert any(isinstance(text, str) and text.startswith(
        "No installed module does RestoreFaces. The pack dosaku-modules-tencent (") for text in markdowns)


def test_new_conversation_resets_the_modules_history(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    client.predict("remember me", [], "EchoBot", 0.7, 64, api_name="/chat")
    assert "**Conversation:** 2 message(s) kept by `EchoBot`" in client.predict(api_name="/agent_info")
    chat, status = client.predict("EchoBot", api_name="/clear")
    assert chat == [] and status == "Chatting with **EchoBot**."
    assert "**Conversation:** 0 message(s) kept by `EchoBot`" in client.predict(api_name="/agent_info")
    final_chat, _, _ = client.predict("again", [], "EchoBot", 0.7, 64, api_name="/chat")
    assert texts(final_chat)[-1] == ("assistant", "Hi, I'm EchoBot. You said: again")
