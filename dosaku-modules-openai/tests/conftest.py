from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dosaku.testing.fixtures import dosaku_config, dosaku_home  # noqa: F401 - fixtures
from dosaku_openai.testing import FakeOpenAIServer


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def openai_env(dosaku_home: Any, server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAIServer:
    """The user's environment points OpenAI at the loopback server (key and base URL)."""
    monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    return server


@pytest.fixture
def make_agent(openai_env: FakeOpenAIServer) -> Any:
    """Agents with core's plugins and this pack's real plugin module (in process), on the test's config."""
    import dosaku_openai.plugin
    from dosaku.agent import Agent
    from dosaku.config import Config
    from dosaku.testing import make_plugin_manager

    def build(**kwargs: Any) -> Agent:
        kwargs.setdefault("enable_services", True)
        return Agent(config=Config(), plugin_manager=make_plugin_manager(dosaku_openai.plugin), **kwargs)

    return build
