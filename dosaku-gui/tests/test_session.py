"""AgentSession: one agent per browser session, module choice, errors as user messages (no gradio needed)."""
from __future__ import annotations

import copy

import pytest
from dosaku.errors import (
    DosakuError,
    MissingAPIKey,
    ModuleLoadError,
    ModuleNotFound,
    ServicePermissionRequired,
)
from dosaku.module import Module
from dosaku.spec import ModuleSpec
from dosaku.tasks.chat import Chat
from dosaku.testing import in_process_plugin, isolated_agent
from dosaku_gui.messages import user_message
from dosaku_gui.options import GuiOptions
from dosaku_gui.session import AgentSession, chat_modules, default_chat_module
from gui_helpers import make_test_agent


class LocalParrot(Module, Chat):
    def __init__(self, stream: bool = False, system_prompt: str | None = None):
        self.stream, self.system_prompt = stream, system_prompt

    def message(self, message: str, stream: bool | None = None, max_tokens: int | None = None) -> object:
        reply = f"{self.system_prompt or ''}|{message}|{max_tokens}"
        return iter([reply[:3], reply]) if stream else reply


PARROT = in_process_plugin("parrot", modules=[ModuleSpec("LocalParrot", ("Chat",), target=LocalParrot, priority=5)])


def parrot_agent(enable_services: bool = False):
    return isolated_agent(PARROT, enable_services=enable_services)


def test_default_chat_module_prefers_the_best_local_module():
    assert default_chat_module(parrot_agent()) == "LocalParrot"
    assert default_chat_module(isolated_agent()) == "EchoBot"
    assert default_chat_module(parrot_agent(), "EchoBot") == "EchoBot"


def test_services_are_listed_only_when_enabled():
    assert "KeyedChat" not in chat_modules(make_test_agent())
    assert "KeyedChat" in chat_modules(make_test_agent(enable_services=True))
    # a service is never the default while a local module exists
    assert default_chat_module(make_test_agent(enable_services=True)) == "EchoBot"


def test_each_session_has_its_own_agent_and_history():
    first, second = AgentSession(GuiOptions(), parrot_agent), AgentSession(GuiOptions(), parrot_agent)
    assert first.agent is not second.agent
    assert list(first.chat("Hi", "EchoBot"))[-1] == "Hi, I'm EchoBot. You said: Hi"
    assert second.chat_module is None
    assert [t["content"] for t in first.agent.Chat.history()][0] == "Hi"


def test_chat_streams_and_passes_the_options_the_module_takes():
    session = AgentSession(GuiOptions(system_prompt="SYS"), parrot_agent)
    parts = list(session.chat("hello", "LocalParrot", max_tokens=7, temperature=0.5))
    assert parts == ["SYS", "SYS|hello|7"]  # temperature not taken by LocalParrot: not passed


def test_switching_module_and_reset():
    session = AgentSession(GuiOptions(), parrot_agent)
    list(session.chat("one", "EchoBot"))
    session.reset_chat()
    assert session.agent.Chat.history() == []
    session.use_chat_module("LocalParrot")
    assert session.chat_module == "LocalParrot" and session.agent.loaded_modules == ["LocalParrot"]


def test_session_is_never_deep_copied():
    session = AgentSession(GuiOptions(), parrot_agent)
    assert copy.deepcopy(session) is session


def test_close_unlearns_everything():
    session = AgentSession(GuiOptions(), make_test_agent)
    list(session.chat("x", "EchoBot"))
    session.run_task("TextToImage", "SwatchTextToImage", "blue")
    session.close()
    assert session.agent.tasks == [] and session.agent.loaded_modules == []


def test_run_task_returns_the_result():
    session = AgentSession(GuiOptions(), make_test_agent)
    image = session.run_task("TextToImage", "SwatchTextToImage", "a red square")
    assert image.getpixel((0, 0)) == (255, 0, 0)


def test_describe_lists_learnable_and_learned_tasks_and_loaded_modules():
    session = AgentSession(GuiOptions(), make_test_agent)
    text = session.describe()
    assert "**Learned tasks:** none yet" in text and "| `RestoreFaces` | `MirrorFaces` |" in text
    assert "`KeyedChat` (service, not enabled)" in text and "| `Unstaffed` | — (install a module pack) |" in text
    list(session.chat("x", "EchoBot"))
    text = session.describe()
    assert "**Learned tasks:** `Chat` → `EchoBot`" in text and "**Loaded modules:** `EchoBot`" in text


@pytest.mark.parametrize(
    ("module", "services", "error", "shown"),
    [
        ("KeyedChat", False, ServicePermissionRequired, "**Permission needed.**"),
        ("KeyedChat", True, MissingAPIKey, "**Missing API key.** No API key for TESTCHAT is configured."),
        ("MissingWeightsChat", False, ModuleLoadError, "**Model or weights missing.** The weights file"),
        ("NoSuchChat", False, ModuleNotFound, "**Error.** Unknown module 'NoSuchChat'."),
    ],
)
def test_errors_become_messages_a_user_can_act_on(module, services, error, shown):
    session = AgentSession(GuiOptions(enable_services=services), make_test_agent)
    with pytest.raises(error) as caught:
        list(session.chat("hi", module))
    message = user_message(caught.value)
    assert message.startswith(shown), message
    assert "Traceback" not in message and session.agent.tasks == []


def test_permission_message_says_how_to_enable_services():
    message = user_message(ServicePermissionRequired())
    assert "services have not been enabled" in message and "`dosaku_gui --enable-services`" in message


def test_unexpected_errors_are_logged_not_shown_as_tracebacks(caplog):
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError as error:
        message = user_message(error)
    assert message == ("**Unexpected error** (ZeroDivisionError): division by zero. "
                       "The details are in the server's log.")
    assert caplog.records[-1].exc_info[0] is ZeroDivisionError  # the traceback goes to the server's log


def test_dosaku_errors_keep_their_own_message():
    assert user_message(DosakuError("Do X to fix Y.")) == "**Error.** Do X to fix Y."
