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

Registration is cheap and lazy: a hook registers *specs* naming ``'package.module:Class'`` targets, imported only
when a task is learned, so listing what is learnable imports no model library.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("dosaku")
hookimpl = pluggy.HookimplMarker("dosaku")


@hookspec
def register_tasks(register: Callable[..., None], config: Any) -> None:
    """Register task specs: call ``register(TaskSpec(...))`` (or ``register(TaskClass)``) for each.

    Example::

        @hookimpl
        def register_tasks(register):
            register(TaskSpec('ReverseText', target='dosaku_example.reverse:ReverseText', summary='Reverse a text.'))
    """


@hookspec
def register_modules(register: Callable[..., None], config: Any) -> None:
    """Register modules: call ``register(ModuleSpec(...))`` for each. Import nothing heavy here.

    Example::

        @hookimpl
        def register_modules(register):
            register(ModuleSpec('Reverser', tasks=('ReverseText',), target='dosaku_example.reverse:Reverser'))
    """


@hookspec
def register_prices(register: Callable[..., None], config: Any) -> None:
    """Register what a pack's services cost, so the spend limit can bound a call before it is sent: call
    ``register(model, price)`` for each model, ``price`` a :class:`dosaku.services.Price` or its text form
    (USD per million tokens, per image or per call). The user's ``[PRICES]`` in config.ini overrides them.

    Example::

        @hookimpl
        def register_prices(register):
            register('gpt-4o-mini', 'input=0.15, output=0.60')
            register('dall-e-3', Price(image=0.08))
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``dosaku`` command line (a :class:`click.Group`).

    Example::

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def hello():
                '''Say hello.'''
                click.echo('hello')
    """


@hookspec(firstresult=True)
def dosaku_placement(placement: str, spec: Any, factory: Callable[[], Any], agent: Any) -> Any:
    """Place a module somewhere other than in this process.

    Called when a task is learned with ``placement`` other than ``'local'`` (argument or config
    ``[PLACEMENT] <ModuleName> = <placement>``). Return an object standing in for the module (its actions are
    called as the module's would be), or None if this plugin does not handle ``placement``. ``factory()``
    builds the module where it is called: a :class:`dosaku.placement.ModuleFactory` (``.spec``, ``.module_class``,
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


#: The names of every hook, for spotting a plugin function that lacks ``@hookimpl``.
HOOK_NAMES = ("register_tasks", "register_modules", "register_prices", "register_commands", "dosaku_placement")
