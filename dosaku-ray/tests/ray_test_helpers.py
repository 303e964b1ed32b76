"""Helpers of the dosaku-ray tests (importable: conftest puts this folder on sys.path)."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

WORKER_RESOURCES = {"worker_box": 8}
#: What every test module asks for: a sliver of the worker (the machine has two cores).
ON_WORKER = {"worker_box": 1, "num_cpus": 0.25}


@dataclass
class RayTestCluster:
    cluster: Any
    worker: Any
    agents: list[Any] = field(default_factory=list)

    def add_worker(self) -> Any:
        self.worker = self.cluster.add_node(num_cpus=2, resources=WORKER_RESOURCES)
        return self.worker


def ray_config(**extra: str):
    """An isolated config putting the test modules on the worker node."""
    from dosaku.config import Config

    environ = {
        "DOSAKU_RAY__DEPLOY_TIMEOUT_S": "60",
        "DOSAKU_RAY__CALL_TIMEOUT_S": "60",
        **{f"DOSAKU_RAY__RESOURCES_{name.upper()}": json.dumps(ON_WORKER)
           for name in ("EchoBot", "LlamaCppChat", "GnuGo", "BusyBot", "OpenAIChat", "GFPGAN")},
        **{f"DOSAKU_{key.upper()}": value for key, value in extra.items()},
    }
    return Config(path="/nonexistent/dosaku-ray-test.ini", environ=environ)


def dosaku_apps() -> list[str]:
    from ray import serve

    return sorted(name for name in serve.status().applications if name.startswith("dosaku-"))


def wait_for(predicate, timeout_s: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.1)


def assert_on_worker(module: Any, cluster: RayTestCluster) -> None:
    info = module.replica_info()
    assert info["node_id"] == cluster.worker.node_id, (info, cluster.worker.node_id)
    assert info["pid"] != os.getpid()
