"""Ray placement: per-call overhead of EchoBot through Ray Serve vs local, and throughput of a CPU-bound module
with 1 vs 2 replicas on two nodes (goal: >= 1.7x with 2).

Starts its own cluster on this machine (``ray.cluster_utils.Cluster``: a head with no CPUs for modules, and two
worker nodes with one CPU and one ``bench_slot`` each) and tears it down. The CPU-bound module is dosaku-ray's
``BusyBot`` test module (pure-Python arithmetic, one CPU per replica); GFPGAN's aligned path replaces it once
dosaku-modules-tencent ships test weights with a Serve-friendly size.

    python benchmarks/bench_ray.py            # results in benchmarks/results/ray.json
"""
from __future__ import annotations

import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import per_call_seconds, write_results  # noqa: E402

SPIN_ROUNDS = 1_500_000  # ~0.1-0.2 s of one CPU per call
CALLS = 16


def cluster():
    import ray
    from ray.cluster_utils import Cluster

    head = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    for _ in range(2):
        head.add_node(num_cpus=1, resources={"bench_slot": 1})
    head.wait_for_nodes(timeout=60)
    ray.init(address=head.address, logging_level=logging.WARNING, log_to_driver=False)
    return head


def config(**entries: str):
    from dosaku.config import Config

    environ = {"DOSAKU_RAY__RESOURCES_ECHOBOT": '{"num_cpus": 0.1}',
               "DOSAKU_RAY__RESOURCES_BUSYBOT": '{"num_cpus": 1, "bench_slot": 1}',
               **{f"DOSAKU_RAY__{k.upper()}": v for k, v in entries.items()}}
    return Config(path="/nonexistent/bench.ini", environ=environ)


def overhead() -> dict:
    from dosaku.testing import isolated_agent
    from dosaku_ray import plugin

    local, placed = isolated_agent(config=config()), isolated_agent(plugin, config=config())
    local.learn("Chat", module="EchoBot")
    placed.learn("Chat", module="EchoBot", placement="ray")
    for _ in range(50):
        placed.Chat("warm up")
    local_s, ray_s = per_call_seconds([lambda: local.Chat("hello"), lambda: placed.Chat("hello")], 200, rounds=5)
    placed.unlearn("Chat")
    return {
        "echobot_local_ms": local_s * 1e3, "echobot_ray_ms": ray_s * 1e3,
        "ray_overhead_ms": (ray_s - local_s) * 1e3, "ray_vs_local_ratio": ray_s / local_s,
    }


def throughput(replicas: int) -> tuple[float, list[str]]:
    from dosaku.testing import isolated_agent
    from dosaku_ray import plugin
    from dosaku_ray.testing import BUSYWORK_PLUGIN

    agent = isolated_agent(plugin, BUSYWORK_PLUGIN, config=config(REPLICAS_BUSYBOT=str(replicas)))
    agent.learn("Busywork", placement="ray")
    nodes = sorted({agent.Busywork.module.replica_info()["node_id"][:8] for _ in range(20)})
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: agent.Busywork.spin(SPIN_ROUNDS // 10), range(8)))  # warm up every replica
        started = time.perf_counter()
        list(pool.map(lambda _: agent.Busywork.spin(SPIN_ROUNDS), range(CALLS)))
        elapsed = time.perf_counter() - started
    agent.unlearn("Busywork")
    return CALLS / elapsed, nodes


def main() -> None:
    import ray
    from ray import serve

    head = cluster()
    try:
        results = overhead()
        one, nodes_one = throughput(1)
        two, nodes_two = throughput(2)
        results.update(
            cpu_module="BusyBot (dosaku_ray.testing; pure-Python arithmetic, one CPU per replica)",
            calls=CALLS, spin_rounds=SPIN_ROUNDS,
            one_replica_calls_per_s=one, two_replicas_calls_per_s=two, scaling_2_vs_1=two / one,
            nodes_one_replica=nodes_one, nodes_two_replicas=nodes_two, scaling_goal=1.7,
        )
    finally:
        serve.shutdown()
        ray.shutdown()
        head.shutdown()
    write_results("ray", results)


if __name__ == "__main__":
    main()
