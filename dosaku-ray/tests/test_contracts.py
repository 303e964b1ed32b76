"""The per-task contract suites of dosaku.testing, with the modules placed on the worker node of a real cluster."""
from __future__ import annotations

import os

import pytest
from dosaku.testing import ChatContract, PlayGoContract
from ray_test_helpers import assert_on_worker


class TestEchoBotOnRay(ChatContract):
    @pytest.fixture
    def chat(self, make_agent, ray_cluster):
        agent = make_agent()
        agent.learn("Chat", module="EchoBot", placement="ray")
        assert_on_worker(agent.Chat.module, ray_cluster)
        return agent.Chat


@pytest.mark.slow
class TestLlamaCppChatOnRay(ChatContract):
    @pytest.fixture(scope="class")
    @classmethod
    def placed(cls, ray_cluster):
        pytest.importorskip("dosaku_llamacpp")
        from dosaku.testing import isolated_agent
        from ray_test_helpers import ray_config

        agent = isolated_agent(entry_points=True, config=ray_config())  # dosaku-ray found by its entry point
        agent.learn("Chat", module="LlamaCppChat", placement="ray", temperature=0.0, max_tokens=24,
                    config=ray_config())
        assert_on_worker(agent.Chat.module, ray_cluster)
        yield agent
        agent.unlearn("Chat")

    @pytest.fixture
    def chat(self, placed):
        placed.Chat.reset()
        return placed.Chat


def _gnugo_installed() -> bool:
    try:
        from dosaku_gnugo.gnugo import gnugo_command
    except ImportError:
        return False
    return os.access(gnugo_command()[0], os.X_OK)


@pytest.mark.skipif(not _gnugo_installed(), reason="needs dosaku-modules-gnugo and GNU Go (apt-get install gnugo)")
class TestGnuGoOnRay(PlayGoContract):
    @pytest.fixture
    def go(self, make_agent, ray_cluster):
        from dosaku_gnugo import plugin

        agent = make_agent(plugin)
        agent.learn("PlayGo", module="GnuGo", placement="ray")
        assert_on_worker(agent.PlayGo.module, ray_cluster)
        return agent.PlayGo
