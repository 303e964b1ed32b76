"""Where a learned module runs: in the agent's process (``'local'``), or wherever a plugin's ``dosaku_placement``
hook puts it (``'ray'`` with dosaku-ray...). Placement is configuration, not code: ``learn(..., placement='ray')``
or ``[PLACEMENT] <ModuleName> = ray`` in config.ini.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from dosaku.errors import DosakuError, ModuleLoadError, PlacementNotAvailable
from dosaku.spec import ModuleSpec

log = logging.getLogger("dosaku.agent")

#: The placement of a module built in the agent's own process.
LOCAL = "local"


def build(spec: ModuleSpec, module_class: type, kwargs: dict[str, Any]) -> Any:
    """``module_class(**kwargs)``: DosakuErrors pass, any other failure becomes :class:`ModuleLoadError`.

    Example::

        build(spec, EchoBot, {})   # an EchoBot
    """
    try:
        return module_class(**kwargs)
    except DosakuError:
        raise
    except Exception as error:
        raise ModuleLoadError(f"The module {spec.name!r} failed to start: {type(error).__name__}: {error}") from error


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


def placement_of(config: Any, spec: ModuleSpec, placement: str | None) -> str:
    """Where ``spec``'s module runs: ``placement``, else ``[PLACEMENT] <ModuleName>``, else local.

    Example::

        placement_of(config, spec, None)   # 'local' unless config.ini says otherwise
    """
    where = placement if placement is not None else config.get("PLACEMENT", spec.name)
    return (where or LOCAL).strip().lower() or LOCAL


def place(plugin_manager: Any, placement: str, factory: ModuleFactory, agent: Any) -> Any:
    """Ask the plugins for a stand-in of ``factory``'s module placed on ``placement`` (``factory()`` builds it there).

    Raises:
        PlacementNotAvailable: no installed plugin handles ``placement``.
    """
    stand_in = plugin_manager.hook.dosaku_placement(placement=placement, spec=factory.spec, factory=factory,
                                                    agent=agent)
    if stand_in is None:
        raise PlacementNotAvailable(placement, factory.spec.name)
    log.info("%s placed %s on %s", getattr(agent, "name", "agent"), factory.spec.name, placement)
    return stand_in
