"""Core's own ``dosaku`` commands: tasks, modules, plugins, doc, config and keys."""
from __future__ import annotations

import json
import sys

import click

from dosaku.errors import DosakuError


def _agent():
    from dosaku.cli import cli_agent

    return cli_agent()


def _fail(error: DosakuError) -> None:
    raise click.ClickException(str(error))


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Also list tasks that a pack not yet installed would add.")
def tasks(show_all: bool) -> None:
    """List the tasks that can be learned, with the modules that do each."""
    agent = _agent()
    installable = set(agent.installable_tasks) if show_all else set()
    for name in sorted(set(agent.learnable_tasks) | installable):
        if name in installable:
            pack = agent.catalog.packs_for_task(name)[0]
            click.echo(f"{name:<20} not installed: `dosaku install {name}` adds {pack.distribution}")
            continue
        spec = agent.registry.task(name)
        modules = ", ".join(agent.learnable_modules(name)) or "(no module installed)"
        click.echo(f"{name:<20} {spec.summary}  [{modules}]")


def _confirmed(plan, yes: bool) -> bool:
    click.echo(plan.describe())
    return yes or click.confirm("Go ahead?", default=False)


@click.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--from", "source", type=click.Path(exists=True), help="A folder of wheels or a wheel (offline).")
def install(name: str, yes: bool, source: str | None) -> None:
    """Install the module pack NAME (a pack, or a task a pack provides) with this Python's pip."""
    agent = _agent()
    try:
        agent.install(name, approve=lambda plan: _confirmed(plan, yes), source=source, show=click.echo)
    except DosakuError as error:
        _fail(error)
    click.echo(f"Installed. Tasks now learnable: {', '.join(agent.learnable_tasks)}")


@click.command()
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def uninstall(name: str, yes: bool) -> None:
    """Uninstall the module pack NAME."""
    agent = _agent()
    try:
        agent.uninstall(name, approve=lambda plan: _confirmed(plan, yes), show=click.echo)
    except DosakuError as error:
        _fail(error)
    click.echo("Uninstalled.")


@click.command()
@click.argument("task", required=False)
def modules(task: str | None) -> None:
    """List the installed modules (for TASK, best first), their kind and their plugin."""
    agent = _agent()
    try:
        names = agent.learnable_modules(task)
    except DosakuError as error:
        _fail(error)
    for name in names:
        spec = agent.registry.module(name)
        tasks = ", ".join(spec.tasks)
        click.echo(f"{name:<24} {spec.kind:<9} tasks: {tasks:<28} plugin: {spec.plugin}  {spec.summary}")


@click.command()
@click.option("--traceback", "show_traceback", is_flag=True, help="Show the full traceback of each failure.")
def plugins(show_traceback: bool) -> None:
    """List the loaded plugins and every plugin that failed."""
    agent = _agent()
    manager = agent.plugin_manager
    for name, _plugin in sorted(manager.list_name_plugin()):
        distribution, version = manager.source_of(name)
        click.echo(f"ok     {name:<32} {distribution} {version}".rstrip())
    for failure in agent.plugin_errors:
        click.echo(f"ERROR  {failure.plugin:<32} {failure.distribution} {failure.version} "
                   f"[{failure.phase}] {failure.error}")
        if show_traceback:
            click.echo(failure.traceback)


@click.command()
@click.argument("task")
@click.argument("action", required=False)
def doc(task: str, action: str | None) -> None:
    """Show the documentation of TASK, or of one of its ACTIONs."""
    agent = _agent()
    try:
        click.echo(agent.doc(task, action=action))
        if action is None:
            click.echo(f"\nActions: {', '.join(agent.api(task, include_optional=True))}")
    except DosakuError as error:
        _fail(error)


@click.group()
def config() -> None:
    """Show where the configuration lives and what it holds (secrets masked)."""


@config.command("path")
def config_path() -> None:
    """Print the path of config.ini."""
    from dosaku.config import Config

    click.echo(str(Config().path))


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def config_show(as_json: bool) -> None:
    """Print every configuration value, API keys masked."""
    from dosaku.config import Config

    shown = Config().as_dict()
    if as_json:
        click.echo(json.dumps(shown, indent=2))
        return
    for section, values in shown.items():
        click.echo(f"[{section}]")
        for key, value in values.items():
            click.echo(f"{key} = {value}")


@click.group()
def keys() -> None:
    """Store API keys in config.ini (mode 0600). Keys are read from a prompt or stdin, never from arguments."""


@keys.command("set")
@click.argument("name")
def keys_set(name: str) -> None:
    """Store the API key NAME (e.g. OPENAI, CLIPDROP), read from a hidden prompt or standard input."""
    from dosaku.config import Config

    if sys.stdin.isatty():
        value = click.prompt(f"API key for {name.upper()}", hide_input=True)
    else:
        value = sys.stdin.readline().strip()
    if not value:
        raise click.ClickException("No key given: type it at the prompt or pipe it on standard input.")
    config = Config()
    config.set("API_KEYS", name, value)
    click.echo(f"Stored [API_KEYS] {name.upper()} in {config.path}")


@keys.command("unset")
@click.argument("name")
def keys_unset(name: str) -> None:
    """Remove the API key NAME from config.ini."""
    from dosaku.config import Config

    config = Config()
    if not config.unset("API_KEYS", name):
        raise click.ClickException(f"There is no [API_KEYS] {name.upper()} in {config.path}.")
    click.echo(f"Removed [API_KEYS] {name.upper()} from {config.path}")


COMMANDS = (tasks, modules, plugins, doc, config, keys, install, uninstall)

from dosaku.cli.chat import ask, chat  # noqa: E402 - logs seam: the conversation log's commands (issue 19)
from dosaku.cli.logs import logs  # noqa: E402 - logs seam

COMMANDS = (*COMMANDS, logs, chat, ask)  # logs seam
