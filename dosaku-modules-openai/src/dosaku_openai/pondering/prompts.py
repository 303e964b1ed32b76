"""The prompts Ponder sends: a system prompt with Dosaku's conventions, then one request per step (plan, task,
module, sample, app, tests) and repair requests that quote the errors found. Each request starts with a
``STEP: <name>`` line (it tells the model, and a scripted test server, which step this is)."""
from __future__ import annotations

from dosaku_openai.pondering.checks import Problem
from dosaku_openai.pondering.layout import Layout

SYSTEM = """You are Ponder, a careful senior Python engineer who writes plugins for Dosaku, a personal AI assistant \
framework. Dosaku separates TASKS (human-level interfaces) from MODULES (implementations):

- A task is an abstract class subclassing `dosaku.task.Task`. Its docstring says what it is. Each ACTION is a \
method decorated with `@abc.abstractmethod`, with type hints and a Google-style docstring (Args, Returns, Example) \
and no body beyond the docstring. A task may set `default_action: ClassVar[str] = '<action>'`.
- A module is a class subclassing `dosaku.module.Module` and the task class, e.g. \
`class PerfectTicTacToe(Module, TicTacToe)`, implementing every action. Its constructor takes only keyword \
arguments with defaults. Keep state on the instance.
- Use only the Python standard library and `dosaku`. No network, no subprocesses, no reading or writing files \
(unless the request is about files), no `input()` or printing in the module: return values instead.
- Code must be complete and runnable: no placeholders, no `...`, no TODOs.

Answer each step exactly in the format it asks for."""

PLAN = """STEP: plan
Design a Dosaku task and a module for this request:

{reqs}

Reply with one JSON object and nothing else:
{{"task_name": "CamelCaseTaskName", "module_name": "CamelCaseModuleName",
 "summary": "one line saying what the task is",
 "actions": [{{"name": "snake_case_action", "description": "what it does, its arguments and what it returns"}}],
 "default_action": "one of the action names, or null"}}
Keep the API small and easy for a person (or another program) to call: plain str/int/float/bool/list/dict \
arguments and results."""

TASK = """STEP: task
Request: {reqs}
Plan:
{plan}

Write the file `{task_path}`: the task spec class `{task}` (subclassing `dosaku.task.Task`) with one \
`@abc.abstractmethod` per planned action, each with type hints and a docstring with Args, Returns and an Example \
that uses `agent.learn('{task}')`. Reply with the complete file in one ```python block."""

MODULE = """STEP: module
Request: {reqs}
The task spec, `{task_path}` (import it as `from {task_module} import {task}`):
```python
{task_code}
```

Write the file `{module_path}`: the class `{module}(Module, {task})` (`from dosaku.module import Module`) \
implementing every action of `{task}` correctly and completely. Reply with the complete file in one ```python \
block."""

SAMPLE = """STEP: sample
The task `{task}` (`{task_module}`) and its module `{module}` (`{module_module}`):
```python
{task_code}
```

Write the file `{sample_path}`: a short standalone sample, runnable as a script, that shows how to use the task \
through an agent (`from dosaku import Agent; agent = Agent(enable_executors=True); agent.learn('{task}')`, then \
`agent.{task}.<action>(...)`), under `if __name__ == '__main__':`. It may interact with the user on the console. \
Reply with the complete file in one ```python block."""

APP = """STEP: app
The task `{task}` (`{task_module}`), done by the module `{module}`:
```python
{task_code}
```

Write the file `{app_path}`: an end-to-end gradio app (gradio 5 or later, `import gradio as gr`) that lets a \
person use the task through an agent \
(`from dosaku import Agent; agent = Agent(enable_executors=True); agent.learn('{task}')`). Build \
the interface in a function `build_app()` that returns a `gr.Blocks`, and launch it only under \
`if __name__ == '__main__':`. Reply with the complete file in one ```python block."""

TESTS = """STEP: tests
Request: {reqs}
The task spec (`from {task_module} import {task}`):
```python
{task_code}
```
The module (`from {module_module} import {module}`):
```python
{module_code}
```

Write the pytest file `{tests_path}`: focused, deterministic, fast unit tests of `{module}` through the actions of \
`{task}` (construct `{module}()` directly), checking real behaviour and edge cases; also test that \
`dosaku.task.missing_actions({task}, {module}) == []`. Use plain `assert`s; no network, no sleeping. Reply with the \
complete file in one ```python block."""

REPAIR_FILE = """STEP: repair
The file `{path}` ({key}) has these problems:

{problems}

The current file:
```python
{code}
```
{context}
Fix the problems. Reply with the complete corrected file in one ```python block."""

REPAIR_TESTS = """STEP: repair
Running the plugin's checks in a separate process (importing the task and module, then `pytest tests`) found:

{problems}

The files:
{files}

Decide which file is wrong (the module, the tests, or both: a test that expects something the task does not \
promise is wrong too) and fix it. Reply with, for each file you change, a line `FILE: <key>` (key: task, module \
or tests) followed by the complete corrected file in one ```python block."""


def names(layout: Layout, files: dict[str, str]) -> dict[str, str]:
    plan = layout.plan
    return {
        "task": plan.task_name, "module": plan.module_name,
        "task_module": layout.module_path("task"), "module_module": layout.module_path("module"),
        "task_path": layout.path("task"), "module_path": layout.path("module"),
        "sample_path": layout.path("sample"), "app_path": layout.path("app"), "tests_path": layout.path("tests"),
        "task_code": files.get("task", ""), "module_code": files.get("module", ""), "plan": plan.as_json(),
    }


def step(key: str, reqs: str, layout: Layout, files: dict[str, str]) -> str:
    """The request for one generated file (``task``, ``module``, ``sample``, ``app`` or ``tests``)."""
    template = {"task": TASK, "module": MODULE, "sample": SAMPLE, "app": APP, "tests": TESTS}[key]
    return template.format(reqs=reqs, **names(layout, files))


def repair_file(key: str, problems: list[Problem], layout: Layout, files: dict[str, str]) -> str:
    """A request to fix one file's problems found without running it."""
    context = ""
    if key != "task" and "task" in files:
        context = f"\nThe task spec it goes with (`{layout.path('task')}`):\n```python\n{files['task']}\n```\n"
    return REPAIR_FILE.format(path=layout.path(key), key=key, code=files.get(key, ""), context=context,
                              problems="\n".join(f"- {p.message}" for p in problems))


def repair_run(problems: list[Problem], layout: Layout, files: dict[str, str]) -> str:
    """A request to fix what running the checks found; the model says which files it changes."""
    shown = "\n".join(f"FILE: {key} (`{layout.path(key)}`)\n```python\n{files[key]}\n```"
                      for key in ("task", "module", "tests") if key in files)
    return REPAIR_TESTS.format(problems="\n".join(f"- [{p.file}] {p.message}" for p in problems), files=shown)


def repair_plan(error: str) -> str:
    return f"STEP: plan\nThat plan cannot be used: {error}. Reply with the corrected plan as one JSON object only."
