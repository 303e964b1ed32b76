"""The worker node dies mid-call: a clear error at once; the next call works once a node is back."""
from __future__ import annotations

import os
import threading

import pytest
from dosaku_ray import ReplicaLost
from ray_test_helpers import assert_on_worker, wait_for


@pytest.mark.slow
def test_worker_killed_mid_call_then_back(make_agent, ray_cluster, tmp_path):
    agent = make_agent()
    agent.learn("Busywork", placement="ray")
    assert_on_worker(agent.Busywork.module, ray_cluster)
    marker = tmp_path / "napping"

    def kill_when_napping():
        wait_for(marker.exists, what="the call to start on the worker")
        ray_cluster.cluster.remove_node(ray_cluster.worker)

    killer = threading.Thread(target=kill_when_napping, daemon=True)
    killer.start()
    with pytest.raises(ReplicaLost) as info:
        agent.Busywork.nap(60, marker=str(marker))
    killer.join(timeout=30)
    message = str(info.value)
    assert message.startswith("The replica running BusyBot was lost during the call (")
    assert "the call did not complete" in message and "call again then" in message and "worker_box" in message
    ray_cluster.add_worker()  # the node comes back (a new raylet with the same resources)
    assert agent.Busywork.spin(100) == agent.Busywork.spin(100)  # waits, bounded, for the new replica
    assert_on_worker(agent.Busywork.module, ray_cluster)
    assert os.getpid() != agent.Busywork.module.replica_info()["pid"]
