"""Listing MCP tasks is cheap and safe: no MCP SDK imported, no server started, no secret shown; `dosaku mcp
add|remove|list|refresh` edit and show [MCP_SERVERS]; the tool list is cached and refreshed."""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from helpers import PYTHON, TOOL_SERVER, program

HEAVY = ("mcp", "mcp_types", "starlette", "uvicorn", "httpx", "httpx2", "sse_starlette")


def dosaku(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([program("dosaku"), *args], capture_output=True, text=True, timeout=120, input=stdin,
                          env=os.environ.copy())


def test_listing_imports_no_mcp_and_starts_no_server(home, add_server, tmp_path):
    started = tmp_path / "started"
    add_server("tracer", f"{PYTHON} -c \"open('{started}', 'w')\"")
    add_server("time", "mcp-server-time")
    script = (
        "import sys\nimport dosaku_mcp.plugin\nfrom dosaku import Agent\nagent = Agent()\n"
        "tasks = agent.learnable_tasks\nmodules = agent.learnable_modules('Time')\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(tasks, modules, heavy)\n"
    )
    for _ in range(2):  # collecting the registry, then from its cache
        done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "'Time'" in done.stdout and "'Tracer'" in done.stdout and "['TimeMCP']" in done.stdout
        assert done.stdout.strip().endswith("[]"), done.stdout  # no heavy module imported
    assert not started.exists()


def test_dosaku_tasks_lists_servers_without_secrets(home, add_server):
    add_server("hub", "HUB_TOKEN=s3cr3t-value mcp-server-time --local-timezone UTC")
    done = dosaku("tasks")
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("Hub"))
    assert "Tools of the MCP server 'hub' (HUB_TOKEN=… mcp-server-time --local-timezone UTC, stdio)" in line
    assert "[HubMCP]" in line
    assert "s3cr3t" not in done.stdout
    cache = Path(os.environ["DOSAKU_CACHE_DIR"])
    assert all(b"s3cr3t" not in path.read_bytes() for path in cache.rglob("*") if path.is_file())


def test_dosaku_doc_shows_a_tool(home, add_server):
    add_server("time", "mcp-server-time --local-timezone UTC")
    done = dosaku("doc", "Time", "get_current_time")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Get current time in a specific timezone")
    assert "timezone: IANA timezone name" in done.stdout


def test_mcp_add_list_remove(home):
    from dosaku.config import Config

    done = dosaku("mcp", "add", "time", "--", "mcp-server-time", "--local-timezone", "Europe/Paris")
    assert done.returncode == 0, done.stderr
    assert "as the task Time (module)" in done.stdout
    assert Config().get("MCP_SERVERS", "time") == "mcp-server-time --local-timezone Europe/Paris"
    done = dosaku("mcp", "add", "weather", "https://weather.example.com/mcp", "--task", "Forecast", "--timeout", "5")
    assert done.returncode == 0, done.stderr
    assert "as the task Forecast (service)" in done.stdout
    listed = dosaku("mcp", "list")
    assert listed.returncode == 0, listed.stderr
    assert "time             task Time" in listed.stdout and "tools not listed yet" in listed.stdout
    assert "weather          task Forecast       service  https://weather.example.com/mcp" in listed.stdout
    tasks = dosaku("tasks").stdout
    assert "Forecast" in tasks and "Time " in tasks
    assert Config().get("MCP_SERVER_OPTIONS", "weather.timeout") == "5.0"
    removed = dosaku("mcp", "remove", "weather")
    assert removed.returncode == 0 and "Removed the MCP server 'weather'" in removed.stdout
    assert Config().get("MCP_SERVER_OPTIONS", "weather.task") is None
    assert "Forecast" not in dosaku("tasks").stdout


def test_mcp_add_refuses_bad_names_and_taken_tasks(home):
    done = dosaku("mcp", "add", "chat", "--", "mcp-server-time")
    assert done.returncode != 0
    assert "The task name 'Chat' is taken (by dosaku.default_plugins.core); choose another" in done.stderr
    done = dosaku("mcp", "add", "9lives", "--", "mcp-server-time")
    assert done.returncode != 0 and "'9lives' is not a server name" in done.stderr
    done = dosaku("mcp", "add", "time", "--task", "lower", "--", "mcp-server-time")
    assert done.returncode != 0 and "'lower' is not a task name" in done.stderr
    done = dosaku("mcp", "remove", "nothing")
    assert done.returncode != 0 and "There is no MCP server 'nothing'" in done.stderr
    assert "No MCP servers are configured" in dosaku("mcp", "list").stdout


def test_two_servers_cannot_share_a_task_name(agent_factory, add_server):
    add_server("my-time", "mcp-server-time")
    add_server("my_time", "mcp-server-time")
    agent = agent_factory()
    assert [task for task in agent.learnable_tasks if task == "MyTime"] == ["MyTime"]
    assert not agent.plugin_errors


def test_the_tool_list_is_cached_and_refreshed(agent_factory, add_server, tmp_path):
    from dosaku_mcp import refresh_tools, tool_cache
    from dosaku_mcp.servers import entry

    starts = tmp_path / "starts"
    add_server("tools", f"sh -c 'echo start >> {starts}; exec {PYTHON} {TOOL_SERVER}'")
    agent = agent_factory()
    assert "echo" in agent.api("Tools")  # no cache yet: started once to list its tools
    assert starts.read_text().count("start") == 1
    assert agent.doc("Tools", action="echo").startswith("Echo a text back")
    agent_factory().api("Tools")
    assert starts.read_text().count("start") == 1  # from the cache
    from dosaku.config import Config

    server = entry(Config(), "tools")
    cached = json.loads(tool_cache.cache_path(server).read_text())
    assert [tool["name"] for tool in cached["tools"]][:3] == ["echo", "add", "swatch"]
    assert refresh_tools("tools")["tools"].tool("echo")["description"] == "Echo a text back, optionally repeated."
    assert starts.read_text().count("start") == 2
    done = dosaku("mcp", "refresh", "tools")
    assert done.returncode == 0 and done.stdout.startswith("tools: echo, add, swatch")
    assert "(7 tools cached)" in dosaku("mcp", "list").stdout


def test_a_changed_command_is_listed_again(agent_factory, add_server, tmp_path):
    add_server("tools", f"{PYTHON} {TOOL_SERVER}")
    assert "echo" in agent_factory().api("Tools")
    add_server("tools", "mcp-server-time")
    assert agent_factory().api("Tools") == ["get_current_time", "convert_time"]


def test_a_server_whose_tools_changed_updates_the_cache(agent_factory, add_server, home):
    from dosaku.config import Config
    from dosaku_mcp import tool_cache
    from dosaku_mcp.servers import entry
    from dosaku_mcp.tool_cache import ToolListing

    add_server("time", "mcp-server-time")
    server = entry(Config(), "time")
    tool_cache.save(server, ToolListing([{"name": "old_tool", "description": "Gone now.", "input_schema": {}}]))
    agent = agent_factory()
    assert agent.api("Time") == ["old_tool"]
    agent.learn("Time")  # the live list differs: cached for next time
    assert [tool["name"] for tool in tool_cache.load(server).tools] == ["get_current_time", "convert_time"]
    assert agent_factory().api("Time") == ["get_current_time", "convert_time"]


@pytest.mark.parametrize("name", ["remove", "list"])
def test_mcp_commands_have_help(home, name):
    done = dosaku("mcp", name, "--help")
    assert done.returncode == 0 and "Usage: dosaku mcp" in done.stdout


def test_the_key_names_no_command(home, add_server):
    from dosaku.config import Config
    from dosaku_mcp.servers import decode_key, entry

    add_server("hub", f"TOKEN={uuid.uuid4().hex} mcp-server-time")
    server = entry(Config(), "hub")
    assert "TOKEN" not in server.key and decode_key(server.key).target == server.target
