"""Metering of services placed on Ray: the replica meters with the calling agent's policy, booked in its ledger.

The spend ledger is a file on the agent's machine. A small actor pinned to the agent's node (no CPU) holds it; the
replica's meter is core's own :class:`~dosaku.services.Meter` (prices, limit, reservations) with a ledger that
forwards to that actor. So the limit is checked, and nothing is sent, before a remote service makes its request.
"""
from __future__ import annotations

import hashlib
from typing import Any

from dosaku.services import Meter, SpendLedger

from dosaku_ray.remote_errors import pack, unpack

LEDGER_TIMEOUT_S = 60.0


class LedgerActor:
    """Holds a :class:`SpendLedger` on the agent's node."""

    def __init__(self, path: str):
        self._ledger = SpendLedger(path)

    def call(self, method: str, args: tuple, kwargs: dict[str, Any]) -> tuple[str, Any]:
        try:
            return "ok", getattr(self._ledger, method)(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - e.g. SpendLimitExceeded, raised again by the caller
            return "error", pack(error)


class RemoteLedger:
    """Forwards a :class:`SpendLedger`'s methods to a :class:`LedgerActor` (picklable)."""

    def __init__(self, actor: Any, path: str):
        self._actor, self.path = actor, path

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        def forward(*args: Any, **kwargs: Any) -> Any:
            import ray

            status, value = ray.get(self._actor.call.remote(method, args, kwargs), timeout=LEDGER_TIMEOUT_S)
            if status == "error":
                raise unpack(value, f"the spend ledger {self.path}")
            return value

        return forward


def ledger_actor(path: str) -> Any:
    """The actor holding the ledger at ``path``, on this process's node (one per path and Ray job)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    context = ray.get_runtime_context()
    name = f"dosaku-ledger-{context.get_job_id()}-{hashlib.sha1(path.encode()).hexdigest()[:12]}"
    strategy = NodeAffinitySchedulingStrategy(node_id=context.get_node_id(), soft=False)
    return (
        ray.remote(LedgerActor)
        .options(name=name, get_if_exists=True, num_cpus=0, scheduling_strategy=strategy)
        .remote(path)
    )


def remote_meter(meter: Meter) -> Meter:
    """A copy of ``meter`` that can travel to a replica and books in the same ledger."""
    path = str(meter.ledger.path)
    ledger = RemoteLedger(ledger_actor(path), path)
    return Meter(meter.service, ledger, meter.prices, meter.limit_usd, meter.period, meter.allow_unknown_prices)
