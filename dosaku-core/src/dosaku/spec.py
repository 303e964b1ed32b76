"""What plugins register: cheap, lazy descriptions of tasks and modules (nothing heavy is imported).

The specs are records (:mod:`dosaku.record`), not dataclasses, because every agent start reads them from the
registry cache.
"""
from __future__ import annotations

from dosaku.errors import ModuleLoadError
from dosaku.record import Record

TYPE_CHECKING = False  # typing's import would cost every start milliseconds
if TYPE_CHECKING:
    from typing import Any


def import_target(target: str | type) -> Any:
    """Import ``'package.module:Attribute'`` and return the attribute (a class given as target is returned)."""
    if not isinstance(target, str):
        return target
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ModuleLoadError(f"Bad target {target!r}: expected 'package.module:Attribute'.")
    import importlib

    module = importlib.import_module(module_name)
    try:
        value = module
        for part in attr.split("."):
            value = getattr(value, part)
        return value
    except AttributeError as error:
        raise ModuleLoadError(f"{module_name!r} has no attribute {attr!r} (target {target!r}).") from error


class TaskSpec(Record):
    """A task a plugin makes learnable.

    Args:
        name: The task's name, ``LikeThis``.
        target: Where the task spec class lives, ``'package.module:ClassName'``.
        summary: One line saying what the task is.
        default_module: The module learned for this task when the user names none and configured none.

    Example::

        TaskSpec('Chat', target='dosaku.tasks.chat:Chat', default_module='EchoBot')
    """

    __slots__ = ("name", "target", "summary", "default_module", "plugin")
    _UNCOMPARED = ("plugin",)  # which plugin registered it is set by the registry
    name: str
    target: str | type
    summary: str
    default_module: str | None
    plugin: str

    def __init__(
        self, name: str, target: str | type, summary: str = "", default_module: str | None = None, plugin: str = ""
    ):
        super().__init__(name, target, summary, default_module, plugin)

    def load(self) -> type:
        """Import and return the task spec class."""
        return import_target(self.target)


class ModuleSpec(Record):
    """A module a plugin makes learnable, described without importing it.

    Args:
        name: The module's name, e.g. ``'GFPGAN'``.
        tasks: The names of the tasks it implements.
        target: Where its class lives, ``'package.module:ClassName'``; imported only when a task is learned.
            (In-process plugins, e.g. in tests, may pass the class itself.)
        kind: ``'module'``, ``'service'`` (sends data to a remote API) or ``'executor'`` (runs generated code).
        priority: Higher wins when the agent picks a module for a task by itself.
        needs_key: The ``[API_KEYS]`` entry a service needs, e.g. ``'OPENAI'``.
        key_env_var: The environment variable that may hold that key, e.g. ``'OPENAI_API_KEY'``.
        device: Where it runs by default: ``'cpu'``, ``'cuda'`` or ``'auto'`` (an accelerator when there is one).
        memory_mb: Approximate memory its loaded model takes, for the resource manager.
        shareable: One instance may serve several agents (stateless modules only).
        summary: One line saying what it does.

    Example::

        ModuleSpec('GFPGAN', tasks=('RestoreFaces',), target='dosaku_tencent.gfpgan:GFPGAN',
                   device='auto', memory_mb=1500, summary='Face restoration with Tencent GFPGAN.')
    """

    __slots__ = ("name", "tasks", "target", "kind", "priority", "needs_key", "key_env_var", "device", "memory_mb",
                 "shareable", "summary", "plugin")
    _UNCOMPARED = ("plugin",)
    name: str
    tasks: tuple[str, ...]
    target: str | type
    kind: str
    priority: int
    needs_key: str | None
    key_env_var: str | None
    device: str
    memory_mb: int | None
    shareable: bool
    summary: str
    plugin: str

    def __init__(
        self,
        name: str,
        tasks: tuple[str, ...] | list[str] | str,
        target: str | type,
        kind: str = "module",
        priority: int = 0,
        needs_key: str | None = None,
        key_env_var: str | None = None,
        device: str = "cpu",
        memory_mb: int | None = None,
        shareable: bool = False,
        summary: str = "",
        plugin: str = "",
    ):
        if kind not in ("module", "service", "executor"):
            raise ValueError(f"ModuleSpec {name!r}: kind must be module, service or executor, not {kind!r}")
        tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
        super().__init__(name, tasks, target, kind, priority, needs_key, key_env_var, device, memory_mb, shareable,
                         summary, plugin)

    def load(self) -> type:
        """Import and return the module class."""
        return import_target(self.target)
