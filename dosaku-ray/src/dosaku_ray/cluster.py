"""Which Ray cluster to use, and starting Ray Serve on it.

In order: the Ray this process already initialised; else ``RAY_ADDRESS`` (environment) or ``[RAY] ADDRESS``
(config.ini), e.g. ``ray://gpu-box:10001`` or ``192.168.1.20:6379``; else a local Ray started here (logged).
"""
from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

#: Serve applications made by Dosaku are named ``dosaku-<Module>-<suffix>``.
APP_PREFIX = "dosaku-"


def address(config: Any) -> str | None:
    """The configured cluster address (``RAY_ADDRESS`` first), or None."""
    return os.environ.get("RAY_ADDRESS") or (config.get("RAY", "ADDRESS") if config is not None else None) or None


def connect(config: Any, start_local: bool = True) -> str:
    """Make sure this process is connected to Ray; returns how (``'existing'``, the address, or ``'local'``)."""
    import ray

    if ray.is_initialized():
        return "existing"
    where = address(config)
    if where:
        ray.init(address=where, logging_level=logging.WARNING)
        log.info("Connected to the Ray cluster at %s", where)
        return where
    if not start_local:
        from dosaku_ray.errors import RayPlacementError

        raise RayPlacementError(
            "No Ray cluster is configured: set RAY_ADDRESS or [RAY] ADDRESS in config.ini "
            "(e.g. ADDRESS = 192.168.1.20:6379), or start one with `ray start --head`."
        )
    ray.init(include_dashboard=False, logging_level=logging.WARNING)
    log.warning(
        "Started a local Ray on this machine for placement='ray' (no RAY_ADDRESS or [RAY] ADDRESS is set); "
        "it stops when this process exits."
    )
    return "local"


def ensure_serve() -> None:
    """Start Ray Serve on the cluster if it is not running (no HTTP proxy: Dosaku calls through handles)."""
    from ray import serve

    try:
        serve.context._get_global_client()
        return
    except Exception:  # noqa: BLE001 - not running yet (or connected afresh)
        pass
    serve.start(proxy_location="Disabled", logging_config={"enable_access_log": False, "log_level": "WARNING"})
