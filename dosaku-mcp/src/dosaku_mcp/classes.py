"""The task class and the module class of one MCP server, made from its tool list.

The task has one abstract action per tool (signature from the tool's JSON schema, docstring from its description,
see :mod:`dosaku_mcp.schema`), so ``agent.api``, ``agent.doc``, ``dosaku doc`` and the Dosaku agent's tool schemas
see it as any other task. The module subclasses it and :class:`~dosaku_mcp.client_module.MCPServerModule` (or the
service variant, for a URL), each action calling its tool.

The tool list comes from the cache (:mod:`dosaku_mcp.tool_cache`); when there is none, the server is started once to
list its tools. Classes are kept per server configuration and tool list, so learning twice reuses them.

Example::

    task_class, module_class = classes_for(server_entry)
    required_actions(task_class)     # ['get_current_time', 'convert_time']
"""
from __future__ import annotations

import abc
import hashlib
import json
from typing import Any

from dosaku import DosakuError, Task

from dosaku_mcp import tool_cache
from dosaku_mcp.built_classes import forget, get_or_build
from dosaku_mcp.client_module import MCPServerModule, MCPServerService
from dosaku_mcp.errors import MCPConfigError, MCPError
from dosaku_mcp.schema import Action
from dosaku_mcp.servers import OPTIONS, SECTION, ServerEntry
from dosaku_mcp.tool_cache import ToolListing

#: Names an action may not take: the module's own attributes, and the learned task's.
RESERVED = frozenset(dir(MCPServerService)) | {"module", "default_action", "self", "mcp_tools"}


class MCPArgumentError(MCPError, TypeError):
    """An action of an MCP task was called with arguments its tool does not take."""


def fetch_listing(server: ServerEntry) -> ToolListing:
    """Start ``server``, read its tools, stop it, and cache the list.

    Raises:
        MCPServerNotStarted: it could not be started.
    """
    from dosaku_mcp.connection import Connection

    connection = Connection(server)
    try:
        listing = connection.start()
    finally:
        connection.close()
    tool_cache.save(server, listing)
    return listing


def _check(server: ServerEntry) -> None:
    if server.problem:
        raise MCPConfigError(
            f"The MCP server {server.name!r} is misconfigured: {server.problem}. Fix [{SECTION}] {server.name} (or "
            f"[{OPTIONS}] {server.name}.*) in {server.config_path}.", server=server.name)


def classes_for(server: ServerEntry) -> tuple[type, type]:
    """``(task class, module class)`` of ``server``, from its cached tool list (fetched when there is none)."""
    _check(server)
    listing = tool_cache.load(server) or fetch_listing(server)
    digest = hashlib.sha256(json.dumps(listing.as_dict() | {"fetched": 0}, sort_keys=True).encode()).hexdigest()
    key = (server.config_path, server.name, server.fingerprint(), server.task, server.kind, server.timeout,
           server.start_timeout, digest)
    return get_or_build(key, lambda: build(server, listing))


def _task_doc(server: ServerEntry, listing: ToolListing, actions: list[Action]) -> str:
    peer = f" It calls itself {listing.server_name} {listing.server_version}".rstrip() + "."
    peer = peer if listing.server_name else ""
    how = "streamable HTTP at" if server.is_http else "the command"
    auth = f" It is sent the {server.auth()}." if server.api_key else ""
    lines = [f"Tools of the MCP server '{server.name}'.", f"Served over {how} {server.describe()}.{auth}{peer}"]
    if listing.instructions.strip():
        lines.append(listing.instructions.strip())
    lines.append("Actions (one per tool): " + ", ".join(action.name for action in actions) + ".")
    if server.kind == "service":
        lines.append("It is a service: your arguments are sent to the server, so it needs enable_services=True.")
    return "\n\n".join(lines)


def _abstract(task: str, action: Action) -> Any:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(action.name)

    method.__name__, method.__qualname__, method.__doc__ = action.name, f"{task}.{action.name}", action.doc
    method.__signature__ = action.signature  # type: ignore[attr-defined]
    parameters = action.signature.parameters.items()
    method.__annotations__ = {name: parameter.annotation for name, parameter in parameters if name != "self"}
    return abc.abstractmethod(method)


def _concrete(task: str, module: str, action: Action) -> Any:
    def method(self: MCPServerModule, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = action.signature.bind(self, *args, **kwargs)
        except TypeError as error:
            raise MCPArgumentError(f"Bad arguments for {task}.{action.name}: {error}. It takes "
                                   f"{action.signature}.", server=self.server) from None
        return self.call_tool(action.tool, action.arguments(bound), idempotent=action.idempotent)

    method.__name__, method.__qualname__, method.__doc__ = action.name, f"{module}.{action.name}", action.doc
    method.__signature__ = action.signature  # type: ignore[attr-defined]
    return method


def build(server: ServerEntry, listing: ToolListing) -> tuple[type, type]:
    """Make the task and module classes of ``server`` from ``listing``."""
    taken = set(RESERVED)
    actions = []
    for tool in listing.tools:
        try:
            actions.append(Action.from_tool(tool, taken, server.task))
        except (KeyError, TypeError, ValueError) as error:
            raise MCPError(f"The MCP server {server.name!r} lists a tool Dosaku cannot read "
                           f"({tool.get('name', '?')!r}: {error}).", server=server.name) from error
    task_namespace: dict[str, Any] = {
        "__doc__": _task_doc(server, listing, actions), "__module__": "dosaku_mcp.tasks",
        "default_action": actions[0].name if len(actions) == 1 else None,
        "mcp_tools": {action.name: action.tool for action in actions},
    }
    task_namespace.update({action.name: _abstract(server.task, action) for action in actions})
    task_class = type(server.task, (Task,), task_namespace)
    base = MCPServerService if server.kind == "service" else MCPServerModule
    module_namespace: dict[str, Any] = {
        "__doc__": f"The client of the MCP server '{server.name}': does the task {server.task}.",
        "__module__": "dosaku_mcp.tasks", "mcp_server": server, "mcp_listing": listing,
    }
    module_namespace.update({action.name: _concrete(server.task, server.module_name, action) for action in actions})
    module_class = type(server.module_name, (base, task_class), module_namespace)
    if getattr(module_class, "__abstractmethods__", None):
        raise DosakuError(f"internal: {server.module_name} lacks {sorted(module_class.__abstractmethods__)}")
    return task_class, module_class


def refresh_tools(name: str | None = None, config: Any = None) -> dict[str, ToolListing]:
    """Start each configured MCP server (or only ``name``), read its tools and cache them; returns them by server.

    Learned tasks keep the actions they were learned with; learn them again to see new tools.

    Raises:
        MCPConfigError: ``name`` is not configured, or its entry is misconfigured.
        MCPServerNotStarted: a server could not be started.

    Example::

        from dosaku_mcp import refresh_tools
        refresh_tools('time')['time'].tools[0]['name']    # 'get_current_time'
    """
    from dosaku.config import Config

    from dosaku_mcp.servers import entry, read_servers

    config = config if config is not None else Config()
    servers = [entry(config, name)] if name else read_servers(config)
    found = {}
    for server in servers:
        _check(server)
        found[server.name] = fetch_listing(server)
        forget(server)
    return found
