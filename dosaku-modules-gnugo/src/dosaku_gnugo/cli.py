"""``dosaku gtp``: the agent's PlayGo as a GTP engine on standard input and output."""
from __future__ import annotations

import sys

import click
from dosaku.errors import DosakuError


@click.command()
@click.option("-m", "--module", default=None, help="The PlayGo module to use (default: the configured one, GnuGo).")
@click.option("--level", type=int, default=None, help="The engine's strength, e.g. 1 (weak, fast) to 10.")
@click.option("--engine", "engine_command", default=None,
              help="A GTP engine command line for GTP modules, e.g. 'katago gtp -model m.bin.gz'.")
def gtp(module: str | None, level: int | None, engine_command: str | None) -> None:
    """Be a GTP engine: answer Go Text Protocol commands on stdin/stdout with the agent's PlayGo.

    \b
    Example (GNU Go plays against Dosaku):
        gogui-twogtp -black 'dosaku gtp' -white 'gnugo --mode gtp' -size 9 -games 1
    """
    from dosaku.cli import cli_agent

    from dosaku_gnugo.server import GTPServer

    kwargs: dict[str, object] = {}
    if level is not None:
        kwargs["level"] = level
    if engine_command:
        kwargs["command"] = engine_command
    agent = cli_agent()
    try:
        agent.learn("PlayGo", module=module, **kwargs)
    except DosakuError as error:
        raise click.ClickException(str(error)) from None
    try:
        GTPServer(agent.PlayGo).serve(sys.stdin, sys.stdout)
    finally:
        agent.unlearn("PlayGo")
