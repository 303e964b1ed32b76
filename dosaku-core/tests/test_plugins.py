"""Plugin discovery: installed entry points (the example, broken and clashing distributions under tests/plugins),
in-process plugins, selection by environment, containment of failures, and the rules that keep a registry correct:
per-item checks, a deterministic rule for clashes, fallback past a broken module."""
from __future__ import annotations

import types
from importlib import metadata

import pytest
from dosaku import Agent, ModuleDoesNotImplementTask, ModuleLoadError, ModuleSpec, PluginError, TaskSpec, hookimpl
from dosaku.config import Config
from dosaku.module import Module
from dosaku.plugins import plugin_manager
from dosaku.plugins.manager import selected_entry_points
from dosaku.tasks import Chat, TextToImage
from dosaku.testing import ChatContract, in_process_plugin, isolated_agent

INSTALLED = {ep.name for ep in metadata.entry_points(group="dosaku")}
HOW_TO_INSTALL = "install the test plugins: pip install --no-build-isolation tests/plugins/* (nox -s tests does)"


@pytest.fixture
def installed_agent(dosaku_home):
    assert {"example", "example_again", "broken_import", "broken_hook", "missing_target", "zz_clash"} <= INSTALLED, (
        HOW_TO_INSTALL)
    return Agent()


def failures_by_plugin(agent):
    return {failure.plugin: failure for failure in agent.plugin_errors}


def errors_of(agent, plugin):
    return [(failure.phase, failure.error) for failure in agent.plugin_errors if failure.plugin == plugin]


# --- installed plugins -------------------------------------------------------------------------------------------
def test_installed_distribution_is_discovered(installed_agent):
    assert "ReverseText" in installed_agent.learnable_tasks
    installed_agent.learn("ReverseText")
    assert installed_agent.ReverseText("abc") == "cba"
    assert installed_agent.loaded_modules == ["Reverser"]
    assert installed_agent.registry.module("Reverser").plugin == "example"
    assert installed_agent.plugin_manager.source_of("example") == ("dosaku-example-plugin", "1.0.0")


def test_the_same_plugin_module_under_two_entry_points_is_loaded_once_not_lost(installed_agent):
    manager = installed_agent.plugin_manager
    assert manager.aliases["example_again"] == "example"
    assert "ReverseText" in installed_agent.learnable_tasks
    assert errors_of(installed_agent, "example") == errors_of(installed_agent, "example_again") == []


def test_the_same_plugin_registered_twice_in_process_is_kept():
    echo = "dosaku.modules.echo_bot:EchoBot"
    plugin = in_process_plugin("twice", modules=[ModuleSpec("Twice", ("Chat",), target=echo)])
    manager = plugin_manager(entry_points=False)
    assert manager.register_plugin(plugin, "twice") and manager.register_plugin(plugin, "twice-again")
    agent = Agent(plugin_manager=manager, config=Config("/nonexistent", {}))
    assert "Twice" in agent.learnable_modules("Chat") and agent.plugin_errors == []


def test_plugin_failing_on_import_is_recorded_and_skipped(installed_agent):
    failure = failures_by_plugin(installed_agent)["broken_import"]
    assert failure.phase == "import"
    assert failure.distribution == "dosaku-broken-plugin" and failure.version == "0.0.1"
    assert failure.error == "ImportError: dosaku_broken needs a library that is not installed (on purpose)"
    assert "fails_on_import.py" in failure.traceback
    assert "Chat" in installed_agent.learnable_tasks  # the others still work


def test_failing_hook_is_undone(installed_agent):
    failure = failures_by_plugin(installed_agent)["broken_hook"]
    assert failure.phase == "hook"
    assert "the hook failed half-way" in failure.error
    assert "HalfRegistered" not in installed_agent.learnable_modules()


def test_unimportable_target_fails_at_learn(installed_agent):
    with pytest.raises(ModuleLoadError, match="'GhostChat' could not be imported.*dosaku-broken-plugin"):
        installed_agent.learn("Chat", module="GhostChat")
    assert failures_by_plugin(installed_agent)["missing_target"].phase == "learn"
    assert installed_agent.tasks == []


def test_two_installed_packs_clashing_on_a_name_lose_only_that_name(installed_agent):
    """dosaku-zz-clash-plugin registers 'Reverser' too: installed distributions are taken by name, so
    dosaku-example-plugin's wins; the clashing pack keeps its Whisper task and Whisperer module."""
    assert installed_agent.registry.module("Reverser").plugin == "example"
    assert "Whisper" in installed_agent.learnable_tasks
    installed_agent.learn("Whisper")
    assert installed_agent.Whisper("QUIET") == "quiet"
    [(phase, error)] = errors_of(installed_agent, "zz_clash")
    assert phase == "clash"
    assert "'Reverser' is already registered by plugin 'example' (dosaku-example-plugin 1.0.0)" in error
    assert "plugin 'zz_clash' (dosaku-zz-clash-plugin 0.1.0)'s 'Reverser' was dropped" in error


def test_installed_plugins_are_taken_in_distribution_order():
    chosen = [(ep.dist.name.lower(), ep.name) for ep in selected_entry_points()]
    assert chosen == sorted(chosen)


def test_load_and_block_selection(monkeypatch):
    monkeypatch.setenv("DOSAKU_LOAD_PLUGINS", "dosaku-example-plugin")
    assert {ep.name for ep in selected_entry_points()} == {"example", "example_again"} & INSTALLED
    monkeypatch.setenv("DOSAKU_LOAD_PLUGINS", "")
    assert selected_entry_points() == []
    monkeypatch.delenv("DOSAKU_LOAD_PLUGINS")
    monkeypatch.setenv("DOSAKU_BLOCK_PLUGINS", "dosaku-broken-plugin, example")
    names = {ep.name for ep in selected_entry_points()}
    assert not names & {"example", "broken_import", "broken_hook", "missing_target"}


def test_blocked_plugins_leave_no_errors(dosaku_home, monkeypatch):
    monkeypatch.setenv("DOSAKU_BLOCK_PLUGINS", "dosaku-broken-plugin")
    agent = Agent()
    assert not [f for f in agent.plugin_errors if f.distribution == "dosaku-broken-plugin"]


def test_strict_mode_raises(dosaku_home, monkeypatch):
    assert "broken_import" in INSTALLED, HOW_TO_INSTALL
    monkeypatch.setenv("DOSAKU_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="plugin 'broken_import' .* failed at import"):
        plugin_manager()


# --- what plugins register: checked item by item ------------------------------------------------------------------
def test_in_process_plugin_adds_tasks_and_modules():
    class Shouty(Chat):
        """Chat, but loud."""

    plugin = in_process_plugin("loud", tasks=[Shouty], modules=[
        ModuleSpec("EchoShout", tasks=("Shouty",), target="dosaku.modules.echo_bot:EchoBot")])
    agent = isolated_agent(plugin)
    assert "Shouty" in agent.learnable_tasks
    assert agent.registry.task("Shouty").summary == "Chat, but loud."
    agent.learn("Shouty")
    assert agent.Shouty("hey").endswith("hey")


def test_a_module_name_clash_drops_that_module_only():
    plugin = in_process_plugin("dupe", modules=[
        ModuleSpec("Fresh", tasks=("Chat",), target="dosaku.modules.echo_bot:EchoBot"),
        ModuleSpec("EchoBot", tasks=("Chat",), target="x:y"),
    ])
    agent = isolated_agent(plugin)
    [(phase, error)] = errors_of(agent, "dupe")
    assert phase == "clash"
    assert "'EchoBot' is already registered by plugin 'dosaku.default_plugins.core' (dosaku " in error
    assert "Rename one, or block one plugin with DOSAKU_BLOCK_PLUGINS" in error
    assert "Fresh" in agent.learnable_modules("Chat")  # the innocent registration stays
    assert agent.registry.module("EchoBot").plugin == "dosaku.default_plugins.core"


def test_clashes_go_to_the_first_plugin_whatever_else_it_registered():
    echo = "dosaku.modules.echo_bot:EchoBot"
    first = in_process_plugin("first", modules=[ModuleSpec("Shared", ("Chat",), target=echo)])
    second = in_process_plugin("second", modules=[ModuleSpec("Shared", ("Chat",), target="x:y"),
                                                  ModuleSpec("Other", ("Chat",), target=echo)])
    agent = isolated_agent(first, second)  # in-process plugins go in the order given
    assert agent.registry.module("Shared").plugin == "first"
    assert agent.registry.module("Other").plugin == "second"
    swapped = isolated_agent(second, first)
    assert swapped.registry.module("Shared").plugin == "second" and "Other" in swapped.learnable_modules()


def test_a_task_clashing_with_a_core_task_drops_that_task_only():
    class Chat2(Chat):
        """Another Chat."""

    plugin = in_process_plugin(
        "rival",
        tasks=[TaskSpec("Chat", target=Chat2), TaskSpec("Summarize", target="dosaku.tasks.chat:Chat")],
        modules=[ModuleSpec("Summarizer", ("Summarize",), target="dosaku.modules.echo_bot:EchoBot")],
    )
    agent = isolated_agent(plugin)
    assert [phase for phase, _ in errors_of(agent, "rival")] == ["clash"]
    assert agent.registry.task("Chat").target == "dosaku.tasks.chat:Chat"
    assert "Summarize" in agent.learnable_tasks and agent.learnable_modules("Summarize") == ["Summarizer"]
    agent.learn("Summarize")
    assert agent.Summarize("text").endswith("text")


def test_a_module_of_an_unknown_task_is_reported_at_once():
    plugin = in_process_plugin("typo", modules=[
        ModuleSpec("Lost", ("Chatt",), target="dosaku.modules.echo_bot:EchoBot"),
        ModuleSpec("Half", ("Chat", "Nope"), target="dosaku.modules.echo_bot:EchoBot"),
    ])
    agent = isolated_agent(plugin)
    errors = [error for _, error in errors_of(agent, "typo")]
    assert any("module 'Lost' names the unknown task(s) Chatt" in e and "it was dropped" in e for e in errors)
    assert any("module 'Half' names the unknown task(s) Nope" in e and "kept for Chat only" in e for e in errors)
    assert "Lost" not in agent.learnable_modules()
    assert agent.registry.module("Half").tasks == ("Chat",)


@pytest.mark.parametrize("spec, message", [
    (ModuleSpec("NoColon", ("Chat",), target="dosaku.modules.echo_bot.EchoBot"),
     "'NoColon' has a bad target 'dosaku.modules.echo_bot.EchoBot': expected 'package.module:Attribute'"),
    (ModuleSpec("Spaced", ("Chat",), target="my module:Thing"), "'Spaced' has a bad target"),
    (TaskSpec("not-a-name", target="dosaku.tasks.chat:Chat"), "task name 'not-a-name' is not a Python identifier"),
])
def test_a_bad_spec_is_reported_at_once_and_the_rest_kept(spec, message):
    specs = {"tasks": [spec]} if isinstance(spec, TaskSpec) else {"modules": [spec]}
    good = ModuleSpec("Good", ("Chat",), target="dosaku.modules.echo_bot:EchoBot")
    plugin = in_process_plugin("bad", **specs) if isinstance(spec, TaskSpec) else in_process_plugin(
        "bad", modules=[spec, good])
    agent = isolated_agent(plugin)
    [(phase, error)] = errors_of(agent, "bad")
    assert phase == "spec" and message in error
    if not isinstance(spec, TaskSpec):
        assert "Good" in agent.learnable_modules("Chat")


def test_registering_something_else_is_reported_and_the_rest_kept():
    bad = types.ModuleType("bad")

    @hookimpl
    def register_tasks(register):
        register("Chat")
        register(TaskSpec("Later", target="dosaku.tasks.chat:Chat"))

    bad.register_tasks = register_tasks
    agent = isolated_agent(bad)
    [(phase, error)] = errors_of(agent, "bad")
    assert phase == "spec" and "expects TaskSpec or a Task subclass" in error
    assert {"Chat", "Later"} <= set(agent.learnable_tasks)


def test_a_hook_without_hookimpl_is_reported():
    forgot = types.ModuleType("forgot")

    def register_modules(register):
        register(ModuleSpec("Never", ("Chat",), target="dosaku.modules.echo_bot:EchoBot"))

    forgot.register_modules = register_modules
    agent = isolated_agent(forgot)
    [(phase, error)] = errors_of(agent, "forgot")
    assert phase == "register"
    assert "register_modules() is not marked with @hookimpl (from dosaku import hookimpl)" in error


def test_plugin_that_cannot_register():
    class NotAPlugin:
        @hookimpl
        def no_such_hook(self):
            pass

    agent = isolated_agent(NotAPlugin())
    assert agent.plugin_errors[0].phase == "register"
    assert "unknown hook 'no_such_hook'" in agent.plugin_errors[0].error
    assert "Chat" in agent.learnable_tasks


def test_refresh_sees_new_plugins():
    manager = plugin_manager(entry_points=False)
    agent = Agent(plugin_manager=manager, config=Config("/nonexistent", {}))
    assert "Later" not in agent.learnable_tasks
    manager.register(in_process_plugin("later", tasks=[TaskSpec("Later", "dosaku.tasks.chat:Chat")]), name="later")
    agent.refresh()
    assert "Later" in agent.learnable_tasks


def test_plugin_receives_config(tmp_path):
    seen = {}
    plugin = types.ModuleType("configured")

    @hookimpl
    def register_modules(register, config):
        seen["value"] = config.get("EXAMPLE", "FLAG")

    plugin.register_modules = register_modules
    config = Config(tmp_path / "c.ini", environ={"DOSAKU_EXAMPLE__FLAG": "on"})
    isolated_agent(plugin, config=config).learnable_tasks
    assert seen == {"value": "on"}


# --- learning falls back past a broken module ---------------------------------------------------------------------
class Painter(Module, TextToImage):
    def text_to_image(self, prompt, **kwargs):
        return f"image of {prompt}"


class HalfPainter(Module, TextToImage):
    """Lacks text_to_image."""


def painters(*broken: ModuleSpec):
    return in_process_plugin("painters", modules=[*broken, ModuleSpec("Painter", ("TextToImage",), target=Painter)])


@pytest.mark.parametrize("broken, why", [
    (ModuleSpec("Ghost", ("TextToImage",), target="dosaku_nowhere.painter:Ghost", priority=10),
     "No module named 'dosaku_nowhere'"),
    (ModuleSpec("Half", ("TextToImage",), target=HalfPainter, priority=10), "missing action(s) text_to_image"),
])
def test_a_broken_better_module_is_skipped_for_a_working_one(broken, why):
    agent = isolated_agent(painters(broken))
    agent.learn("TextToImage")
    assert agent.loaded_modules == ["Painter"] and agent.TextToImage("fox") == "image of fox"
    [(phase, error)] = errors_of(agent, "painters")
    assert phase == "learn" and why in error


def test_a_broken_module_named_explicitly_is_not_replaced():
    agent = isolated_agent(painters(ModuleSpec("Half", ("TextToImage",), target=HalfPainter, priority=10)))
    with pytest.raises(ModuleDoesNotImplementTask, match="'Half' does not implement the task 'TextToImage'"):
        agent.learn("TextToImage", module="Half")
    assert agent.tasks == []


def test_when_every_candidate_is_broken_the_best_ones_error_is_raised():
    ghost = ModuleSpec("Ghost", ("TextToImage",), target="dosaku_nowhere.painter:Ghost", priority=10)
    half = ModuleSpec("Half", ("TextToImage",), target=HalfPainter, priority=5)
    agent = isolated_agent(in_process_plugin("broken", modules=[ghost, half]))
    with pytest.raises(ModuleLoadError, match="'Ghost' could not be imported"):
        agent.learn("TextToImage")
    assert agent.tasks == [] and agent.loaded_modules == []


# --- the Chat contract accepts a correct module that does not stream ---------------------------------------------
class PlainChat(Module, Chat):
    """A correct Chat module that never streams: ``stream=True`` still answers with the whole reply."""

    def message(self, message, stream=False, **kwargs):
        if not isinstance(message, str):
            raise TypeError("PlainChat needs a str")
        return f"You said: {message}"


class TestAChatModuleThatDoesNotStreamPassesTheContract(ChatContract):
    @pytest.fixture
    def chat(self):
        return PlainChat()
