"""dosaku.agents with core alone: lazy imports, the README's permission error, tool schemas, and the request loop
driven by an in-process chat module that plays scripted tool calls (the OpenAI wire tests are in /tests)."""
from __future__ import annotations

import json
from typing import Any

import pytest
from dosaku import Module, Service
from dosaku.agents import Answer, Dosaku, Step
from dosaku.agents.tools import docstring_args, json_schema
from dosaku.config import Config
from dosaku.errors import ChatCannotCallTools, ModuleNotFound, ServicePermissionRequired
from dosaku.spec import ModuleSpec
from dosaku.tasks import Chat, RestoreFaces, TextToImage
from dosaku.testing import in_process_plugin, make_plugin_manager
from dosaku.tool_calls import ChatReply, ToolCall
from test_import_cost import HEAVY, run_isolated

README_ERROR = "Dosaku requires services be enabled. Pass in enable_services=True on init."


class ScriptedChat(Module, Chat):
    """A local chat module that asks for the tool calls it was given, in order, then answers 'Done.'."""

    script: list[list[tuple[str, dict[str, Any]]]] = []

    def __init__(self, system_prompt: str | None = None):
        self.system_prompt, self.received = system_prompt, []
        self.plans = list(type(self).script)

    def message(self, message: str | None, *, tools: list | None = None, tool_results: dict | None = None) -> Any:
        self.received.append({"message": message, "tools": tools, "tool_results": tool_results})
        if tools and self.plans:
            calls = self.plans.pop(0)
            return ChatReply("", [ToolCall(f"c{len(self.received)}_{i}", name, args, json.dumps(args))
                                  for i, (name, args) in enumerate(calls)], "tool_calls")
        return ChatReply("Done.")


class Lengths(Module, TextToImage):
    def text_to_image(self, prompt: str, **kwargs: Any) -> Any:
        return {"length": len(prompt)}


class Mirror(Module, RestoreFaces):
    def restore(self, image: Any) -> Any:
        return image


PLUGIN = in_process_plugin("named-agent-test", modules=[
    ModuleSpec("ScriptedChat", ("Chat",), target=ScriptedChat),
    ModuleSpec("Lengths", ("TextToImage",), target=Lengths),
    ModuleSpec("Mirror", ("RestoreFaces",), target=Mirror),
])
CONFIG = Config("/nonexistent/dosaku-test.ini", {})


def scripted(*plans: list[tuple[str, dict[str, Any]]], **kwargs: Any) -> Dosaku:
    ScriptedChat.script = list(plans)
    return Dosaku(chat_module="ScriptedChat", config=CONFIG, plugin_manager=make_plugin_manager(PLUGIN), **kwargs)


def test_importing_dosaku_agents_is_cheap(tmp_path):
    code = ("import sys, json, dosaku, dosaku.agents\n"
            "from dosaku.agents import Dosaku\n"
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    assert run_isolated(code, tmp_path) == []


class PaidToolChat(ScriptedChat, Service):
    """A service that can call tools (as OpenAIChat is)."""


def agent_with(*specs: ModuleSpec, **kwargs: Any) -> Dosaku:
    return Dosaku(config=CONFIG, plugin_manager=make_plugin_manager(in_process_plugin("chats", modules=specs)),
                  **kwargs)


def test_readme_error_for_a_named_service_even_before_its_pack_is_installed():
    with pytest.raises(ServicePermissionRequired) as caught:
        Dosaku(chat_module="OpenAIChat", config=CONFIG, plugin_manager=make_plugin_manager())
    assert str(caught.value) == README_ERROR


def test_readme_error_when_only_a_service_can_call_tools():
    paid = ModuleSpec("PaidToolChat", ("Chat",), target=PaidToolChat, kind="service", priority=10)
    with pytest.raises(ServicePermissionRequired) as caught:
        agent_with(paid)
    assert str(caught.value) == README_ERROR
    assert agent_with(paid, enable_services=True).learned["Chat"].module_name == "PaidToolChat"


def test_the_best_permitted_tool_calling_module_is_chosen_a_local_one_first():
    local = ModuleSpec("ScriptedChat", ("Chat",), target=ScriptedChat, priority=1)
    paid = ModuleSpec("PaidToolChat", ("Chat",), target=PaidToolChat, kind="service", priority=10)
    assert agent_with(local, paid).learned["Chat"].module_name == "ScriptedChat"  # services off: the local one
    assert agent_with(local, paid, enable_services=True).learned["Chat"].module_name == "ScriptedChat"
    ghost = ModuleSpec("GhostChat", ("Chat",), target="dosaku_nowhere.chat:GhostChat", priority=50)
    assert agent_with(local, ghost).learned["Chat"].module_name == "ScriptedChat"  # a broken one is passed over


def test_with_services_on_a_service_whose_key_is_set_comes_first(tmp_path):
    local = ModuleSpec("ScriptedChat", ("Chat",), target=ScriptedChat, priority=50)
    paid = ModuleSpec("PaidToolChat", ("Chat",), target=PaidToolChat, kind="service", needs_key="PAID")
    plugin = in_process_plugin("chats", modules=[local, paid])

    def chosen(environ: dict[str, str], **kwargs: Any) -> str:
        config = Config(tmp_path / "c.ini", environ)
        return Dosaku(config=config, plugin_manager=make_plugin_manager(plugin), **kwargs).learned["Chat"].module_name

    assert chosen({}, enable_services=True) == "ScriptedChat"  # no key: the local one
    assert chosen({"PAID_API_KEY": "k-123"}, enable_services=True) == "PaidToolChat"  # the product README's setup
    assert chosen({"PAID_API_KEY": "k-123"}) == "ScriptedChat"  # services off


def test_no_tool_calling_module_says_what_to_install():
    with pytest.raises(ChatCannotCallTools, match="pip install dosaku-modules-llamacpp"):
        Dosaku(config=CONFIG, plugin_manager=make_plugin_manager())  # EchoBot alone cannot call tools


def test_the_configured_chat_module_is_used(tmp_path):
    config = Config(tmp_path / "c.ini", {})
    config.set("DOSAKU", "CHAT_MODULE", "ScriptedChat")
    paid = ModuleSpec("PaidToolChat", ("Chat",), target=PaidToolChat, kind="service", priority=10)
    plugin = in_process_plugin("chats", modules=[paid, ModuleSpec("ScriptedChat", ("Chat",), target=ScriptedChat)])
    dosk = Dosaku(enable_services=True, config=config, plugin_manager=make_plugin_manager(plugin))
    assert dosk.learned["Chat"].module_name == "ScriptedChat"


def test_services_enabled_without_the_openai_pack_says_what_is_missing():
    with pytest.raises(ModuleNotFound, match="OpenAIChat"):
        Dosaku(enable_services=True, chat_module="OpenAIChat", config=CONFIG, plugin_manager=make_plugin_manager())


def test_max_steps_must_be_positive():
    with pytest.raises(Exception, match="max_steps must be at least 1, not 0"):
        scripted(max_steps=0)


def test_a_local_chat_module_needs_no_services_and_gets_the_system_prompt():
    dosk = scripted()
    assert dosk.tasks == ["Chat"] and not dosk.enable_services
    assert "You are Dosaku" in dosk.Chat.module.system_prompt


def test_request_loop_with_an_in_process_model():
    dosk = scripted([("learn_task", {"task": "TextToImage"})], [("TextToImage__text_to_image", {"prompt": "abc"})])
    answer = dosk.do("Measure abc.")
    assert isinstance(answer, Answer) and answer == "Done." and answer.stopped == "done"
    assert [step.call() for step in answer.steps] == ["learn_task(task=TextToImage)",
                                                      "TextToImage.text_to_image(prompt=abc)"]
    assert answer.steps[1].summary == {"length": 3}
    received = dosk.Chat.module.received
    assert received[1]["tool_results"] == {"c1_0": json.dumps({"result": answer.steps[0].summary})}
    assert received[2]["tool_results"] == {"c2_0": '{"result": {"length": 3}}'}


def test_step_limit_with_an_in_process_model():
    dosk = scripted(*[[("learn_task", {"task": "TextToImage"})]] * 5, max_steps=2)
    answer = dosk.do("Loop.")
    assert answer.stopped == "step_limit" and [s.status for s in answer.steps] == ["ok", "refused"]
    assert dosk.Chat.module.received[-1]["tools"] == []
    assert "step limit (2 tool calls) has been reached" in dosk.Chat.module.received[-1]["message"]


def test_step_describes_itself_for_people_and_the_model():
    step = Step(1, "TextToImage__text_to_image", "TextToImage", "text_to_image", {"prompt": "red"},
                summary={"artifact": "artifact-1"}, duration_s=0.25)
    assert step.call() == "TextToImage.text_to_image(prompt=red)"
    assert step.for_model() == '{"result": {"artifact": "artifact-1"}}'
    assert step.describe() == '`TextToImage.text_to_image(prompt=red)` → `{"artifact": "artifact-1"}` (0.25 s)'
    failed = Step(2, "x", "", "x", {}, status="error", error="boom")
    assert failed.for_model() == '{"error": "boom"}' and "**error:** boom" in failed.describe()


def test_tool_schemas_from_type_hints_and_docstrings():
    assert json_schema("str | None") == {"type": "string"}
    assert json_schema("list[int]") == {"type": "array", "items": {"type": "integer"}}
    assert json_schema("Image")["description"].startswith("an artifact id")
    assert docstring_args("Do it.\n\nArgs:\n    a: First.\n        More.\n    b (int): Second.\n\nReturns:\n    x")\
        == {"a": "First. More.", "b": "Second."}
    dosk = scripted()
    dosk.learn("TextToImage")
    (tool, learn) = dosk.tool_schemas()
    assert tool["function"]["name"] == "TextToImage__text_to_image"
    assert tool["function"]["parameters"]["required"] == ["prompt"]
    assert tool["function"]["parameters"]["properties"]["prompt"]["type"] == "string"
    assert learn["function"]["name"] == "learn_task" and "TextToImage" not in json.dumps(learn)
    assert learn["function"]["parameters"]["properties"]["task"]["enum"] == ["RestoreFaces"]
