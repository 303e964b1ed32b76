"""The Dosaku agent's steps and images in the log, and in the GUI when its conversation is reopened: the agent is
driven by the real openai client against the loopback OpenAI server; tasks are in-process modules (real PIL)."""
from __future__ import annotations

import pytest

pytest.importorskip("dosaku_gui", reason="needs dosaku-gui")
pytest.importorskip("dosaku_openai", reason="needs dosaku-modules-openai")
from agent_helpers import LOCAL, config, script, server  # noqa: E402, F401 - fixtures
from dosaku.agents import Dosaku  # noqa: E402
from dosaku.logs import LogStore  # noqa: E402
from dosaku.testing import isolated_agent, make_plugin_manager  # noqa: E402
from dosaku_gui import history  # noqa: E402
from dosaku_gui.options import GuiOptions  # noqa: E402
from dosaku_gui.session import DOSAKU_CHOICE, AgentSession  # noqa: E402
from dosaku_openai import plugin as openai_plugin  # noqa: E402


def paint_and_restore(server, script):
    server.call_tools(("TextToImage__text_to_image", {"prompt": "a red square"}))
    server.call_tools(("RestoreFaces__restore", {"image": "artifact-1"}))
    script.texts.append("Here is your restored red square.")


def test_each_step_and_its_images_are_kept_with_the_conversation(config, script, server):
    dosk = Dosaku(enable_services=True, config=config, plugin_manager=make_plugin_manager(openai_plugin, LOCAL))
    dosk.learn("TextToImage")
    dosk.learn("RestoreFaces")
    paint_and_restore(server, script)
    answer = dosk.do("Paint a red square, then restore the faces in it.")

    store = LogStore(config=config)
    record = store.show(dosk.Chat.module.conversation.id)
    assert record.summary.agent == "Dosaku" and record.summary.title.startswith("Paint a red square")
    roles = [m.role for m in record.messages]
    assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert record.messages[-1].content == str(answer)
    first, second = record.steps
    assert (first.index, first.task, first.action, first.status) == (1, "TextToImage", "text_to_image", "ok")
    assert first.after_position == 1 and second.after_position == 3  # after the replies that asked for them
    assert first.summary == answer.steps[0].summary and first.request == second.request
    [painted] = first.artifacts
    [restored] = second.artifacts
    assert (painted.width, painted.height, painted.label) == (64, 48, "artifact-1")
    assert (restored.width, restored.height) == (128, 96) and restored.label.endswith(".restored_image")
    assert painted.path.exists() and restored.path.exists()
    markdown = store.export(record.id, "markdown")
    assert "**Step 1:** `TextToImage.text_to_image(prompt=a red square)`" in markdown
    assert f"({painted.path})" in markdown


def test_the_gui_shows_the_steps_and_images_again_and_the_request_conversation_goes_on(config, script, server):
    from dosaku_gui.history_panel import chat_messages

    def factory(enable_services: bool = False):
        return isolated_agent(LOCAL, openai_plugin, config=config, enable_services=enable_services, log=True)

    first = AgentSession(GuiOptions(enable_services=True), factory)
    history.bind_user(first, "")
    first.use_chat_module(DOSAKU_CHOICE)
    first.dosaku.learn("TextToImage")
    first.dosaku.learn("RestoreFaces")
    paint_and_restore(server, script)
    list(first.do("Paint a red square, then restore the faces in it."))
    ident = history.current_id(first)
    first.close()

    later = AgentSession(GuiOptions(enable_services=True), factory)
    history.bind_user(later, "")
    record, choice = history.reopen(later, ident)
    assert choice == DOSAKU_CHOICE
    shown = chat_messages(record)
    kinds = [m.get("metadata", {}).get("title", "")[:9] or ("image" if not isinstance(m["content"], str) else
                                                            m["role"]) for m in shown]
    assert kinds == ["user", "🛠️ Step 1", "image", "🛠️ Step 2", "image", "assistant"]
    image = shown[2]["content"]
    assert image.value is not None and shown[-1]["content"] == "Here is your restored red square."

    script.texts.append("It was red.")
    events = list(later.do("What colour was it?"))
    assert str(events[-1]) == "It was red."
    sent = server.chat_requests[-1].json["messages"]
    assert sent[1]["content"].startswith("Paint a red square")  # the earlier request, tool calls and results
    assert [m["role"] for m in sent[1:]] == ["user", "assistant", "tool", "assistant", "tool", "assistant", "user"]
    assert len(LogStore(config=config).show(ident).messages) == 8
