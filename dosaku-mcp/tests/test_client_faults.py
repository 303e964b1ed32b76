"""Faults of MCP servers, each a clear DosakuError: missing, exiting at once, never answering, crashing mid-call
(restarted once), hanging (timeout), malformed results, bad arguments, a URL nobody serves."""
from __future__ import annotations

import uuid

import pytest
from dosaku import DosakuError
from dosaku_mcp import (
    MCPArgumentError,
    MCPConfigError,
    MCPMalformedResult,
    MCPServerCrashed,
    MCPServerNotStarted,
    MCPTimeout,
    MCPToolError,
)
from helpers import MALFORMED_SERVER, PYTHON, TOOL_SERVER, free_port


@pytest.fixture
def tools(agent_factory, add_server, tmp_path):
    add_server("tools", f"{PYTHON} {TOOL_SERVER} --marker {tmp_path / 'crashed-once'}", timeout=2)
    agent = agent_factory()
    agent.learn("Tools")
    return agent


def test_a_missing_command(agent_factory, add_server):
    add_server("ghost", f"/nonexistent/{uuid.uuid4().hex}/mcp-ghost --flag")
    agent = agent_factory()
    with pytest.raises(MCPServerNotStarted, match=r"command of the MCP server 'ghost' was not found.*full path"):
        agent.learn("Ghost")
    assert agent.tasks == []
    assert isinstance(MCPServerNotStarted("x"), DosakuError)


def test_a_server_that_exits_at_once_shows_its_error_output(agent_factory, add_server):
    add_server("quits", f"{PYTHON} -c \"import sys; print('quits: missing --repository', file=sys.stderr); "
                        f"sys.exit(2)\"")
    agent = agent_factory()
    with pytest.raises(MCPServerNotStarted, match=r"(?s)ended before the MCP handshake.*quits: missing --repository"):
        agent.learn("Quits")


def test_a_server_that_never_answers(agent_factory, add_server):
    add_server("mute", f"{PYTHON} -c \"import time; time.sleep(120)\"", start_timeout=1)
    agent = agent_factory()
    with pytest.raises(MCPServerNotStarted, match=r"did not answer within 1 s.*mute.start_timeout"):
        agent.learn("Mute")
    assert agent.tasks == []


def test_a_url_nobody_serves(agent_factory, add_server):
    add_server("nobody", f"http://127.0.0.1:{free_port()}/mcp")
    agent = agent_factory(enable_services=True)
    with pytest.raises(MCPServerNotStarted, match=r"could not be reached.*ConnectError"):
        agent.api("Nobody")


def test_a_crash_mid_call_restarts_the_server_without_repeating_the_call(tools):
    with pytest.raises(MCPServerCrashed, match=r"went away during the call to 'crash'.*restarted.*not repeated"):
        tools.Tools.crash()
    assert tools.Tools.echo("back") == "back"  # the restarted server
    with pytest.raises(MCPServerCrashed, match="not repeated"):
        tools.Tools.crash()  # a success in between: restarted again


def test_a_server_crashing_again_after_its_restart_is_given_up(tools):
    with pytest.raises(MCPServerCrashed, match="restarted"):
        tools.Tools.crash()
    with pytest.raises(MCPServerCrashed, match="crashed again before any call succeeded, so it is not restarted"):
        tools.Tools.crash()
    with pytest.raises(MCPServerCrashed, match="not restarted again"):
        tools.Tools.echo("anyone?")
    tools.Tools.module.unload()
    assert tools.Tools.echo("fresh start") == "fresh start"  # a call after unload starts it again


def test_an_idempotent_call_lost_to_a_crash_is_repeated(tools):
    assert tools.Tools.crash_once() == "survived"


def test_a_hanging_tool_times_out_and_the_server_still_works(tools):
    with pytest.raises(MCPTimeout, match=r"did not answer the call to 'hang' within 2 s.*timeout"):
        tools.Tools.hang()
    assert tools.Tools.echo("still here") == "still here"


def test_the_timeout_can_be_given_when_learning(agent_factory, add_server):
    add_server("tools", f"{PYTHON} {TOOL_SERVER}")
    agent = agent_factory()
    agent.learn("Tools", timeout=1)
    with pytest.raises(MCPTimeout, match="within 1 s"):
        agent.Tools.hang(seconds=30)


def test_tool_errors_and_bad_arguments(tools):
    with pytest.raises(MCPToolError, match="failed on purpose: because"):
        tools.Tools.fail(reason="because")
    with pytest.raises(MCPArgumentError, match=r"Bad arguments for Tools.echo: .*text") as caught:
        tools.Tools.echo(times=2)
    assert isinstance(caught.value, TypeError)
    with pytest.raises(MCPToolError, match="'no_such_tool' of the server 'tools' failed: Unknown tool"):
        tools.Tools.module.call_tool("no_such_tool", {})


def test_malformed_results(agent_factory, add_server):
    add_server("broken", f"{PYTHON} {MALFORMED_SERVER}", timeout=2)
    agent = agent_factory()
    agent.learn("Broken")
    with pytest.raises(MCPMalformedResult, match=r"not a valid MCP result \(content: .*list"):
        agent.Broken.not_a_result()
    with pytest.raises(MCPMalformedResult, match="image .* not base64"):
        agent.Broken.bad_image()
    with pytest.raises(MCPTimeout):  # a line that is not JSON-RPC is no answer
        agent.Broken.garbage()


def test_a_misconfigured_entry_is_listed_but_not_learned(agent_factory, add_server):
    add_server("oops", "mcp-server-time 'unclosed")
    add_server("late", "mcp-server-time", timeout="soon")
    agent = agent_factory()
    assert "misconfigured" in agent.registry.task("Oops").summary
    with pytest.raises(MCPConfigError, match=r"'oops' is misconfigured: its command line cannot be read"):
        agent.learn("Oops")
    with pytest.raises(MCPConfigError, match="timeout must be a number of seconds, not 'soon'"):
        agent.api("Late")


def test_a_server_removed_after_listing(agent_factory, add_server):
    from dosaku.config import Config

    add_server("time", "mcp-server-time")
    agent = agent_factory()
    assert "Time" in agent.learnable_tasks
    Config().unset("MCP_SERVERS", "time")
    with pytest.raises(MCPConfigError, match="No MCP server 'time' is configured"):
        agent.learn("Time")
