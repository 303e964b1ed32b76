"""Checks of the generated files that read them without running them (compiling is not running): each file
compiles, the task declares abstract actions, the module defines them, the tests define tests.

What needs the code to run (importing it, ``missing_actions``, the tests) is checked in a separate process by
:mod:`dosaku_openai.pondering.isolated`.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from dosaku_openai.pondering.layout import Layout


@dataclass(frozen=True)
class Problem:
    """Something wrong with one generated file, said so that the model can fix it."""

    file: str  # a file key: task, module, sample, app, tests (or plan)
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def _class(tree: ast.Module, name: str) -> ast.ClassDef | None:
    return next((node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name), None)


def _is_abstract(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in function.decorator_list:
        name = decorator.attr if isinstance(decorator, ast.Attribute) else getattr(decorator, "id", "")
        if name == "abstractmethod":
            return True
    return False


def _methods(node: ast.ClassDef) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    return {item.name: item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}


def compiled(files: dict[str, str], layout: Layout) -> tuple[dict[str, ast.Module], list[Problem]]:
    """The syntax trees of the generated files, and a problem for each file that does not compile."""
    trees, problems = {}, []
    for key, source in files.items():
        path = layout.path(key)
        try:
            compile(source, path, "exec", dont_inherit=True)  # only compiles: nothing is run
            trees[key] = ast.parse(source, path)
        except SyntaxError as error:
            problems.append(Problem(key, f"SyntaxError in {path} line {error.lineno}: {error.msg}: "
                                         f"{(error.text or '').strip()!r}"))
        except ValueError as error:  # e.g. null bytes
            problems.append(Problem(key, f"{path} cannot be compiled: {error}"))
    return trees, problems


def task_actions(tree: ast.Module, layout: Layout) -> tuple[list[str], list[Problem]]:
    """The abstract actions the task file declares (read from its syntax tree)."""
    name = layout.plan.task_name
    node = _class(tree, name)
    if node is None:
        return [], [Problem("task", f"{layout.path('task')} must define the class {name}(Task) at top level")]
    bases = {base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "") for base in node.bases}
    problems = [] if "Task" in bases else [Problem("task", f"class {name} must subclass dosaku.task.Task")]
    actions = [method for method, function in _methods(node).items() if _is_abstract(function)]
    if not actions:
        problems.append(Problem("task", f"class {name} declares no actions: mark each action "
                                        "@abc.abstractmethod (with a docstring)"))
    return actions, problems


def module_defines(tree: ast.Module, layout: Layout, actions: list[str]) -> list[Problem]:
    """Problems when the module file lacks the module class or one of the task's actions."""
    name = layout.plan.module_name
    node = _class(tree, name)
    if node is None:
        return [Problem("module", f"{layout.path('module')} must define the class {name}(Module, "
                                  f"{layout.plan.task_name}) at top level")]
    methods = _methods(node)
    bases = {base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "") for base in node.bases}
    own_only = bases <= {"Module", layout.plan.task_name}  # else actions may come from other bases: checked run
    missing = [action for action in actions if action not in methods]
    problems = []
    if missing and own_only:
        problems.append(Problem("module", f"class {name} does not define the action(s) {missing} of the task "
                                          f"{layout.plan.task_name}; implement every action"))
    abstract = [method for method, function in methods.items() if _is_abstract(function)]
    if abstract:
        problems.append(Problem("module", f"class {name} marks {abstract} abstract; implement them instead"))
    return problems


def has_tests(tree: ast.Module, layout: Layout) -> list[Problem]:
    names = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test")]
    if names:
        return []
    return [Problem("tests", f"{layout.path('tests')} defines no test functions (def test_...)")]


def static_problems(files: dict[str, str], layout: Layout) -> list[Problem]:
    """Every problem found without running anything."""
    trees, problems = compiled(files, layout)
    actions: list[str] = []
    if "task" in trees:
        actions, found = task_actions(trees["task"], layout)
        problems += found
    if "module" in trees and "task" in trees:
        problems += module_defines(trees["module"], layout, actions)
    if "tests" in trees:
        problems += has_tests(trees["tests"], layout)
    return problems
