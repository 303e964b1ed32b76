"""Fixtures: an isolated Dosaku home whose config loads the test kit (a plugin folder) and names MCP servers."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers, under --import-mode=importlib

from helpers import PLUGIN_DIR  # noqa: E402

pytest_plugins = ["dosaku.testing.fixtures"]


@pytest.fixture
def home(dosaku_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Dosaku home with the test kit loaded, and this interpreter's scripts on PATH."""
    from dosaku.config import Config

    Config().set("PLUGINS", "DIRECTORIES", str(PLUGIN_DIR))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return dosaku_home


@pytest.fixture
def add_server(home: Path) -> Callable[..., None]:
    """``add_server('time', 'mcp-server-time', timeout=2)``: write [MCP_SERVERS] (and options) to the config."""
    from dosaku.config import Config

    def add(name: str, target: str, **options: object) -> None:
        config = Config()
        config.set("MCP_SERVERS", name, target)
        for option, value in options.items():
            config.set("MCP_SERVER_OPTIONS", f"{name}.{option}", str(value))

    return add


@pytest.fixture
def agent_factory(home: Path) -> Callable[..., object]:
    """Makes agents that read the test home (their own config, so each sees the servers added so far)."""
    from dosaku import Agent, Config

    agents = []

    def make(**kwargs: object) -> object:
        agent = Agent(config=Config(), **kwargs)
        agents.append(agent)
        return agent

    yield make
    for agent in agents:  # stop what the test left running
        for task in list(agent.tasks):
            agent.unlearn(task)
