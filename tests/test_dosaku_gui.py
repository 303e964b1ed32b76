"""The GUI's "Dosaku (tools)" chat choice: steps shown as collapsible thoughts, then the answer and its image.
Driven through the session layer and over HTTP with the real gradio_client; the model is the loopback server."""
from __future__ import annotations

import os
import socket

import pytest

pytest.importorskip("dosaku_gui", reason="needs dosaku-gui")
pytest.importorskip("dosaku_openai", reason="needs dosaku-modules-openai")
from agent_helpers import LOCAL, config, script, server  # noqa: E402, F401 - fixtures
from dosaku.agents import Answer, Step  # noqa: E402
from dosaku.testing import isolated_agent  # noqa: E402
from dosaku_gui.options import GuiOptions  # noqa: E402
from dosaku_gui.session import DOSAKU_CHOICE, AgentSession, dosaku_available  # noqa: E402
from dosaku_openai import plugin as openai_plugin  # noqa: E402

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture
def factory(config):
    def make(enable_services: bool = False):
        return isolated_agent(LOCAL, openai_plugin, config=config, enable_services=enable_services)

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_choice_is_offered_only_with_services_and_openai(factory):
    assert dosaku_available(factory(enable_services=True))
    assert not dosaku_available(factory(enable_services=False))
    assert not dosaku_available(isolated_agent(enable_services=True))  # no OpenAIChat installed


def test_session_does_requests_with_its_dosaku_agent(factory, server, script):
    session = AgentSession(GuiOptions(enable_services=True), factory)
    session.use_chat_module(DOSAKU_CHOICE)
    assert session.dosaku.tasks == ["Chat"] and session.agent.tasks == []
    server.call_tools(("learn_task", {"task": "TextToImage"}))
    server.call_tools(("TextToImage__text_to_image", {"prompt": "green"}))
    script.texts.append("A green swatch.")
    events = list(session.do("Paint green"))
    assert [type(e) for e in events] == [Step, Step, Answer] and events[-1] == "A green swatch."
    session.reset_chat(DOSAKU_CHOICE)
    assert [m["role"] for m in session.dosaku.Chat.history()] == ["system"]
    session.close()
    assert session.dosaku.tasks == []


def test_without_services_choosing_dosaku_is_a_clear_message(factory):
    from dosaku_gui.app import switch_module

    session = AgentSession(GuiOptions(enable_services=False), factory)
    chat, status = switch_module(session, DOSAKU_CHOICE)
    assert chat == [] and status.startswith("**Permission needed.** Dosaku requires services be enabled.")


def test_app_shows_steps_as_thoughts_then_the_answer_and_image(factory, server, script):
    from dosaku_gui.app import build_app
    from gradio_client import Client
    from PIL import Image

    demo = build_app(GuiOptions(module=DOSAKU_CHOICE, enable_services=True), agent_factory=factory)
    demo.queue()
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, ssr_mode=False, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        server.call_tools(("learn_task", {"task": "TextToImage"}))
        server.call_tools(("TextToImage__text_to_image", {"prompt": "a red square"}))
        server.call_tools(("RestoreFaces__restore", {"image": "artifact-9"}))
        script.texts.append("Here is your red square.")
        chat, box, status = client.predict("Paint a red square", [], DOSAKU_CHOICE, 0.7, 64, api_name="/chat")
    finally:
        demo.close()

    assert box == "" and status == f"Chatting with **{DOSAKU_CHOICE}**. 3 step(s)."
    user, learn, paint, failed, answer, image = chat
    assert user["role"] == "user"
    assert learn["metadata"]["title"] == "🛠️ Step 1: learn_task(task=TextToImage)"
    assert paint["metadata"]["title"] == "🛠️ Step 2: TextToImage.text_to_image(prompt=a red square)"
    assert paint["metadata"]["status"] == "done" and paint["metadata"]["duration"] >= 0
    assert "artifact-1" in _text(paint)
    assert failed["metadata"]["title"] == "⚠️ Step 3: RestoreFaces.restore(image=artifact-9)"
    assert "There is no tool 'RestoreFaces__restore'" in _text(failed)
    assert _text(answer) == "Here is your red square." and not answer.get("metadata")
    (shown,) = image["content"]
    assert shown["component"] == "image" and shown["constructor_args"]["format"] == "png"
    path = shown["value"]["path"] if isinstance(shown["value"], dict) else shown["value"]  # the app's own file
    assert Image.open(path).convert("RGB").getpixel((3, 3)) == (255, 0, 0)


def _text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content
