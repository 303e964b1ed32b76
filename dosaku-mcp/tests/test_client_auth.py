"""Remote MCP servers that want an API key, against a real streamable-HTTP server on 127.0.0.1
(tests/servers/auth_server.py) that answers 401 to any request without the right header: the key named by
``<server>.api_key`` is read like any Dosaku API key and sent as a bearer token (or raw in ``api_key_header``); a
missing, wrong or revoked key is a clear error; bad options are config problems; and the key shows up nowhere."""
from __future__ import annotations

import logging
import os
import pickle
import subprocess
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dosaku.errors import MissingAPIKey
from dosaku_mcp import MCPAuthError, MCPConfigError, MCPMissingKey, MCPServerNotStarted
from helpers import AUTH_SERVER, PYTHON, background, free_port, program

LIMITS = {"timeout": 10, "start_timeout": 10}


def new_key() -> str:
    return f"dsk-test-{uuid.uuid4().hex}"


@contextmanager
def key_server(*args: str) -> Iterator[tuple[str, str]]:
    """The test server wanting a fresh key (as a bearer token, or as ``args`` say): yields ``(url, key)``."""
    port, key = free_port(), new_key()
    with background([PYTHON, str(AUTH_SERVER), str(port), *args], port, env={**os.environ, "AUTH_SERVER_KEY": key}):
        yield f"http://127.0.0.1:{port}/mcp", key


def dosaku(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([program("dosaku"), *args], capture_output=True, text=True, timeout=120,
                          env=os.environ.copy())


@pytest.mark.parametrize("where", ["GITHUB_API_KEY", "DOSAKU_API_KEYS__GITHUB", "config.ini"])
def test_the_key_is_sent_as_a_bearer_token(agent_factory, add_server, monkeypatch, where):
    from dosaku.config import Config

    with key_server() as (url, key):
        add_server("hub", url, api_key="github", **LIMITS)
        if where == "config.ini":
            Config().set("API_KEYS", "GITHUB", key)  # what `dosaku keys set GITHUB` does
        else:
            monkeypatch.setenv(where, key)
        agent = agent_factory(enable_services=True)
        assert agent.api("Hub") == ["echo", "seen", "revoke"]
        assert "It is sent the API key GITHUB as Authorization: Bearer." in agent.doc("Hub")
        agent.learn("Hub")
        assert agent.Hub.echo("hello") == "hello"
        seen = agent.Hub.seen()
        assert seen["header"] == "authorization" and seen["accepted"] >= 2 and seen["refused"] == 0


def test_a_header_of_its_own(agent_factory, add_server, monkeypatch):
    with key_server("--header", "X-API-Key") as (url, key):
        add_server("weather", url, api_key="WEATHER", api_key_header="X-API-Key", **LIMITS)
        monkeypatch.setenv("WEATHER_API_KEY", key)
        agent = agent_factory(enable_services=True)
        agent.learn("Weather")
        seen = agent.Weather.seen()
        assert seen["header"] == "x-api-key" and seen["refused"] == 0
        assert "API key WEATHER in X-API-Key" in agent.registry.task("Weather").summary


def test_a_key_that_is_not_set_is_named_and_nothing_is_sent(agent_factory, add_server, monkeypatch):
    with key_server() as (url, key):
        add_server("hub", url, api_key="GITHUB", **LIMITS)
        agent = agent_factory(enable_services=True)
        with pytest.raises(MCPMissingKey, match=r"No API key for GITHUB is configured, and the MCP server 'hub' "
                                                r"needs it .*set the environment variable GITHUB_API_KEY, or run "
                                                r"`dosaku keys set GITHUB`") as caught:
            agent.learn("Hub")
        assert isinstance(caught.value, MissingAPIKey) and isinstance(caught.value, MCPConfigError)
        assert (caught.value.name, caught.value.env_var, caught.value.server) == ("GITHUB", "GITHUB_API_KEY", "hub")
        assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)
        assert agent.tasks == []
        monkeypatch.setenv("GITHUB_API_KEY", key)  # set now: the next try reads it, no restart needed
        agent.learn("Hub")
        assert agent.Hub.seen()["refused"] == 0  # the first try sent nothing without the key


@pytest.mark.parametrize("bad", ["line\nbreak", "tab\there", "non-ascii-clé"])
def test_a_key_no_header_can_carry_is_refused_before_sending(agent_factory, add_server, monkeypatch, bad):
    secret = f"{bad}-{uuid.uuid4().hex}"
    add_server("hub", f"http://127.0.0.1:{free_port()}/mcp", api_key="GITHUB", **LIMITS)  # nobody listens there
    monkeypatch.setenv("GITHUB_API_KEY", secret)
    with pytest.raises(MCPConfigError, match=r"The API key GITHUB of the MCP server 'hub' holds characters an HTTP "
                                             r"header cannot carry.*dosaku keys set GITHUB") as caught:
        agent_factory(enable_services=True).api("Hub")
    assert secret not in str(caught.value) and secret[-12:] not in str(caught.value)


def test_a_wrong_key_is_refused_clearly(agent_factory, add_server, monkeypatch):
    with key_server() as (url, _):
        add_server("hub", url, api_key="GITHUB", **LIMITS)
        monkeypatch.setenv("GITHUB_API_KEY", new_key())
        agent = agent_factory(enable_services=True)
        with pytest.raises(MCPAuthError, match=r"'hub' \(http://127.0.0.1:\d+/mcp\) refused the API key GITHUB during "
                                               r"the MCP handshake \(HTTP 401 Unauthorized\): it is wrong, expired or "
                                               r"revoked.*api_key_header.*`dosaku keys set GITHUB` \(or set "
                                               r"GITHUB_API_KEY\)") as caught:
            agent.learn("Hub")
        assert caught.value.status == 401 and isinstance(caught.value, MCPServerNotStarted)
        assert agent.tasks == []


def test_a_server_wanting_a_key_none_is_configured_for(agent_factory, add_server):
    with key_server() as (url, _):
        add_server("hub", url, **LIMITS)
        with pytest.raises(MCPAuthError, match=r"refused the MCP handshake \(HTTP 401 Unauthorized\): it needs "
                                               r"credentials, and none are configured.*hub.api_key = HUB"):
            agent_factory(enable_services=True).api("Hub")


def test_a_key_in_the_wrong_header_or_without_rights(agent_factory, add_server, monkeypatch):
    with key_server("--header", "X-API-Key") as (url, key):
        add_server("weather", url, api_key="WEATHER", **LIMITS)  # sent as a bearer token: refused
        monkeypatch.setenv("WEATHER_API_KEY", key)
        with pytest.raises(MCPAuthError, match=r"HTTP 401.*set \[MCP_SERVER_OPTIONS\] weather.api_key_header"):
            agent_factory(enable_services=True).learn("Weather")
    with key_server("--status", "403") as (url, _):
        add_server("hub", url, api_key="GITHUB", **LIMITS)
        monkeypatch.setenv("GITHUB_API_KEY", new_key())
        with pytest.raises(MCPAuthError, match=r"HTTP 403 Forbidden\): the key was accepted but lacks") as caught:
            agent_factory(enable_services=True).learn("Hub")
        assert caught.value.status == 403


def test_a_key_revoked_mid_session(agent_factory, add_server, monkeypatch):
    with key_server() as (url, key):
        add_server("hub", url, api_key="GITHUB", **LIMITS)
        monkeypatch.setenv("GITHUB_API_KEY", key)
        agent = agent_factory(enable_services=True)
        agent.learn("Hub")
        assert agent.Hub.revoke() == "revoked"
        with pytest.raises(MCPAuthError, match=r"refused the API key GITHUB during the call to 'echo' \(HTTP 401"):
            agent.Hub.echo("anyone?")


@pytest.mark.parametrize("target, options, problem", [
    ("mcp-server-time", {"api_key": "GITHUB"}, "api_key is only for a server at a URL"),
    ("https://mcp.example.com/mcp", {"api_key": "ghp_" + "x" * 36}, "api_key must be the NAME of an API key"),
    ("https://mcp.example.com/mcp", {"api_key": "sk-proj-abc123"}, "never the key itself"),
    ("http://mcp.example.com/mcp", {"api_key": "GITHUB"}, "unencrypted over http://"),
    ("https://mcp.example.com/mcp", {"api_key": "GITHUB", "api_key_header": "X API Key"}, "an HTTP header name"),
    ("https://mcp.example.com/mcp", {"api_key": "GITHUB", "api_key_header": "Content-Type"}, "transport sets"),
    ("https://mcp.example.com/mcp", {"api_key_header": "X-API-Key"}, "api_key_header is set but api_key is not"),
])
def test_bad_auth_options_are_config_problems(agent_factory, add_server, target, options, problem):
    add_server("hub", target, **options)
    agent = agent_factory(enable_services=True)
    summary = agent.registry.task("Hub").summary
    assert "misconfigured" in summary and problem in summary
    with pytest.raises(MCPConfigError, match=rf"'hub' is misconfigured: .*{problem}"):
        agent.learn("Hub")
    value = options.get("api_key", "")
    if value:  # perhaps the key itself, pasted in place of its name: never echoed
        assert value not in summary and value.upper() not in summary


def test_good_auth_options(home, add_server):
    from dosaku.config import Config
    from dosaku_mcp.servers import entry

    add_server("local", "http://localhost:8000/mcp", api_key="github")
    add_server("hub", "https://mcp.example.com/mcp", api_key="GITHUB", api_key_header="X-API-Key")
    add_server("plain", "https://mcp.example.com/mcp")
    local, hub, plain = (entry(Config(), name) for name in ("local", "hub", "plain"))
    assert (local.problem, local.api_key, local.key_header, local.key_env_var) == (None, "GITHUB", "Authorization",
                                                                                   "GITHUB_API_KEY")
    assert (hub.problem, hub.key_header) == (None, "X-API-Key")
    assert (plain.api_key, plain.key_header, plain.auth()) == (None, None, "")
    assert hub.fingerprint() != plain.fingerprint()  # the key's name (never the key) is part of the cache key
    assert repr(hub) == ("ServerEntry('hub', task='Hub', kind='service', target='https://mcp.example.com/mcp', "
                         "api_key='GITHUB')")


def test_mcp_add_takes_the_key_name(home):
    from dosaku.config import Config

    done = dosaku("mcp", "add", "hub", "https://mcp.example.com/mcp", "--api-key", "github",
                  "--api-key-header", "X-API-Key")
    assert done.returncode == 0, done.stderr
    assert "It sends the API key GITHUB, which is not set yet: `dosaku keys set GITHUB`" in done.stdout
    assert Config().get("MCP_SERVER_OPTIONS", "hub.api_key") == "GITHUB"
    assert Config().get("MCP_SERVER_OPTIONS", "hub.api_key_header") == "X-API-Key"
    listed = dosaku("mcp", "list").stdout
    assert ("https://mcp.example.com/mcp, API key GITHUB in X-API-Key (not set: `dosaku keys set GITHUB`)"
            in listed)
    done = dosaku("mcp", "add", "time", "--api-key", "GITHUB", "--", "mcp-server-time")
    assert done.returncode != 0 and "api_key is only for a server at a URL" in done.stderr
    pasted = "ghp_" + "y" * 36
    done = dosaku("mcp", "add", "hub", "https://mcp.example.com/mcp", "--api-key", pasted)
    assert done.returncode != 0 and "never the key itself" in done.stderr and pasted not in done.stderr
    assert dosaku("mcp", "remove", "hub").returncode == 0
    assert Config().get("MCP_SERVER_OPTIONS", "hub.api_key") is None


def test_the_key_shows_up_nowhere(agent_factory, add_server, monkeypatch, caplog):
    """Logs (every logger, debug level: dosaku, the SDK, httpx), reprs, summaries, docs, errors (with their
    tracebacks), `dosaku mcp list`, `dosaku tasks` and the tool cache never hold the key, right or wrong."""
    from dosaku.config import Config
    from dosaku_mcp.servers import entry

    caplog.set_level(logging.DEBUG)
    wrong = new_key()
    with key_server() as (url, key):
        add_server("hub", url, api_key="GITHUB", **LIMITS)
        monkeypatch.setenv("GITHUB_API_KEY", key)
        agent = agent_factory(enable_services=True)
        agent.learn("Hub")
        assert agent.Hub.echo("hi") == "hi"
        server = entry(Config(), "hub")
        shown = [repr(server), server.summary(), server.describe(), server.auth(), repr(agent.Hub.module),
                 agent.doc("Hub"), agent.registry.task("Hub").summary]
        shown += [dosaku("mcp", "list").stdout, dosaku("tasks").stdout]
        agent.Hub.revoke()
        errors = [pytest.raises(MCPAuthError, agent.Hub.echo, "after revoking").value]
        monkeypatch.setenv("GITHUB_API_KEY", wrong)
        errors.append(pytest.raises(MCPAuthError, agent_factory(enable_services=True).learn, "Hub").value)
        monkeypatch.delenv("GITHUB_API_KEY")
        errors.append(pytest.raises(MCPMissingKey, agent_factory(enable_services=True).learn, "Hub").value)
    shown += ["".join(traceback.format_exception(error)) for error in errors]
    cache = Path(os.environ["DOSAKU_CACHE_DIR"])
    cached = [f"{path}\n{path.read_text(errors='replace')}" for path in cache.rglob("*") if path.is_file()]
    assert any('"echo"' in text for text in cached)  # the tool list was cached: the check below looked at it
    assert any("HTTP Request: POST" in record.getMessage() for record in caplog.records)  # httpx was heard
    for secret in (key, wrong, key[-12:]):
        assert secret not in caplog.text
        assert not [text for text in shown if secret in text]
        assert not [text for text in cached if secret in text]
    assert key not in Path(os.environ["DOSAKU_CONFIG"]).read_text()  # the options name it, never hold it
