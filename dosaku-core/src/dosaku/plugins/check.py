"""``dosaku plugins --check``: every installed spec checked without constructing a module.

A problem is anything that would only show when a task is learned, or that decides silently between plugins: a
plugin that failed to load or register, a hook that raised, a bad or clashing spec (all already recorded by the
registry), a target that does not import, a task target that is not a Task, a module class that lacks actions of
its tasks or is of another kind than its spec says.

Example::

    problems = check_registry(agent.registry)
    for problem in problems:
        print(problem)
"""
from __future__ import annotations

from dataclasses import dataclass

from dosaku.module import kind_of
from dosaku.plugins.registry import Registry
from dosaku.spec import ModuleSpec, import_target
from dosaku.task import is_task, missing_actions


@dataclass(frozen=True)
class Problem:
    """One thing ``dosaku plugins --check`` found wrong.

    Attributes:
        plugin: The plugin it concerns.
        subject: What is wrong (a task, a module, or the plugin itself).
        message: What is wrong, and how to fix it.
    """

    plugin: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.subject}: {self.message}"


def _import(target: str | type) -> tuple[object, str | None]:
    try:
        return import_target(target), None
    except Exception as error:  # noqa: BLE001 - every failure is a problem to report
        return None, f"its target {target!r} does not import: {type(error).__name__}: {error}"


def check_registry(registry: Registry) -> list[Problem]:
    """Everything wrong with what ``registry``'s plugins registered: its recorded failures, then what
    :func:`check_targets` finds."""
    recorded = [Problem(record.plugin, f"[{record.phase}]", record.error) for record in registry.failures]
    return recorded + check_targets(registry)


def check_targets(registry: Registry) -> list[Problem]:
    """What is wrong with the targets of ``registry``'s specs (imports them; builds nothing)."""
    problems: list[Problem] = []
    tasks: dict[str, type] = {}
    for name, spec in registry.tasks.items():
        value, error = _import(spec.target)
        if error is None and not is_task(value):
            error = f"its target {spec.target!r} is not a Task subclass"
        if error is not None:
            problems.append(Problem(spec.plugin, f"task {name}", error))
        elif isinstance(value, type):
            tasks[name] = value
    for name, spec in registry.modules.items():
        problems += _module_problems(name, spec, tasks)
    return problems


def _module_problems(name: str, spec: ModuleSpec, tasks: dict[str, type]) -> list[Problem]:
    subject = f"module {name}"
    module_class, error = _import(spec.target)
    if error is not None:
        return [Problem(spec.plugin, subject, error)]
    if not isinstance(module_class, type):
        return [Problem(spec.plugin, subject, f"its target {spec.target!r} is not a class")]
    found = []
    if kind_of(module_class) != spec.kind:
        found.append(Problem(spec.plugin, subject, f"its spec says kind {spec.kind!r} but the class is a "
                             f"{kind_of(module_class)!r}; fix the ModuleSpec's kind="))
    for task in spec.tasks:
        missing = missing_actions(tasks[task], module_class) if task in tasks else []
        if missing:
            found.append(Problem(spec.plugin, subject, f"does not implement {task}'s action(s) {', '.join(missing)}"))
    return found
