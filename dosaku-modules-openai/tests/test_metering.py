"""Usage metering and the spend limit, with the loopback server counting the requests that got through."""
from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from dosaku.config import Config
from dosaku.errors import PriceUnknown, SpendLimitExceeded
from dosaku.services import SpendLedger
from dosaku_openai.testing import FakeOpenAIServer

PRICE = "input=1000, output=2000"  # USD per million tokens: big enough to make cents of a few words


def _ledger() -> SpendLedger:
    return SpendLedger.for_config(Config())


def test_usage_is_metered_per_call(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", model="gpt-4o-mini")
    agent.Chat("one two three")          # server usage: prompt 3 words, completion 5 words
    list(agent.Chat.message("four five", stream=True))
    [row] = _ledger().rows()
    assert (row.service, row.model, row.requests) == ("OpenAIChat", "gpt-4o-mini", 2)
    # second prompt: the history (3 + 5 words) and 2 words; completion 4 words
    assert (row.prompt_tokens, row.completion_tokens) == (3 + 10, 5 + 4)
    assert row.cost_usd == pytest.approx((13 * 0.15 + 9 * 0.60) / 1e6)
    assert row.unknown_cost_requests == 0


def test_spend_limit_stops_requests_before_they_are_sent(make_agent: Any, openai_env: FakeOpenAIServer,
                                                         dosaku_config: Config) -> None:
    dosaku_config.set("PRICES", "test-model", PRICE)
    agent = make_agent(spend_limit_usd=1.0)
    agent.learn("Chat", module="OpenAIChat", model="test-model", max_tokens=100)
    sent = 0
    with pytest.raises(SpendLimitExceeded) as refused:
        for _ in range(200):
            agent.Chat("hello")
            sent += 1
    assert sent > 0 and len(openai_env.requests) == sent
    error = refused.value
    assert error.spent_usd <= 1.0 < error.spent_usd + error.needed_usd
    assert "Raise the limit (Agent(spend_limit_usd=...) or [SERVICES] SPEND_LIMIT_USD" in str(error)
    with pytest.raises(SpendLimitExceeded):
        list(agent.Chat.message("again", stream=True))
    assert len(openai_env.requests) == sent  # zero requests after the limit
    assert _ledger().spent() == pytest.approx(error.spent_usd)


def test_spend_persists_across_restarts(make_agent: Any, openai_env: FakeOpenAIServer, dosaku_config: Config) -> None:
    dosaku_config.set("PRICES", "test-model", PRICE)
    first = make_agent()
    first.learn("Chat", module="OpenAIChat", model="test-model", max_tokens=100)
    first.Chat("hello")
    spent = first.spending.spent()
    assert spent > 0
    dosaku_config.set("SERVICES", "SPEND_LIMIT_USD", str(spent + 0.01))  # the limit from config.ini
    second = make_agent()
    second.learn("Chat", module="OpenAIChat", model="test-model", max_tokens=100)
    assert second.spending.spent() == pytest.approx(spent)
    with pytest.raises(SpendLimitExceeded):
        second.Chat("hello")
    assert len(openai_env.requests) == 1


def test_an_open_stream_holds_its_reservation(make_agent: Any, openai_env: FakeOpenAIServer,
                                              dosaku_config: Config) -> None:
    dosaku_config.set("PRICES", "test-model", PRICE)
    agent = make_agent(spend_limit_usd=0.45)  # one worst case (about 0.3) fits, two do not
    agent.learn("Chat", module="OpenAIChat", model="test-model", max_tokens=100)
    stream = agent.Chat.message("hello", stream=True)
    with pytest.raises(SpendLimitExceeded):
        agent.Chat("meanwhile")
    assert list(stream)[-1] == "You said: hello"
    assert agent.Chat("now") == "You said: now"  # settled at its real cost, the room came back
    assert len(openai_env.requests) == 2


def test_unknown_price_is_refused_under_a_limit_unless_allowed(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent(spend_limit_usd=5)
    agent.learn("Chat", module="OpenAIChat", model="my-local-llm")
    with pytest.raises(PriceUnknown, match=r"price of 'my-local-llm' is unknown.*\[PRICES\] my-local-llm = "):
        agent.Chat("hi")
    assert openai_env.requests == []
    allowing = make_agent(spend_limit_usd=5, allow_unknown_prices=True)
    allowing.learn("Chat", module="OpenAIChat", model="my-local-llm")
    assert allowing.Chat("hi") == "You said: hi"
    [row] = _ledger().rows()
    assert (row.model, row.requests, row.unknown_cost_requests, row.cost_usd) == ("my-local-llm", 1, 1, 0.0)


def test_no_limit_means_unknown_prices_are_just_counted(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", model="my-local-llm")
    agent.Chat("hi")
    assert _ledger().rows()[0].unknown_cost_requests == 1


def test_local_modules_are_never_metered_or_blocked(make_agent: Any) -> None:
    agent = make_agent(spend_limit_usd=0)
    agent.learn("Chat")  # EchoBot, a local module
    assert "EchoBot" in agent.Chat("hi")
    assert _ledger().rows() == []


def test_dosaku_spend_command(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    from dosaku.cli import build_cli

    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", model="gpt-4o-mini")
    agent.learn("TextToImage", module="OpenAITextToImage", model="dall-e-3")
    agent.Chat("hello there")
    agent.TextToImage(prompt="a red square", size="256x256")
    cli = build_cli()
    result = CliRunner().invoke(cli, ["spend"])
    assert result.exit_code == 0, result.output
    assert "OpenAIChat" in result.output and "OpenAITextToImage" in result.output and "dall-e-3" in result.output
    assert "0.0800" in result.output  # one DALL-E 3 image
    rows = json.loads(CliRunner().invoke(cli, ["spend", "--json", "--service", "OpenAIChat"]).output)
    assert [(r["service"], r["requests"]) for r in rows] == [("OpenAIChat", 1)]
