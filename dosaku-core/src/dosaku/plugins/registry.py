"""What the plugins make learnable: the task specs, module specs and prices their hooks register.

Each hook implementation is called on its own, in registration order (see :mod:`dosaku.plugins.manager`):

- a hook that raises is undone: nothing it registered is kept, and the failure is recorded (phase ``hook``);
- each thing registered is checked on its own: a bad spec (a target not of the form ``'package.module:Class'``, a
  task name that is not an identifier, a module of no known task) is dropped and recorded (phase ``spec``), the
  plugin's other registrations stay;
- **clashes**: the first registration of a name wins, and a later one of the same name is dropped and recorded
  (phase ``clash``) naming both plugins and distributions. Nothing else of the later plugin is touched. Since
  plugins are registered in a fixed order — core's default plugins, installed distributions by name, plugin
  folders by path, in-process plugins as given — the outcome never depends on discovery order. Rename the
  clashing task or module, or block one plugin with ``DOSAKU_BLOCK_PLUGINS``.

Example::

    registry = Registry.collect(plugin_manager(), config)
    registry.task('Chat').load()            # the Chat task spec class
    [m.name for m in registry.modules_for('Chat')]
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dosaku.errors import ModuleNotFound, TaskNotFound
from dosaku.plugins.failures import PluginFailure, failure
from dosaku.services.prices import Price, PriceSpec
from dosaku.spec import ModuleSpec, TaskSpec
from dosaku.task import is_task

if TYPE_CHECKING:
    from dosaku.plugins.manager import PluginManager

TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


class SpecProblem(ValueError):
    """Something a plugin registered that cannot be used (recorded, never raised to the user)."""


def task_spec(item: Any) -> TaskSpec:
    """``item`` (a :class:`TaskSpec` or a Task subclass) as a checked TaskSpec; :class:`SpecProblem` if it is bad."""
    if is_task(item):
        item = TaskSpec(item.__name__, target=item, summary=(inspect.getdoc(item) or "").split("\n")[0])
    if not isinstance(item, TaskSpec):
        raise SpecProblem(f"register_tasks expects TaskSpec or a Task subclass, got {item!r}")
    if not item.name.isidentifier() or item.name.startswith("_"):
        raise SpecProblem(f"task name {item.name!r} is not a Python identifier (tasks look LikeThis)")
    _check_target(item.name, item.target)
    return item


def module_spec(item: Any) -> ModuleSpec:
    """``item`` as a checked :class:`ModuleSpec`; :class:`SpecProblem` if it is bad."""
    if not isinstance(item, ModuleSpec):
        raise SpecProblem(f"register_modules expects a ModuleSpec, got {item!r}")
    if not item.name or not item.tasks:
        raise SpecProblem(f"module spec {item.name!r} needs a name and at least one task")
    _check_target(item.name, item.target)
    return item


def _check_target(name: str, target: Any) -> None:
    if isinstance(target, str) and not TARGET.match(target):
        raise SpecProblem(f"{name!r} has a bad target {target!r}: expected 'package.module:Attribute'")
    if not isinstance(target, (str, type)):
        raise SpecProblem(f"{name!r} has a bad target {target!r}: expected 'package.module:Attribute' or a class")


def price_spec(item: Any) -> PriceSpec:
    """``register(model, price)``'s arguments as a checked :class:`PriceSpec`, the price parsed from its text form
    when needed."""
    model, value = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
    if not isinstance(model, str) or not model:
        raise SpecProblem(f"register_prices expects register(model, price), got {item!r}")
    try:
        return PriceSpec(model.lower(), value if isinstance(value, Price) else Price.parse(value))
    except (ValueError, TypeError) as error:
        raise SpecProblem(f"bad price for {model!r}: {error}") from None


def hook_registrations(
    manager: PluginManager, hook: str, config: Any
) -> Iterator[tuple[str, list[Any], Exception | None]]:
    """``(plugin name, what it registered, the error it raised or None)`` for each implementation of ``hook``, in
    registration order. ``register(x)`` registers ``x``; ``register(x, y)`` registers ``(x, y)``."""
    for impl in getattr(manager.hook, hook).get_hookimpls():
        registered: list[Any] = []

        def register(*item: Any, _registered: list[Any] = registered) -> None:
            _registered.append(item[0] if len(item) == 1 else item)

        arguments = {"register": register, "config": config}
        try:
            impl.function(*[arguments[name] for name in impl.argnames])
        except Exception as error:  # noqa: BLE001 - one bad plugin must not stop the others
            yield impl.plugin_name, [], error
            continue
        yield impl.plugin_name, registered, None


class Registry:
    """The task specs, module specs and prices registered by the plugins of a plugin manager.

    Attributes:
        tasks: ``{name: TaskSpec}``.
        modules: ``{name: ModuleSpec}``.
        prices: ``{model (lower case): PriceSpec}`` the packs registered.
        failures: Every :class:`PluginFailure` of loading and collecting.
        sources: ``{plugin name: (distribution, version)}``.
    """

    def __init__(self) -> None:
        self.tasks: dict[str, TaskSpec] = {}
        self.modules: dict[str, ModuleSpec] = {}
        self.prices: dict[str, PriceSpec] = {}
        self.failures: list[PluginFailure] = []
        self.sources: dict[str, tuple[str, str]] = {}

    @classmethod
    def collect(cls, manager: PluginManager, config: Any) -> Registry:
        """Call every plugin's ``register_tasks``, ``register_modules`` and ``register_prices``, each on its own."""
        registry = cls()
        registry.failures.extend(manager.failures)
        registry.sources.update(manager.distributions)
        registry.add_all(manager, "register_tasks", config, task_spec, registry.tasks)
        registry.add_all(manager, "register_modules", config, module_spec, registry.modules)
        registry.add_all(manager, "register_prices", config, price_spec, registry.prices)
        registry.check_module_tasks()
        return registry

    def source_of(self, plugin: str) -> tuple[str, str]:
        """``(distribution, version)`` of the plugin that registered something ('' for in-process plugins)."""
        return self.sources.get(plugin, ("", ""))

    def record(self, plugin: str, phase: str, error: BaseException) -> None:
        """Record a failure of ``plugin`` (with its distribution)."""
        self.failures.append(failure(plugin, phase, error, *self.source_of(plugin)))

    def failed_plugins(self) -> set[str]:
        """The plugins with at least one recorded failure."""
        return {record.plugin for record in self.failures}

    # --- collecting ----------------------------------------------------------------------------------------
    def add_all(self, manager: PluginManager, hook: str, config: Any, check: Callable[[Any], Any],
                into: dict[str, Any]) -> None:
        """Add what each implementation of ``hook`` registered to ``into``, by the rules of this module."""
        for plugin, items, error in hook_registrations(manager, hook, config):
            if error is not None:
                self.record(plugin, "hook", error)
                continue
            for item in items:
                try:
                    spec = check(item)
                except SpecProblem as problem:
                    self.record(plugin, "spec", problem)
                    continue
                if spec.name in into:
                    self.record(plugin, "clash", SpecProblem(self._clash(spec.name, plugin, into[spec.name].plugin)))
                    continue
                into[spec.name] = replace(spec, plugin=plugin)

    def _clash(self, name: str, plugin: str, owner: str) -> str:
        def who(name: str) -> str:
            distribution, version = self.source_of(name)
            return f"plugin {name!r} ({distribution} {version})" if distribution else f"plugin {name!r}"

        return (f"{name!r} is already registered by {who(owner)}, so {who(plugin)}'s {name!r} was dropped (the first "
                f"registration wins: core, then installed distributions by name, then plugin folders, then "
                f"in-process plugins). Rename one, or block one plugin with DOSAKU_BLOCK_PLUGINS.")

    def check_module_tasks(self) -> None:
        """Drop the tasks no plugin registered from each module spec (and modules left with none), recording it."""
        for name, spec in list(self.modules.items()):
            unknown = [task for task in spec.tasks if task not in self.tasks]
            if not unknown:
                continue
            known = tuple(task for task in spec.tasks if task in self.tasks)
            problem = SpecProblem(
                f"module {name!r} names the unknown task(s) {', '.join(unknown)} (known tasks: "
                f"{', '.join(sorted(self.tasks)) or 'none'}); "
                + (f"it is kept for {', '.join(known)} only" if known else "it was dropped")
            )
            self.record(spec.plugin, "spec", problem)
            if known:
                self.modules[name] = replace(spec, tasks=known)
            else:
                del self.modules[name]

    # --- lookups -------------------------------------------------------------------------------------------
    def task(self, name: str) -> TaskSpec:
        """The spec of task ``name``; :class:`TaskNotFound` (with close matches) if there is none."""
        try:
            return self.tasks[name]
        except KeyError:
            raise TaskNotFound(name, self.tasks) from None

    def module(self, name: str) -> ModuleSpec:
        """The spec of module ``name``; :class:`ModuleNotFound` (with close matches) if there is none."""
        try:
            return self.modules[name]
        except KeyError:
            raise ModuleNotFound(name, self.modules) from None

    def modules_for(self, task: str) -> list[ModuleSpec]:
        """The modules that implement ``task``, highest priority first."""
        found = [spec for spec in self.modules.values() if task in spec.tasks]
        return sorted(found, key=lambda spec: (-spec.priority, spec.name))
