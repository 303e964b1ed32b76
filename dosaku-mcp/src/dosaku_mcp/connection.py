"""One live connection to an MCP server, usable from plain (synchronous) code.

The official SDK is asynchronous, and its client must be entered and left in one task. So each connection owns a
background thread running an event loop: one task there holds the SDK's :class:`mcp.Client` open (the server
process, for stdio) until :meth:`Connection.close`, and each call is submitted to that loop and waited for. The SDK's
errors become dosaku-mcp's (:mod:`dosaku_mcp.errors`), each saying what happened and what to do. A stdio server's
standard error is kept (its last lines go into error messages) and logged at debug level under
``dosaku_mcp.server.<name>``. A URL's API key (:mod:`dosaku_mcp.auth`) is read at each start and handed to the
connection's own HTTP client only; an HTTP 401 or 403 answer becomes :class:`~dosaku_mcp.errors.MCPAuthError`.

Example::

    connection = Connection(server_entry)
    listing = connection.start()              # starts the server; its tools
    result = connection.call('get_current_time', {'timezone': 'UTC'})   # the SDK's CallToolResult
    connection.close()                        # stops it
"""
from __future__ import annotations

import asyncio
import atexit
import collections
import concurrent.futures
import contextlib
import logging
import os
import shutil
import sys
import threading
import weakref
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client
from mcp.shared.exceptions import MCPError as SDKError
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT, Implementation
from pydantic import ValidationError

from dosaku_mcp.auth import RefusalWatch, key_headers, refusal
from dosaku_mcp.errors import (
    MCPConfigError,
    MCPError,
    MCPMalformedResult,
    MCPServerCrashed,
    MCPServerNotStarted,
    MCPTimeout,
    MCPToolError,
)
from dosaku_mcp.servers import SECTION, ServerEntry
from dosaku_mcp.tool_cache import ToolListing

log = logging.getLogger(__name__)
#: Seconds given to a server to stop (the SDK closes stdin, then terminates, then kills the process tree).
CLOSE_TIMEOUT_S = 15.0
#: Extra seconds waited past a call's own timeout before giving up on the event loop itself.
GRACE_S = 5.0
#: The most pages of tools/list read.
MAX_PAGES = 100
_LOST = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, ConnectionError, EOFError)
_live: weakref.WeakSet[Connection] = weakref.WeakSet()


def _client_info() -> Implementation:
    from dosaku import __version__

    return Implementation(name="dosaku", version=__version__)


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, or ``[error]``."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _root(error: BaseException) -> BaseException:
    leaves = _leaves(error)
    return next((leaf for leaf in leaves if not isinstance(leaf, asyncio.CancelledError)), leaves[0])


@contextlib.asynccontextmanager
async def _http_streams(url: str, headers: dict[str, Any], watch: RefusalWatch) -> Any:
    """The SDK's streamable-HTTP transport on an HTTP client of our own (sending ``headers``, watched by ``watch``),
    closed with it: the SDK leaves a client it was given open."""
    async with create_mcp_http_client(headers=headers or None) as http:
        http.event_hooks = {"response": [watch]}
        async with streamable_http_client(url, http_client=http) as streams:
            yield streams


class StderrTail:
    """A stdio server's standard error: a pipe read by a thread, keeping the last lines."""

    def __init__(self, name: str, lines: int = 40):
        read, write = os.pipe()
        self.writer = os.fdopen(write, "w")
        self._lines: collections.deque[str] = collections.deque(maxlen=lines)
        self._log = logging.getLogger(f"dosaku_mcp.server.{name}")
        self._thread = threading.Thread(target=self._read, args=(os.fdopen(read, "rb"),), daemon=True,
                                        name=f"dosaku-mcp-stderr-{name}")
        self._thread.start()

    def _read(self, reader: Any) -> None:
        with reader:
            for raw in reader:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    self._lines.append(line)
                    self._log.debug("%s", line)

    def close_writer(self) -> None:
        """Close this process's end of the pipe (the server holds its own), so the reader ends with the server."""
        if not self.writer.closed:
            self.writer.close()

    def text(self, wait_s: float = 1.0) -> str:
        """The last lines the server wrote (waiting briefly for it to finish writing, once it is gone)."""
        self.close_writer()
        self._thread.join(wait_s)
        return "\n".join(self._lines)


class Connection:
    """A connection to one MCP server, started by :meth:`start`, stopped by :meth:`close` (and at exit).

    Args:
        server: The configured server.
        timeout: Seconds a call may take (default: the server's configured timeout).
        start_timeout: Seconds the server may take to start and answer the handshake.
    """

    def __init__(self, server: ServerEntry, timeout: float | None = None, start_timeout: float | None = None):
        self.server = server
        self.timeout = float(timeout or server.timeout)
        self.start_timeout = float(start_timeout or server.start_timeout)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._main: concurrent.futures.Future[None] | None = None
        self._stop: asyncio.Event | None = None
        self._client: Client | None = None
        self._stderr: StderrTail | None = None
        self._watch: RefusalWatch | None = None
        self._ended: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._done: concurrent.futures.Future[None] = concurrent.futures.Future()

    # --- lifetime --------------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether the connection is open (the server started and has not gone away)."""
        return self._client is not None and self._main is not None and not self._main.done()

    def start(self) -> ToolListing:
        """Start the server (or connect to its URL), do the handshake and read its tools.

        Raises:
            MCPServerNotStarted: the command is missing, the process exits, the server does not answer within
                ``start_timeout`` seconds, or nobody listens at the URL.
            MCPAuthError: the URL answered HTTP 401 or 403 (its API key is missing, wrong or lacks rights).
            MCPMissingKey: the API key the server's ``api_key`` names is not set.
        """
        self.close()
        self._ended, self._task = None, None
        transport = self._transport()
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True, name=f"dosaku-mcp-{self.server.name}")
        thread.start()
        self._loop, self._thread = loop, thread
        ready: concurrent.futures.Future[ToolListing] = concurrent.futures.Future()
        self._stop, self._done = asyncio.Event(), concurrent.futures.Future()
        self._main = asyncio.run_coroutine_threadsafe(self._hold(transport, ready), loop)
        _live.add(self)
        try:
            listing = ready.result(timeout=self.start_timeout)
        except concurrent.futures.TimeoutError:
            stderr = self._stop_now()
            raise MCPServerNotStarted(
                f"The MCP server {self.server.name!r} ({self.server.describe()}) did not answer within "
                f"{self.start_timeout:g} s.{self._stderr_note(stderr)} Check that it is an MCP server speaking "
                f"{'streamable HTTP' if self.server.is_http else 'MCP on stdin/stdout'}, or give it longer: "
                f"[MCP_SERVER_OPTIONS] {self.server.name}.start_timeout = 60.", server=self.server.name) from None
        except BaseException as error:  # noqa: BLE001 - every way a start fails becomes one clear error
            stderr = self._stop_now()
            raise self._not_started(error, stderr) from _root(error)
        if self._stderr is not None:
            self._stderr.close_writer()
        log.info("MCP server %r started (%d tools)", self.server.name, len(listing.tools))
        return listing

    def _transport(self) -> Any:
        server = self.server
        if server.is_http:
            self._watch = RefusalWatch()
            return _http_streams(server.target.strip(), key_headers(server), self._watch)
        argv, env = server.command()
        program = shutil.which(argv[0]) or shutil.which(argv[0], path=os.path.dirname(sys.executable))
        if program is None:
            raise MCPServerNotStarted(
                f"The command of the MCP server {server.name!r} was not found: {argv[0]!r}. Install it (e.g. "
                f"`pip install {argv[0]}` for a Python server), or give its full path in [{SECTION}] {server.name} "
                f"(`dosaku mcp add {server.name} -- /full/path/to/{os.path.basename(argv[0])} ...`).",
                server=server.name)
        self._stderr = StderrTail(server.name)
        parameters = StdioServerParameters(command=program, args=argv[1:], env={**get_default_environment(), **env})
        return stdio_client(parameters, errlog=self._stderr.writer)

    async def _hold(self, transport: Any, ready: concurrent.futures.Future[ToolListing]) -> None:
        """The task that holds the client open until :meth:`close`."""
        stop, done = self._stop, self._done
        assert stop is not None
        self._task = asyncio.current_task()
        try:
            async with Client(transport, read_timeout_seconds=self.timeout, client_info=_client_info()) as client:
                listing = await _read_listing(client)
                self._client = client
                if not ready.set_running_or_notify_cancel():
                    return
                ready.set_result(listing)
                await stop.wait()
        except BaseException as error:  # noqa: BLE001 - reported to whoever waits (start, or the next call)
            self._ended = error
            if not ready.done():
                ready.set_exception(error)
        finally:
            self._client = None
            done.set_result(None)

    def _stop_now(self) -> str:
        """Stop whatever was started; returns the server's last stderr lines."""
        self.close()
        return self._stderr.text() if self._stderr is not None else ""

    def close(self) -> None:
        """Stop the server (or close the HTTP session) and the connection's thread. Safe to call twice."""
        loop, main, stop = self._loop, self._main, self._stop
        if loop is None:
            return
        self._loop = None
        _live.discard(self)
        if main is not None and not main.done():
            if self._client is None and self._task is not None:  # still starting: stop waiting for it
                loop.call_soon_threadsafe(self._task.cancel)
            elif stop is not None:
                loop.call_soon_threadsafe(stop.set)
            try:
                self._done.result(timeout=CLOSE_TIMEOUT_S)
            except concurrent.futures.TimeoutError:
                main.cancel()
                log.warning("the MCP server %r did not stop in %g s", self.server.name, CLOSE_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(CLOSE_TIMEOUT_S)
        if not loop.is_running():
            loop.close()
        if self._stderr is not None:
            self._stderr.close_writer()
        self._client = None

    # --- calls -----------------------------------------------------------------------------------------------
    def call(self, tool: str, arguments: dict[str, Any], timeout: float | None = None) -> Any:
        """Call ``tool`` and return the SDK's ``CallToolResult``.

        Raises:
            MCPTimeout: no answer within ``timeout`` (default: the connection's) seconds.
            MCPServerCrashed: the server died, or the connection dropped, before it answered.
            MCPToolError: the server refused the call (e.g. an unknown tool, or an internal error).
            MCPMalformedResult: the answer is not a valid MCP result.
        """
        seconds = float(timeout or self.timeout)
        return self._run(lambda client: client.call_tool(tool, arguments, read_timeout_seconds=seconds), seconds,
                         f"the call to {tool!r}", tool)

    def list_tools(self) -> ToolListing:
        """Read the server's tools again."""
        return self._run(_read_listing, self.timeout, "listing its tools", "")

    def _run(self, make: Any, seconds: float, what: str, tool: str) -> Any:
        client, loop = self._client, self._loop
        if client is None or loop is None or not self.running:
            raise self._lost(what, self._ended)
        future = asyncio.run_coroutine_threadsafe(make(client), loop)
        try:
            return future.result(timeout=seconds + GRACE_S)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise self._timeout(what, seconds) from None
        except BaseException as error:  # noqa: BLE001 - the SDK's errors, made clear
            raise self._classify(error, what, tool, seconds) from _root(error)

    # --- errors ----------------------------------------------------------------------------------------------
    def _stderr_note(self, stderr: str | None = None) -> str:
        text = stderr if stderr is not None else (self._stderr.text(0.2) if self._stderr is not None else "")
        tail = "\n".join(text.splitlines()[-8:])
        return f" Its last error output:\n{tail}\n" if tail else ""

    def _not_started(self, error: BaseException, stderr: str) -> MCPError:
        server, root = self.server, _root(error)
        if isinstance(root, MCPError) and not isinstance(root, MCPConfigError):
            return root
        if self._watch is not None and self._watch.status:
            return refusal(server, self._watch.status)
        how = f"{server.describe()}"
        if isinstance(root, SDKError) and root.code == CONNECTION_CLOSED:
            reason = "its process ended before the MCP handshake finished"
        elif isinstance(root, SDKError) and root.code == REQUEST_TIMEOUT:
            reason = f"it did not answer the MCP handshake within {self.timeout:g} s"
        elif isinstance(root, OSError) or type(root).__name__ in ("ConnectError", "ConnectTimeout"):
            reason = f"it could not be {'reached' if server.is_http else 'run'} ({type(root).__name__}: {root})"
        elif isinstance(root, ValidationError):
            reason = f"its handshake answer is not valid MCP ({root.error_count()} problems)"
        else:
            reason = f"{type(root).__name__}: {root}"
        hint = ("Check that something serves MCP at that URL (`dosaku mcp list`)." if server.is_http else
                f"Run the command yourself to see why, and fix [{SECTION}] {server.name} in {server.config_path}.")
        return MCPServerNotStarted(
            f"The MCP server {server.name!r} ({how}) could not be started: {reason}.{self._stderr_note(stderr)} {hint}",
            server=server.name)

    def _timeout(self, what: str, seconds: float) -> MCPTimeout:
        name = self.server.name
        return MCPTimeout(
            f"The MCP server {name!r} did not answer {what} within {seconds:g} s. If it needs longer, learn the task "
            f"with a longer timeout (agent.learn({self.server.task!r}, timeout=...)) or set "
            f"[MCP_SERVER_OPTIONS] {name}.timeout.", server=name)

    def _lost(self, what: str, error: BaseException | None) -> MCPServerCrashed:
        detail = f" ({type(_root(error)).__name__}: {_root(error)})" if error is not None else ""
        return MCPServerCrashed(
            f"The MCP server {self.server.name!r} went away during {what}{detail}.{self._stderr_note()}",
            server=self.server.name)

    def _classify(self, error: BaseException, what: str, tool: str, seconds: float) -> MCPError:
        root = _root(error)
        if isinstance(root, MCPError):
            return root
        if isinstance(root, SDKError) and self._watch is not None and self._watch.status:
            return refusal(self.server, self._watch.status, what)
        if isinstance(root, SDKError) and root.code == REQUEST_TIMEOUT:
            return self._timeout(what, seconds)
        if (isinstance(root, SDKError) and root.code == CONNECTION_CLOSED) or isinstance(root, _LOST) or (
                self._main is not None and self._main.done()):
            return self._lost(what, root)
        if isinstance(root, SDKError):
            return MCPToolError(f"The MCP server {self.server.name!r} refused {what}: {root.message} "
                                f"(MCP error {root.code}).", server=self.server.name, tool=tool)
        if isinstance(root, ValidationError):
            problems = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in root.errors()[:3])
            return MCPMalformedResult(f"The MCP server {self.server.name!r} answered {what} with something that is "
                                      f"not a valid MCP result ({problems}).", server=self.server.name)
        return MCPError(f"The MCP server {self.server.name!r} failed during {what}: {type(root).__name__}: {root}",
                        server=self.server.name)


async def _read_listing(client: Client) -> ToolListing:
    tools: list[dict[str, Any]] = []
    cursor = None
    for _ in range(MAX_PAGES):
        page = await client.list_tools(cursor=cursor, cache_mode="bypass")
        for tool in page.tools:
            annotations = tool.annotations.model_dump(exclude_none=True) if tool.annotations else {}
            tools.append({"name": tool.name, "description": tool.description or "",
                          "input_schema": tool.input_schema or {}, "output_schema": tool.output_schema,
                          "annotations": annotations})
        cursor = page.next_cursor
        if not cursor:
            break
    info = client.server_info
    return ToolListing(tools, info.name if info else "", info.version if info else "", client.instructions or "")


@atexit.register
def _close_all() -> None:
    """Stop every server still running when the interpreter exits."""
    for connection in list(_live):
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - exiting anyway
            log.debug("closing the MCP server %r at exit failed", connection.server.name, exc_info=True)
