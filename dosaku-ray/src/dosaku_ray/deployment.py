"""Deploying a module as a Ray Serve application, with bounded waits and clear errors.

Stateful modules (a ModuleSpec without ``shareable``: a chat's history, a Go game) get one application per agent
that learns them, with one replica holding that agent's instance: the same isolation as a local module, nothing
to route by session, and ``unlearn`` deletes exactly that agent's application. Shareable (stateless) modules get
one application per module and arguments, shared by every agent, whose replicas scale (``[RAY] REPLICAS_<Module>``
or ``[RAY] AUTOSCALING_<Module>``).
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from dosaku.errors import ConfigError

from dosaku_ray.cluster import APP_PREFIX
from dosaku_ray.errors import DeploymentTimeout, ResourcesUnavailable
from dosaku_ray.remote_errors import unpack
from dosaku_ray.resources import actor_options, unsatisfiable

log = logging.getLogger(__name__)

DEFAULT_DEPLOY_TIMEOUT_S = 120.0
DEFAULT_CALL_TIMEOUT_S = 300.0


def seconds(config: Any, key: str, default: float) -> float:
    """``[RAY] <key>`` as seconds (a positive number)."""
    raw = config.get("RAY", key) if config is not None else None
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"[RAY] {key} must be a number of seconds, not {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"[RAY] {key} must be more than 0 seconds, not {raw!r}.")
    return value


def scaling(spec: Any, config: Any, replicas: int | None = None) -> dict[str, Any]:
    """``num_replicas`` or ``autoscaling_config`` for ``spec`` (a stateful module always has one replica)."""
    if not spec.shareable:
        return {"num_replicas": 1}
    if replicas is not None:
        return {"num_replicas": int(replicas)}
    auto = config.get("RAY", f"AUTOSCALING_{spec.name}") if config is not None else None
    if auto:
        try:
            value = json.loads(auto)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            raise ConfigError(
                f'[RAY] AUTOSCALING_{spec.name} must be a JSON object such as {{"min_replicas": 1, '
                f'"max_replicas": 4}}, not {auto!r}.'
            )
        return {"autoscaling_config": value}
    count = config.get("RAY", f"REPLICAS_{spec.name}") if config is not None else None
    if count in (None, ""):
        return {"num_replicas": 1}
    if not str(count).isdigit() or int(count) < 1:
        raise ConfigError(f"[RAY] REPLICAS_{spec.name} must be a whole number >= 1, not {count!r}.")
    return {"num_replicas": int(count)}


def app_name(spec: Any, kwargs: dict[str, Any]) -> str:
    """The application's name: per module and arguments when shareable, else unique (one per agent)."""
    if not spec.shareable:
        return f"{APP_PREFIX}{spec.name}-{uuid.uuid4().hex[:8]}"
    if not kwargs:
        return f"{APP_PREFIX}{spec.name}"
    digest = hashlib.sha1(repr(sorted(kwargs.items())).encode()).hexdigest()[:8]
    return f"{APP_PREFIX}{spec.name}-{digest}"


@dataclass
class Deployment:
    """A module's Serve application, and whether this process made it (and so removes it)."""

    app: str
    module: str
    options: dict[str, Any]
    owned: bool
    handle: Any = field(repr=False, default=None)

    def info(self, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        """Where the replica answering runs (node id, hostname, pid)."""
        return self.handle.info.remote().result(timeout_s=timeout_s)

    def delete(self, wait_s: float = 30.0) -> None:
        """Remove the application (only if this process made it), waiting at most ``wait_s`` for it to go."""
        if not self.owned:
            return
        from ray import serve

        try:
            serve.delete(self.app, _blocking=False)
            deadline = time.monotonic() + wait_s
            while self.app in serve.status().applications and time.monotonic() < deadline:
                time.sleep(0.1)
        except Exception:  # noqa: BLE001 - Serve or the cluster is already gone
            log.debug("deleting %s failed", self.app, exc_info=True)


def existing(app: str) -> bool:
    """Whether a Serve application named ``app`` is running."""
    from ray import serve

    status = serve.status().applications.get(app)
    return status is not None and str(status.status) in ("RUNNING", "ApplicationStatus.RUNNING")


def deploy(
    spec: Any, factory: Any, config: Any, *, kwargs: dict[str, Any] | None = None, replicas: int | None = None,
    owned: bool = True,
) -> Deployment:
    """Deploy ``spec``'s module (built by ``factory``) and wait, bounded, until its replicas run.

    Raises:
        ResourcesUnavailable: no node could ever meet its needs (checked first; nothing is deployed).
        DeploymentTimeout: its replicas did not start within ``[RAY] DEPLOY_TIMEOUT_S`` (default 120 s).
        ModuleLoadError, or any error the module's constructor raised: as it was raised in the replica.
    """
    import ray
    from ray import serve

    from dosaku_ray.replica import ModuleReplica

    gpus = float(ray.cluster_resources().get("GPU", 0.0))
    options = actor_options(spec, config, gpus)
    reason = unsatisfiable(options, ray.nodes())
    if reason:
        raise ResourcesUnavailable(
            f"Cannot place {spec.name} on the Ray cluster: {reason}. Add a node that has it (e.g. `ray start "
            f"--address ... --resources '{{\"gpu_box\": 1}}'`), or change [RAY] RESOURCES_{spec.name} in config.ini."
        )
    name = app_name(spec, kwargs if kwargs is not None else getattr(factory, "kwargs", {}))
    if spec.shareable and existing(name):
        log.info("Using the running Serve application %s for %s", name, spec.name)
        return _ready(Deployment(name, spec.name, options, owned=False, handle=serve.get_app_handle(name)), config)
    deployment = serve.deployment(ModuleReplica).options(
        name=spec.name,
        ray_actor_options=options,
        max_ongoing_requests=8,
        logging_config={"enable_access_log": False, "log_level": "WARNING"},
        **scaling(spec, config, replicas),
    )
    timeout = seconds(config, "DEPLOY_TIMEOUT_S", DEFAULT_DEPLOY_TIMEOUT_S)
    started = time.monotonic()
    serve._run(deployment.bind(factory, spec.name), _blocking=False, name=name, route_prefix=None)
    placed = Deployment(name, spec.name, options, owned=owned)
    try:
        _wait_running(name, spec.name, timeout)
        placed.handle = serve.get_app_handle(name)
        _ready(placed, config)
    except BaseException:
        placed.owned = True
        placed.delete()
        raise
    log.info("Deployed %s as Serve application %s in %.1f s", spec.name, name, time.monotonic() - started)
    return placed


def _wait_running(app: str, module: str, timeout_s: float) -> None:
    from ray import serve

    deadline = time.monotonic() + timeout_s
    message = ""
    while time.monotonic() < deadline:
        status = serve.status().applications.get(app)
        state = str(getattr(status, "status", "")).rsplit(".", 1)[-1]
        if state == "RUNNING":
            return
        if state == "DEPLOY_FAILED":
            raise DeploymentTimeout(f"Deploying {module} on Ray failed: {status.message}")
        message = getattr(status, "message", "") or message
        time.sleep(0.1)
    raise DeploymentTimeout(
        f"The replicas of {module} did not start within {timeout_s:g} s, so the deployment was removed. The nodes "
        f"that could run it may be busy{': ' + message if message else ''}. Try again, free the nodes, or raise "
        f"[RAY] DEPLOY_TIMEOUT_S in config.ini."
    )


def _ready(deployment: Deployment, config: Any) -> Deployment:
    """Check the module was built in its replica; raise what its constructor raised, if anything."""
    info = deployment.info(seconds(config, "DEPLOY_TIMEOUT_S", DEFAULT_DEPLOY_TIMEOUT_S))
    if info["error"] is not None:
        raise unpack(info["error"], f"{deployment.module}'s replica on node {info['node_id'][:8]}")
    return deployment
