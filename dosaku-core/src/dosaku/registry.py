"""What the installed plugins make learnable: task and module specs collected through the hooks."""
from __future__ import annotations

from dosaku.errors import ModuleNotFound, TaskNotFound
from dosaku.spec import ModuleSpec, TaskSpec

TYPE_CHECKING = False  # the agent's start-up path reads a Registry: it imports nothing it does not need
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from dosaku.plugin_failure import PluginFailure
    from dosaku.plugins import PluginManager


def _as_task_spec(item: Any) -> TaskSpec:
    import inspect

    from dosaku.task import is_task

    if isinstance(item, TaskSpec):
        return item
    if is_task(item):
        summary = (inspect.getdoc(item) or "").split("\n")[0]
        return TaskSpec(item.__name__, target=item, summary=summary)
    raise TypeError(f"register_tasks expects TaskSpec or a Task subclass, got {item!r}")


def _as_module_spec(item: Any) -> ModuleSpec:
    if isinstance(item, ModuleSpec):
        return item
    raise TypeError(f"register_modules expects a ModuleSpec, got {item!r}")


class Registry:
    """The task and module specs registered by every plugin of a plugin manager.

    Example::

        registry = Registry.collect(plugin_manager(), config)
        registry.task('Chat').load()            # the Chat task spec class
        [m.name for m in registry.modules_for('Chat')]
    """

    def __init__(self) -> None:
        self.tasks: dict[str, TaskSpec] = {}
        self.modules: dict[str, ModuleSpec] = {}
        self.failures: list[PluginFailure] = []
        self.sources: dict[str, tuple[str, str]] = {}  # plugin name -> (distribution, version)

    def source_of(self, plugin: str) -> tuple[str, str]:
        """``(distribution, version)`` of the plugin that registered something ('' for in-process plugins)."""
        return self.sources.get(plugin, ("", ""))

    @classmethod
    def collect(cls, manager: PluginManager, config: Any) -> Registry:
        """Call ``register_tasks`` and ``register_modules`` of every plugin, each on its own."""
        registry = cls()
        registry.failures.extend(manager.failures)
        registry.sources.update(manager.distributions)
        registry._run_hook(manager, "register_tasks", config, _as_task_spec, registry.tasks)
        registry._run_hook(manager, "register_modules", config, _as_module_spec, registry.modules)
        return registry

    def _run_hook(
        self,
        manager: PluginManager,
        hook_name: str,
        config: Any,
        convert: Callable[[Any], Any],
        into: dict[str, Any],
    ) -> None:
        from dosaku.plugin_failure import failure

        hook = getattr(manager.hook, hook_name)
        for impl in hook.get_hookimpls():  # registration order
            plugin_name = impl.plugin_name
            distribution, version = manager.source_of(plugin_name)
            registered: list[Any] = []

            def register(item: Any, _registered: list[Any] = registered) -> None:
                _registered.append(convert(item))

            arguments = {"register": register, "config": config}
            try:
                impl.function(*[arguments[name] for name in impl.argnames])
            except Exception as error:  # noqa: BLE001 - one bad plugin must not stop the others
                self.failures.append(failure(plugin_name, "hook", error, distribution, version))
                continue
            try:
                self._add(registered, into, plugin_name)
            except ValueError as error:
                self.failures.append(failure(plugin_name, "register", error, distribution, version))

    @staticmethod
    def _add(items: Iterable[Any], into: dict[str, Any], plugin: str) -> None:
        items = [item.replace(plugin=plugin) for item in items]
        for item in items:  # all or nothing: a duplicate undoes the plugin's whole registration
            if item.name in into:
                raise ValueError(f"{item.name!r} is already registered by plugin {into[item.name].plugin!r}")
        for item in items:
            into[item.name] = item

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
