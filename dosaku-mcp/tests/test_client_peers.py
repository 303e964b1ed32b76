"""MCP servers as tasks, against real peers: mcp-server-time and mcp-server-git (PyPI) over stdio, mcp-server-time's
own server over streamable HTTP, and the SDK's MCPServer (tests/servers/tool_server.py) for images."""
from __future__ import annotations

import inspect
import subprocess
import uuid

import pytest
from dosaku import ServicePermissionRequired
from dosaku.agents.tools import action_tool
from helpers import HTTP_TIME_SERVER, PYTHON, TOOL_SERVER, background, free_port, processes_with, wait_until_gone


def test_time_server_is_a_task_with_one_action_per_tool(agent_factory, add_server):
    add_server("time", "mcp-server-time --local-timezone UTC")
    agent = agent_factory()
    assert "Time" in agent.learnable_tasks
    assert agent.learnable_modules("Time") == ["TimeMCP"]
    assert agent.api("Time") == ["get_current_time", "convert_time"]
    assert agent.doc("Time").startswith("Tools of the MCP server 'time'.")
    doc = agent.doc("Time", action="convert_time")
    assert doc.startswith("Convert time between timezones")
    assert "source_timezone: Source IANA timezone name" in doc and "time: Time to convert in 24-hour format" in doc

    agent.learn("Time")
    now = agent.Time.get_current_time(timezone="Europe/Paris")
    assert now["timezone"] == "Europe/Paris" and now["datetime"][:2] == "20"
    converted = agent.Time.convert_time("Europe/London", "12:00", "Asia/Tokyo")
    assert converted["target"]["timezone"] == "Asia/Tokyo" and converted["target"]["datetime"][11:16] in ("20:00",
                                                                                                       "21:00")
    assert agent.loaded_modules == ["TimeMCP"]


def test_the_signature_is_the_tool_schema_as_the_dosaku_agent_sees_it(agent_factory, add_server):
    add_server("time", "mcp-server-time --local-timezone UTC")
    agent = agent_factory()
    task_class = agent.registry.task("Time").load()
    signature = inspect.signature(task_class.convert_time)
    assert list(signature.parameters) == ["self", "source_timezone", "time", "target_timezone"]
    tool = action_tool("Time", task_class, "convert_time")["function"]
    assert tool["name"] == "Time__convert_time"
    assert tool["parameters"]["required"] == ["source_timezone", "time", "target_timezone"]
    assert tool["parameters"]["properties"]["time"] == {"type": "string",
                                                        "description": "Time to convert in 24-hour format (HH:MM)"}


def test_a_tool_error_is_clear(agent_factory, add_server):
    from dosaku_mcp import MCPToolError

    add_server("time", "mcp-server-time --local-timezone UTC")
    agent = agent_factory()
    agent.learn("Time")
    with pytest.raises(MCPToolError, match="'get_current_time' of the server 'time' failed: .*Invalid timezone"):
        agent.Time.get_current_time(timezone="Nowhere/Atlantis")
    assert agent.Time.get_current_time(timezone="UTC")["timezone"] == "UTC"  # still works


def test_git_server_on_a_repository_the_test_makes(agent_factory, add_server, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.email=test@example.com", "-c", "user.name=Test"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "notes.txt").write_text("first\n")
    subprocess.run([*git, "add", "notes.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "Add the notes"], check=True)
    (repo / "notes.txt").write_text("first\nsecond\n")
    add_server("git", f"mcp-server-git --repository {repo}")
    agent = agent_factory()
    assert {"git_status", "git_log", "git_diff_unstaged", "git_commit"} <= set(agent.api("Git"))
    agent.learn("Git")
    assert "modified:   notes.txt" in agent.Git.git_status(repo_path=str(repo))
    assert "+second" in agent.Git.git_diff_unstaged(repo_path=str(repo))
    log = agent.Git.git_log(repo_path=str(repo), max_count=5)
    assert "Add the notes" in log
    agent.Git.git_add(repo_path=str(repo), files=["notes.txt"])
    agent.Git.git_commit(repo_path=str(repo), message="Second line")
    assert subprocess.run([*git, "log", "-1", "--format=%s"], capture_output=True, text=True).stdout == "Second line\n"


def test_streamable_http_server_is_a_service(agent_factory, add_server):
    port = free_port()
    with background([PYTHON, str(HTTP_TIME_SERVER), str(port)], port):
        add_server("clock", f"http://127.0.0.1:{port}/mcp")
        agent = agent_factory()
        assert agent.registry.module("ClockMCP").kind == "service"
        with pytest.raises(ServicePermissionRequired):
            agent.learn("Clock")
        assert agent.tasks == []
        trusted = agent_factory(enable_services=True)
        trusted.learn("Clock")
        assert trusted.api("Clock") == ["get_current_time", "convert_time"]
        assert trusted.Clock.get_current_time(timezone="Asia/Kolkata")["timezone"] == "Asia/Kolkata"
        assert trusted.Clock.module.kind == "service"
        assert trusted.spending.ledger.spent("day", "ClockMCP") == 0.0  # metered, at no cost


def test_images_come_back_as_pil_images(agent_factory, add_server):
    from PIL import Image

    add_server("tools", f"{PYTHON} {TOOL_SERVER}")
    agent = agent_factory()
    agent.learn("Tools")
    image = agent.Tools.swatch(width=6, height=3)
    assert isinstance(image, Image.Image) and image.size == (6, 3)
    assert image.convert("RGB").getpixel((0, 0)) == (200, 30, 30)
    assert agent.Tools.echo("hi", times=2) == "hi hi"  # a plain return value, not {'result': ...}
    assert agent.Tools.add(a=1.5, b=2) == 3.5


def test_the_dosaku_agent_calls_mcp_tools(agent_factory, add_server):
    from dosaku.agents import Dosaku
    from dosaku.config import Config

    add_server("time", "mcp-server-time --local-timezone UTC")
    dosk = Dosaku(chat_module="ToolCallerBot", config=Config())
    try:
        dosk.learn("Time")
        assert "Time__get_current_time" in [tool["function"]["name"] for tool in dosk.tool_schemas()]
        answer = dosk.do('call Time__get_current_time {"timezone": "Asia/Tokyo"}')
        step = answer.steps[0]
        assert (step.task, step.action, step.status) == ("Time", "get_current_time", "ok")
        assert step.value["timezone"] == "Asia/Tokyo"
        assert "Asia/Tokyo" in str(answer)
    finally:
        dosk.unlearn("Time")


def test_servers_start_when_learned_and_stop_on_unlearn(agent_factory, add_server):
    token = f"marker-{uuid.uuid4().hex}"
    add_server("tools", f"{PYTHON} {TOOL_SERVER} --marker /tmp/{token}")
    agent = agent_factory()
    assert agent.api("Tools")  # listing its tools starts it briefly, then stops it
    assert wait_until_gone(token)
    agent.learn("Tools")
    assert len(processes_with(token)) == 1
    agent.unlearn("Tools")
    assert wait_until_gone(token)


def test_servers_stop_when_python_exits(home, add_server):
    token = f"marker-{uuid.uuid4().hex}"
    add_server("tools", f"{PYTHON} {TOOL_SERVER} --marker /tmp/{token}")
    script = ("from dosaku import Agent\nagent = Agent()\nagent.learn('Tools')\n"
              f"import helpers\nassert helpers.processes_with({token!r})\nprint('learned')\n")
    done = subprocess.run([PYTHON, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=str(TOOL_SERVER.parent.parent))
    assert done.returncode == 0, done.stderr
    assert "learned" in done.stdout
    assert wait_until_gone(token)


def test_learning_twice_reuses_the_classes_and_each_agent_has_its_own_server(agent_factory, add_server):
    token = f"marker-{uuid.uuid4().hex}"
    add_server("tools", f"{PYTHON} {TOOL_SERVER} --marker /tmp/{token}")
    first, second = agent_factory(), agent_factory()
    first.learn("Tools")
    second.learn("Tools")
    assert type(first.Tools.module) is type(second.Tools.module)
    assert first.Tools.module is not second.Tools.module
    assert len(processes_with(token)) == 2
