from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dosaku.testing.fixtures import dosaku_config, dosaku_home  # noqa: F401 - fixtures
from dosaku_stability.testing import FakeClipdropServer


@pytest.fixture
def server() -> Iterator[FakeClipdropServer]:
    with FakeClipdropServer() as running:
        yield running


@pytest.fixture
def clipdrop_env(dosaku_home: Any, server: FakeClipdropServer, monkeypatch: pytest.MonkeyPatch) -> FakeClipdropServer:
    """The user's config points Clipdrop at the loopback server; retries back off fast."""
    from dosaku.config import Config

    monkeypatch.setenv("CLIPDROP_API_KEY", server.api_key)
    config = Config()
    config.set("CLIPDROP", "API_HOST", server.url)
    config.set("CLIPDROP", "BACKOFF_S", "0.01")
    return server


@pytest.fixture
def make_agent(clipdrop_env: FakeClipdropServer) -> Any:
    import dosaku_stability.plugin
    from dosaku.agent import Agent
    from dosaku.config import Config
    from dosaku.testing import make_plugin_manager

    def build(**kwargs: Any) -> Agent:
        kwargs.setdefault("enable_services", True)
        return Agent(config=Config(), plugin_manager=make_plugin_manager(dosaku_stability.plugin), **kwargs)

    return build

