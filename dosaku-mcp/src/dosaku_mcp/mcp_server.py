"""Dosaku as an MCP server: an agent's tasks as MCP tools (``dosaku mcp serve``).

Each action is one tool named ``Task__action``, described by :func:`dosaku.agents.tools.action_tool`: the very
schema the Dosaku agent offers its own chat model (type hints and docstrings). Tasks are learned on their first call,
by an agent made with exactly the permissions given (a refused service or executor is an error result saying how to
allow it). Results come back as MCP content (:mod:`dosaku_mcp.content`): images as image content, also kept as
artifacts (``'artifact-1'``) that later calls may pass as image arguments. Actions that run code in the server's own
process (``Tester.exec``) are never offered.

Example::

    server = DosakuMCPServer(Agent(), tasks=['TextToImage'])
    server.tools()            # [Tool(name='TextToImage__text_to_image', ...)]
    server.run_stdio()        # or server.run_http(8765)
"""
from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from dosaku.agents.artifacts import ArtifactStore
from dosaku.agents.toolbox import HIDDEN_ACTIONS
from dosaku.agents.tools import ARTIFACT, action_tool, json_schema
from dosaku.errors import DosakuError, PermissionRequired
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError as SDKError

from dosaku_mcp.content import resolve_image, to_content
from dosaku_mcp.servers import server_of_target

log = logging.getLogger(__name__)


def default_tasks(agent: Any) -> list[str]:
    """The tasks offered when none are named: each learnable task some module this agent may use does, except the
    tasks of configured MCP servers (so that two Dosakus never serve each other in a loop)."""
    found = []
    for task in agent.learnable_tasks:
        spec = agent.registry.task(task)
        if server_of_target(spec.target) is not None:
            continue
        kinds = {agent.registry.module(name).kind for name in agent.learnable_modules(task)}
        if any(agent.permits(kind) for kind in kinds):
            found.append(task)
    return found


class DosakuMCPServer:
    """The MCP server of one agent.

    Args:
        agent: The agent whose tasks are offered (its permissions are the server's).
        tasks: The tasks to offer (default :func:`default_tasks`).

    Raises:
        TaskNotFound: a named task is not learnable.
    """

    def __init__(self, agent: Any, tasks: list[str] | None = None):
        self.agent = agent
        names = list(dict.fromkeys(tasks)) if tasks else default_tasks(agent)
        for task in names:
            agent.registry.task(task)  # TaskNotFound, with close matches
        self.tasks = names
        self.store = ArtifactStore()
        self._learn_lock = threading.Lock()
        self._task_locks = {task: threading.Lock() for task in names}
        self._tools: dict[str, tuple[str, str, dict[str, Any]]] | None = None

    # --- the tools -------------------------------------------------------------------------------------------
    def _describe(self) -> dict[str, tuple[str, str, dict[str, Any]]]:
        if self._tools is None:
            from dosaku.task import optional_actions, required_actions

            tools: dict[str, tuple[str, str, dict[str, Any]]] = {}
            for task in self.tasks:
                try:
                    task_class = self.agent.registry.task(task).load()
                    actions = required_actions(task_class) + optional_actions(task_class)
                    for action in actions:
                        if (task, action) in HIDDEN_ACTIONS:
                            continue
                        function = action_tool(task, task_class, action)["function"]
                        tools[function["name"]] = (task, action, function)
                except Exception:  # noqa: BLE001 - a task that cannot describe itself is left out, and logged
                    log.exception("Could not describe the task %s as MCP tools", task)
            self._tools = tools
        return self._tools

    def tools(self) -> list[types.Tool]:
        """The MCP tools offered (optional actions a module may lack answer with an error when called)."""
        return [types.Tool(name=name, description=function["description"], input_schema=function["parameters"])
                for name, (_, _, function) in self._describe().items()]

    # --- a call ----------------------------------------------------------------------------------------------
    def call(self, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        """Run the tool ``name`` (in the calling thread). Tool failures are error results; an unknown tool raises the
        SDK's ``MCPError`` (invalid params), as the protocol asks."""
        tools = self._describe()
        if name not in tools:
            raise SDKError(code=types.INVALID_PARAMS, message=f"Unknown tool: {name}. Tools: {', '.join(tools)}")
        task, action, _ = tools[name]
        try:
            learned = self._learned(task)
            if action not in dir(learned):
                raise DosakuError(f"The module doing {task} ({learned}) does not implement {action}.")
            bound = self._bind(task, action, arguments)
            with self._task_locks[task]:
                value = _settle(getattr(learned, action)(**bound))
            return types.CallToolResult(content=to_content(value, self.store))
        except PermissionRequired as refusal:
            flag = "--enable-services" if "service" in str(refusal).lower() else "--enable-executors"
            return _error(f"{type(refusal).__name__}: {refusal} This server was started without that permission; "
                          f"whoever runs `dosaku mcp serve` can allow it with {flag}.")
        except Exception as error:  # noqa: BLE001 - the client (a model) reads it and can recover
            log.info("MCP call %s failed: %s: %s", name, type(error).__name__, error)
            return _error(f"{type(error).__name__}: {error}")

    def _learned(self, task: str) -> Any:
        with self._learn_lock:
            if task not in self.agent.tasks:
                log.info("learning %s for an MCP call", task)
                self.agent.learn(task)
        return getattr(self.agent, task)

    def _bind(self, task: str, action: str, arguments: dict[str, Any]) -> dict[str, Any]:
        function = getattr(self.agent.registry.task(task).load(), action)
        signature = inspect.signature(function)
        try:
            signature.bind(None, **arguments)
        except TypeError as error:
            raise DosakuError(f"Bad arguments for {task}.{action}: {error}.") from None
        resolved = {}
        for key, value in arguments.items():
            parameter = signature.parameters.get(key)
            is_artifact = parameter is not None and json_schema(parameter.annotation).get("description") == ARTIFACT
            resolved[key] = resolve_image(value, self.store) if is_artifact else value
        return resolved

    # --- serving ---------------------------------------------------------------------------------------------
    def server(self) -> Server:
        """The SDK's low-level server with this server's handlers."""

        async def on_list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
            return types.ListToolsResult(tools=self.tools())

        async def on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
            name, arguments = params.name, dict(params.arguments or {})
            return await anyio.to_thread.run_sync(self.call, name, arguments)

        from dosaku import __version__

        return Server("dosaku", version=__version__, on_list_tools=on_list_tools, on_call_tool=on_call_tool,
                      instructions="Dosaku's tasks as tools: each tool Task__action is an action of a Dosaku task. "
                                   "Images come back as image content and as artifact ids such as 'artifact-1', "
                                   "which image arguments of later calls accept.")

    def run_stdio(self) -> None:
        """Serve MCP on stdin/stdout until the client closes stdin."""
        from mcp.server.stdio import stdio_server

        server = self.server()

        async def main() -> None:
            async with stdio_server() as (read, write):
                await server.run(read, write, server.create_initialization_options())

        anyio.run(main)

    def run_http(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve streamable HTTP on ``host:port`` (path ``/mcp``) until interrupted."""
        import uvicorn

        app = self.server().streamable_http_app(host=host)
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()


def _settle(value: Any) -> Any:
    """A streamed result (an iterator of partial results, each the whole so far) as its last item."""
    if isinstance(value, Iterator):
        last = None
        for item in value:
            last = item
        return last
    return value


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)

