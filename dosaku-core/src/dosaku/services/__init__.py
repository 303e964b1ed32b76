"""The services gate: every call of a service (a module that sends data to a remote, maybe paid, API) is metered,
priced and held to the user's spend limit before anything is sent.

- :mod:`~dosaku.services.prices`: :class:`Price` and :class:`PriceTable` (the packs register their models' prices
  through the ``register_prices`` hook; ``[PRICES]`` in config.ini overrides them);
- :mod:`~dosaku.services.meter`: :class:`Meter` and :class:`Reservation` (what a service does around each call);
- :mod:`~dosaku.services.ledger`: :class:`SpendLedger`, the SQLite file of what was spent;
- :mod:`~dosaku.services.spending`: :class:`Spending`, an agent's policy (one limit, ledger and price table).

Example::

    agent = Agent(enable_services=True, spend_limit_usd=2)
    agent.learn('Chat', module='OpenAIChat')
    agent.spending.spent()          # USD spent today
"""
from __future__ import annotations

from dosaku.services.ledger import SpendLedger, SpendRow
from dosaku.services.meter import Meter, Reservation, estimate_prompt_tokens
from dosaku.services.prices import Price, PriceSpec, PriceTable
from dosaku.services.spending import Spending, default_meter

__all__ = ["Meter", "Price", "PriceSpec", "PriceTable", "Reservation", "SpendLedger", "SpendRow", "Spending",
           "default_meter", "estimate_prompt_tokens"]
