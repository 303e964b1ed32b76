"""The plugin distribution Ponder writes: its names, where each file goes, and the files Ponder writes itself
(``pyproject.toml`` with the ``dosaku`` entry point, ``plugin.py``, ``__init__.py``, the README).

For ``save_filename='tic_tac_toe.py'`` (task ``TicTacToe``, module ``PerfectTicTacToe``)::

    <plugins dir>/dosaku-pondered-tic-tac-toe/
        pyproject.toml                                            # entry point pondered_tic_tac_toe
        README.md
        PROVENANCE.json                                           # model, prompts, time, file hashes
        src/dosaku_pondered_tic_tac_toe/__init__.py
        src/dosaku_pondered_tic_tac_toe/plugin.py                 # registers TicTacToe and PerfectTicTacToe
        src/dosaku_pondered_tic_tac_toe/tasks/tic_tac_toe.py      # 1. the task
        src/dosaku_pondered_tic_tac_toe/modules/tic_tac_toe.py    # 2. the module
        src/dosaku_pondered_tic_tac_toe/samples/tic_tac_toe.py    # 3. a sample
        src/dosaku_pondered_tic_tac_toe/app/tic_tac_toe.py        # 4. a gradio app
        tests/test_tic_tac_toe.py                                 # 5. the tests
"""
from __future__ import annotations

from dataclasses import dataclass

from dosaku_openai.pondering.plan import Plan

#: The files the model writes, in the order they are asked for.
MODEL_FILES = ("task", "module", "sample", "app", "tests")


@dataclass(frozen=True)
class Layout:
    """Names and paths of one pondered plugin."""

    stem: str
    plan: Plan

    @property
    def distribution(self) -> str:
        return f"dosaku-pondered-{self.stem.replace('_', '-')}"

    @property
    def package(self) -> str:
        return f"dosaku_pondered_{self.stem}"

    @property
    def entry_point(self) -> str:
        return f"pondered_{self.stem}"

    def module_path(self, key: str) -> str:
        """The import path of a generated file: ``'dosaku_pondered_tic_tac_toe.tasks.tic_tac_toe'``."""
        folder = {"task": "tasks", "module": "modules", "sample": "samples", "app": "app"}[key]
        return f"{self.package}.{folder}.{self.stem}"

    @property
    def task_target(self) -> str:
        return f"{self.module_path('task')}:{self.plan.task_name}"

    @property
    def module_target(self) -> str:
        return f"{self.module_path('module')}:{self.plan.module_name}"

    def path(self, key: str) -> str:
        """Where a file goes, relative to the plugin folder."""
        if key == "tests":
            return f"tests/test_{self.stem}.py"
        if key in ("task", "module", "sample", "app"):
            return "src/" + self.module_path(key).replace(".", "/") + ".py"
        return {
            "pyproject": "pyproject.toml",
            "readme": "README.md",
            "init": f"src/{self.package}/__init__.py",
            "plugin": f"src/{self.package}/plugin.py",
            "tasks_init": f"src/{self.package}/tasks/__init__.py",
            "modules_init": f"src/{self.package}/modules/__init__.py",
            "samples_init": f"src/{self.package}/samples/__init__.py",
            "app_init": f"src/{self.package}/app/__init__.py",
        }[key]

    def fixed_files(self, reqs: str, model: str) -> dict[str, str]:
        """The files Ponder writes from templates (never from the model's text)."""
        plan = self.plan
        return {
            "pyproject": PYPROJECT.format(
                distribution=self.distribution, summary=_toml_string(plan.summary), entry_point=self.entry_point,
                package=self.package,
            ),
            "readme": README.format(
                distribution=self.distribution, task=plan.task_name, module=plan.module_name, model=model,
                reqs=reqs.strip(), stem=self.stem, package=self.package,
            ),
            "init": f'"""{plan.task_name}: a Dosaku plugin written by Ponder (see PROVENANCE.json)."""\n',
            "plugin": PLUGIN.format(
                task=plan.task_name, module=plan.module_name, task_target=self.task_target,
                module_target=self.module_target, summary=repr(plan.summary),
            ),
            "tasks_init": "",
            "modules_init": "",
            "samples_init": "",
            "app_init": "",
        }


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


PYPROJECT = """[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{distribution}"
version = "0.1.0"
description = {summary}
requires-python = ">=3.10"
dependencies = ["dosaku"]

[project.optional-dependencies]
app = ["gradio"]
test = ["pytest"]

[project.entry-points.dosaku]
{entry_point} = "{package}.plugin"

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]
"""

PLUGIN = '''"""Registers the pondered task {task} and its module {module}. Imports only dosaku."""
from __future__ import annotations

from dosaku import ModuleSpec, TaskSpec, hookimpl


@hookimpl
def register_tasks(register, config):
    register(TaskSpec("{task}", "{task_target}", {summary}, default_module="{module}"))


@hookimpl
def register_modules(register, config):
    # Generated code: an executor, so only an agent made with enable_executors=True may learn (and so run) it.
    register(ModuleSpec("{module}", tasks=("{task}",), target="{module_target}", kind="executor",
                        summary="Pondered: " + {summary}))
'''

README = """# {distribution}

A Dosaku plugin written by Ponder ({model}): the task `{task}` and its module `{module}`.

Requested:

> {reqs}

Use it (the agent loads this folder from its plugin directory; no install needed):

```python
from dosaku import Agent

agent = Agent(enable_executors=True)  # the module is generated code: read it first
agent.learn('{task}')   # in a sandboxed worker ([PLACEMENT] {module} = sandbox, written by Ponder)
agent.api('{task}')
```

The module runs quarantined in a sandbox (dosaku-modules-python) by default; to run it in the agent's own
process, ask for it: `agent.learn('{task}', placement='local')`.

Files: `src/{package}/tasks/{stem}.py` (the task), `src/{package}/modules/{stem}.py` (the module),
`src/{package}/samples/{stem}.py` (a sample), `src/{package}/app/{stem}.py` (a gradio app),
`tests/test_{stem}.py` (its tests: `pytest tests`). `PROVENANCE.json` says how it was made.
This is generated code: read it before you rely on it.
"""
