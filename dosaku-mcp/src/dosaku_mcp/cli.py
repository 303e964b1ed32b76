"""``dosaku mcp add|remove|list|refresh|serve`` and ``dosaku serve``. Importing this module imports click and dosaku
only; each command imports what it needs when it runs."""
from __future__ import annotations

import shlex
from typing import Any

import click
from dosaku.errors import DosakuError

from dosaku_mcp.servers import (
    LOOPBACK_HOSTS,
    NAME,
    OPTION_NAMES,
    OPTIONS,
    SECTION,
    TASK_NAME,
    ServerEntry,
    auth_problems,
    entry,
    is_url,
    server_of_target,
    task_name_for,
)


def _fail(error: Exception) -> None:
    raise click.ClickException(str(error))


def _config():
    from dosaku.config import Config

    return Config()


@click.group("mcp")
def mcp_group() -> None:
    """MCP both ways: MCP servers as tasks ([MCP_SERVERS] in config.ini), and the agent's tasks as an MCP server."""


@mcp_group.command("add")
@click.argument("name")
@click.argument("target", nargs=-1, required=True)
@click.option("--task", "task", help="The task's name (default: NAME in CamelCase).")
@click.option("--service", is_flag=True, help="Mark a local command as a service (it sends your data away). "
                                             "A URL is always one.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds a tool call may take.")
@click.option("--start-timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds it may take to start.")
@click.option("--api-key", "api_key", metavar="KEY_NAME", help="For a URL: send the API key KEY_NAME (set it with "
                                                               "`dosaku keys set KEY_NAME` or KEY_NAME_API_KEY; "
                                                               "never the key itself here).")
@click.option("--api-key-header", "api_key_header", metavar="HEADER",
              help="Send the API key raw in HEADER (e.g. X-API-Key) instead of as 'Authorization: Bearer KEY'.")
def mcp_add(name: str, target: tuple[str, ...], task: str | None, service: bool, timeout: float | None,
            start_timeout: float | None, api_key: str | None, api_key_header: str | None) -> None:
    """Add (or replace) the MCP server NAME: a command line (after --) or an http(s):// URL.

    \b
    dosaku mcp add time -- mcp-server-time --local-timezone UTC
    dosaku mcp add git -- mcp-server-git --repository /home/me/project
    dosaku mcp add weather https://weather.example.com/mcp
    dosaku mcp add github https://api.githubcopilot.com/mcp/ --api-key GITHUB
    """
    from dosaku.cli import cli_agent

    from dosaku_mcp import tool_cache

    if not NAME.match(name):
        raise click.ClickException(f"{name!r} is not a server name: use letters, digits, - and _ (a letter first).")
    task = task or task_name_for(name)
    if not TASK_NAME.match(task):
        raise click.ClickException(f"{task!r} is not a task name: use CamelCase letters and digits, e.g. --task Clock.")
    config = _config()
    name = name.lower()
    line = target[0] if len(target) == 1 and is_url(target[0]) else shlex.join(target)
    if is_url(line) and len(target) > 1:
        raise click.ClickException("A URL takes no arguments; for a command, put it after --.")
    api_key = api_key.strip().upper() if api_key else None
    api_key_header = api_key_header.strip() if api_key_header else None
    problems = auth_problems(name, line, api_key, api_key_header)
    if problems:
        raise click.ClickException(f"Not added: {'; '.join(problems)} (--api-key sets {name}.api_key, "
                                   f"--api-key-header {name}.api_key_header).")
    agent = cli_agent(config=config)
    taken = agent.registry.tasks.get(task)
    if taken is not None and server_of_target(taken.target) != name:
        raise click.ClickException(f"The task name {task!r} is taken (by {taken.plugin or 'another plugin'}); "
                                   f"choose another with --task.")
    config.set(SECTION, name, line)
    values = {"task": task if task != task_name_for(name) else None, "kind": "service" if service else None,
              "timeout": timeout, "start_timeout": start_timeout, "api_key": api_key,
              "api_key_header": api_key_header}
    for option in OPTION_NAMES:
        config.unset(OPTIONS, f"{name}.{option}")
        if values[option] is not None:
            config.set(OPTIONS, f"{name}.{option}", str(values[option]))
    tool_cache.clear(name)
    kind = "service" if service or is_url(line) else "module"
    click.echo(f"Added the MCP server {name!r} as the task {task} ({kind}) in {config.path}. Its tools are listed "
               f"when it is first learned or documented (or now: `dosaku mcp refresh {name}`).")
    server = entry(config, name)
    if server.api_key and config.api_key(server.api_key) is None:
        click.echo(f"It sends the API key {server.api_key}, which is not set yet: `dosaku keys set {server.api_key}` "
                   f"(or set {server.key_env_var}).")


def _servers(config) -> list[str]:
    from dosaku_mcp.servers import server_names

    return server_names(config)


@mcp_group.command("remove")
@click.argument("name")
def mcp_remove(name: str) -> None:
    """Remove the MCP server NAME (and its cached tool list)."""
    from dosaku_mcp import tool_cache

    config = _config()
    if not config.unset(SECTION, name):
        known = ", ".join(_servers(config)) or "none"
        raise click.ClickException(f"There is no MCP server {name.lower()!r} in [{SECTION}] of {config.path} "
                                   f"(configured: {known}).")
    for option in OPTION_NAMES:
        config.unset(OPTIONS, f"{name}.{option}")
    tool_cache.clear(name)
    click.echo(f"Removed the MCP server {name.lower()!r} from {config.path}.")


@mcp_group.command("list")
def mcp_list() -> None:
    """List the configured MCP servers, their tasks and cached tools (starts none)."""
    from dosaku_mcp import tool_cache
    from dosaku_mcp.servers import read_servers

    config = _config()
    servers = read_servers(config)
    if not servers:
        click.echo("No MCP servers are configured. Add one: dosaku mcp add time -- mcp-server-time")
        return
    for server in servers:
        listing = tool_cache.load(server)
        tools = f"{len(listing.tools)} tools cached" if listing else "tools not listed yet"
        state = f"  PROBLEM: {server.problem}" if server.problem else ""
        auth = _auth(config, server)
        click.echo(f"{server.name:<16} task {server.task:<14} {server.kind:<8} {server.describe()}{auth}  ({tools})"
                   f"{state}")


def _auth(config: Any, server: ServerEntry) -> str:
    """``', API key NAME as Authorization: Bearer'`` (and whether it is set, never the key), or ``''``."""
    if not server.api_key:
        return ""
    unset = "" if config.api_key(server.api_key) else f" (not set: `dosaku keys set {server.api_key}`)"
    return f", {server.auth()}{unset}"


@mcp_group.command("refresh")
@click.argument("name", required=False)
def mcp_refresh(name: str | None) -> None:
    """Start the MCP server NAME (or each one), read its tools now and cache them."""
    from dosaku_mcp.classes import refresh_tools

    try:
        found = refresh_tools(name, _config())
    except DosakuError as error:
        _fail(error)
    for server, listing in found.items():
        names = ", ".join(tool["name"] for tool in listing.tools) or "no tools"
        click.echo(f"{server}: {names}")


@mcp_group.command("serve")
@click.option("--task", "tasks", multiple=True, help="A task to offer (repeatable; default: every learnable task a "
                                                     "permitted module does, MCP servers' own tasks excepted).")
@click.option("--enable-services", is_flag=True, help="Allow services (modules that send data to remote APIs).")
@click.option("--enable-executors", is_flag=True, help="Allow executors (modules that may run generated code).")
@click.option("--http", "port", type=click.IntRange(0, 65535), default=None,
              help="Serve streamable HTTP on 127.0.0.1:PORT (path /mcp) instead of stdio.")
def mcp_serve(tasks: tuple[str, ...], enable_services: bool, enable_executors: bool, port: int | None) -> None:
    """Serve the agent's tasks as MCP tools, over stdio (for Claude Desktop, an IDE...) or streamable HTTP.

    The agent has exactly the permissions given here. Tasks are learned on their first call.
    """
    from dosaku.cli import cli_agent

    from dosaku_mcp.mcp_server import DosakuMCPServer

    try:
        agent = cli_agent(enable_services=enable_services, enable_executors=enable_executors)
        server = DosakuMCPServer(agent, list(tasks) or None)
    except DosakuError as error:
        _fail(error)
    if port is None:
        server.run_stdio()  # the SDK points fd 1 at stderr meanwhile: stray prints miss the wire
    else:
        click.echo(f"Serving {len(server.tools())} MCP tools on http://127.0.0.1:{port}/mcp", err=True)
        server.run_http(port)


@click.command("serve")
@click.option("--module", "module", help="The Chat module that answers (default: the one learn('Chat') picks).")
@click.option("--dosaku", "use_dosaku", is_flag=True, help="Answer with the Dosaku agent (it can call tools).")
@click.option("--chat-module", help="With --dosaku: its Chat module (default: the best that can call tools).")
@click.option("--task", "tasks", multiple=True, help="With --dosaku: tasks it learns first (repeatable).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--token", envvar="DOSAKU_SERVE_TOKEN", help="Require 'Authorization: Bearer TOKEN' (prefer the "
                                                          "DOSAKU_SERVE_TOKEN variable: arguments show in ps).")
@click.option("--enable-services", is_flag=True, help="Allow services (e.g. OpenAIChat).")
@click.option("--enable-executors", is_flag=True, help="Allow executors.")
@click.option("--instances", type=click.IntRange(min=1), default=4, show_default=True,
              help="At most this many module instances (conversations answered at once).")
def serve(module: str | None, use_dosaku: bool, chat_module: str | None, tasks: tuple[str, ...], host: str,
          port: int, token: str | None, enable_services: bool, enable_executors: bool, instances: int) -> None:
    """Serve an OpenAI-compatible API (/v1/models, /v1/chat/completions) backed by a Chat module or Dosaku.

    Stateless like the real API: each request's messages are the whole conversation.
    """
    from dosaku_mcp.chat_pool import ChatPool, DosakuPool
    from dosaku_mcp.openai_api import run

    if module and use_dosaku:
        raise click.ClickException("Give --module or --dosaku, not both.")
    if host not in LOOPBACK_HOSTS and not token:
        raise click.ClickException(f"Listening on {host} lets other machines in: set a token first "
                                   f"(DOSAKU_SERVE_TOKEN=... or --token).")
    permissions = {"enable_services": enable_services, "enable_executors": enable_executors}
    try:
        if use_dosaku:
            pool = DosakuPool(permissions, chat_module=chat_module, tasks=list(tasks), size=instances)
        else:
            pool = ChatPool(permissions, module=module, size=instances)
        pool.check()
    except DosakuError as error:
        _fail(error)
    click.echo(f"Serving the OpenAI API for {pool.model_id!r} on http://{host}:{port}/v1"
               + (" (bearer token required)" if token else ""), err=True)
    run(pool, host=host, port=port, token=token)

