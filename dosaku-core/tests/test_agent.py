"""The Agent as the product README shows it, and every error a user can hit while learning."""
from __future__ import annotations

import modules_for_tests as m
import pytest
from dosaku import (
    ActionNotFound,
    Agent,
    DosakuError,
    ExecutorPermissionRequired,
    ModuleDoesNotImplementTask,
    ModuleLoadError,
    ModuleNotFound,
    ModuleNotInstalled,
    ModuleSpec,
    ServicePermissionRequired,
    TaskNotFound,
    TaskNotLearned,
)
from dosaku.config import Config
from dosaku.tasks import Chat
from dosaku.testing import in_process_plugin, isolated_agent

README_SERVICE_ERROR = (
    "Loaded module was a service, but services have not been enabled. Enable services or load a non-service module."
)


def spec(name, cls, tasks=("Chat",), kind="module", **kwargs):
    return ModuleSpec(name, tasks=tasks, target=cls, kind=kind, **kwargs)


PLUGIN = in_process_plugin(
    "test-modules",
    modules=[
        spec("LocalChat", m.LocalChat, priority=5),
        spec("PaidChat", m.PaidChat, kind="service", priority=50),
        spec("CodeChat", m.CodeChat, kind="executor", priority=40),
        spec("HalfChat", m.HalfChat),
        spec("ExplodingChat", m.ExplodingChat),
        spec("ChatAndPaint", m.ChatAndPaint, tasks=("Chat", "TextToImage")),
        spec("LyingService", m.PaidChat, kind="module"),
        spec("Unimportable", "no_such_package.module:Thing"),
        spec("PaidPainter", m.Painter, tasks=("TextToImage",), kind="service"),
    ],
)


@pytest.fixture
def agent():
    return isolated_agent(PLUGIN)


def snapshot(agent):
    return (agent.tasks, agent.loaded_modules, sorted(k for k in vars(agent) if not k.startswith("_")))


# --- the README tour ---------------------------------------------------------------------------------------
def test_readme_tour():
    agent = isolated_agent()
    assert agent.tasks == []
    agent.learn("Chat")
    assert agent.tasks == ["Chat"]
    response = agent.Chat.message("Hello, what's your name?")
    assert response.startswith("Hi, I'm EchoBot.")
    assert agent.api("Chat") == ["message"]
    assert agent.doc("Chat") == "Interface for a generic conversational chatbot."
    assert agent.doc("Chat", action="message").startswith("Send a message to the agent and get a response.")
    assert "Example::" in agent.doc("Chat", action="message")
    assert agent.loaded_modules == ["EchoBot"]
    assert {"Chat", "RestoreFaces", "TextToImage", "PlayGo", "Ponder", "Tester"} <= set(agent.learnable_tasks)
    assert agent.learnable_tasks == sorted(agent.learnable_tasks)


def test_doc_equals_the_task_docstrings():
    import inspect

    agent = isolated_agent()
    assert agent.doc("Chat") == inspect.cleandoc(Chat.__doc__)
    assert agent.doc("Chat", action="message") == inspect.cleandoc(Chat.message.__doc__)


def test_default_action_and_streaming():
    agent = isolated_agent()
    agent.learn("Chat", stream=True)
    parts = list(agent.Chat("a b c"))
    assert parts[-1] == "Hi, I'm EchoBot. You said: a b c"
    assert all(later.startswith(earlier) for earlier, later in zip(parts, parts[1:]))


def test_optional_actions_are_exposed_when_implemented():
    agent = isolated_agent()
    agent.learn("Chat")
    agent.Chat("hi")
    assert [turn["role"] for turn in agent.Chat.history()] == ["user", "assistant"]
    agent.Chat.reset()
    assert agent.Chat.history() == []
    assert agent.api("Chat", include_optional=True) == ["message", "history", "reset"]


def test_unimplemented_optional_action_is_not_exposed(agent):
    agent.learn("Chat", module="LocalChat")
    with pytest.raises(ActionNotFound, match=r"The task 'Chat' has no action 'history'"):
        agent.Chat.history()


def test_learnable_modules(agent):
    names = agent.learnable_modules("Chat")
    assert names[0] == "PaidChat"  # highest priority first
    assert "EchoBot" in names and "PaidPainter" not in names
    with pytest.raises(TaskNotFound):
        agent.learnable_modules("Chatt")


# --- unknown things ----------------------------------------------------------------------------------------
def test_unknown_task_lists_close_matches(agent):
    before = snapshot(agent)
    with pytest.raises(TaskNotFound) as caught:
        agent.learn("chat")
    assert "Unknown task 'chat'. Did you mean: Chat?" in str(caught.value)
    assert caught.value.close_matches == ["Chat"]
    assert snapshot(agent) == before
    with pytest.raises(TaskNotFound, match="Did you mean: RestoreFaces"):
        agent.api("RestoreFace")
    with pytest.raises(TaskNotFound):
        agent.doc("Nope")


def test_unknown_module_lists_close_matches(agent):
    with pytest.raises(ModuleNotFound, match=r"Unknown module 'EchoBoot'\. Did you mean: EchoBot\?"):
        agent.learn("Chat", module="EchoBoot")
    assert agent.tasks == []


def test_unknown_action(agent):
    agent.learn("Chat")
    with pytest.raises(ActionNotFound, match=r"no action 'mesage'\. Did you mean: message\?"):
        agent.Chat.mesage("x")
    with pytest.raises(ActionNotFound, match="Its actions are: message"):
        agent.doc("Chat", action="shout")


def test_task_not_learned(agent):
    not_learned = r"has not learned the task 'Chat'\. Learn it first: agent.learn\('Chat'\)"
    with pytest.raises(TaskNotLearned, match=not_learned):
        agent.Chat
    assert not hasattr(agent, "Chat")
    agent.learn("Chat")
    with pytest.raises(TaskNotLearned, match="knows no task 'Chta'. Did you mean: Chat?"):
        agent.Chta
    with pytest.raises(TaskNotLearned):
        agent.unlearn("TextToImage")


def test_task_without_modules(agent):
    with pytest.raises(ModuleNotInstalled, match="No installed module implements the task 'RestoreFaces'"):
        agent.learn("RestoreFaces")


def test_module_not_for_task(agent):
    with pytest.raises(ModuleDoesNotImplementTask, match="Module 'EchoBot' does not implement the task 'TextToImage'"):
        agent.learn("TextToImage", module="EchoBot")


# --- conformance and construction failures leave the agent unchanged ----------------------------------------
def test_missing_action_is_named_and_agent_unchanged(agent):
    agent.learn("Chat")
    before = snapshot(agent)
    with pytest.raises(ModuleDoesNotImplementTask, match=r"missing action\(s\) message"):
        agent.learn("Chat", module="HalfChat")
    assert snapshot(agent) == before
    assert agent.Chat("x").startswith("Hi, I'm EchoBot.")


def test_constructor_failure(agent):
    with pytest.raises(ModuleLoadError, match="'ExplodingChat' failed to start: RuntimeError: no weights here"):
        agent.learn("Chat", module="ExplodingChat")
    assert agent.tasks == [] and agent.loaded_modules == []


def test_bad_constructor_arguments(agent):
    with pytest.raises(ModuleLoadError, match="'EchoBot' does not take these arguments"):
        agent.learn("Chat", module="EchoBot", temperature_typo=1)
    assert agent.tasks == []


def test_import_failure_is_recorded(agent):
    with pytest.raises(ModuleLoadError, match="'Unimportable' could not be imported .*ModuleNotFoundError"):
        agent.learn("Chat", module="Unimportable")
    assert agent.plugin_errors[-1].phase == "learn"
    assert agent.plugin_errors[-1].plugin == "test-modules"
    assert agent.tasks == []


# --- permissions -------------------------------------------------------------------------------------------
def test_service_refused_with_the_readme_message_before_construction(agent):
    m.PaidChat.built = 0
    with pytest.raises(ServicePermissionRequired) as caught:
        agent.learn("Chat", module="PaidChat")
    assert str(caught.value) == README_SERVICE_ERROR
    assert m.PaidChat.built == 0
    assert agent.tasks == []


def test_service_refused_even_when_its_spec_lies(agent):
    m.PaidChat.built = 0
    with pytest.raises(ServicePermissionRequired):
        agent.learn("Chat", module="LyingService")
    assert m.PaidChat.built == 0


def test_permission_checked_before_import():
    plugin = in_process_plugin("p", modules=[spec("Remote", "no_such_package:Remote", kind="service")])
    with pytest.raises(ServicePermissionRequired):
        isolated_agent(plugin).learn("Chat", module="Remote")


def test_executor_refused(agent):
    m.CodeChat.built = 0
    with pytest.raises(ExecutorPermissionRequired, match="Loaded module was an executor, but executors have not"):
        agent.learn("Chat", module="CodeChat")
    assert m.CodeChat.built == 0


def test_permitted_service_and_executor():
    agent = isolated_agent(PLUGIN, enable_services=True, enable_executors=True)
    agent.learn("Chat", module="PaidChat")
    assert agent.Chat("hi") == "paid: hi"
    agent.learn("Chat", module="CodeChat")
    assert agent.Chat("hi") == "code: hi"


def test_automatic_choice_prefers_local_modules():
    plugin = in_process_plugin("p", modules=[
        spec("LocalPainter", m.Painter, tasks=("TextToImage",), priority=1),
        spec("PaidPainter", m.Painter, tasks=("TextToImage",), kind="service", priority=99),
    ])
    agent = isolated_agent(plugin, enable_services=True)
    agent.learn("TextToImage")
    assert agent.loaded_modules == ["LocalPainter"]


def test_only_services_and_services_disabled():
    only_services = in_process_plugin("p", modules=[spec("PaidPainter", m.Painter, ("TextToImage",), "service")])
    agent = isolated_agent(only_services)
    with pytest.raises(ServicePermissionRequired, match=r"'TextToImage' is only done by services \(PaidPainter\)"):
        agent.learn("TextToImage")
    services = isolated_agent(only_services, enable_services=True)
    services.learn("TextToImage")
    assert services.loaded_modules == ["PaidPainter"]


def test_permissions_cannot_be_changed_after_init(agent):
    with pytest.raises(AttributeError):
        agent.enable_services = True


# --- choosing modules --------------------------------------------------------------------------------------
def test_learn_chat_gives_echobot_even_with_better_modules(agent):
    agent.learn("Chat")
    assert agent.loaded_modules == ["EchoBot"]


def test_configured_default_module(tmp_path):
    config = Config(tmp_path / "config.ini", environ={})
    config.set("DEFAULT_MODULES", "Chat", "LocalChat")
    agent = isolated_agent(PLUGIN, config=config)
    agent.learn("Chat")
    assert agent.loaded_modules == ["LocalChat"]
    config.set("DEFAULT_MODULES", "Chat", "Missing")
    with pytest.raises(ModuleNotFound, match="Unknown module 'Missing'"):
        isolated_agent(PLUGIN, config=Config(tmp_path / "config.ini", environ={})).learn("Chat")


def test_explicit_module_and_kwargs(agent):
    agent.learn("Chat", module="LocalChat", temperature=0.1)
    assert agent.Chat.module.kwargs == {"temperature": 0.1}
    assert agent.Chat("x") == "local: x"


# --- modules shared between tasks, relearning, unlearning ---------------------------------------------------
def test_one_module_for_two_tasks(agent):
    m.ChatAndPaint.built = 0
    agent.learn("Chat", module="ChatAndPaint")
    agent.learn("TextToImage", module="ChatAndPaint")
    assert m.ChatAndPaint.built == 1
    assert agent.loaded_modules == ["ChatAndPaint"]
    module = agent.Chat.module
    agent.unlearn("Chat")
    assert agent.loaded_modules == ["ChatAndPaint"] and not module.unloaded
    agent.unlearn("TextToImage")
    assert agent.loaded_modules == [] and module.unloaded
    assert agent.tasks == []
    with pytest.raises(TaskNotLearned):
        agent.TextToImage


def test_relearning_replaces_and_releases_the_old_module(agent):
    agent.learn("Chat", module="LocalChat")
    old = agent.Chat.module
    agent.learn("Chat", module="ChatAndPaint")
    assert agent.tasks == ["Chat"] and agent.loaded_modules == ["ChatAndPaint"]
    assert old.unloaded


def test_agents_do_not_share_module_instances():
    first, second = isolated_agent(), isolated_agent()
    first.learn("Chat")
    second.learn("Chat")
    first.Chat("only mine")
    assert first.Chat.module is not second.Chat.module
    assert second.Chat.history() == []


def test_learned_task_actions_cannot_be_overwritten(agent):
    agent.learn("Chat")
    with pytest.raises(DosakuError):
        agent.Chat.message = print


def test_dir_and_repr(agent):
    agent.learn("Chat")
    assert "Chat" in dir(agent)
    assert repr(agent) == "Agent(tasks=['Chat'], enable_services=False, enable_executors=False)"
    assert repr(agent.Chat) == "<LearnedTask Chat by EchoBot: message, history, reset>"


# --- named agents ------------------------------------------------------------------------------------------
class AgentSmith(Agent):
    name = "AgentSmith"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.learn("Chat", module="PaidChat", stream=False)
        self.learn("TextToImage", module="PaidPainter")


def test_named_agent_by_subclassing():
    from dosaku.testing import make_plugin_manager

    config = Config("/nonexistent", {})
    smith = AgentSmith(enable_services=True, plugin_manager=make_plugin_manager(PLUGIN), config=config)
    assert smith.tasks == ["Chat", "TextToImage"]
    response = smith.Chat("Hi, I'm Edward.")
    assert response == "paid: Hi, I'm Edward."
    assert smith.TextToImage(prompt=response) == f"image of {response}"
    with pytest.raises(ServicePermissionRequired):
        AgentSmith(plugin_manager=make_plugin_manager(PLUGIN), config=Config("/nonexistent", {}))


# --- shared and re-built modules ---------------------------------------------------------------------------
def test_shareable_module_is_shared_between_agents_and_unloaded_by_the_last():
    m.ChatAndPaint.built = 0
    plugin = in_process_plugin("shared", modules=[spec("Stateless", m.ChatAndPaint, shareable=True)])
    first, second = isolated_agent(plugin), isolated_agent(plugin)
    first.learn("Chat", module="Stateless")
    second.learn("Chat", module="Stateless")
    assert first.Chat.module is second.Chat.module and m.ChatAndPaint.built == 1
    module = first.Chat.module
    first.unlearn("Chat")
    assert not module.unloaded
    second.unlearn("Chat")
    assert module.unloaded


def test_relearning_with_other_arguments_builds_anew_and_releases_the_old(agent):
    agent.learn("Chat", module="LocalChat", temperature=0.1)
    old = agent.Chat.module
    agent.learn("Chat", module="LocalChat", temperature=0.9)
    assert agent.Chat.module is not old and agent.Chat.module.kwargs == {"temperature": 0.9}
    assert old.unloaded and agent.loaded_modules == ["LocalChat"]


def test_same_module_with_other_arguments_for_two_tasks(agent):
    agent.learn("Chat", module="ChatAndPaint", mood="happy")
    agent.learn("TextToImage", module="ChatAndPaint", mood="sad")
    chat_module, image_module = agent.Chat.module, agent.TextToImage.module
    assert chat_module is not image_module and agent.loaded_modules == ["ChatAndPaint"]
    agent.unlearn("Chat")
    assert chat_module.unloaded and not image_module.unloaded
