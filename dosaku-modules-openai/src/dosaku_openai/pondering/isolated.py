"""Checking the generated plugin by running it, never in the agent's process: one isolated child process
(:class:`dosaku.executors.sandbox.Sandbox`: its own work directory, time and memory limits, no network, no access to
the agent's keys) writes the files into its work directory, imports the task and module, checks with
:func:`dosaku.task.missing_actions` that the module implements the task, and runs the generated tests with pytest.
What happened comes back as data.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from dosaku.executors.limits import Limits
from dosaku.executors.sandbox import Sandbox

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


def run_checks(files: dict[str, str], layout: Layout, limits: Limits) -> tuple[list[Problem], dict[str, Any]]:
    """Run the checks isolated; the problems found and the child's report (for the provenance)."""
    result = Sandbox().run(check_program(files, layout), limits)
    output = (result.stdout + result.stderr)[-4000:]
    if result.limit is not None:
        return [Problem("tests", f"the tests were stopped by the {result.limit} limit ({limits.as_dict()}); make "
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
