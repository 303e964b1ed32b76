"""Core's own ``dosaku`` commands: tasks, modules, plugins, doc, config and keys."""
from __future__ import annotations

import json
import sys

import click

from dosaku.cli.new_pack import new_pack
from dosaku.errors import DosakuError
from dosaku.services.command import spend


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
        key = ""
        if spec.needs_key:
            state = "set" if agent.config.api_key(spec.needs_key, spec.key_env_var) else "not set"
            key = f"  [key {spec.needs_key}: {state}]"
        click.echo(f"{name:<24} {spec.kind:<9} tasks: {tasks:<28} plugin: {spec.plugin}  {spec.summary}{key}")


@click.command()
@click.option("--traceback", "show_traceback", is_flag=True, help="Show the full traceback of each failure.")
@click.option("--check", "check", is_flag=True,
              help="Also import every registered target and check it (tasks exist, modules implement their tasks' "
                   "actions, kinds match); builds no module.")
def plugins(show_traceback: bool, check: bool) -> None:
    """List the loaded plugins and every plugin that failed; exit status 1 when any did (or --check found a
    problem)."""
    from dosaku.plugins.check import check_targets

    agent = _agent()
    manager, registry = agent.plugin_manager, agent.registry
    failed = registry.failed_plugins()
    for name, _plugin in sorted(manager.list_name_plugin()):
        distribution, version = manager.source_of(name)
        status = "ERROR" if name in failed else "ok"
        click.echo(f"{status:<6} {name:<32} {distribution} {version}".rstrip())
    for alias, name in sorted(manager.aliases.items()):
        click.echo(f"{'same':<6} {alias:<32} is the same module as plugin {name!r} (loaded once)")
    for failure in agent.plugin_errors:
        click.echo(f"ERROR  {failure.plugin:<32} {failure.distribution} {failure.version} "
                   f"[{failure.phase}] {failure.error}")
        if show_traceback and failure.traceback:
            click.echo(failure.traceback)
    problems = check_targets(registry) if check else []
    for problem in problems:
        click.echo(f"PROBLEM {problem}")
    if check:
        count = len(agent.plugin_errors) + len(problems)
        click.echo(f"checked {len(registry.tasks)} task(s) and {len(registry.modules)} module(s): "
                   f"{count or 'no'} problem(s)")
    if agent.plugin_errors or problems:
        sys.exit(1)


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


@keys.command("list")
def keys_list() -> None:
    """List the API keys the installed services need, and whether each is set (never the keys themselves)."""
    agent = _agent()
    needed: dict[str, tuple[str | None, list[str]]] = {}
    for spec in agent.registry.modules.values():
        if spec.needs_key:
            needed.setdefault(spec.needs_key, (spec.key_env_var, []))[1].append(spec.name)
    if not needed:
        click.echo("No installed service needs an API key.")
    for name, (variable, modules) in sorted(needed.items()):
        state = "set" if agent.config.api_key(name, variable) else "not set"
        click.echo(f"{name:<12} {state:<8} (${variable} or `dosaku keys set {name}`)  used by {', '.join(modules)}")


@keys.command("unset")
@click.argument("name")
def keys_unset(name: str) -> None:
    """Remove the API key NAME from config.ini."""
    from dosaku.config import Config

    config = Config()
    if not config.unset("API_KEYS", name):
        raise click.ClickException(f"There is no [API_KEYS] {name.upper()} in {config.path}.")
    click.echo(f"Removed [API_KEYS] {name.upper()} from {config.path}")


COMMANDS = (tasks, modules, plugins, doc, config, keys, install, uninstall, spend, new_pack)
