"""What runs in each Ray Serve replica: the module, built there by the agent's factory, and one call entry point.

Every call is a streaming handle call answering with tagged messages, so a streaming action (``Chat.message(...,
stream=True)``) streams through the handle while a plain one costs one message:

* ``("value", result)``: the action returned ``result``;
* ``("stream", None)`` then ``("item", x)`` per item: the action returned an iterator;
* ``("error", packed)``: the action (or building the module) raised; see :mod:`dosaku_ray.remote_errors`.
"""
from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

from dosaku_ray.remote_errors import pack

log = logging.getLogger(__name__)


def is_stream(value: Any) -> bool:
    """True for iterators an action returns to stream (not str, bytes, images or arrays)."""
    return isinstance(value, Iterator) and not isinstance(value, (str, bytes))


class ModuleReplica:
    """One replica of a placed module.

    Args:
        factory: Builds the module (the agent's :class:`~dosaku.placement.ModuleFactory`).
        module_name: For messages.
    """

    def __init__(self, factory: Callable[[], Any], module_name: str):
        self._name = module_name
        self._instance: Any = None
        self._error: tuple[Any, ...] | None = None
        try:
            self._instance = factory()
        except BaseException as error:  # noqa: BLE001 - reported to the caller as the same type by info()
            self._error = pack(error)

    def info(self) -> dict[str, Any]:
        """Where this replica runs, and the error building the module raised (None if it was built)."""
        import ray

        return {
            "module": self._name,
            "node_id": ray.get_runtime_context().get_node_id(),
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "error": self._error,
        }

    def call(self, action: str, args: tuple, kwargs: dict[str, Any], meter: Any = None) -> Iterator[tuple[str, Any]]:
        """Do ``action`` on the module; yields tagged messages (see the module docstring)."""
        if self._error is not None:
            yield "error", self._error
            return
        try:
            if meter is not None:  # a service is metered by the calling agent's meter (and ledger)
                self._instance.meter = meter
            result = getattr(self._instance, action)(*args, **kwargs)
            if not is_stream(result):
                yield "value", result
                return
            yield "stream", None
            for item in result:
                yield "item", item
        except BaseException as error:  # noqa: BLE001 - every error goes back to the caller
            yield "error", pack(error)

    def __del__(self) -> None:
        unload = getattr(self._instance, "unload", None)
        if callable(unload):
            try:
                unload()
            except Exception:  # noqa: BLE001 - the replica is going away anyway
                log.exception("unloading %s failed", self._name)
