"""The ``dosaku`` command line. Commands come from plugins' ``register_commands`` hooks, core's own included."""
from __future__ import annotations

import sys

import click

from dosaku.plugins import PluginManager, plugin_manager


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dosaku")
def cli() -> None:
    """Dosaku: a personal AI assistant that learns tasks through pluggable modules."""


def build_cli(manager: PluginManager | None = None) -> click.Group:
    """The ``dosaku`` group with every plugin's commands added."""
    manager = manager if manager is not None else plugin_manager()
    for impl in manager.hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as error:  # noqa: BLE001 - a bad plugin must not break the CLI
            click.echo(f"warning: plugin {impl.plugin_name!r} failed to add commands: {error}", err=True)
    return cli


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``dosaku`` console script."""
    build_cli()(args=argv if argv is not None else sys.argv[1:], prog_name="dosaku")
