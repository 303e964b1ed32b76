"""Credentials for remote (streamable HTTP) MCP servers: the API key an entry names, as its connection's headers, and
what a refusal (HTTP 401 or 403) means.

``[MCP_SERVER_OPTIONS] <server>.api_key = NAME`` names a Dosaku API key (``NAME_API_KEY``,
``DOSAKU_API_KEYS__NAME`` or ``[API_KEYS] NAME``, as ``dosaku keys`` sets them); it is read each time the server is
connected to and sent as ``Authorization: Bearer <key>``, or raw in ``<server>.api_key_header``. The key lives only
in the connection's HTTP client: it is never logged, cached, shown or put in an error message.

Example::

    headers = key_headers(server)     # {'Authorization': Secret('Bea…wxyz')}, or {} without api_key
    watch = RefusalWatch()            # an httpx response hook: watch.status is 401/403 after a refusal
    raise refusal(server, watch.status)
"""
from __future__ import annotations

import re
from typing import Any

from dosaku.config import Config, Secret
from dosaku.errors import MissingAPIKey

from dosaku_mcp.errors import MCPAuthError, MCPConfigError, MCPMissingKey
from dosaku_mcp.servers import OPTIONS, ServerEntry, example_key_name

#: A header value: visible ASCII, inner spaces allowed (no line breaks, tabs or other control characters).
HEADER_VALUE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
#: The statuses that mean the server refused the credentials (or their absence).
REFUSALS = {401: "401 Unauthorized", 403: "403 Forbidden"}


def read_key(server: ServerEntry) -> Secret:
    """The API key ``server.api_key`` names, read now from the server's config file and the environment.

    Raises:
        MCPMissingKey: it is not set (the message names the variable and the ``dosaku keys`` command that set it).
        MCPConfigError: it cannot be sent in an HTTP header (a line break, a tab, a non-ASCII character).
    """
    if not server.api_key:
        raise MCPConfigError(f"The MCP server {server.name!r} names no API key: set [{OPTIONS}] "
                             f"{server.name}.api_key = NAME.", server=server.name)
    try:
        key = Config(server.config_path).require_key(server.api_key)
    except MissingAPIKey as error:
        raise MCPMissingKey(error.name, error.env_var or server.key_env_var or "", server=server.name) from None
    key = Secret(key.reveal().strip())
    if not HEADER_VALUE.match(key):  # never echoed: the key itself
        raise MCPConfigError(
            f"The API key {server.api_key} of the MCP server {server.name!r} holds characters an HTTP header cannot "
            f"carry (a line break, a tab or a non-ASCII character). Store it again: `dosaku keys set "
            f"{server.api_key}` (or set {server.key_env_var}).", server=server.name)
    return key


def key_headers(server: ServerEntry) -> dict[str, Secret]:
    """The headers that carry ``server``'s API key (``{}`` when it has none), their values masked in reprs.

    Raises:
        MCPMissingKey: the key it names is not set.
        MCPConfigError: the key cannot be sent in an HTTP header.

    Example::

        key_headers(entry(config, 'github'))   # {'Authorization': Secret('Bea…wxyz')}
    """
    if not server.api_key:
        return {}
    key = read_key(server)
    return {server.key_header: key if server.api_key_header else Secret(f"Bearer {key.reveal()}")}


class RefusalWatch:
    """An httpx response hook that remembers whether the last MCP message sent (a POST) was refused: ``status`` is
    401 or 403 after a refusal, None after any other answer. Headers and bodies are not looked at.

    Example::

        watch = RefusalWatch()
        http_client.event_hooks = {'response': [watch]}
    """

    def __init__(self) -> None:
        self.status: int | None = None

    async def __call__(self, response: Any) -> None:
        if response.request.method == "POST":
            self.status = response.status_code if response.status_code in REFUSALS else None


def refusal(server: ServerEntry, status: int, what: str = "the MCP handshake") -> MCPAuthError:
    """The error for ``server`` answering ``what`` with ``status`` (401 or 403): which key was refused (or that none
    was sent) and how to fix it. It never holds the key.

    Example::

        str(refusal(server, 401))
        # "The MCP server 'github' (https://...) refused the API key GITHUB (HTTP 401 Unauthorized) during ..."
    """
    where = f"The MCP server {server.name!r} ({server.describe()})"
    http = f"HTTP {REFUSALS.get(status, status)}"
    if not server.api_key:
        example = example_key_name(server.name)
        return MCPAuthError(
            f"{where} refused {what} ({http}): it needs credentials, and none are configured. Store its key with "
            f"`dosaku keys set {example}` and name it in [{OPTIONS}] {server.name}.api_key = {example} (or "
            f"`dosaku mcp add {server.name} URL --api-key {example}`); add {server.name}.api_key_header = X-API-Key "
            f"if the server takes the key in a header of its own rather than as a bearer token.",
            server=server.name, status=status)
    if status == 403:
        why = ("the key was accepted but lacks the rights (scopes) this needs. Give it those rights, or store "
               "another")
    else:
        header = (f"; check that the server takes it raw in the {server.api_key_header} header" if
                  server.api_key_header else f"; if the server wants it in a header of its own rather than as a "
                  f"bearer token, set [{OPTIONS}] {server.name}.api_key_header = X-API-Key")
        why = f"it is wrong, expired or revoked{header}. Store the right one"
    return MCPAuthError(
        f"{where} refused the API key {server.api_key} during {what} ({http}): {why} with `dosaku keys set "
        f"{server.api_key}` (or set {server.key_env_var}), then learn {server.task!r} again.",
        server=server.name, status=status)
