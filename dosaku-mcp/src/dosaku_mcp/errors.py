"""The errors of dosaku-mcp. Each says what went wrong and how to fix it; all are :class:`dosaku.DosakuError`."""
from __future__ import annotations

from dosaku.errors import ConfigError, DosakuError


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
