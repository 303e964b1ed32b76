"""Prices of paid services, per model, for estimating what a call costs.

Each pack registers what its services' models cost through the ``register_prices`` hook (estimates: list prices
when written, USD); the user's ``[PRICES]`` section in ``config.ini`` overrides them, one entry per model (or model
prefix)::

    [PRICES]
    gpt-4o-mini = input=0.15, output=0.60      # USD per million prompt / completion tokens
    dall-e-3 = image=0.04                      # USD per image
    clipdrop = call=0.02                       # USD per call (per credit)
    my-local-model = input=0, output=0         # free: calls to it are never refused for an unknown price

A model matches its exact entry first, else the longest entry it starts with (``gpt-4o-mini-2024-07-18`` matches
``gpt-4o-mini``, not ``gpt-4o``); between equal entries, config wins over the packs' prices.
A model with no entry has an unknown price.

Example::

    from dosaku.services import PriceTable

    prices = PriceTable.from_config(config, agent.registry.prices)
    prices.get('gpt-4o-mini').cost(prompt_tokens=1000, completion_tokens=200)  # 0.00027
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_PRICE_ITEM = re.compile(r"(input|output|image|call)\s*=\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)", re.IGNORECASE)


@dataclass(frozen=True)
class Price:
    """What one model costs, in USD.

    Args:
        input: Per million prompt tokens.
        output: Per million completion tokens.
        image: Per image made.
        call: Per call (or per credit, for credit-priced APIs).
    """

    input: float = 0.0
    output: float = 0.0
    image: float = 0.0
    call: float = 0.0

    def cost(self, prompt_tokens: int = 0, completion_tokens: int = 0, images: int = 0, calls: float = 0) -> float:
        """The cost in USD of this much use.

        Example::

            Price(input=0.15, output=0.60).cost(prompt_tokens=1_000_000)  # 0.15
        """
        return (
            self.input * prompt_tokens / 1e6
            + self.output * completion_tokens / 1e6
            + self.image * images
            + self.call * calls
        )

    @classmethod
    def parse(cls, text: str) -> Price:
        """Read ``'input=0.15, output=0.60'`` (any of input, output, image, call; missing ones are 0)."""
        items = {name.lower(): float(value) for name, value in _PRICE_ITEM.findall(text)}
        if not items:
            raise ValueError(
                f"Bad price {text!r}: expected e.g. 'input=0.15, output=0.60' (USD per million tokens), "
                f"'image=0.04' or 'call=0.02'."
            )
        return cls(**items)


@dataclass(frozen=True)
class PriceSpec:
    """A model's price as a plugin registered it (``register(model, price)`` in its ``register_prices`` hook).

    Attributes:
        name: The model (or model prefix), lower case.
        price: What it costs.
        plugin: The plugin that registered it (set by the registry).
    """

    name: str
    price: Price
    plugin: str = field(default="", compare=False)


class PriceTable:
    """Model prices: the packs' registered prices overridden by the user's ``[PRICES]``.

    Args:
        prices: Overrides, model name (case-insensitive) to :class:`Price` or price text.
        defaults: The packs' prices (model to :class:`Price` or :class:`PriceSpec`), e.g. ``agent.registry.prices``.

    Example::

        prices = PriceTable({'my-model': 'input=1, output=2'})
        prices.get('my-model-v2')  # Price(input=1.0, output=2.0, image=0.0, call=0.0)
        prices.get('unheard-of')   # None: unknown
    """

    def __init__(
        self,
        prices: Mapping[str, Price | str] | None = None,
        defaults: Mapping[str, Price | PriceSpec] | None = None,
    ):
        self._tables = [
            {name.lower(): p if isinstance(p, Price) else Price.parse(p) for name, p in (prices or {}).items()},
            {name.lower(): p.price if isinstance(p, PriceSpec) else p for name, p in (defaults or {}).items()},
        ]

    @classmethod
    def from_config(cls, config: Any, defaults: Mapping[str, Price | PriceSpec] | None = None) -> PriceTable:
        """``defaults`` (the packs' prices) overridden by ``[PRICES]`` in ``config``."""
        entries = {key: config.get("PRICES", key) for key in config.keys("PRICES")} if config is not None else {}
        return cls({key: value for key, value in entries.items() if value}, defaults)

    def get(self, model: str) -> Price | None:
        """The price of ``model``, or None when it is unknown."""
        name = model.lower()
        for table in self._tables:
            if name in table:
                return table[name]
        matches = [(len(key), -rank, table[key]) for rank, table in enumerate(self._tables)
                   for key in table if name.startswith(key)]
        return max(matches, key=lambda match: match[:2])[2] if matches else None
