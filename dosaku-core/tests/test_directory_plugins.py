"""Plugin folders in the user's plugin directories: discovered without installing, contained when broken, seen by
refresh (and by the agent on its own), and always current in a new process."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from dosaku import Agent
from dosaku.config import Config
from dosaku.errors import TaskNotFound
from dosaku.plugins.folders import plugin_directories

_ids = itertools.count()

PLUGIN = '''
from dosaku import ModuleSpec, TaskSpec, hookimpl


@hookimpl
def register_tasks(register, config):
    register(TaskSpec("{task}", "{package}.task:{task}", "Shout text."))


@hookimpl
def register_modules(register, config):
    register(ModuleSpec("{task}Module", tasks=("{task}",), target="{package}.module:{task}Module"))
'''
TASK = '''
import abc
from dosaku.task import Task


class {task}(Task):
    """Shout text."""
    default_action = "shout"

    @abc.abstractmethod
    def shout(self, text: str) -> str:
        """Shout ``text``."""
'''
MODULE = '''
from dosaku.module import Module
from {package}.task import {task}


class {task}Module(Module, {task}):
    def shout(self, text: str) -> str:
        return text.upper() + "{suffix}"
'''


@pytest.fixture(autouse=True)
def _restore_imports():
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        del sys.modules[name]


def write_plugin(directory: Path, task: str | None = None, *, suffix: str = "!", plugin: str | None = None,
                 pyproject: str | None = None, package: str | None = None) -> tuple[Path, str]:
    """A plugin folder registering a task ``task`` (unique per call) and its module; returns (folder, task)."""
    number = next(_ids)
    task = task or f"Shout{number}"
    package = package or f"shout_plugin_{number}_{os.getpid()}"
    folder = directory / f"dosaku-{package.replace('_', '-')}"
    source = folder / "src" / package
    source.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(pyproject if pyproject is not None else textwrap.dedent(f'''
        [project]
        name = "dosaku-{package.replace('_', '-')}"
        version = "0.1.0"
        [project.entry-points.dosaku]
        {package} = "{package}.plugin"
    '''))
    (source / "__init__.py").write_text("")
    values = {"task": task, "package": package, "suffix": suffix}
    (source / "plugin.py").write_text(plugin if plugin is not None else PLUGIN.format(**values))
    (source / "task.py").write_text(TASK.format(**values))
    (source / "module.py").write_text(MODULE.format(**values))
    return folder, task


@pytest.fixture
def plugins_dir(dosaku_home: Path) -> Path:
    directory = Config().data_dir / "plugins"
    directory.mkdir(parents=True)
    return directory


def test_default_directory_is_in_the_data_dir_and_configurable(dosaku_home, tmp_path, monkeypatch):
    config = Config()
    assert plugin_directories(config) == [config.data_dir / "plugins"]
    monkeypatch.setenv("DOSAKU_PLUGINS__DIRECTORIES", f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    monkeypatch.setenv("DOSAKU_PONDER__PLUGINS_DIR", str(tmp_path / "pondered"))
    assert plugin_directories(config) == [tmp_path / "a", tmp_path / "b", tmp_path / "pondered"]


def test_a_plugin_folder_is_learnable_and_usable(plugins_dir):
    folder, task = write_plugin(plugins_dir)
    agent = Agent()
    assert task in agent.learnable_tasks
    agent.learn(task)
    assert agent.loaded_modules == [f"{task}Module"]
    assert agent.__getattribute__(task)("hi") == "HI!"
    assert agent.doc(task) == "Shout text."
    assert str(folder / "src") in sys.path and sys.path.index(str(folder / "src")) == len(sys.path) - 1


def test_folders_outside_the_configured_directories_are_not_loaded(dosaku_home, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    _, task = write_plugin(elsewhere)
    assert task not in Agent().learnable_tasks
    monkeypatch.setenv("DOSAKU_PLUGINS__DIRECTORIES", str(elsewhere))
    assert task in Agent().learnable_tasks


def test_refresh_sees_a_new_folder_and_the_agent_notices_by_itself(plugins_dir):
    agent = Agent()
    before = agent.learnable_tasks
    _, task = write_plugin(plugins_dir)
    agent.refresh()
    assert task in agent.learnable_tasks and task not in before
    _, other = write_plugin(plugins_dir)
    assert other in agent.learnable_tasks  # no refresh: learnable_tasks noticed the new folder
    _, third = write_plugin(plugins_dir)
    agent.learn(third)  # and so does learn
    assert agent.__getattribute__(third)("a") == "A!"


def test_a_changed_folder_is_imported_afresh(plugins_dir):
    folder, task = write_plugin(plugins_dir)
    agent = Agent()
    agent.learn(task)
    assert agent.__getattribute__(task)("x") == "X!"
    module = next(folder.glob("src/*/module.py"))
    module.write_text(module.read_text().replace('"!"', '"?!"'))
    agent.refresh()
    agent.learn(task)
    assert agent.__getattribute__(task)("x") == "X?!"


def test_a_removed_folder_is_forgotten_on_refresh(plugins_dir):
    import shutil

    folder, task = write_plugin(plugins_dir)
    agent = Agent()
    assert task in agent.learnable_tasks
    shutil.rmtree(folder)
    agent.refresh()
    assert task not in agent.learnable_tasks
    with pytest.raises(TaskNotFound):
        agent.learn(task)


@pytest.mark.parametrize(
    ("plugin", "pyproject", "phase", "message"),
    [
        ("def broken(:\n", None, "import", "SyntaxError"),
        ("import no_such_module_anywhere\n", None, "import", "ModuleNotFoundError"),
        ("from dosaku import hookimpl\n@hookimpl\ndef register_tasks(register):\n    raise RuntimeError('boom')\n",
         None, "hook", "RuntimeError: boom"),
        ("from dosaku import hookimpl\n@hookimpl\ndef register_taskz(register):\n    pass\n", None, "register",
         "register_taskz"),
        (None, "[project\nname = 'x'", "import", "cannot be read"),
    ],
    ids=["syntax", "missing-import", "hook-raises", "unknown-hook", "bad-pyproject"],
)
def test_a_broken_folder_is_recorded_and_the_others_still_load(plugins_dir, plugin, pyproject, phase, message):
    broken, _ = write_plugin(plugins_dir, plugin=plugin, pyproject=pyproject)
    _, good = write_plugin(plugins_dir)
    agent = Agent()
    assert good in agent.learnable_tasks
    errors = [e for e in agent.plugin_errors if broken.name in (e.distribution, e.plugin) or
              e.distribution == broken.name]
    assert len(errors) == 1, agent.plugin_errors
    assert errors[0].phase == phase and message in errors[0].error
    agent.learn("Chat")
    assert agent.Chat("hi").startswith("Hi, I'm EchoBot.")


def test_a_package_clashing_with_an_installed_one_is_refused(plugins_dir):
    folder, _ = write_plugin(plugins_dir, package="dosaku_example")  # an installed test plugin's package
    errors = [e for e in Agent().plugin_errors if e.distribution == "dosaku-dosaku-example"]
    assert len(errors) == 1 and errors[0].phase == "import"
    assert "clashes with an installed package" in errors[0].error and str(folder) in errors[0].error


def test_block_plugins_applies_to_folders(plugins_dir, monkeypatch):
    folder, task = write_plugin(plugins_dir)
    monkeypatch.setenv("DOSAKU_BLOCK_PLUGINS", folder.name)
    assert task not in Agent().learnable_tasks


def test_in_process_plugin_managers_load_only_the_folders_they_are_given(plugins_dir):
    from dosaku.plugins import plugin_manager
    from dosaku.testing import isolated_agent

    _, task = write_plugin(plugins_dir)
    assert task not in isolated_agent().learnable_tasks
    agent = Agent(plugin_manager=plugin_manager(entry_points=False, directories=[plugins_dir]))
    assert task in agent.learnable_tasks
    _, other = write_plugin(plugins_dir)
    agent.refresh()
    assert other in agent.learnable_tasks


def test_a_new_agent_sees_new_and_edited_folders(plugins_dir):
    assert Agent().learnable_tasks
    folder, task = write_plugin(plugins_dir)
    assert task in Agent().learnable_tasks
    plugin = next(folder.glob("src/*/plugin.py"))
    plugin.write_text(plugin.read_text().replace(f'TaskSpec("{task}"', f'TaskSpec("{task}Renamed"'))
    edited = Agent()
    assert f"{task}Renamed" in edited.learnable_tasks and task not in edited.learnable_tasks


def test_a_folder_task_is_learned_in_a_fresh_process_and_an_edit_to_an_imported_file_is_seen(plugins_dir):
    folder, task = write_plugin(plugins_dir)
    script = (
        "from dosaku import Agent\n"
        "agent = Agent()\n"
        f"agent.learn({task!r})\n"
        "print(agent.%s('fresh'))\n" % task
    )

    def fresh_process() -> str:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ), cwd=plugins_dir)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert fresh_process() == "FRESH!"
    module = next(folder.glob("src/*/module.py"))
    module.write_text(module.read_text().replace('"!"', '"?"'))
    assert fresh_process() == "FRESH?"
