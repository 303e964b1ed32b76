"""The resource manager: which learned module sits on which device, within a memory budget per device.

Several models may be learned while only one or two fit on the accelerator. A module takes part when it declares

* where it runs: its ``device`` attribute (``'cuda'``, ``'cuda:1'``, ``'cpu'``, a ``torch.device``...), else its
  :class:`~dosaku.ModuleSpec` ``device`` (``'auto'``: CUDA when torch sees one, else the CPU);
* about how much memory it holds there: its ``memory_mb`` attribute, else the spec's ``memory_mb``;
* how to leave the device: a real ``to(device)`` (moved to the CPU when it runs elsewhere) and/or ``unload()``
  (with an optional ``load()`` to come back; otherwise the module loads again by itself when called);

and when its device has a budget: ``[RESOURCES]`` in the configuration, in MB, one key per device (``CUDA`` or
``CUDA_0`` for ``cuda:0``, ``CUDA_1``, ``CPU``...); without one, a CUDA device's budget is 90% of the memory free
on it when first needed. Other modules are not touched, and their actions are called with no wrapper at all.

Before a managed module is built and before each of its calls, the manager makes room on its device by moving the
least recently used idle modules off it, then moves the called module back if it had been moved off.

Example::

    from dosaku import Agent, Config

    config = Config()
    config.set('RESOURCES', 'CUDA', '6000')          # MB the agent may fill on cuda:0
    agent = Agent(config=config)
    agent.learn('RestoreFaces', module='GFPGAN')
    agent.learn('TextToImage', module='StableDiffusion')
    agent.RestoreFaces.restore(image)                # StableDiffusion goes to the CPU first if both do not fit
    agent.resources
    # ResourceManager(cuda:0 1500/6000 MB)
    #   GFPGAN           cuda:0  on device  1500 MB  calls=1
    #   StableDiffusion  cuda:0  offloaded  5000 MB  calls=0
"""
from __future__ import annotations

import functools
import itertools
import logging
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: The fraction of a CUDA device's free memory the manager fills when no budget is configured.
CUDA_FREE_FRACTION = 0.9

ON_DEVICE, OFFLOADED, UNLOADED = "on device", "offloaded", "unloaded"


def normalize_device(device: Any) -> str:
    """``'cuda'`` -> ``'cuda:0'``, ``torch.device('cpu')`` -> ``'cpu'``; ``'auto'`` -> CUDA when torch sees one."""
    name = str(device).strip().lower() if device is not None else "cpu"
    if name == "auto":
        torch = sys.modules.get("torch")  # never import torch here: only modules that use it have loaded it
        name = "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
    return "cuda:0" if name == "cuda" else name


def config_key(device: str) -> str:
    """The ``[RESOURCES]`` key of a device's budget: ``'cuda:1'`` -> ``'CUDA_1'``."""
    return normalize_device(device).upper().replace(":", "_")


def _overrides(instance: Any, name: str) -> bool:
    """Whether ``instance`` has a method ``name`` that does something (not :class:`dosaku.Module`'s no-op)."""
    from dosaku.module import Module

    method = getattr(type(instance), name, None)
    return callable(method) and method is not getattr(Module, name, None)


@dataclass(eq=False)
class Placement:
    """One managed module: where it runs, what it holds there, and where it is now."""

    name: str
    instance: Any
    device: str
    memory_mb: float
    state: str = ON_DEVICE
    last_used: int = 0
    active: int = 0
    calls: int = 0
    evictions: int = 0

    @property
    def resident(self) -> bool:
        return self.state == ON_DEVICE


class ResourceManager:
    """Keeps the managed modules of one agent within a memory budget per device (least recently used leaves first).

    Args:
        budgets_mb: Budget per device in MB, e.g. ``{'cuda:0': 6000}`` (devices not named: see the module docs).
        offload_device: Where modules with a ``to()`` go to make room (default ``'cpu'``).

    Example::

        manager = ResourceManager({'cpu': 300})
        manager.register('Big', big_module, spec)      # True when it is managed
        action = manager.wrap('run', big_module.run)  # moves it back (making room) before each call
        manager.report()  # [{'name': 'Big', 'device': 'cpu', 'state': 'on device', 'memory_mb': 200, ...}]
    """

    def __init__(self, budgets_mb: Mapping[str, float] | None = None, offload_device: str = "cpu"):
        self._budgets = {normalize_device(device): float(mb) for device, mb in (budgets_mb or {}).items()}
        self._configured = set(self._budgets)
        self.offload_device = normalize_device(offload_device)
        self._placements: dict[int, Placement] = {}  # id(instance) -> placement
        self._lock = threading.RLock()
        self._clock = itertools.count(1)
        self.peak_mb: dict[str, float] = {}

    @classmethod
    def from_config(cls, config: Any) -> ResourceManager:
        """Budgets from ``[RESOURCES]``: ``CUDA = 6000``, ``CUDA_1 = 4000``, ``CPU = 2000``; ``OFFLOAD = cpu``."""
        budgets: dict[str, float] = {}
        offload = "cpu"
        for key in config.keys("RESOURCES") if "RESOURCES" in config else []:
            value = config.get("RESOURCES", key)
            if key == "OFFLOAD":
                offload = value
                continue
            device = key.lower().replace("_", ":", 1)
            try:
                budgets[device] = float(value)
            except (TypeError, ValueError):
                from dosaku.errors import ConfigError

                raise ConfigError(
                    f"[RESOURCES] {key} = {value!r} is not a number of MB. Set it to e.g. 6000, or remove it."
                ) from None
        return cls(budgets, offload_device=offload)

    # --- budgets -------------------------------------------------------------------------------------------
    def budget_mb(self, device: str) -> float | None:
        """The budget of ``device`` in MB, or None when it has none (its modules are then not managed)."""
        device = normalize_device(device)
        if device not in self._budgets and device.startswith("cuda"):
            free = _cuda_free_mb(device)
            if free is not None:
                self._budgets[device] = free * CUDA_FREE_FRACTION + self.resident_mb(device)
        return self._budgets.get(device)

    def resident_mb(self, device: str) -> float:
        """MB the managed modules hold on ``device`` now."""
        device = normalize_device(device)
        return sum(p.memory_mb for p in self._placements.values() if p.device == device and p.resident)

    # --- registering ---------------------------------------------------------------------------------------
    def make_room(self, spec: Any) -> None:
        """Before building the module of ``spec``: move idle modules off its device until it fits the budget."""
        memory, device = getattr(spec, "memory_mb", None), normalize_device(getattr(spec, "device", "cpu"))
        if memory and self.budget_mb(device) is not None:
            with self._lock:
                self._make_room(device, float(memory), None)

    def register(self, name: str, instance: Any, spec: Any = None) -> bool:
        """Manage ``instance`` if it declares a device with a budget, its memory, and a way to leave the device.

        Returns whether it is managed. Registering an instance again changes nothing.
        """
        with self._lock:
            if id(instance) in self._placements:
                return True
            device = normalize_device(getattr(instance, "device", None) or getattr(spec, "device", "cpu"))
            memory = getattr(instance, "memory_mb", None) or getattr(spec, "memory_mb", None)
            movable = _overrides(instance, "unload") or (device != self.offload_device and _overrides(instance, "to"))
            if not memory or not movable or self.budget_mb(device) is None:
                return False
            placement = Placement(name, instance, device, float(memory), last_used=next(self._clock))
            self._make_room(device, float(memory), placement)
            self._placements[id(instance)] = placement
            self._record_peak(device)
            log.info("managing %s on %s (%.0f MB of %.0f MB)", name, device, memory, self.budget_mb(device))
            return True

    def release(self, instance: Any) -> None:
        """Stop managing ``instance`` (the agent unlearned the last task it did); what it held is freed."""
        with self._lock:
            self._placements.pop(id(instance), None)

    def is_managed(self, instance: Any) -> bool:
        return id(instance) in self._placements

    # --- calls ---------------------------------------------------------------------------------------------
    def wrap(self, action: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` itself for unmanaged modules; for managed ones, a wrapper that puts the module back on
        its device (making room) before the call and keeps it there while the call runs."""
        placement = self._placements.get(id(getattr(function, "__self__", None)))
        if placement is None:
            return function

        @functools.wraps(function)
        def managed(*args: Any, **kwargs: Any) -> Any:
            self._enter(placement)
            try:
                return function(*args, **kwargs)
            finally:
                with self._lock:
                    placement.active -= 1

        return managed

    def _enter(self, placement: Placement) -> None:
        with self._lock:
            placement.active += 1
            placement.calls += 1
            placement.last_used = next(self._clock)
            if placement.resident:
                return
            try:
                self._make_room(placement.device, placement.memory_mb, placement)
                self._restore(placement)
            except BaseException:
                placement.active -= 1
                raise
            self._record_peak(placement.device)

    # --- moving --------------------------------------------------------------------------------------------
    def _make_room(self, device: str, needed_mb: float, keep: Placement | None) -> None:
        budget = self.budget_mb(device)
        if budget is None:
            return
        while self.resident_mb(device) + needed_mb > budget:
            idle = [p for p in self._placements.values()
                    if p.device == device and p.resident and p.active == 0 and p is not keep]
            if not idle:
                log.warning("%s: %.0f MB needed but only %.0f MB of the %.0f MB budget can be freed; going over",
                            device, needed_mb, budget - self.resident_mb(device), budget)
                return
            self._evict(min(idle, key=lambda p: p.last_used))

    def _evict(self, placement: Placement) -> None:
        instance = placement.instance
        if placement.device != self.offload_device and _overrides(instance, "to"):
            instance.to(self.offload_device)
            placement.state = OFFLOADED
        else:
            instance.unload()
            placement.state = UNLOADED
        placement.evictions += 1
        log.info("moved %s off %s (%s) to make room", placement.name, placement.device, placement.state)

    def _restore(self, placement: Placement) -> None:
        instance = placement.instance
        if placement.state == OFFLOADED:
            instance.to(placement.device)
        elif _overrides(instance, "load"):
            instance.load()
        placement.state = ON_DEVICE
        log.info("moved %s back onto %s", placement.name, placement.device)

    def _record_peak(self, device: str) -> None:
        self.peak_mb[device] = max(self.peak_mb.get(device, 0.0), self.resident_mb(device))

    # --- showing -------------------------------------------------------------------------------------------
    def report(self) -> list[dict[str, Any]]:
        """Each managed module: name, device, state (on device / offloaded / unloaded), memory_mb, calls,
        evictions, least recently used first."""
        placements = sorted(self._placements.values(), key=lambda p: p.last_used)
        return [
            {"name": p.name, "device": p.device, "state": p.state, "memory_mb": p.memory_mb, "calls": p.calls,
             "evictions": p.evictions}
            for p in placements
        ]

    def where(self, name: str) -> str | None:
        """Where the module ``name`` is now: its device, the offload device, ``'unloaded'``, or None (unmanaged)."""
        for p in self._placements.values():
            if p.name == name:
                return {ON_DEVICE: p.device, OFFLOADED: self.offload_device}.get(p.state, UNLOADED)
        return None

    def __repr__(self) -> str:
        devices = sorted({p.device for p in self._placements.values()} | self._configured)
        head = ", ".join(f"{d} {self.resident_mb(d):.0f}/{self.budget_mb(d) or 0:.0f} MB" for d in devices)
        lines = [f"ResourceManager({head or 'no budgets'})"]
        for row in self.report():
            lines.append(f"  {row['name']:<16} {row['device']:<7} {row['state']:<9} {row['memory_mb']:>6.0f} MB  "
                         f"calls={row['calls']}")
        return "\n".join(lines)


def _cuda_free_mb(device: str) -> float | None:
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available():
        return None
    index = int(device.partition(":")[2] or 0)
    free, _ = torch.cuda.mem_get_info(index)
    return free / 2**20
