"""What plugins register: cheap, lazy descriptions of tasks and modules (nothing heavy is imported).

A spec names its class by a ``target`` string, ``'package.module:ClassName'``, imported only when a task is learned,
so listing what is learnable imports no model library.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from dosaku.errors import ModuleLoadError

KINDS = ("module", "service", "executor")


def import_target(target: str | type) -> Any:
    """Import ``'package.module:Attribute'`` (``Attribute`` may be dotted) and return the attribute; a class given as
    target is returned as it is.

    Example::

        import_target('dosaku.modules.echo_bot:EchoBot')   # <class 'dosaku.modules.echo_bot.EchoBot'>
    """
    if not isinstance(target, str):
        return target
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ModuleLoadError(f"Bad target {target!r}: expected 'package.module:Attribute'.")
    value: Any = importlib.import_module(module_name)
    try:
        for part in attr.split("."):
            value = getattr(value, part)
    except AttributeError as error:
        raise ModuleLoadError(f"{module_name!r} has no attribute {attr!r} (target {target!r}).") from error
    return value


@dataclass(frozen=True)
class TaskSpec:
    """A task a plugin makes learnable.

    Args:
        name: The task's name, ``LikeThis``.
        target: Where the task spec class lives, ``'package.module:ClassName'``.
        summary: One line saying what the task is.
        default_module: The module learned for this task when the user names none and configured none.
        plugin: The plugin that registered it (set by the registry; not part of equality).

    Example::

        TaskSpec('Chat', target='dosaku.tasks.chat:Chat', default_module='EchoBot')
    """

    name: str
    target: str | type
    summary: str = ""
    default_module: str | None = None
    plugin: str = field(default="", compare=False)

    def load(self) -> type:
        """Import and return the task spec class."""
        return import_target(self.target)


@dataclass(frozen=True)
class ModuleSpec:
    """A module a plugin makes learnable, described without importing it.

    Args:
        name: The module's name, e.g. ``'GFPGAN'``.
        tasks: The names of the tasks it implements.
        target: Where its class lives, ``'package.module:ClassName'``; imported only when a task is learned.
            (In-process plugins, e.g. in tests, may pass the class itself.)
        kind: ``'module'``, ``'service'`` (sends data to a remote API) or ``'executor'`` (runs generated code).
        priority: Higher wins when the agent picks a module for a task by itself.
        needs_key: The ``[API_KEYS]`` entry a service needs, e.g. ``'OPENAI'`` (``dosaku keys`` lists it, and
            :meth:`dosaku.Config.api_key` reads it).
        key_env_var: The environment variable that may hold that key (default ``<NEEDS_KEY>_API_KEY``, e.g.
            ``'OPENAI_API_KEY'``).
        device: Where it runs by default: ``'cpu'``, ``'cuda'`` or ``'auto'`` (an accelerator when there is one).
        memory_mb: Approximate memory its loaded model takes, for the resource manager.
        shareable: One instance may serve several agents (stateless modules only).
        summary: One line saying what it does.
        plugin: The plugin that registered it (set by the registry; not part of equality).

    Example::

        ModuleSpec('GFPGAN', tasks=('RestoreFaces',), target='dosaku_tencent.gfpgan:GFPGAN',
                   device='auto', memory_mb=1500, summary='Face restoration with Tencent GFPGAN.')
    """

    name: str
    tasks: tuple[str, ...]
    target: str | type
    kind: str = "module"
    priority: int = 0
    needs_key: str | None = None
    key_env_var: str | None = None
    device: str = "cpu"
    memory_mb: int | None = None
    shareable: bool = False
    summary: str = ""
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"ModuleSpec {self.name!r}: kind must be module, service or executor, not {self.kind!r}")
        if isinstance(self.tasks, str):
            object.__setattr__(self, "tasks", (self.tasks,))
        else:
            object.__setattr__(self, "tasks", tuple(self.tasks))
        if self.needs_key:
            object.__setattr__(self, "needs_key", self.needs_key.upper())
            if self.key_env_var is None:
                object.__setattr__(self, "key_env_var", f"{self.needs_key}_API_KEY")

    def load(self) -> type:
        """Import and return the module class."""
        return import_target(self.target)
