"""The ``gnugo`` plugin: the ``GnuGo`` module for ``PlayGo`` and the ``dosaku gtp`` command. Imports only ``dosaku``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku import ModuleSpec, hookimpl


@hookimpl
def register_modules(register: Callable[[ModuleSpec], None], config: Any) -> None:
    register(
        ModuleSpec(
            "GnuGo",
            tasks=("PlayGo",),
            target="dosaku_gnugo.gnugo:GnuGo",
            summary="Plays Go with GNU Go (or any GTP engine set in [GTP] COMMAND) in a subprocess.",
        )
    )


@hookimpl
def register_commands(cli: Any) -> None:
    from dosaku_gnugo.cli import gtp

    cli.add_command(gtp)
