"""The registry cache: used when current, invalidated by anything that changes what plugins register."""
from __future__ import annotations

import json
import sys

from dosaku import Agent
from dosaku.config import Config
from dosaku.registry_cache import cache_path, fingerprint


def test_written_then_used(dosaku_home):
    first = Agent()
    tasks = first.learnable_tasks
    path = cache_path(first.config)
    assert path.is_file()
    data = json.loads(path.read_text())
    assert data["fingerprint"] == fingerprint(first.config)
    second = Agent()
    assert second.learnable_tasks == tasks
    assert second._plugin_manager is None  # served from the cache: no plugin manager was built
    second.learn("Chat")
    assert second.Chat("hi").startswith("Hi, I'm EchoBot.")


def test_plugin_failures_survive_the_cache(dosaku_home):
    before = [(f.plugin, f.phase, f.error) for f in Agent().plugin_errors]
    cached = Agent()
    assert [(f.plugin, f.phase, f.error) for f in cached.plugin_errors] == before
    assert cached._plugin_manager is None


def test_environment_and_config_change_the_fingerprint(dosaku_home, monkeypatch):
    config = Config()
    base = fingerprint(config)
    monkeypatch.setenv("DOSAKU_BLOCK_PLUGINS", "example")
    assert fingerprint(config) != base
    monkeypatch.delenv("DOSAKU_BLOCK_PLUGINS")
    assert fingerprint(config) == base
    config.set("DEFAULT_MODULES", "Chat", "EchoBot")
    assert fingerprint(config) != base


def test_an_install_changes_the_fingerprint(dosaku_home, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    config = Config()
    before = fingerprint(config)
    (site / "unrelated_file.txt").write_text("not a distribution")
    assert fingerprint(config) == before
    (site / "new_plugin-1.0.dist-info").mkdir()
    assert fingerprint(config) != before


def test_edited_plugin_file_invalidates(dosaku_home):
    Agent().learnable_tasks
    path = cache_path(Config())
    data = json.loads(path.read_text())
    plugin_file = next(file for file in data["files"] if file.endswith("default_plugins/core.py"))
    data["files"][plugin_file] -= 1  # as if the file changed since
    path.write_text(json.dumps(data))
    agent = Agent()
    agent.learnable_tasks
    assert agent._plugin_manager is not None  # collected anew


def test_corrupt_cache_is_ignored_and_rewritten(dosaku_home):
    path = cache_path(Config())
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert "Chat" in Agent().learnable_tasks
    assert json.loads(path.read_text())["fingerprint"]


def test_cache_can_be_turned_off(dosaku_home, monkeypatch):
    monkeypatch.setenv("DOSAKU_NO_REGISTRY_CACHE", "1")
    assert "Chat" in Agent().learnable_tasks
    assert not cache_path(Config()).exists()


def test_refresh_rebuilds_from_the_plugins(dosaku_home):
    agent = Agent()
    agent.learnable_tasks
    agent.refresh()
    assert agent._plugin_manager is not None and "Chat" in agent.learnable_tasks
