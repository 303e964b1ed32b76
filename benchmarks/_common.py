"""Shared helpers for the benchmarks: timing, and writing results to benchmarks/results/."""
from __future__ import annotations

import gc
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def median_seconds(function: Callable[[], Any], repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``function``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def per_call_seconds(functions: list[Callable[[], Any]], calls: int, rounds: int = 9) -> list[float]:
    """For very cheap calls: the best of ``rounds`` average per-call times of each function over ``calls`` calls.

    The functions take turns round by round (so machine load hits each alike) and the garbage collector is
    paused while timing.
    """
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for index, function in enumerate(functions):
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            for _ in range(calls):
                function()
            elapsed = time.perf_counter() - start
            gc.enable()
            best[index] = min(best[index], elapsed / calls)
    return best


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Write ``results`` (plus machine facts) to ``benchmarks/results/<name>.json`` and print them."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {"benchmark": name, "machine": platform.platform(), "python": platform.python_version(), **results}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"results written to {path}")
    return path
