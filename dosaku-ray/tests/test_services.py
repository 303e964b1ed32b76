"""Kinds do not change with placement: a service on Ray still needs enable_services and is still metered."""
from __future__ import annotations

import pytest
from dosaku.errors import ServicePermissionRequired, SpendLimitExceeded
from ray_test_helpers import assert_on_worker, dosaku_apps, ray_config

pytest.importorskip("dosaku_openai")


@pytest.fixture
def server():
    from dosaku_openai.testing import FakeOpenAIServer

    with FakeOpenAIServer() as fake:
        yield fake


def openai_config(server, **extra):
    return ray_config(API_KEYS__OPENAI=server.api_key, **extra)


def learn_openai(agent, server):
    agent.learn("Chat", module="OpenAIChat", placement="ray", base_url=server.base_url, api_key=server.api_key,
                model="gpt-4o-mini", max_tokens=16)


def test_a_service_without_permission_sends_nothing_and_deploys_nothing(make_agent, server):
    agent = make_agent(config=openai_config(server), entry_points=True)
    with pytest.raises(ServicePermissionRequired, match="services have not been enabled"):
        learn_openai(agent, server)
    assert server.requests == [] and dosaku_apps() == [] and agent.tasks == []


def test_a_placed_service_is_metered_in_the_agents_ledger(make_agent, server, ray_cluster):
    agent = make_agent(config=openai_config(server), enable_services=True, entry_points=True)
    learn_openai(agent, server)
    assert_on_worker(agent.Chat.module, ray_cluster)
    assert agent.Chat("Hello there") == "You said: Hello there"
    assert len(server.requests) == 1
    rows = agent.spending.ledger.rows()
    assert [(row.service, row.model, row.requests) for row in rows] == [("OpenAIChat", "gpt-4o-mini", 1)]
    assert rows[0].cost_usd > 0


def test_the_spend_limit_stops_a_placed_service_before_it_sends(make_agent, server):
    limited = openai_config(server, SERVICES__SPEND_LIMIT_USD="0")
    agent = make_agent(config=limited, enable_services=True, entry_points=True)
    learn_openai(agent, server)
    with pytest.raises(SpendLimitExceeded) as info:
        agent.Chat("Hello there")
    assert type(info.value) is SpendLimitExceeded  # the same type, with its attributes, not a Ray error
    assert info.value.limit_usd == 0 and info.value.service == "OpenAIChat" and info.value.needed_usd > 0
    assert "refused before sending" in str(info.value)
    assert server.requests == []
