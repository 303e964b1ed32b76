"""The MCP servers the user configured, read from ``config.ini`` (standard library and dosaku only: the plugin reads
this while listing tasks).

Each server is one entry of ``[MCP_SERVERS]``: a command line run as a subprocess speaking MCP over stdio, or an
``https://`` / ``http://`` URL speaking streamable HTTP. Leading ``NAME=VALUE`` words of a command line are
environment variables for the server (it otherwise gets only the SDK's safe minimum: HOME, PATH, USER...)::

    [MCP_SERVERS]
    time = mcp-server-time --local-timezone UTC
    git = mcp-server-git --repository /home/me/project
    github = GITHUB_TOKEN=... github-mcp-server stdio
    weather = https://weather.example.com/mcp
    hub = https://api.githubcopilot.com/mcp/

    [MCP_SERVER_OPTIONS]
    time.task = Clock           ; the task's name (default: the server's name in CamelCase, here Time)
    github.kind = service       ; a local command that sends your data away; a URL is always a service
    git.timeout = 120           ; seconds a tool call may take (default [MCP] TIMEOUT, else 60)
    git.start_timeout = 60      ; seconds the server may take to start (default [MCP] START_TIMEOUT, else 30)
    hub.api_key = GITHUB        ; a URL's API key, by NAME: GITHUB_API_KEY, or `dosaku keys set GITHUB`
    weather.api_key = WEATHER
    weather.api_key_header = X-API-Key   ; sent as `X-API-Key: <key>` (default `Authorization: Bearer <key>`)

The key itself never goes in ``[MCP_SERVER_OPTIONS]``: ``api_key`` names an entry of ``[API_KEYS]`` (or its
``NAME_API_KEY`` variable), read when the server is connected to (see :mod:`dosaku_mcp.auth`).

Example::

    from dosaku import Config
    from dosaku_mcp.servers import read_servers

    [server.task for server in read_servers(Config())]   # ['Time', 'Git', 'Github', 'Weather', 'Hub']
"""
from __future__ import annotations

import base64
import json
import re
import shlex
from typing import Any

from dosaku.config import Config, environment_variables

from dosaku_mcp.errors import MCPConfigError

SECTION = "MCP_SERVERS"
OPTIONS = "MCP_SERVER_OPTIONS"
DEFAULTS = "MCP"
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_START_TIMEOUT_S = 30.0
#: The per-server options of ``[MCP_SERVER_OPTIONS]`` (as ``<server>.<option>``).
OPTION_NAMES = ("task", "kind", "timeout", "start_timeout", "api_key", "api_key_header")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
#: The name of an API key (``[API_KEYS] NAME``): short, so that a key pasted in its place is refused, not used.
KEY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
#: An HTTP header name (RFC 9110 token).
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
#: The default header of an API key, sent as ``Authorization: Bearer <key>``.
DEFAULT_KEY_HEADER = "Authorization"
#: Headers the HTTP transport sets itself, which an API key may not take.
TRANSPORT_HEADERS = frozenset({"accept", "connection", "content-length", "content-type", "host", "last-event-id",
                               "mcp-protocol-version", "mcp-session-id", "transfer-encoding"})
#: Hosts an API key may be sent to over plain ``http://``.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TASK_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
ENV_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def is_url(target: str) -> bool:
    """Whether ``target`` is a streamable-HTTP URL rather than a command line."""
    return target.strip().lower().startswith(("http://", "https://"))


def task_name_for(server: str) -> str:
    """The default task name of a server: its name in CamelCase (``'my-files'`` -> ``'MyFiles'``)."""
    return "".join(part[:1].upper() + part[1:].lower() for part in re.split(r"[-_]+", server) if part)


class ServerEntry:
    """One configured MCP server.

    Attributes:
        name: Its name in ``[MCP_SERVERS]`` (lower case).
        target: The command line, or the URL.
        task: The name of the task it becomes.
        kind: ``'service'`` for a URL (or a command marked so), else ``'module'``.
        timeout: Seconds a tool call may take.
        start_timeout: Seconds the server may take to start and answer the handshake.
        config_path: The config file it was read from.
        problem: Why the entry cannot be used, or None.
        api_key: The NAME of the API key sent to a URL (``[API_KEYS] NAME``, upper case), or None. Never the key.
        api_key_header: The header that carries it raw, or None for ``Authorization: Bearer <key>``.
    """

    __slots__ = ("name", "target", "task", "kind", "timeout", "start_timeout", "config_path", "problem", "api_key",
                 "api_key_header")

    def __init__(self, name: str, target: str, task: str, kind: str, timeout: float, start_timeout: float,
                 config_path: str, problem: str | None = None, api_key: str | None = None,
                 api_key_header: str | None = None):
        self.name, self.target, self.task, self.kind = name, target, task, kind
        self.timeout, self.start_timeout, self.config_path, self.problem = timeout, start_timeout, config_path, problem
        self.api_key, self.api_key_header = api_key, api_key_header

    @property
    def is_http(self) -> bool:
        return is_url(self.target)

    @property
    def key_env_var(self) -> str | None:
        """The environment variable that sets the server's API key (``'GITHUB_API_KEY'``), or None without one."""
        return environment_variables("API_KEYS", self.api_key)[0] if self.api_key else None

    @property
    def key_header(self) -> str | None:
        """The header the API key goes in (``'Authorization'`` unless ``api_key_header``), or None without one."""
        return (self.api_key_header or DEFAULT_KEY_HEADER) if self.api_key else None

    def auth(self) -> str:
        """How the server is authenticated, in words, never with the key: ``'API key GITHUB as Authorization:
        Bearer'``, ``'API key WEATHER in X-API-Key'``, or ``''`` without one."""
        if not self.api_key:
            return ""
        how = f"in {self.api_key_header}" if self.api_key_header else f"as {DEFAULT_KEY_HEADER}: Bearer"
        return f"API key {self.api_key} {how}"

    @property
    def module_name(self) -> str:
        """The name of the module that does the task (``'TimeMCP'``)."""
        return f"{self.task}MCP"

    @property
    def key(self) -> str:
        """The attribute name under which :mod:`dosaku_mcp.tasks` builds this server's classes (see :func:`decode_key`).

        It names the config file and the server, never the command line (which may hold secrets), so the registry
        can record it; the classes read the entry from that file when they are built.
        """
        raw = json.dumps([self.config_path, self.name], separators=(",", ":")).encode()
        return "s" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The server's argument vector and the environment variables set before it.

        Raises:
            MCPConfigError: the entry is a URL, or the command line is empty or cannot be split.
        """
        if self.is_http:
            raise MCPConfigError(f"The MCP server {self.name!r} is a URL, not a command.", server=self.name)
        try:
            words = shlex.split(self.target)
        except ValueError as error:
            raise MCPConfigError(
                f"The command of the MCP server {self.name!r} cannot be read ({error}): {self.describe()}. Fix "
                f"[{SECTION}] {self.name} in {self.config_path} (`dosaku mcp add {self.name} -- COMMAND...`).",
                server=self.name,
            ) from None
        env: dict[str, str] = {}
        while words and ENV_WORD.match(words[0]):
            variable, _, value = words.pop(0).partition("=")
            env[variable] = value
        if not words:
            raise MCPConfigError(
                f"The MCP server {self.name!r} has no command. Set [{SECTION}] {self.name} in {self.config_path}, "
                f"e.g. `dosaku mcp add {self.name} -- mcp-server-time`.", server=self.name)
        return words, env

    def describe(self) -> str:
        """The server in words, without secrets: the program (and its arguments, environment values hidden) or the
        URL without credentials or query."""
        if self.is_http:
            scheme, _, rest = self.target.strip().partition("://")
            host_path = rest.split("?", 1)[0].split("#", 1)[0]
            authority, slash, path = host_path.partition("/")
            return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
        try:
            words = shlex.split(self.target)
        except ValueError:
            return "(a command line that cannot be read)"
        return " ".join(f"{word.partition('=')[0]}=…" if ENV_WORD.match(word) else shlex.quote(word) for word in words)

    def summary(self) -> str:
        """One line for ``dosaku tasks``."""
        how = "streamable HTTP" if self.is_http else "stdio"
        if self.problem:
            return f"MCP server '{self.name}' (misconfigured: {self.problem})"
        auth = f", {self.auth()}" if self.api_key else ""
        return f"Tools of the MCP server '{self.name}' ({self.describe()}, {how}{auth})"

    def fingerprint(self) -> str:
        """A digest of what decides the server's tools (its command or URL, kind, and the NAME of its API key, never
        the key): the tool cache's key."""
        import hashlib

        decisive = [self.target, self.kind] + ([self.api_key, self.key_header] if self.api_key else [])
        return hashlib.sha256(json.dumps(decisive).encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        auth = f", api_key={self.api_key!r}" if self.api_key else ""
        return (f"ServerEntry({self.name!r}, task={self.task!r}, kind={self.kind!r}, target={self.describe()!r}"
                f"{auth})")


def _seconds(config: Any, server: str, option: str, default_key: str, default: float) -> tuple[float, str | None]:
    value = config.get(OPTIONS, f"{server}.{option}") or config.get(DEFAULTS, default_key)
    if value in (None, ""):
        return default, None
    try:
        seconds = float(value)
    except ValueError:
        return default, f"{option} must be a number of seconds, not {value!r}"
    if seconds <= 0:
        return default, f"{option} must be positive, not {value!r}"
    return seconds, None


def _url_host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def example_key_name(server: str) -> str:
    """The API key name a message suggests for ``server`` (``'my-hub'`` -> ``'MY_HUB'``)."""
    return re.sub(r"\W", "_", server.upper())


def _key_name_problem(server: str, target: str, api_key: str) -> str | None:
    """Why ``api_key`` cannot be the API key of ``server``, or None. A bad value is never echoed: it may be the key
    itself, pasted in place of its name."""
    example = example_key_name(server)
    if not KEY_NAME.match(api_key):
        return (f"api_key must be the NAME of an API key (a letter, then letters, digits or _, at most 32: e.g. "
                f"{server}.api_key = {example}, then `dosaku keys set {example}`), never the key itself")
    if not is_url(target):
        return (f"api_key is only for a server at a URL (a command gets its secrets as leading NAME=VALUE words): "
                f"remove {server}.api_key")
    if target.strip().lower().startswith("http://") and _url_host(target) not in LOOPBACK_HOSTS:
        return "api_key would be sent unencrypted over http:// to another machine: use an https:// URL"
    return None


def _header_problem(server: str, api_key: str | None, header: str) -> str | None:
    """Why ``header`` cannot carry the API key of ``server``, or None."""
    if not HEADER_NAME.match(header):
        return "api_key_header must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, e.g. X-API-Key)"
    if header.lower() in TRANSPORT_HEADERS:
        return f"api_key_header cannot be {header!r}: the MCP transport sets that header itself"
    if not api_key:
        return f"api_key_header is set but api_key is not: add {server}.api_key = NAME"
    return None


def auth_problems(server: str, target: str, api_key: str | None, api_key_header: str | None) -> list[str]:
    """Why the options ``api_key`` and ``api_key_header`` (None when unset) cannot be those of the server ``server``
    at ``target``; ``[]`` when they can.

    Example::

        auth_problems('hub', 'mcp-server-time', 'GITHUB', None)   # ['api_key is only for a server at a URL ...']
        auth_problems('hub', 'https://example.com/mcp', 'GITHUB', 'X-API-Key')   # []
    """
    problems = [_key_name_problem(server, target, api_key.upper()) if api_key else None,
                _header_problem(server, api_key, api_key_header) if api_key_header else None]
    return [problem for problem in problems if problem]


def _auth(config: Any, server: str, target: str) -> tuple[str | None, str | None, list[str]]:
    """``(api_key, api_key_header, problems)`` from the server's options (both None when there is a problem)."""
    api_key = str(config.get(OPTIONS, f"{server}.api_key") or "").strip().upper() or None
    header = str(config.get(OPTIONS, f"{server}.api_key_header") or "").strip() or None
    problems = auth_problems(server, target, api_key, header)
    return (None, None, problems) if problems else (api_key, header, [])


def entry(config: Any, name: str) -> ServerEntry:
    """The configured server ``name`` (its ``problem`` says why it cannot be used, if it cannot).

    Raises:
        MCPConfigError: no server of that name is configured.
    """
    name = name.lower()
    target = config.get(SECTION, name)
    path = str(config.path)
    if target is None:
        known = ", ".join(server_names(config)) or "none"
        raise MCPConfigError(
            f"No MCP server {name!r} is configured in [{SECTION}] of {path} (configured: {known}). "
            f"Add it with `dosaku mcp add {name} -- COMMAND...` or `dosaku mcp add {name} URL`.", server=name)
    target = str(target).strip()
    problems = []
    task = (config.get(OPTIONS, f"{name}.task") or task_name_for(name)).strip()
    if not TASK_NAME.match(task):
        problems.append(f"the task name {task!r} is not CamelCase letters and digits")
    kind = (config.get(OPTIONS, f"{name}.kind") or "module").strip().lower()
    if kind not in ("module", "service"):
        problems.append(f"kind must be module or service, not {kind!r}")
    if is_url(target):
        kind = "service"  # data sent to a URL leaves this process, and usually the machine
    if not target:
        problems.append("it has no command or URL")
    timeout, problem = _seconds(config, name, "timeout", "TIMEOUT", DEFAULT_TIMEOUT_S)
    problems += [problem] if problem else []
    start_timeout, problem = _seconds(config, name, "start_timeout", "START_TIMEOUT", DEFAULT_START_TIMEOUT_S)
    problems += [problem] if problem else []
    api_key, api_key_header, key_problems = _auth(config, name, target)
    problems += key_problems
    server = ServerEntry(name, target, task, kind, timeout, start_timeout, path, "; ".join(problems) or None,
                         api_key, api_key_header)
    if server.problem is None and not server.is_http:
        try:
            server.command()
        except MCPConfigError:
            server.problem = "its command line cannot be read, or is empty"
    return server


def server_names(config: Any) -> list[str]:
    """The names configured in ``[MCP_SERVERS]`` (lower case, in file order)."""
    return [key.lower() for key in config.keys(SECTION)]


def read_servers(config: Any) -> list[ServerEntry]:
    """Every configured server, in ``[MCP_SERVERS]`` order. Servers whose task name another server already took are
    left out (and logged), since two tasks cannot share a name."""
    import logging

    servers: list[ServerEntry] = []
    for name in server_names(config):
        server = entry(config, name)
        if any(other.task == server.task for other in servers):
            logging.getLogger(__name__).error(
                "MCP server %r: the task name %r is taken by another MCP server; set [%s] %s.task", name,
                server.task, OPTIONS, name)
            continue
        servers.append(server)
    return servers


def parse_key(key: str) -> tuple[str, str]:
    """``(config file, server name)`` of a :attr:`ServerEntry.key`.

    Raises:
        MCPConfigError: it is not one.
    """
    try:
        padded = key[1:] + "=" * (-len(key[1:]) % 4)
        path, name = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return str(path), str(name)
    except (ValueError, TypeError) as error:
        raise MCPConfigError(f"{key!r} does not name a configured MCP server ({error}).") from None


def server_of_target(target: object) -> str | None:
    """The server name a task or module spec's target names, or None when it is not one of this plugin's."""
    if not isinstance(target, str) or not target.startswith("dosaku_mcp.tasks:"):
        return None
    try:
        return parse_key(target.rsplit(".", 1)[1])[1]
    except MCPConfigError:
        return None


def decode_key(key: str) -> ServerEntry:
    """The server a :attr:`ServerEntry.key` names, read anew from its config file.

    Raises:
        MCPConfigError: the key is not one, or the server is no longer configured.
    """
    path, name = parse_key(key)
    return entry(Config(path), name)
