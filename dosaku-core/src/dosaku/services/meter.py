"""Metering of service calls: each call's worst case reserved against the spend limit, then its real use booked.

Every service call goes through its :class:`Meter`: before sending, ``meter.reserve(...)`` prices the worst case of
the call (its whole prompt plus ``max_tokens`` of output, the images or calls it asks for) and, when a spend limit
is set, reserves it, refusing with :class:`~dosaku.errors.SpendLimitExceeded` before a byte is sent if the limit
would be passed. After the call, ``reservation.settle(...)`` books the real use (requests, tokens, cost) in the
:class:`~dosaku.services.ledger.SpendLedger` and frees the reservation. Local modules have no meter: they
cost nothing and are never blocked.

The agent gives each service it learns a meter (``instance.meter``, from its
:class:`~dosaku.services.spending.Spending`); a service used on its own makes one from the user's config
(:func:`~dosaku.services.spending.default_meter`).

Example (inside a service)::

    reservation = self.meter.reserve('gpt-4o-mini', prompt_tokens=estimate, max_output_tokens=256)
    try:
        response = send(...)
    except Exception:
        reservation.release()
        raise
    reservation.settle(prompt_tokens=response.usage.prompt_tokens, completion_tokens=...)
"""
from __future__ import annotations

import json
import logging
from typing import Any

from dosaku.errors import PriceUnknown
from dosaku.services.ledger import SpendLedger
from dosaku.services.prices import Price, PriceTable

log = logging.getLogger(__name__)


def estimate_prompt_tokens(messages: Any) -> int:
    """An upper bound of the tokens a prompt takes: its UTF-8 bytes plus a per-message allowance.

    Byte-level BPE tokenizers never make more tokens than bytes, so this bounds the real count without
    needing the model's tokenizer.

    Example::

        estimate_prompt_tokens([{'role': 'user', 'content': 'Hi'}])  # 2 + 8 + 3 = 13
    """
    if isinstance(messages, str):
        return len(messages.encode("utf-8")) + 3
    total = 3
    for message in messages or ():
        total += 8 + len(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return total


class Reservation:
    """One call's reserved worst-case cost; settle it with the real use, or release it if nothing was used."""

    def __init__(self, meter: Meter, model: str, price: Price | None, worst_case_usd: float | None, ident: int | None):
        self.meter, self.model, self.price = meter, model, price
        self.worst_case_usd, self._id, self.done = worst_case_usd, ident, False

    def settle(
        self,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        images: int = 0,
        calls: float = 0,
        cost_usd: float | None = None,
    ) -> float | None:
        """Book the call's real use; returns its cost (None when the price is unknown)."""
        if self.done:
            return None
        self.done = True
        if cost_usd is None and self.price is not None:
            cost_usd = self.price.cost(prompt_tokens, completion_tokens, images, calls)
        self.meter.ledger.record(
            self.meter.service, self.model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            images=images, cost_usd=cost_usd, reservation=self._id,
        )
        log.debug("%s %s: %s+%s tokens, %s images, $%s", self.meter.service, self.model, prompt_tokens,
                  completion_tokens, images, cost_usd)
        return cost_usd

    def release(self, charge_worst_case: bool = False) -> None:
        """The call failed: book one request costing nothing (or, if it may have been billed, the worst case)."""
        if self.done:
            return
        cost = self.worst_case_usd if charge_worst_case else 0.0
        self.settle(cost_usd=cost) if cost is not None else self.settle()


class Meter:
    """Meters one service's calls and enforces the spend limit.

    Args:
        service: The service's name, as booked in the ledger (e.g. ``'OpenAIChat'``).
        ledger: Where spend is kept.
        prices: The price table.
        limit_usd: The spend limit (None: no limit).
        period: ``'day'`` (the limit is per day) or ``'total'``.
        allow_unknown_prices: Let calls to models without a price pass the limit.
    """

    def __init__(
        self,
        service: str,
        ledger: SpendLedger,
        prices: PriceTable,
        limit_usd: float | None = None,
        period: str = "day",
        allow_unknown_prices: bool = False,
    ):
        self.service, self.ledger, self.prices = service, ledger, prices
        self.limit_usd, self.period, self.allow_unknown_prices = limit_usd, period, allow_unknown_prices

    def reserve(
        self,
        model: str,
        *,
        prompt_tokens: int = 0,
        max_output_tokens: int = 0,
        images: int = 0,
        calls: float = 0,
    ) -> Reservation:
        """Price the worst case of a call and, when there is a limit, reserve it.

        Raises:
            SpendLimitExceeded: the worst case would take spending past the limit. Nothing was sent.
            PriceUnknown: a limit is set and ``model`` has no price (unless unknown prices are allowed).
        """
        price = self.prices.get(model)
        worst = price.cost(prompt_tokens, max_output_tokens, images, calls) if price is not None else None
        if self.limit_usd is None:
            return Reservation(self, model, price, worst, None)
        if worst is None:
            if not self.allow_unknown_prices:
                raise PriceUnknown(self.service, model, self.limit_usd)
            return Reservation(self, model, price, worst, None)
        ident = self.ledger.reserve(self.service, worst, self.limit_usd, self.period)
        return Reservation(self, model, price, worst, ident)

    def __repr__(self) -> str:
        return f"Meter({self.service!r}, limit_usd={self.limit_usd}, period={self.period!r})"
