"""``dosaku gui-user add|remove|list``: the GUI's logins (password hashes in config.ini, never the password)."""
from __future__ import annotations

import sys

import click

from dosaku_gui.auth import GuiAuthError, GuiUsers


@click.group("gui-user")
def gui_user() -> None:
    """Manage who may log in to the GUI (required beyond 127.0.0.1 or with --share)."""


@gui_user.command("add")
@click.argument("name")
def add(name: str) -> None:
    """Add the user NAME (or change their password); the password is read from a hidden prompt or stdin."""
    if sys.stdin.isatty():
        password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    users = GuiUsers()
    try:
        stored = users.add(name, password)
    except GuiAuthError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"GUI user {stored!r} saved (a scrypt hash) in {users.config.path}")


@gui_user.command("remove")
@click.argument("name")
def remove(name: str) -> None:
    """Remove the user NAME (their logged conversations stay in the log)."""
    try:
        GuiUsers().remove(name)
    except GuiAuthError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"GUI user {name.lower()!r} removed")


@gui_user.command("list")
def list_users() -> None:
    """List the GUI's users."""
    for name in GuiUsers().names():
        click.echo(name)
