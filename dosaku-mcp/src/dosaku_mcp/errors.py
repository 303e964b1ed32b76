"""The errors of dosaku-mcp. Each says what went wrong and how to fix it; all are :class:`dosaku.DosakuError`."""
from __future__ import annotations

import functools
from typing import Any

from dosaku.errors import ConfigError, DosakuError, MissingAPIKey


class MCPError(DosakuError):
    """Base of every dosaku-mcp error.

    Attributes:
        server: The configured name of the MCP server involved ('' when none is).
    """

    def __init__(self, message: str, *, server: str = ""):
        self.server = server
        super().__init__(message)


class MCPConfigError(MCPError, ConfigError):
    """An ``[MCP_SERVERS]`` entry (or one of its options) is missing or malformed."""


class MCPServerNotStarted(MCPError):
    """An MCP server could not be started or reached: a missing command, a process that exits at once, a server that
    never answers the handshake, or a URL nobody listens on."""


class MCPMissingKey(MCPConfigError, MissingAPIKey):
    """A remote MCP server's ``api_key`` option names an API key that is not set (so it is also the core's
    :class:`~dosaku.errors.MissingAPIKey`, which the GUI shows as a missing key).

    Attributes:
        name: The API key's name, e.g. ``'GITHUB'``.
        env_var: The environment variable that would set it, e.g. ``'GITHUB_API_KEY'``.

    Example::

        MCPMissingKey('GITHUB', 'GITHUB_API_KEY', server='github')
        # No API key for GITHUB is configured, and the MCP server 'github' needs it (...). To use it, set ...
    """

    def __init__(self, name: str, env_var: str, *, server: str):
        self.name, self.env_var, self.server = name, env_var, server
        # Not MissingAPIKey.__init__: its message does not name the server. Exception's own init sets the message.
        DosakuError.__init__(
            self,
            f"No API key for {name} is configured, and the MCP server {server!r} needs it ([MCP_SERVER_OPTIONS] "
            f"{server}.api_key = {name}). To use it, set the environment variable {env_var}, or run "
            f"`dosaku keys set {name}` (stores it under [API_KEYS] {name} in your config.ini).")

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (e.g. across processes), though its init is not (message)
        return functools.partial(type(self), server=self.server), (self.name, self.env_var)


class MCPAuthError(MCPServerNotStarted):
    """A remote MCP server refused Dosaku's request with HTTP 401 (no key, or a wrong, expired or revoked one) or
    403 (a key without the rights needed).

    Attributes:
        status: The HTTP status, 401 or 403.
    """

    def __init__(self, message: str, *, server: str = "", status: int = 401):
        self.status = status
        super().__init__(message, server=server)


class MCPServerCrashed(MCPError):
    """An MCP server's process died (or its connection dropped) during a call."""


class MCPTimeout(MCPError):
    """An MCP server did not answer a call in time."""


class MCPToolError(MCPError):
    """A tool reported an error (its result had ``isError``), or the server refused the call.

    Attributes:
        tool: The tool's MCP name.
    """

    def __init__(self, message: str, *, server: str = "", tool: str = ""):
        self.tool = tool
        super().__init__(message, server=server)


class MCPMalformedResult(MCPError):
    """An MCP server answered with something that is not a valid MCP result (or content Dosaku cannot decode)."""


class ChatHistoryUnsupported(DosakuError):
    """A Chat module offers no way to set its conversation, so ``dosaku serve`` cannot answer statelessly with it."""
