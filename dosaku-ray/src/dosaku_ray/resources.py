"""A module's declared needs as Ray resources, and whether any node of the cluster could ever meet them.

From the :class:`~dosaku.ModuleSpec`: ``device='cuda'`` (or ``'auto'`` on a cluster with GPUs) asks for one GPU,
``memory_mb`` for that much memory; every replica asks for one CPU. ``[RAY] RESOURCES_<Module>`` (JSON) adds to or
overrides this: ``num_cpus``, ``num_gpus``, ``memory_mb`` (or ``memory`` in bytes), and any custom resource of the
cluster's nodes, e.g. ``{"gpu_box": 1}`` to land on the node started with ``--resources '{"gpu_box": 1}'``.
"""
from __future__ import annotations

import json
from typing import Any

from dosaku.errors import ConfigError

MIB = 1024 * 1024
DEFAULT_NUM_CPUS = 1.0


def actor_options(spec: Any, config: Any, cluster_gpus: float = 0.0) -> dict[str, Any]:
    """``ray_actor_options`` for a replica of ``spec``'s module.

    Example::

        actor_options(ModuleSpec('GFPGAN', ..., device='cuda', memory_mb=1500), config)
        # {'num_cpus': 1.0, 'num_gpus': 1.0, 'memory': 1572864000}
    """
    options: dict[str, Any] = {"num_cpus": DEFAULT_NUM_CPUS}
    device = (spec.device or "cpu").lower()
    if device.startswith("cuda") or (device == "auto" and cluster_gpus > 0):
        options["num_gpus"] = 1.0
    if spec.memory_mb:
        options["memory"] = int(spec.memory_mb * MIB)
    custom: dict[str, float] = {}
    for key, value in configured(spec.name, config).items():
        if key in ("num_cpus", "num_gpus"):
            options[key] = value
        elif key == "memory_mb":
            options["memory"] = int(value * MIB)
        elif key == "memory":
            options["memory"] = int(value)
        else:
            custom[key] = value
    if custom:
        options["resources"] = custom
    return options


def configured(module: str, config: Any) -> dict[str, float]:
    """``[RAY] RESOURCES_<module>`` as a dict of numbers (empty when unset)."""
    key = f"RESOURCES_{module}"
    raw = config.get("RAY", key) if config is not None else None
    if not raw:
        return {}
    example = '{"num_cpus": 1, "gpu_box": 1}'
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigError(f"[RAY] {key} must be a JSON object such as {example}, not {raw!r} ({error}).") from None
    if not isinstance(value, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value.values()
    ):
        raise ConfigError(f"[RAY] {key} must map resource names to numbers >= 0, e.g. {example}; got {raw!r}.")
    return {str(k): float(v) for k, v in value.items()}


def demand(options: dict[str, Any]) -> dict[str, float]:
    """What one replica takes from a node, in the names of Ray's node resources (CPU, GPU, memory, custom)."""
    wanted = {
        "CPU": float(options.get("num_cpus", 0)),
        "GPU": float(options.get("num_gpus", 0)),
        "memory": float(options.get("memory", 0)),
        **{k: float(v) for k, v in options.get("resources", {}).items()},
    }
    return {k: v for k, v in wanted.items() if v > 0}


def describe(resources: dict[str, float]) -> str:
    """``{'CPU': 1.0, 'memory': 3e8}`` as ``CPU=1, memory=286MiB``."""
    parts = []
    for key, value in sorted(resources.items()):
        if key.startswith("node:") or key == "object_store_memory":
            continue
        parts.append(f"{key}={value / MIB:.0f}MiB" if key == "memory" else f"{key}={value:g}")
    return ", ".join(parts) or "nothing"


def unsatisfiable(options: dict[str, Any], nodes: list[dict[str, Any]]) -> str | None:
    """Why no alive node could ever run one replica with ``options`` (None when one could).

    Looks at each node's *total* resources, so a busy node still counts: a replica waiting for a busy node is
    bounded by the deploy timeout instead.
    """
    wanted = demand(options)
    alive = [node for node in nodes if node.get("Alive")]
    for node in alive:
        total = node.get("Resources", {})
        if all(total.get(key, 0.0) + 1e-9 >= value for key, value in wanted.items()):
            return None
    have = "; ".join(f"node {n['NodeID'][:8]}: {describe(n.get('Resources', {}))}" for n in alive) or "no nodes"
    return f"it needs {describe(wanted)} per replica, and no node has that ({have})"
