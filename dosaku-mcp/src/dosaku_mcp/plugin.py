"""The dosaku-mcp plugin: each configured MCP server is a task (with one module that does it), and the ``dosaku mcp``
and ``dosaku serve`` commands.

It imports only dosaku (and the standard library): listing tasks neither imports the MCP SDK nor starts a server.
Each spec's target names the server by its config file and name (see :attr:`dosaku_mcp.servers.ServerEntry.key`);
the task and module classes are built from the server's tool list when a task is learned or documented.
"""
from __future__ import annotations

from typing import Any

from dosaku import ModuleSpec, TaskSpec, hookimpl

from dosaku_mcp.servers import read_servers


def _servers(config: Any) -> list[Any]:
    if config is None:
        from dosaku.config import Config

        config = Config()
    return read_servers(config)


@hookimpl
def register_tasks(register: Any, config: Any) -> None:
    for server in _servers(config):
        register(TaskSpec(server.task, target=f"dosaku_mcp.tasks:TASKS.{server.key}", summary=server.summary(),
                          default_module=server.module_name))


@hookimpl
def register_modules(register: Any, config: Any) -> None:
    for server in _servers(config):
        register(ModuleSpec(server.module_name, tasks=(server.task,), target=f"dosaku_mcp.tasks:MODULES.{server.key}",
                            kind=server.kind, summary=f"The MCP client of the server '{server.name}'."))


@hookimpl
def register_commands(cli: Any) -> None:
    from dosaku_mcp.cli import mcp_group, serve

    cli.add_command(mcp_group)
    cli.add_command(serve)
