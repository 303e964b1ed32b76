"""A real two-node Ray cluster on this machine for the whole session: a head, and a worker node with the custom
resource ``worker_box`` that the tests' modules ask for, so they land on the worker. Torn down at the end."""
from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # ray_test_helpers, under --import-mode=importlib

from ray_test_helpers import RayTestCluster, ray_config  # noqa: E402


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayTestCluster]:
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    if ray.is_initialized():
        ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        test_cluster = RayTestCluster(cluster, None)
        test_cluster.add_worker()
        cluster.wait_for_nodes(timeout=60)
        ray.init(address=cluster.address, logging_level=logging.WARNING, log_to_driver=False)
        yield test_cluster
    finally:
        from ray import serve

        try:
            serve.shutdown()
        finally:
            ray.shutdown()
            cluster.shutdown()


@pytest.fixture
def make_agent(ray_cluster: RayTestCluster, dosaku_home):
    """Makes agents with dosaku-ray (and the Busywork test plugin); unlearns everything they learned afterwards."""
    from dosaku.testing import isolated_agent
    from dosaku_ray import plugin
    from dosaku_ray.testing import BUSYWORK_PLUGIN

    made = []

    def make(*plugins: Any, config=None, entry_points: bool = False, **kwargs: Any):
        ours = (BUSYWORK_PLUGIN,) if entry_points else (plugin, BUSYWORK_PLUGIN)  # entry points bring dosaku-ray
        agent = isolated_agent(*ours, *plugins, config=config or ray_config(), entry_points=entry_points, **kwargs)
        made.append(agent)
        return agent

    yield make
    for agent in made:
        for task in list(agent.tasks):
            agent.unlearn(task)


