"""Start-up overhead of an isolated run (agent.Tester.run, the full kernel boundary: bubblewrap, seccomp, Landlock,
a cgroup per run) vs a plain ``python -c`` subprocess of the same interpreter, measured in the same run and taking
turns, so machine load hits both alike. The default keeps one fresh sandbox started ahead for the next run (its
interpreter up, waiting for code); a cold start (``warm=False``: bubblewrap, the cgroup and the interpreter started
on the call) and the explicit weaker ``isolation='process'`` are measured too.

    python benchmarks/bench_executor.py [--runs 20]

Results go to benchmarks/results/bench_executor.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from dosaku.testing import isolated_agent
from dosaku_python import plugin
from dosaku_python.limits import Limits
from dosaku_python.sandbox import Sandbox

RESULTS = Path(__file__).parent / "results"


def timed_in_turns(functions, runs: int) -> list[list[float]]:
    """Each function called ``runs`` times, taking turns call by call."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(runs):
        for index, function in enumerate(functions):
            start = time.perf_counter()
            function()
            times[index].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    agent = isolated_agent(plugin, enable_executors=True)
    agent.learn("Tester")
    result = agent.Tester.run("print(6 * 7)")
    assert result.stdout == "42\n", result
    weaker = isolated_agent(plugin, enable_executors=True)
    weaker.learn("Tester", isolation="process")

    def plain() -> None:
        subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, check=True)

    def isolated() -> None:
        assert agent.Tester.run("print(6 * 7)").stdout == "42\n"

    def process() -> None:
        assert weaker.Tester.run("print(6 * 7)").stdout == "42\n"

    cold_sandbox, limits = Sandbox(warm=False), Limits()

    def cold() -> None:
        assert cold_sandbox.run("print(6 * 7)", limits).stdout == "42\n"

    plain_times, isolated_times, cold_times, process_times = timed_in_turns([plain, isolated, cold, process],
                                                                            args.runs)
    plain_ms, isolated_ms = 1000 * statistics.median(plain_times), 1000 * statistics.median(isolated_times)
    process_ms, cold_ms = 1000 * statistics.median(process_times), 1000 * statistics.median(cold_times)
    report = {
        "benchmark": "isolated run start-up",
        "runs": args.runs,
        "plain_python_c_ms": plain_ms,
        "isolated_run_ms": isolated_ms,
        "overhead_ms": isolated_ms - plain_ms,
        "ratio": isolated_ms / plain_ms,
        "cold_start_ms": cold_ms,
        "cold_start_overhead_ms": cold_ms - plain_ms,
        "process_isolation_ms": process_ms,
        "isolation": result.isolation,
    }
    print(f"python -c: {plain_ms:.1f} ms; isolated run (kernel boundary, standby sandbox): {isolated_ms:.1f} ms, "
          f"overhead {isolated_ms - plain_ms:.1f} ms, ratio {report['ratio']:.2f}; cold start: {cold_ms:.1f} ms "
          f"(overhead {cold_ms - plain_ms:.1f} ms); isolation='process': {process_ms:.1f} ms (medians of {args.runs})")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_executor.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
