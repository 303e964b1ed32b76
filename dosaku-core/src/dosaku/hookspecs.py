"""The hooks a Dosaku plugin may implement.

A plugin is a Python module with functions decorated by :data:`hookimpl`, registered under the entry-point group
``dosaku``::

    [project.entry-points.dosaku]
    tencent = "dosaku_tencent.plugin"

Example plugin module::

    from dosaku import ModuleSpec, hookimpl

    @hookimpl
    def register_modules(register, config):
        register(ModuleSpec('GFPGAN', tasks=('RestoreFaces',), target='dosaku_tencent.gfpgan:GFPGAN'))
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("dosaku")
hookimpl = pluggy.HookimplMarker("dosaku")


@hookspec
def register_tasks(register: Callable[..., None], config: Any) -> None:
    """Register task specs: call ``register(TaskSpec(...))`` (or ``register(TaskClass)``) for each."""


@hookspec
def register_modules(register: Callable[..., None], config: Any) -> None:
    """Register modules: call ``register(ModuleSpec(...))`` for each. Import nothing heavy here."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``dosaku`` command line (a :class:`click.Group`)."""


@hookspec(firstresult=True)
def dosaku_placement(placement: str, spec: Any, factory: Callable[[], Any], agent: Any) -> Any:
    """Place a module somewhere other than in this process.

    Called when a task is learned with ``placement`` other than ``'local'`` (argument or config
    ``[PLACEMENT] <ModuleName> = <placement>``). Return an object standing in for the module (its actions are
    called as the module's would be), or None if this plugin does not handle ``placement``. ``factory()``
    builds the module where it is called: a :class:`dosaku.learning.ModuleFactory` (``.spec``, ``.module_class``,
    ``.kwargs``), picklable, so it can be sent to another process or machine.

    The agent has already checked its permissions (a service still needs ``enable_services``) and the module's
    actions, both on the module class, before it calls this hook. Afterwards it treats the stand-in as the module:
    it reads its actions, sets ``stand_in.meter`` when the module is a service (the stand-in must meter the real
    calls with it), and calls ``stand_in.unload()`` when no agent uses it any more. A module whose spec is
    ``shareable`` is placed once per process and arguments and shared by the agents, as local ones are.

    Example (a plugin)::

        @hookimpl
        def dosaku_placement(placement, spec, factory, agent):
            if placement != 'ray':
                return None
            return place_on_ray(spec, factory, agent.config)
    """
