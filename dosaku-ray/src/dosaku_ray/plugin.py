"""The dosaku-ray plugin: the ``ray`` placement and the ``dosaku ray`` commands. Imports only dosaku (and click)."""
from __future__ import annotations

from typing import Any

from dosaku import hookimpl

#: The placement name this plugin handles: ``learn(..., placement='ray')`` or ``[PLACEMENT] Module = ray``.
PLACEMENT = "ray"


@hookimpl
def dosaku_placement(placement: str, spec: Any, factory: Any, agent: Any) -> Any:
    if placement != PLACEMENT:
        return None
    from dosaku_ray.placement import place

    return place(spec, factory, agent.config)


@hookimpl
def register_commands(cli: Any) -> None:
    from dosaku_ray.cli import ray_group

    cli.add_command(ray_group)
