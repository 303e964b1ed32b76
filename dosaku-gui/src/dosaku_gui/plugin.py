"""The ``gui`` plugin: adds ``dosaku gui`` and ``dosaku gui-user`` to the command line. Imports no gradio."""
from __future__ import annotations

from typing import Any

from dosaku import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from dosaku_gui.cli import command

    cli.add_command(command, name="gui")
    from dosaku_gui.users_cli import gui_user

    cli.add_command(gui_user)
