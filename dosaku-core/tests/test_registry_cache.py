"""The registry cache: used when current, invalidated by anything that changes what plugins register."""
from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path

import pytest
from dosaku import Agent
from dosaku.config import Config
from dosaku.registry_cache import KEEP, cache_path, fingerprint, is_current


def current_path() -> Path:
    return Path(cache_path(fingerprint(Config().path)))


def read_cache() -> dict:
    return marshal.loads(current_path().read_bytes())


def test_written_then_used(dosaku_home):
    first = Agent()
    tasks = first.learnable_tasks
    assert current_path().parent == dosaku_home / "cache" / "registry"
    assert read_cache()["fingerprint"] == fingerprint(first.config.path)
    assert is_current(first.config.path)
    second = Agent()
    assert second.learnable_tasks == tasks
    assert second._plugin_manager is None  # served from the cache: no plugin manager was built
    assert second._config is None  # ... and the config file was not even parsed
    second.learn("Chat")
    assert second.Chat("hi").startswith("Hi, I'm EchoBot.")


def test_an_agent_given_a_config_uses_the_cache_for_its_file(dosaku_home, tmp_path):
    other = Config(tmp_path / "other.ini")
    tasks = Agent(config=other).learnable_tasks
    assert is_current(other.path) and not is_current(Config().path)
    cached = Agent(config=other)
    assert cached.learnable_tasks == tasks and cached._plugin_manager is None
    Agent().learnable_tasks
    assert is_current(other.path) and is_current(Config().path)  # one file each: switching back and forth hits


def test_only_the_most_recent_cache_files_are_kept(dosaku_home, tmp_path, monkeypatch):
    for index in range(KEEP + 3):
        Agent(config=Config(tmp_path / f"config{index}.ini")).learnable_tasks
    files = sorted(current_path().parent.iterdir())
    assert len(files) == KEEP
    assert is_current(tmp_path / f"config{KEEP + 2}.ini") and not is_current(tmp_path / "config0.ini")


def test_specs_survive_the_cache(dosaku_home):
    collected = Agent().registry
    cached = Agent().registry
    assert cached.tasks == collected.tasks and cached.modules == collected.modules
    assert [spec.plugin for spec in cached.modules.values()] == [spec.plugin for spec in collected.modules.values()]
    assert cached.sources == collected.sources


def test_plugin_failures_survive_the_cache(dosaku_home):
    before = Agent().plugin_errors
    cached = Agent()
    assert cached.plugin_errors == before and cached.plugin_errors  # the broken test plugin is installed
    assert cached._plugin_manager is None


def test_environment_and_config_path_change_the_fingerprint(dosaku_home, monkeypatch, tmp_path):
    config = Config()
    base = fingerprint(config.path)
    monkeypatch.setenv("DOSAKU_BLOCK_PLUGINS", "example")
    assert fingerprint(config.path) != base
    monkeypatch.delenv("DOSAKU_BLOCK_PLUGINS")
    assert fingerprint(config.path) == base
    assert fingerprint(tmp_path / "other.ini") != base
    monkeypatch.delenv("DOSAKU_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(dosaku_home / "xdg-data"))
    moved = fingerprint(config.path)
    monkeypatch.setenv("XDG_DATA_HOME", str(dosaku_home / "other-data"))  # the default plugin directory moves
    assert fingerprint(config.path) != moved


def test_a_config_edit_invalidates(dosaku_home):
    config = Config()
    Agent().learnable_tasks
    assert is_current(config.path)
    config.set("DEFAULT_MODULES", "Chat", "EchoBot")
    assert not is_current(config.path)
    Agent().learnable_tasks
    assert is_current(config.path)


def test_a_config_edit_that_moves_the_plugin_directories_is_seen(dosaku_home, tmp_path):
    Agent().learnable_tasks
    moved = tmp_path / "elsewhere"
    Config().set("PLUGINS", "DIRECTORIES", str(moved))
    agent = Agent()
    agent.learnable_tasks
    assert [str(d) for d in agent._plugin_directories()] == [str(moved)] and agent._plugin_manager is not None
    assert read_cache()["directories"] == [str(moved)]


@pytest.fixture
def site(dosaku_home, tmp_path, monkeypatch) -> Path:
    """An extra ``sys.path`` directory, and a registry cache written with it there."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    Agent().learnable_tasks
    return site


def test_an_install_invalidates_and_other_files_do_not(site):
    config_file = Config().path
    assert is_current(config_file)
    (site / "unrelated_file.txt").write_text("not a distribution")  # e.g. the working directory, sys.path[0]
    assert is_current(config_file)
    (site / "new_plugin-1.0.dist-info").mkdir()
    assert not is_current(config_file)
    Agent().learnable_tasks
    assert is_current(config_file)
    (site / "new_plugin-1.0.dist-info").rmdir()
    assert not is_current(config_file)


def test_a_sys_path_directory_is_listed_again_only_when_modified(site):
    config_file = Config().path
    before = site.stat()
    (site / "new_plugin-1.0.dist-info").mkdir()
    os.utime(site, ns=(before.st_atime_ns, before.st_mtime_ns))  # the directory's time as it was
    assert is_current(config_file)  # the documented shortcut: an unmodified directory is not listed again
    os.utime(site, ns=(before.st_atime_ns, before.st_mtime_ns + 1))
    assert not is_current(config_file)


def test_a_changed_sys_path_is_another_environment(dosaku_home, tmp_path, monkeypatch):
    config_file = Config().path
    Agent().learnable_tasks
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    assert not is_current(config_file)


def test_edited_plugin_file_invalidates(dosaku_home):
    Agent().learnable_tasks
    data = read_cache()
    plugin_file = next(file for file in data["files"] if file.endswith("default_plugins/core.py"))
    data["files"][plugin_file] -= 1  # as if the file changed since
    current_path().write_bytes(marshal.dumps(data))
    assert not is_current(Config().path)
    agent = Agent()
    agent.learnable_tasks
    assert agent._plugin_manager is not None  # collected anew


def test_corrupt_or_foreign_cache_is_ignored_and_rewritten(dosaku_home):
    path = current_path()
    path.parent.mkdir(parents=True)
    for content in (b"{not marshal", marshal.dumps([1, 2]), marshal.dumps({"format": 1, "fingerprint": "x"})):
        path.write_bytes(content)
        assert "Chat" in Agent().learnable_tasks
        assert is_current(Config().path)


def test_a_cache_with_a_bad_record_is_collected_anew(dosaku_home):
    Agent().learnable_tasks
    data = read_cache()
    data["modules"][0] = ("NoTasks",)  # as written by an incompatible version
    current_path().write_bytes(marshal.dumps(data))
    agent = Agent()
    assert "Chat" in agent.learnable_tasks and agent._plugin_manager is not None


def test_cache_can_be_turned_off(dosaku_home, monkeypatch):
    monkeypatch.setenv("DOSAKU_NO_REGISTRY_CACHE", "1")
    assert "Chat" in Agent().learnable_tasks
    assert not current_path().parent.exists()


def test_refresh_rebuilds_from_the_plugins(dosaku_home):
    agent = Agent()
    agent.learnable_tasks
    agent.refresh()
    assert agent._plugin_manager is not None and "Chat" in agent.learnable_tasks
