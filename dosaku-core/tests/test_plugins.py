"""Plugin discovery: installed entry points (the example and broken distributions under tests/plugins), in-process
plugins, selection by environment and containment of failures."""
from __future__ import annotations

import types
from importlib import metadata

import pytest
from dosaku import Agent, ModuleLoadError, ModuleSpec, PluginError, TaskSpec, hookimpl
from dosaku.config import Config
from dosaku.plugins import plugin_manager, selected_entry_points
from dosaku.testing import in_process_plugin, isolated_agent

INSTALLED = {ep.name for ep in metadata.entry_points(group="dosaku")}
HOW_TO_INSTALL = "install the test plugins: pip install --no-build-isolation tests/plugins/* (nox -s tests does)"


@pytest.fixture
def installed_agent(dosaku_home):
    assert {"example", "broken_import", "broken_hook", "missing_target"} <= INSTALLED, HOW_TO_INSTALL
    return Agent()


def failures_by_plugin(agent):
    return {failure.plugin: failure for failure in agent.plugin_errors}


def test_installed_distribution_is_discovered(installed_agent):
    assert "ReverseText" in installed_agent.learnable_tasks
    installed_agent.learn("ReverseText")
    assert installed_agent.ReverseText("abc") == "cba"
    assert installed_agent.loaded_modules == ["Reverser"]
    assert installed_agent.registry.module("Reverser").plugin == "example"
    assert installed_agent.plugin_manager.source_of("example") == ("dosaku-example-plugin", "1.0.0")


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


def test_load_and_block_selection(monkeypatch):
    monkeypatch.setenv("DOSAKU_LOAD_PLUGINS", "dosaku-example-plugin")
    assert {ep.name for ep in selected_entry_points()} == {"example"} & INSTALLED
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


def test_in_process_plugin_adds_tasks_and_modules():
    from dosaku.tasks import Chat

    class Shouty(Chat):
        """Chat, but loud."""

    plugin = in_process_plugin("loud", tasks=[Shouty], modules=[
        ModuleSpec("EchoShout", tasks=("Shouty",), target="dosaku.modules.echo_bot:EchoBot")])
    agent = isolated_agent(plugin)
    assert "Shouty" in agent.learnable_tasks
    assert agent.registry.task("Shouty").summary == "Chat, but loud."
    agent.learn("Shouty")
    assert agent.Shouty("hey").endswith("hey")


def test_duplicate_registration_is_refused_whole():
    plugin = in_process_plugin("dupe", modules=[
        ModuleSpec("Fresh", tasks=("Chat",), target="x:y"),
        ModuleSpec("EchoBot", tasks=("Chat",), target="x:y"),
    ])
    agent = isolated_agent(plugin)
    failure = agent.plugin_errors[0]
    assert failure.phase == "register" and "'EchoBot' is already registered" in failure.error
    assert "Fresh" not in agent.learnable_modules()
    assert agent.registry.module("EchoBot").plugin == "dosaku.default_plugins.core"


def test_registering_something_else_fails_that_plugin_only():
    bad = types.ModuleType("bad")

    @hookimpl
    def register_tasks(register):
        register("Chat")

    bad.register_tasks = register_tasks
    agent = isolated_agent(bad)
    assert agent.plugin_errors[0].phase == "hook"
    assert "expects TaskSpec or a Task subclass" in agent.plugin_errors[0].error
    assert "Chat" in agent.learnable_tasks


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
