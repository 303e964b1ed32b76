"""The services gate: prices (registered by plugins, overridden by config), the spend ledger, meters and
reservations (no service library needed)."""
from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest
from dosaku.config import Config
from dosaku.errors import ConfigError, PriceUnknown, SpendLimitExceeded
from dosaku.module import Service
from dosaku.services import Meter, Price, PriceTable, Spending, SpendLedger, estimate_prompt_tokens
from dosaku.testing.fixtures import dosaku_config, dosaku_home  # noqa: F401 - fixtures


def test_price_parse_and_cost() -> None:
    price = Price.parse("input=0.15, output=0.60")
    assert price == Price(input=0.15, output=0.60)
    assert price.cost(prompt_tokens=1_000_000, completion_tokens=500_000) == pytest.approx(0.45)
    assert Price.parse("call=0.02").cost(calls=3) == pytest.approx(0.06)
    with pytest.raises(ValueError, match="Bad price 'cheap'.*input=0.15"):
        Price.parse("cheap")


PACK_PRICES = {"gpt-4o-mini": Price(input=0.15, output=0.60), "gpt-4o": Price(input=2.5, output=10)}


def test_price_lookup_exact_then_longest_prefix_config_first() -> None:
    table = PriceTable({"gpt-4o": "input=9, output=9"}, defaults=PACK_PRICES)
    assert table.get("gpt-4o-mini-2024-07-18") == Price(input=0.15, output=0.60)  # the pack's, longer prefix
    assert table.get("GPT-4O") == Price(input=9, output=9)  # config wins, case-insensitive
    assert table.get("gpt-4o-2024-08-06") == Price(input=9, output=9)
    assert table.get("mystery") is None


def test_prices_from_config(dosaku_config: Config) -> None:
    dosaku_config.set("PRICES", "my-model", "input=1, output=2")
    assert PriceTable.from_config(dosaku_config).get("my-model-v2") == Price(input=1, output=2)


def test_prompt_bound_is_at_least_the_bytes() -> None:
    messages = [{"role": "user", "content": "héllo wörld"}]
    assert estimate_prompt_tokens(messages) >= len("héllo wörld".encode())
    assert estimate_prompt_tokens("abc") == 6


def test_ledger_books_per_day_service_model(tmp_path: Path) -> None:
    ledger = SpendLedger(tmp_path / "spend.sqlite3")
    ledger.record("A", "m1", prompt_tokens=10, completion_tokens=5, cost_usd=0.5)
    ledger.record("A", "m1", prompt_tokens=1, completion_tokens=1, cost_usd=0.25)
    ledger.record("B", "m2", images=1, cost_usd=None)
    rows = {(r.service, r.model): r for r in ledger.rows()}
    assert rows["A", "m1"].requests == 2 and rows["A", "m1"].prompt_tokens == 11
    assert rows["A", "m1"].cost_usd == pytest.approx(0.75)
    assert rows["B", "m2"].unknown_cost_requests == 1 and rows["B", "m2"].images == 1
    assert ledger.spent() == pytest.approx(0.75) and ledger.spent(service="B") == 0
    ledger.close()
    assert SpendLedger(tmp_path / "spend.sqlite3").spent("total") == pytest.approx(0.75)  # survives a restart


def test_reservations_count_against_the_limit_until_settled(tmp_path: Path) -> None:
    meter = Meter("S", SpendLedger(tmp_path / "s.sqlite3"), PriceTable({"m": "call=1"}), limit_usd=2.5)
    first = meter.reserve("m", calls=1)
    second = meter.reserve("m", calls=1)
    with pytest.raises(SpendLimitExceeded, match=r"could cost up to \$1.0000 but \$2.0000 of the \$2.50"):
        meter.reserve("m", calls=1)
    first.settle(calls=0.25)  # cheaper than feared
    second.release()          # failed: nothing was used
    assert meter.ledger.reserved() == 0
    meter.reserve("m", calls=2).settle(calls=2)
    assert meter.ledger.spent() == pytest.approx(2.25)
    assert [r.requests for r in meter.ledger.rows()] == [3]


def test_concurrent_reservations_never_pass_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    granted: list[int] = []

    def worker() -> None:  # each thread has its own ledger, as separate processes would
        meter = Meter("S", SpendLedger(path), PriceTable({"m": "call=1"}), limit_usd=5)
        for _ in range(5):
            try:
                meter.reserve("m", calls=1)
                granted.append(1)
            except SpendLimitExceeded:
                pass

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(granted) == 5


def test_unknown_price(tmp_path: Path) -> None:
    ledger = SpendLedger(tmp_path / "s.sqlite3")
    with pytest.raises(PriceUnknown, match=r"price of 'x' is unknown.*ALLOW_UNKNOWN_PRICES") as caught:
        Meter("S", ledger, PriceTable({}, defaults={}), limit_usd=1).reserve("x", prompt_tokens=5)
    assert isinstance(caught.value, SpendLimitExceeded) and math.isnan(caught.value.needed_usd)
    reservation = Meter("S", ledger, PriceTable({}, defaults={}), limit_usd=1, allow_unknown_prices=True).reserve("x")
    assert reservation.settle(prompt_tokens=5) is None
    assert ledger.rows()[0].unknown_cost_requests == 1


def test_spending_settings_from_config(dosaku_config: Config) -> None:
    dosaku_config.set("SERVICES", "SPEND_LIMIT_USD", "2.5")
    dosaku_config.set("SERVICES", "ALLOW_UNKNOWN_PRICES", "yes")
    dosaku_config.set("SERVICES", "SPEND_PERIOD", "total")
    spending = Spending(dosaku_config)
    assert (spending.limit_usd, spending.allow_unknown_prices, spending.period) == (2.5, True, "total")
    assert Spending(dosaku_config, limit_usd=1).limit_usd == 1
    dosaku_config.set("SERVICES", "SPEND_LIMIT_USD", "lots")
    with pytest.raises(ConfigError, match=r"\[SERVICES\] SPEND_LIMIT_USD must be a number of US dollars, not 'lots'"):
        Spending(dosaku_config).meter("S")


def test_agent_gives_services_a_meter_and_modules_none(dosaku_home: Path) -> None:
    from dosaku.spec import ModuleSpec
    from dosaku.tasks.chat import Chat
    from dosaku.testing import in_process_plugin, isolated_agent

    class PaidParrot(Service, Chat):
        def message(self, message, **kwargs):
            reservation = self.meter.reserve("parrot", calls=1)
            reservation.settle(calls=1)
            return message

    plugin = in_process_plugin("parrot", modules=[ModuleSpec("PaidParrot", ("Chat",), target=PaidParrot,
                                                             kind="service")])
    agent = isolated_agent(plugin, enable_services=True, spend_limit_usd=1.5)
    agent.config.set("PRICES", "parrot", "call=1")
    agent.learn("Chat", module="PaidParrot")
    assert agent.Chat.module.meter.service == "PaidParrot" and agent.Chat.module.meter.limit_usd == 1.5
    assert agent.Chat("hi") == "hi"
    with pytest.raises(SpendLimitExceeded):
        agent.Chat("again")
    agent.learn("Chat", module="EchoBot")
    assert not hasattr(agent.Chat.module, "meter")


def test_prices_come_from_the_plugins_and_config_overrides_them(dosaku_home: Path) -> None:
    from dosaku.testing import in_process_plugin, isolated_agent

    plugin = in_process_plugin("priced", prices={"tiny-model": "input=1, output=2", "painter": Price(image=0.5)})
    agent = isolated_agent(plugin, config=Config())
    assert agent.spending.prices.get("tiny-model-v2") == Price(input=1, output=2)
    assert agent.spending.prices.get("painter") == Price(image=0.5)
    agent.config.set("PRICES", "tiny-model", "input=3, output=4")
    assert isolated_agent(plugin, config=agent.config).spending.prices.get("tiny-model") == Price(input=3, output=4)


def test_a_bad_or_clashing_price_is_recorded_and_the_others_kept() -> None:
    from dosaku.testing import in_process_plugin, isolated_agent

    first = in_process_plugin("first", prices={"shared": "call=1"})
    second = in_process_plugin("second", prices={"shared": "call=2", "cheap": "free", "fine": "call=3"})
    agent = isolated_agent(first, second)
    errors = {(record.plugin, record.phase): record.error for record in agent.plugin_errors}
    assert "'shared' is already registered by plugin 'first'" in errors[("second", "clash")]
    assert "bad price for 'cheap'" in errors[("second", "spec")]
    assert agent.spending.prices.get("shared") == Price(call=1) and agent.spending.prices.get("fine") == Price(call=3)
