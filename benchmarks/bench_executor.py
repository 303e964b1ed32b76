"""Start-up overhead of an isolated run (agent.Tester.run) vs a plain ``python -c`` subprocess.

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

RESULTS = Path(__file__).parent / "results"


def timed(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    agent = isolated_agent(enable_executors=True)
    agent.learn("Tester")
    result = agent.Tester.run("print(6 * 7)")
    assert result.stdout == "42\n", result

    def plain() -> None:
        subprocess.run([sys.executable, "-c", "print(6 * 7)"], capture_output=True, check=True)

    def isolated() -> None:
        assert agent.Tester.run("print(6 * 7)").stdout == "42\n"

    plain_times = timed(plain, args.runs)
    isolated_times = timed(isolated, args.runs)
    plain_ms, isolated_ms = 1000 * statistics.median(plain_times), 1000 * statistics.median(isolated_times)
    report = {
        "benchmark": "isolated run start-up",
        "runs": args.runs,
        "plain_python_c_ms": plain_ms,
        "isolated_run_ms": isolated_ms,
        "overhead_ms": isolated_ms - plain_ms,
        "ratio": isolated_ms / plain_ms,
        "isolation": result.isolation,
    }
    print(f"python -c: {plain_ms:.1f} ms, isolated run: {isolated_ms:.1f} ms (median of {args.runs}), "
          f"overhead {isolated_ms - plain_ms:.1f} ms, ratio {report['ratio']:.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_executor.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
