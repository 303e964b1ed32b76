"""The "Dosaku (tools)" choice offline: offered whenever a Chat module that can call tools is usable, and planning
with a local one when services are off (session layer, no browser; an in-process scripted model)."""
from __future__ import annotations

import json
from typing import Any

from dosaku.agents import Answer, Step
from dosaku.module import Module
from dosaku.spec import ModuleSpec
from dosaku.tasks.chat import Chat
from dosaku.testing import in_process_plugin, isolated_agent
from dosaku.tool_calls import ChatReply, ToolCall
from dosaku_gui.options import GuiOptions
from dosaku_gui.session import DOSAKU_CHOICE, AgentSession, dosaku_available
from gui_helpers import TEST_PLUGIN


class LocalPlanner(Module, Chat):
    """A local Chat module that calls tools: learn_task(TextToImage), then paints, then answers."""

    def __init__(self, system_prompt: str | None = None, temperature: float = 0.7, max_tokens: int = 256,
                 stream: bool = False):
        self.system_prompt, self.temperature, self.max_tokens = system_prompt, temperature, max_tokens
        self.plan = [("learn_task", {"task": "TextToImage"}), ("TextToImage__text_to_image", {"prompt": "red"})]

    def message(self, message: str | None, stream: bool | None = None, *, tools: list | None = None,
                tool_results: dict | None = None) -> Any:
        if tools and self.plan:
            name, arguments = self.plan.pop(0)
            return ChatReply("", [ToolCall(f"call_{len(self.plan)}", name, arguments, json.dumps(arguments))])
        return ChatReply("A red swatch.")

    def history(self) -> list:
        return []

    def reset(self) -> None:
        pass


PLANNER = in_process_plugin("gui-local-planner", modules=[ModuleSpec("LocalPlanner", ("Chat",), target=LocalPlanner)])


def test_echobot_alone_cannot_plan_so_the_choice_is_not_offered():
    assert not dosaku_available(isolated_agent(TEST_PLUGIN))


def test_a_local_tool_capable_chat_module_offers_dosaku_without_services():
    agent = isolated_agent(TEST_PLUGIN, PLANNER)
    assert not agent.enable_services and dosaku_available(agent)


def test_the_session_plans_offline_with_the_local_module_sampling_as_the_gui_was_started():
    session = AgentSession(GuiOptions(temperature=0.0, max_tokens=40),
                           lambda enable_services=False: isolated_agent(TEST_PLUGIN, PLANNER))
    session.use_chat_module(DOSAKU_CHOICE)
    planner = session.dosaku.Chat.module
    assert isinstance(planner, LocalPlanner) and not session.dosaku.enable_services
    assert (planner.temperature, planner.max_tokens) == (0.0, 40) and "You are Dosaku" in planner.system_prompt
    events = list(session.do("Paint something red."))
    assert [type(event) for event in events] == [Step, Step, Answer] and events[-1] == "A red swatch."
    assert [step.call() for step in events[-1].steps] == ["learn_task(task=TextToImage)",
                                                          "TextToImage.text_to_image(prompt=red)"]
    session.close()
