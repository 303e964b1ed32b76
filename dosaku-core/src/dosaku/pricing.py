"""Prices of paid services, per model, for estimating what a call costs.

Built-in prices are estimates (list prices when written, USD); the user's ``[PRICES]`` section in ``config.ini``
overrides them, one entry per model (or model prefix)::

    [PRICES]
    gpt-4o-mini = input=0.15, output=0.60      # USD per million prompt / completion tokens
    dall-e-3 = image=0.04                      # USD per image
    clipdrop = call=0.02                       # USD per call (per credit)
    my-local-model = input=0, output=0         # free: calls to it are never refused for an unknown price

A model matches its exact entry first, else the longest entry it starts with (``gpt-4o-mini-2024-07-18`` matches
``gpt-4o-mini``, not ``gpt-4o``); between equal entries, config wins over built-in.
A model with no entry has an unknown price.

Example::

    from dosaku.pricing import PriceTable

    prices = PriceTable.from_config(config)
    prices.get('gpt-4o-mini').cost(prompt_tokens=1000, completion_tokens=200)  # 0.00027
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
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


#: Built-in estimates (USD). Override or extend them with ``[PRICES]`` in config.ini.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(input=0.15, output=0.60),
    "gpt-4o": Price(input=2.50, output=10.00),
    "gpt-4.1-nano": Price(input=0.10, output=0.40),
    "gpt-4.1-mini": Price(input=0.40, output=1.60),
    "gpt-4.1": Price(input=2.00, output=8.00),
    "gpt-4-turbo": Price(input=10.00, output=30.00),
    "gpt-4": Price(input=30.00, output=60.00),
    "gpt-3.5-turbo": Price(input=0.50, output=1.50),
    "o3-mini": Price(input=1.10, output=4.40),
    "o4-mini": Price(input=1.10, output=4.40),
    "dall-e-2": Price(image=0.020),
    "dall-e-3": Price(image=0.080),  # HD 1024x1024; standard quality costs half
    "gpt-image-1": Price(image=0.167),  # high quality 1024x1024, the worst case
    "clipdrop": Price(call=0.02),  # per credit (credit packs cost about this)
}


class PriceTable:
    """Model prices: built-in estimates overridden by the user's ``[PRICES]``.

    Args:
        prices: Overrides, model name (case-insensitive) to :class:`Price` or price text.
        defaults: The built-in table (default :data:`DEFAULT_PRICES`).

    Example::

        prices = PriceTable({'my-model': 'input=1, output=2'})
        prices.get('my-model-v2')  # Price(input=1.0, output=2.0, image=0.0, call=0.0)
        prices.get('unheard-of')   # None: unknown
    """

    def __init__(self, prices: Mapping[str, Price | str] | None = None, defaults: Mapping[str, Price] | None = None):
        self._tables = [
            {name.lower(): p if isinstance(p, Price) else Price.parse(p) for name, p in (prices or {}).items()},
            {name.lower(): p for name, p in (DEFAULT_PRICES if defaults is None else defaults).items()},
        ]

    @classmethod
    def from_config(cls, config: Any) -> PriceTable:
        """The built-in prices overridden by ``[PRICES]`` in ``config``."""
        entries = {key: config.get("PRICES", key) for key in config.keys("PRICES")} if config is not None else {}
        return cls({key: value for key, value in entries.items() if value})

    def get(self, model: str) -> Price | None:
        """The price of ``model``, or None when it is unknown."""
        name = model.lower()
        for table in self._tables:
            if name in table:
                return table[name]
        matches = [(len(key), -rank, table[key]) for rank, table in enumerate(self._tables)
                   for key in table if name.startswith(key)]
        return max(matches, key=lambda match: match[:2])[2] if matches else None
