"""The ``dosaku`` command line. Commands come from plugins' ``register_commands`` hooks, core's own included."""
from __future__ import annotations

import logging
import sys

import click

from dosaku.plugins import PluginManager, plugin_manager


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dosaku")
@click.option("-v", "--verbose", count=True, help="Log more (-v: info, -vv: debug).")
def cli(verbose: int) -> None:
    """Dosaku: a personal AI assistant that learns tasks through pluggable modules."""
    level = {0: logging.ERROR, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def build_cli(manager: PluginManager | None = None) -> click.Group:
    """The ``dosaku`` group with every plugin's commands added."""
    logging.getLogger("dosaku.plugins").setLevel(logging.ERROR)  # `dosaku plugins` shows failures itself
    manager = manager if manager is not None else plugin_manager()
    logging.getLogger("dosaku.plugins").setLevel(logging.NOTSET)
    for impl in manager.hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as error:  # noqa: BLE001 - a bad plugin must not break the CLI
            click.echo(f"warning: plugin {impl.plugin_name!r} failed to add commands: {error}", err=True)
    cli.context_settings["obj"] = manager
    return cli


def cli_agent(**kwargs: object):
    """An Agent for a command, sharing the command line's plugin manager."""
    from dosaku.agent import Agent

    context = click.get_current_context(silent=True)
    manager = context.find_root().obj if context is not None else None
    return Agent(plugin_manager=manager, **kwargs)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``dosaku`` console script."""
    build_cli()(args=argv if argv is not None else sys.argv[1:], prog_name="dosaku")
