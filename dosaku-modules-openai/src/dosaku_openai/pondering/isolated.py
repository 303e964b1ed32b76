"""Checking the generated plugin by running it, never in the agent's process, through the ``Tester`` task: a
private agent, made with ``enable_executors=True`` for this alone, learns ``Tester`` (dosaku-modules-python's
PythonTester: the kernel-enforced sandbox) and only its isolated ``run`` is ever called, never ``exec``. One run
writes the files into the sandbox's work directory, imports the task and module, checks with
:func:`dosaku.task.missing_actions` that the module implements the task, and runs the generated tests with pytest.
What happened comes back as data, and is the generated code's own claim (it runs the tests and reports on them):
it decides whether Ponder repairs, never what the agent trusts.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from dosaku import Agent
from dosaku.errors import ModuleNotInstalled

from dosaku_openai.pondering.checks import Problem
from dosaku_openai.pondering.layout import Layout

log = logging.getLogger(__name__)

#: The child's program (the files and names are filled in as JSON literals; nothing else is interpolated).
CHECK = r'''
import importlib, json, os, sys
files = json.loads(FILES)
names = json.loads(NAMES)
for path, text in files.items():
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
sys.path.insert(0, os.path.abspath("src"))
report = {"imports": [], "missing": None, "kind": None, "tests": None}

def load(key, target):
    module_name, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except BaseException as error:
        import traceback
        report["imports"].append([key, f"{type(error).__name__}: {error}", traceback.format_exc()[-3000:]])

task = load("task", names["task_target"])
module = load("module", names["module_target"])
load("plugin", names["plugin_target"])
if task is not None and module is not None:
    from dosaku.task import is_task, missing_actions
    from dosaku.module import Module
    report["is_task"] = is_task(task)
    report["is_module"] = isinstance(module, type) and issubclass(module, Module) and issubclass(module, task)
    report["kind"] = getattr(module, "kind", None)
    report["missing"] = missing_actions(task, module) if report["is_task"] else None
import pytest

class Recorder:
    def __init__(self):
        self.passed, self.failed, self.collected = 0, [], 0
    def pytest_collectreport(self, report):
        if report.failed:
            self.failed.append(["collect " + report.nodeid, report.longreprtext[-3000:]])
    def pytest_collection_finish(self, session):
        self.collected = len(session.items)
    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed.append([f"{report.nodeid} ({report.when})", report.longreprtext[-3000:]])
        elif report.when == "call" and report.passed:
            self.passed += 1

recorder = Recorder()
code = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:logging", "-o", "addopts=", "--rootdir", ".",
                    "--basetemp", os.path.abspath(".pytest-tmp"), "tests"], plugins=[recorder])
report["tests"] = {"exit": int(code), "collected": recorder.collected, "passed": recorder.passed,
                   "failed": recorder.failed}
report
'''


def check_program(files: dict[str, str], layout: Layout) -> str:
    """The code the child runs: the plugin's files (relative paths) and the targets to import."""
    names = {"task_target": layout.task_target, "module_target": layout.module_target,
             "plugin_target": f"{layout.package}.plugin:register_modules"}
    return (f"FILES = {json.dumps(json.dumps(files))}\nNAMES = {json.dumps(json.dumps(names))}\n" + CHECK)


INSTALL_PYTHON = ("Ponder checks the plugins it writes by running their tests through the Tester task: install "
                  "dosaku-modules-python (`pip install dosaku-modules-python`, or `dosaku install Tester`).")


def isolated_runner(limits: dict[str, Any], config: Any = None) -> Callable[..., Any]:
    """The isolated ``run`` action of a private agent that learned ``Tester`` with ``limits`` as its ceilings.

    Raises:
        ModuleNotInstalled: no module does Tester (dosaku-modules-python is not installed).
    """
    agent = Agent(enable_executors=True, **({"config": config} if config is not None else {}))
    try:
        agent.learn("Tester", **limits)
    except ModuleNotInstalled:
        raise ModuleNotInstalled("Tester", INSTALL_PYTHON) from None
    return agent.Tester.run  # only run: the isolated action; exec would run in this process


def run_checks(files: dict[str, str], layout: Layout, limits: dict[str, Any], config: Any = None
               ) -> tuple[list[Problem], dict[str, Any]]:
    """Run the checks isolated; the problems found and the child's report (for the provenance).

    Raises:
        ModuleNotInstalled: dosaku-modules-python is not installed (the message says how to install it).
    """
    result = isolated_runner(limits, config)(check_program(files, layout))
    output = (result.stdout + result.stderr)[-4000:]
    if result.limit is not None:
        return [Problem("tests", f"the tests were stopped by the {result.limit} limit ({limits}); make "
                                 f"them faster and the module efficient. Output:\n{output}")], {"limit": result.limit}
    if result.error is not None or not isinstance(result.value, dict):
        detail = result.error.traceback if result.error else f"no report (exit status {result.exit_code})"
        return [Problem("tests", f"the check could not run: {detail[-3000:]}\n{output}")], {"error": detail}
    report: dict[str, Any] = result.value
    return problems_in(report, layout, output), report


def problems_in(report: dict[str, Any], layout: Layout, output: str) -> list[Problem]:
    """What the child's report says is wrong, each attributed to the file to fix."""
    plan, problems = layout.plan, []
    for key, error, trace in report.get("imports") or []:
        file = "task" if key == "task" else "module"
        problems.append(Problem(file, f"importing {layout.path(key if key != 'plugin' else 'module')} failed: "
                                      f"{error}\n{trace}"))
    if report.get("is_task") is False:
        problems.append(Problem("task", f"{plan.task_name} is not a dosaku Task subclass with abstract actions"))
    if report.get("is_module") is False:
        problems.append(Problem("module", f"{plan.module_name} must subclass dosaku.module.Module and "
                                          f"{plan.task_name}"))
    if report.get("kind") not in (None, "module"):
        problems.append(Problem("module", f"{plan.module_name} must be a plain Module (kind 'module'), not a "
                                          f"{report['kind']}"))
    if report.get("missing"):
        problems.append(Problem("module", f"{plan.module_name} does not implement the action(s) "
                                          f"{report['missing']} of {plan.task_name} (dosaku.task.missing_actions)"))
    tests = report.get("tests") or {}
    if tests.get("collected", 0) == 0 and not tests.get("failed"):
        problems.append(Problem("tests", f"pytest collected no tests from {layout.path('tests')}.\n{output}"))
    for name, text in tests.get("failed") or []:
        problems.append(Problem("tests", f"test {name} failed:\n{text}"))
    return problems
