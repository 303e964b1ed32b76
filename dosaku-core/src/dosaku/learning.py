"""How an agent learns a task: it picks a module, checks permissions and conformance, builds (or reuses, or places)
the module and exposes its actions; and how it lets a module go again.

:class:`dosaku.agent.Agent` keeps the state (what it learned, with which modules); this module holds the work, and
is imported on the first :meth:`~dosaku.agent.Agent.learn`, so that making an agent and listing what it can learn
import none of it.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dosaku.errors import (
    DosakuError,
    ModuleDoesNotImplementTask,
    ModuleLoadError,
    ModuleNotInstalled,
    PlacementNotAvailable,
    TaskNotFound,
)
from dosaku.learned_task import LearnedTask
from dosaku.module import Module
from dosaku.plugin_failure import failure
from dosaku.spec import ModuleSpec, TaskSpec
from dosaku.task import implements, missing_actions, optional_actions, required_actions

if TYPE_CHECKING:
    from collections.abc import Callable

    from dosaku.agent import Agent

log = logging.getLogger("dosaku.agent")

#: The order in which the agent prefers module kinds when it picks a module by itself.
KIND_PREFERENCE = {"module": 0, "executor": 1, "service": 2}
#: The placement of a module built in the agent's own process.
LOCAL = "local"


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
class ModuleFactory:
    """Builds a module: what a placement plugin receives as ``factory`` (picklable, so it can travel).

    Example::

        factory = ModuleFactory(spec, GFPGAN, {'upscale': 2})
        module = factory()   # GFPGAN(upscale=2); DosakuErrors pass, other failures become ModuleLoadError
    """

    spec: ModuleSpec
    module_class: type
    kwargs: dict[str, Any]

    def __call__(self) -> Any:
        return build(self.spec, self.module_class, self.kwargs)


def learn(agent: Agent, task: str, module: str | None, placement: str | None, kwargs: dict[str, Any]) -> None:
    """Do :meth:`dosaku.agent.Agent.learn` (whose docstring says what it raises): on any error, ``agent`` is left
    exactly as it was."""
    task_spec = known_task(agent, task)
    if hasattr(type(agent), task):
        raise DosakuError(f"The task name {task!r} clashes with the agent's own attribute of that name; rename it.")
    module_spec = choose_module(agent, task_spec, module)
    agent._check_permission(module_spec.kind)
    task_class = agent._task_class(task)
    module_class = _module_class(agent, module_spec)
    agent._check_permission(getattr(module_class, "kind", "module"))
    missing = missing_actions(task_class, module_class)
    if missing:
        raise ModuleDoesNotImplementTask(module_spec.name, task, missing)
    where = _placement(agent, module_spec, placement)
    loaded = _reusable(agent, module_spec.name, kwargs, module_class, where)
    if loaded is None:
        if where == LOCAL:
            agent.resources.make_room(module_spec)
        loaded = _load(agent, module_spec, module_class, kwargs, where)
    if where == LOCAL:  # a module placed elsewhere uses that machine's resources, not this one's
        agent.resources.register(loaded.name, loaded.instance, module_spec)
    if getattr(module_class, "kind", "module") == "service":
        agent.spending.attach(loaded.instance, module_spec.name)
    actions = required_actions(task_class) + [
        name for name in optional_actions(task_class) if implements(module_class, name)
    ]
    learned = LearnedTask(task, actions, task_class.default_action, loaded.instance, loaded.name, agent._wrap_action)
    previous = agent._loaded.get(task)
    agent._learned[task], agent._loaded[task] = learned, loaded
    agent.__dict__[task] = learned  # plain attribute lookup: agent.Task costs no __getattr__
    if previous is not None:
        release_if_unused(agent, previous)
    log.info("%s learned %s with %s", agent.name, task, module_spec.name)


def known_task(agent: Agent, task: str) -> TaskSpec:
    """The spec of ``task``; :class:`ModuleNotInstalled` (naming the pack to install) when only the catalog knows it,
    :class:`TaskNotFound` when nothing does."""
    try:
        return agent.registry.task(task)
    except TaskNotFound:
        if agent.catalog.packs_for_task(task):
            raise not_installed(agent, task) from None
        raise


def not_installed(agent: Agent, task: str) -> ModuleNotInstalled:
    """The error for a task no installed module does, saying which pack would (when the catalog knows one)."""
    packs = agent.catalog.packs_for_task(task)
    if not packs:
        return ModuleNotInstalled(task)
    return ModuleNotInstalled(
        task,
        f"Install a pack that provides it: `dosaku install {task}` ({packs[0].describe()}), "
        f"or in Python: agent.install({task!r}, confirm=True).",
    )


def choose_module(agent: Agent, task_spec: TaskSpec, module: str | None) -> ModuleSpec:
    """The module for ``task_spec``: ``module`` when named, else the configured default, else the task's default,
    else the best installed one ``agent`` may use (refusing, with how to allow it, when it may use none)."""
    task = task_spec.name
    if module is None:
        module = agent.config.get("DEFAULT_MODULES", task)
    if module is None and task_spec.default_module in agent.registry.modules:
        module = task_spec.default_module
    if module is not None:
        spec = agent.registry.module(module)
        if task not in spec.tasks:
            others = [m.name for m in agent.registry.modules_for(task)]
            raise ModuleDoesNotImplementTask(spec.name, task, agent.api(task), alternatives=others)
        return spec
    candidates = agent.registry.modules_for(task)
    if not candidates:
        raise not_installed(agent, task)
    permitted = [spec for spec in candidates if agent.permits(spec.kind)]
    if not permitted:
        kind = candidates[0].kind
        names = ", ".join(spec.name for spec in candidates)
        switch = "enable_services" if kind == "service" else "enable_executors"
        raise agent._refuse(
            kind,
            f"The task {task!r} is only done by {kind}s ({names}), but {kind}s have not been enabled. "
            f"Make the agent with {switch}=True to allow them.",
        )
    return min(permitted, key=lambda spec: KIND_PREFERENCE[spec.kind])


def _module_class(agent: Agent, spec: ModuleSpec) -> type:
    try:
        return spec.load()
    except DosakuError:
        raise
    except Exception as error:
        distribution, version = agent.registry.source_of(spec.plugin)
        agent._learn_failures.append(failure(spec.plugin, "learn", error, distribution, version))
        raise ModuleLoadError(
            f"The module {spec.name!r} could not be imported ({spec.target}): {type(error).__name__}: {error}. "
            f"Is its distribution ({distribution or spec.plugin}) installed with all its dependencies?"
        ) from error


def _placement(agent: Agent, spec: ModuleSpec, placement: str | None) -> str:
    """Where ``spec``'s module runs: the argument, else ``[PLACEMENT] <ModuleName>``, else local."""
    where = placement if placement is not None else agent.config.get("PLACEMENT", spec.name)
    return (where or LOCAL).strip().lower() or LOCAL


def _reusable(
    agent: Agent, name: str, kwargs: dict[str, Any], module_class: type, placement: str = LOCAL
) -> LoadedModule | None:
    """A module the agent already built, at the same placement, that can do another task too (same arguments,
    or none given, and the same class: a plugin folder edited since is built anew)."""
    for loaded in agent._loaded.values():
        same_class = type(loaded.instance) is module_class or not isinstance(loaded.instance, Module)
        same_place = loaded.placement == placement
        if loaded.name == name and same_class and same_place and (not kwargs or kwargs == loaded.kwargs):
            return loaded
    return None


def _load(
    agent: Agent, spec: ModuleSpec, module_class: type, kwargs: dict[str, Any], placement: str = LOCAL
) -> LoadedModule:
    try:
        inspect.signature(module_class).bind(**kwargs)
    except TypeError as error:
        raise ModuleLoadError(f"Module {spec.name!r} does not take these arguments: {error}.") from None
    factory = ModuleFactory(spec, module_class, dict(kwargs))
    make = factory if placement == LOCAL else functools.partial(_place, agent, placement, spec, factory)
    loaded = LoadedModule(spec.name, None, kwargs, spec.shareable, placement)
    if spec.shareable:
        from dosaku import shared_modules

        instance = shared_modules.acquire(loaded.shared_key, kwargs, make)
    else:
        instance = make()
    return dataclasses.replace(loaded, instance=instance)


def _place(agent: Agent, placement: str, spec: ModuleSpec, factory: Callable[[], Any]) -> Any:
    """Ask the plugins for a stand-in of the module placed on ``placement`` (``factory()`` builds it there)."""
    hook = agent.plugin_manager.hook.dosaku_placement
    stand_in = hook(placement=placement, spec=spec, factory=factory, agent=agent)
    if stand_in is None:
        raise PlacementNotAvailable(placement, spec.name)
    log.info("%s placed %s on %s", agent.name, spec.name, placement)
    return stand_in


def build(spec: ModuleSpec, module_class: type, kwargs: dict[str, Any]) -> Any:
    """``module_class(**kwargs)``: DosakuErrors pass, any other failure becomes :class:`ModuleLoadError`."""
    try:
        return module_class(**kwargs)
    except DosakuError:
        raise
    except Exception as error:
        raise ModuleLoadError(f"The module {spec.name!r} failed to start: {type(error).__name__}: {error}") from error


def release_if_unused(agent: Agent, loaded: LoadedModule) -> None:
    """Let ``loaded`` go (free its resources, return it to the shared pool, unload it) unless one of the agent's
    learned tasks still uses it."""
    if any(other.instance is loaded.instance for other in agent._loaded.values()):
        return
    if agent._resources is not None:
        agent._resources.release(loaded.instance)
    if loaded.shared:
        from dosaku import shared_modules

        if not shared_modules.release(loaded.shared_key, loaded.kwargs):
            return  # other agents still use it
    unload = getattr(loaded.instance, "unload", None)
    if callable(unload):
        unload()
