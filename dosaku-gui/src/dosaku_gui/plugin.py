"""The ``gui`` plugin: adds ``dosaku gui`` to the command line. Imports neither gradio nor the app."""
from __future__ import annotations

from typing import Any

from dosaku import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from dosaku_gui.cli import command

    cli.add_command(command, name="gui")
