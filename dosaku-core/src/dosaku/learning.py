"""How an agent chooses the module for a task, and checks it before building anything.

:class:`dosaku.agent.Agent` keeps the state (what it learned, with which modules) and calls these functions, which
read only its public interface (``registry``, ``catalog``, ``config``, ``permits``, ``refusal``).

Choosing (``agent.learn(task, module=None)``): the module named, else the configured default
(``[DEFAULT_MODULES] <Task>``), else the task's own default, else every installed module the agent may use, best
first: local modules before executors before services, then by priority. Only in that last, automatic case does the
agent fall back to the next candidate when one is broken (its code does not import, it lacks actions of the task,
or it crashes while starting), recording why in ``agent.plugin_errors``.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dosaku.errors import DosakuError, ModuleDoesNotImplementTask, ModuleLoadError, ModuleNotInstalled, TaskNotFound
from dosaku.placement import LOCAL
from dosaku.spec import ModuleSpec, TaskSpec
from dosaku.task import implements, missing_actions, optional_actions, required_actions

if TYPE_CHECKING:
    from dosaku.agent import Agent
    from dosaku.catalog import Catalog
    from dosaku.plugins import Registry

#: The order in which the agent prefers module kinds when it picks a module by itself.
KIND_PREFERENCE = {"module": 0, "executor": 1, "service": 2}


class BadModuleArguments(ModuleLoadError):
    """The module's constructor does not take the arguments given to ``learn``."""


class ModuleImportFailed(ModuleLoadError):
    """The module's code could not be imported (a missing dependency, a bad target)."""


@dataclass(frozen=True)
class LoadedModule:
    """A module instance an agent built (or holds from the shared pool), and what it was built with."""

    name: str
    instance: Any
    kwargs: dict[str, Any]
    shared: bool = False
    placement: str = LOCAL

    @property
    def shared_key(self) -> str:
        """The name it is pooled under in :mod:`dosaku.shared_modules` (a placed module is not a local one)."""
        return self.name if self.placement == LOCAL else f"{self.name}@{self.placement}"


@dataclass(frozen=True)
class Choice:
    """The modules to try for a task, in order; ``automatic`` when the agent picked them by itself (then a broken
    one is skipped for the next)."""

    candidates: list[ModuleSpec]
    automatic: bool


def not_installed(catalog: Catalog, task: str) -> ModuleNotInstalled:
    """The error for a task no installed module does, saying which pack would (when the catalog knows one)."""
    packs = catalog.packs_for_task(task)
    if not packs:
        return ModuleNotInstalled(task)
    return ModuleNotInstalled(
        task,
        f"Install a pack that provides it: `dosaku install {task}` ({packs[0].describe()}), "
        f"or in Python: agent.install({task!r}, confirm=True).",
    )


def known_task(registry: Registry, catalog: Catalog, task: str) -> TaskSpec:
    """The spec of ``task``; :class:`ModuleNotInstalled` (naming the pack to install) when only the catalog knows it,
    :class:`TaskNotFound` when nothing does."""
    try:
        return registry.task(task)
    except TaskNotFound:
        if catalog.packs_for_task(task):
            raise not_installed(catalog, task) from None
        raise


def choose(agent: Agent, task_spec: TaskSpec, module: str | None) -> Choice:
    """The modules to try for ``task_spec`` (see the module's docstring), refusing — with how to allow it — when
    only modules the agent may not use are installed."""
    task, registry = task_spec.name, agent.registry
    if module is None:
        module = agent.config.get("DEFAULT_MODULES", task)
    if module is None and task_spec.default_module in registry.modules:
        module = task_spec.default_module
    if module is not None:
        spec = registry.module(module)
        if task not in spec.tasks:
            others = [m.name for m in registry.modules_for(task)]
            raise ModuleDoesNotImplementTask(spec.name, task, agent.api(task), alternatives=others)
        return Choice([spec], automatic=False)
    installed = registry.modules_for(task)
    if not installed:
        raise not_installed(agent.catalog, task)
    permitted = [spec for spec in installed if agent.permits(spec.kind)]
    if not permitted:
        kind = installed[0].kind
        names = ", ".join(spec.name for spec in installed)
        switch = "enable_services" if kind == "service" else "enable_executors"
        raise agent.refusal(
            kind,
            f"The task {task!r} is only done by {kind}s ({names}), but {kind}s have not been enabled. "
            f"Make the agent with {switch}=True to allow them.",
        )
    return Choice(sorted(permitted, key=lambda spec: KIND_PREFERENCE[spec.kind]), automatic=True)


def load_class(spec: ModuleSpec, distribution: str) -> type:
    """Import ``spec``'s class; :class:`ModuleLoadError` saying what failed and what to install."""
    try:
        return spec.load()
    except DosakuError:
        raise
    except Exception as error:
        raise ModuleImportFailed(
            f"The module {spec.name!r} could not be imported ({spec.target}): {type(error).__name__}: {error}. "
            f"Is its distribution ({distribution or spec.plugin}) installed with all its dependencies?"
        ) from error


def check_conformance(task: str, task_class: type, spec: ModuleSpec, module_class: type) -> None:
    """:class:`ModuleDoesNotImplementTask` when ``module_class`` lacks required actions of ``task_class``."""
    missing = missing_actions(task_class, module_class)
    if missing:
        raise ModuleDoesNotImplementTask(spec.name, task, missing)


def check_arguments(spec: ModuleSpec, module_class: type, kwargs: dict[str, Any]) -> None:
    """:class:`BadModuleArguments` when ``module_class`` cannot be built with ``kwargs``."""
    try:
        inspect.signature(module_class).bind(**kwargs)
    except TypeError as error:
        raise BadModuleArguments(f"Module {spec.name!r} does not take these arguments: {error}.") from None


def exposed_actions(task_class: type, module_class: type) -> list[str]:
    """The actions a learned task exposes: the required ones, then the optional ones the module implements."""
    optional = [name for name in optional_actions(task_class) if implements(module_class, name)]
    return required_actions(task_class) + optional
