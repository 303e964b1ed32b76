"""The module that does an MCP server's task: it starts the server when built (learning the task starts it), calls
its tools, restarts it once after a crash, and stops it on :meth:`unload` (the agent calls it on ``unlearn``) and at
exit. A local (stdio) server is a :class:`~dosaku.Module`; a remote one (a URL) is a :class:`~dosaku.Service`, so only
an agent with ``enable_services=True`` may learn it, and each of its calls goes through the service meter (as the
model ``mcp-<server>``: set ``[PRICES] mcp-<server> = call=0`` to let it pass a spend limit).

The per-tool action methods are added by :mod:`dosaku_mcp.classes`; :meth:`MCPServerModule.call_tool` calls any
tool by its MCP name.
"""
from __future__ import annotations

import logging
import threading
import weakref
from typing import Any, ClassVar

from dosaku import Module, Service

from dosaku_mcp.errors import MCPServerCrashed, MCPServerNotStarted
from dosaku_mcp.servers import ServerEntry
from dosaku_mcp.tool_cache import ToolListing

log = logging.getLogger(__name__)


class MCPServerModule(Module):
    """A client of one MCP server (its class is made per server by :mod:`dosaku_mcp.classes`).

    Args:
        timeout: Seconds a tool call may take (default ``[MCP_SERVER_OPTIONS] <server>.timeout``, else
            ``[MCP] TIMEOUT``, else 60).
        start_timeout: Seconds the server may take to start (default ``<server>.start_timeout``, else 30).

    Raises:
        MCPServerNotStarted: the server could not be started or reached.
        MCPAuthError: a remote server refused its API key (HTTP 401/403), or wants one and none is configured.
        MCPMissingKey: the API key ``[MCP_SERVER_OPTIONS] <server>.api_key`` names is not set.

    Example::

        agent.learn('Time', timeout=10)        # starts mcp-server-time
        agent.Time.get_current_time(timezone='Europe/Paris')
        agent.Time.module.call_tool('get_current_time', {'timezone': 'UTC'})
        agent.unlearn('Time')                  # stops it
    """

    mcp_server: ClassVar[ServerEntry]
    mcp_listing: ClassVar[ToolListing]

    def __init__(self, timeout: float | None = None, start_timeout: float | None = None):
        from dosaku_mcp.connection import Connection

        self._connection = Connection(self.mcp_server, timeout, start_timeout)
        self._lock = threading.RLock()
        self._restarted = False  # restarted after a crash, and no call has succeeded since
        self._given_up: MCPServerCrashed | None = None
        self._finalizer = weakref.finalize(self, self._connection.close)
        self.load()

    @property
    def server(self) -> str:
        """The server's configured name."""
        return self.mcp_server.name

    @property
    def tools(self) -> list[str]:
        """The MCP names of the server's tools (as listed when this class was made)."""
        return [tool["name"] for tool in self.mcp_listing.tools]

    def load(self) -> None:
        """Start the server now, unless it runs (calls start it too)."""
        with self._lock:
            if not self._connection.running:
                self._given_up = None
                listing = self._connection.start()
                self._notice(listing)

    def unload(self) -> None:
        """Stop the server. A later call starts it again."""
        with self._lock:
            self._connection.close()
            self._restarted, self._given_up = False, None

    def _notice(self, listing: ToolListing) -> None:
        """Cache the live tool list; say so when it is not the one this class was made from."""
        from dosaku_mcp import tool_cache
        from dosaku_mcp.built_classes import forget

        if listing.same_tools(self.mcp_listing):
            if tool_cache.load(self.mcp_server) is None:
                tool_cache.save(self.mcp_server, listing)
            return
        tool_cache.save(self.mcp_server, listing)
        forget(self.mcp_server)
        log.warning("The tools of the MCP server %r changed since they were listed; the new list is cached. "
                    "Learn %r again to use them.", self.server, self.mcp_server.task)

    def call_tool(self, tool: str, arguments: dict[str, Any] | None = None, *, idempotent: bool = False) -> Any:
        """Call the MCP tool ``tool`` and return its value (see :mod:`dosaku_mcp.results`).

        A server that crashed is restarted once; the call that was under way is repeated only when ``idempotent``
        (the tool says calling it twice does no harm), else :class:`~dosaku_mcp.errors.MCPServerCrashed` says it was
        not. A server that crashes again before any call succeeds is not restarted again.

        Raises:
            MCPToolError: the tool failed, or the server refused the call.
            MCPTimeout: no answer in time.
            MCPServerCrashed: the server died during the call.
            MCPMalformedResult: the answer was not valid MCP.
            MCPServerNotStarted: it had to be (re)started, and could not be.

        Example::

            agent.Git.module.call_tool('git_status', {'repo_path': '/home/me/project'})
        """
        from dosaku_mcp.results import to_python

        arguments = dict(arguments or {})
        reservation = self._reserve(tool)
        try:
            result = self._call(tool, arguments, idempotent)
            entry = self.mcp_listing.tool(tool) or {}
            value = to_python(result, self.server, tool, entry.get("output_schema"))
        except BaseException:
            if reservation is not None:
                reservation.release()
            raise
        if reservation is not None:
            reservation.settle(calls=1)
        return value

    def _reserve(self, tool: str) -> Any:
        if getattr(self, "kind", "module") != "service":
            return None
        return self.meter.reserve(f"mcp-{self.server}", calls=1)

    def _call(self, tool: str, arguments: dict[str, Any], idempotent: bool) -> Any:
        with self._lock:
            if self._given_up is not None:
                raise MCPServerCrashed(str(self._given_up), server=self.server)
            if not self._connection.running:
                self._start_again(f"it had stopped (before the call to {tool!r})", after_crash=False)
        try:
            result = self._connection.call(tool, arguments)
        except MCPServerCrashed as crash:
            with self._lock:
                self._after_crash(crash, tool)
                if not idempotent:
                    raise MCPServerCrashed(
                        f"{crash} It was restarted, but the call to {tool!r} was not repeated, since it may have had "
                        f"effects before the crash: call it again if it should be.", server=self.server) from crash
            log.warning("MCP server %r crashed during %r; restarted, repeating the call (the tool is idempotent)",
                        self.server, tool)
            try:
                result = self._connection.call(tool, arguments)
            except MCPServerCrashed as again:
                with self._lock:
                    self._give_up(again)
                raise self._given_up from again  # type: ignore[misc]
        self._restarted = False
        return result

    def _after_crash(self, crash: MCPServerCrashed, tool: str) -> None:
        if self._restarted:
            self._give_up(crash)
            raise self._given_up from crash  # type: ignore[misc]
        self._start_again(f"it crashed during the call to {tool!r}")

    def _start_again(self, why: str, after_crash: bool = True) -> None:
        log.warning("restarting the MCP server %r: %s", self.server, why)
        try:
            self._notice(self._connection.start())
        except MCPServerNotStarted as error:
            raise MCPServerNotStarted(f"The MCP server {self.server!r} had to be restarted ({why}), and could not "
                                      f"be: {error}", server=self.server) from error
        self._restarted = after_crash

    def _give_up(self, crash: MCPServerCrashed) -> None:
        self._connection.close()
        self._given_up = MCPServerCrashed(
            f"{crash} It had been restarted after a crash and crashed again before any call succeeded, so it is not "
            f"restarted again. Fix the server, then learn {self.mcp_server.task!r} again (or call "
            f"agent.{self.mcp_server.task}.module.unload()).", server=self.server)

    def __repr__(self) -> str:
        state = "running" if self._connection.running else "stopped"
        return f"<{type(self).__name__} {self.server!r}: {state}, {len(self.tools)} tools>"


class MCPServerService(MCPServerModule, Service):
    """A client of a remote MCP server: a :class:`~dosaku.Service` (refused unless services are enabled; metered)."""
