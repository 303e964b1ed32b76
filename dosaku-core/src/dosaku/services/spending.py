"""An agent's spending policy: one ledger, one price table and one spend limit for all its services.

Settings (``config.ini``)::

    [SERVICES]
    SPEND_LIMIT_USD = 5            # per day (see SPEND_PERIOD); no limit when unset
    SPEND_PERIOD = day             # or total
    ALLOW_UNKNOWN_PRICES = no      # yes: calls to models without a price pass a limit (counted as unknown)

Example::

    spending = Spending(config, limit_usd=2.0, prices=agent.registry.prices)
    chat.meter = spending.meter('OpenAIChat')
    spending.spent()  # USD spent today
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dosaku.errors import ConfigError
from dosaku.services.ledger import SpendLedger
from dosaku.services.meter import Meter
from dosaku.services.prices import Price, PriceSpec, PriceTable

TRUE = {"1", "yes", "true", "on"}


def _float(config: Any, key: str) -> float | None:
    value = config.get("SERVICES", key) if config is not None else None
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"[SERVICES] {key} must be a number of US dollars, not {value!r}.") from None


class Spending:
    """An agent's spending policy: one ledger, one price table and one limit for all its services.

    Args:
        config: Where the ledger lives (``config.data_dir``), the ``[PRICES]`` and ``[SERVICES]`` settings.
        prices: The packs' registered prices (``agent.registry.prices``), which ``[PRICES]`` overrides.
        limit_usd: The spend limit (default ``[SERVICES] SPEND_LIMIT_USD``; None: no limit).
        allow_unknown_prices: Default ``[SERVICES] ALLOW_UNKNOWN_PRICES``.
        period: ``'day'`` or ``'total'`` (default ``[SERVICES] SPEND_PERIOD``, else ``'day'``).

    Example::

        spending = Spending(config, limit_usd=2.0, prices=agent.registry.prices)
        chat.meter = spending.meter('OpenAIChat')
        spending.spent()  # USD spent today
    """

    def __init__(
        self,
        config: Any,
        limit_usd: float | None = None,
        allow_unknown_prices: bool | None = None,
        period: str | None = None,
        prices: Mapping[str, Price | PriceSpec] | None = None,
    ):
        self.config = config
        self._registered_prices = prices
        self._limit_arg, self._allow_arg, self._period_arg = limit_usd, allow_unknown_prices, period
        self._policy: tuple[float | None, bool, str] | None = None
        self._ledger: SpendLedger | None = None
        self._prices: PriceTable | None = None

    def _resolve(self) -> tuple[float | None, bool, str]:
        """Read the settings (on first use, so making an agent touches no disk)."""
        if self._policy is None:
            config = self.config
            limit = self._limit_arg if self._limit_arg is not None else _float(config, "SPEND_LIMIT_USD")
            if limit is not None and limit < 0:
                raise ConfigError(f"The spend limit must be at least 0 USD, not {limit}.")
            allow = self._allow_arg
            if allow is None:
                allow = str(config.get("SERVICES", "ALLOW_UNKNOWN_PRICES", "no")).lower() in TRUE
            period = (self._period_arg or config.get("SERVICES", "SPEND_PERIOD", "day") or "day").lower()
            if period not in ("day", "total"):
                raise ConfigError(f"[SERVICES] SPEND_PERIOD must be 'day' or 'total', not {period!r}.")
            self._policy = (limit, bool(allow), period)
        return self._policy

    @property
    def limit_usd(self) -> float | None:
        """The spend limit in USD (None: no limit)."""
        return self._resolve()[0]

    @property
    def allow_unknown_prices(self) -> bool:
        """Whether calls to models without a price pass the limit."""
        return self._resolve()[1]

    @property
    def period(self) -> str:
        """``'day'`` or ``'total'``: what the limit counts."""
        return self._resolve()[2]

    @property
    def ledger(self) -> SpendLedger:
        """The spend ledger (in ``config.data_dir``; opened on first use)."""
        if self._ledger is None:
            self._ledger = SpendLedger.for_config(self.config)
        return self._ledger

    @property
    def prices(self) -> PriceTable:
        """The packs' prices overridden by ``[PRICES]``."""
        if self._prices is None:
            self._prices = PriceTable.from_config(self.config, self._registered_prices)
        return self._prices

    def meter(self, service: str) -> Meter:
        """A meter booking ``service``'s calls under this policy."""
        return Meter(service, self.ledger, self.prices, self.limit_usd, self.period, self.allow_unknown_prices)

    def attach(self, module: Any, service: str) -> None:
        """Give ``module`` (a service) its meter."""
        module.meter = self.meter(service)

    def spent(self, service: str | None = None) -> float:
        """USD spent in the limit's period (today, or in total), by ``service`` or all."""
        return self.ledger.spent(self.period, service)


def default_meter(service: str, config: Any = None) -> Meter:
    """The meter of a service used without an agent: the user's config decides the limit, the installed packs'
    registered prices (and ``[PRICES]``) the costs.

    Example::

        chat = OpenAIChat()          # no agent
        chat.meter                   # default_meter('OpenAIChat', chat.config)
    """
    from dosaku.plugins import Registry, plugin_manager

    if config is None:
        from dosaku.config import Config

        config = Config()
    registry = Registry.collect(plugin_manager(config=config), config)
    return Spending(config, prices=registry.prices).meter(service)
