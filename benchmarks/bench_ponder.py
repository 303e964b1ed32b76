"""Ponder's costs that are Dosaku's own (the model's time is not): the isolated check of a generated plugin vs a plain
``python -m pytest`` subprocess on the same files (what isolation costs), and an agent's start (cached registry,
``learnable_tasks``) with 20 plugin folders vs none (what scanning the plugin directories costs).
Results go to benchmarks/results/bench_ponder.json.

    python benchmarks/bench_ponder.py [--rounds 5] [--folders 20]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
REPLIES = ROOT / "dosaku-modules-openai" / "tests" / "ponder_replies" / "tic_tac_toe"


def median_s(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def plugin_files() -> tuple[dict[str, str], object]:
    from dosaku_openai.pondering.layout import Layout
    from dosaku_openai.pondering.plan import parse_plan

    layout = Layout("tic_tac_toe", parse_plan((REPLIES / "plan.json").read_text()))
    files = {layout.path(key): (REPLIES / f"{key}.py").read_text() for key in ("task", "module", "sample", "app",
                                                                                 "tests")}
    files.update({layout.path(k): text for k, text in layout.fixed_files("bench", "bench").items()})
    return files, layout


def bench_check(rounds: int) -> dict[str, float]:
    from dosaku_openai.pondering.isolated import run_checks

    files, layout = plugin_files()
    limits = {"wall_time": 60, "cpu_time": 60}

    def isolated() -> None:
        problems, _ = run_checks(files, layout, limits)
        assert not problems, problems

    def plain() -> None:
        with tempfile.TemporaryDirectory() as folder:
            for relative, text in files.items():
                path = Path(folder) / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                                  cwd=folder, capture_output=True, env={**os.environ, "PYTHONPATH": f"{folder}/src"},
                                  timeout=120)
            assert done.returncode == 0, done.stdout[-2000:]

    plain_s, isolated_s = [], []
    for _ in range(rounds):  # alternate, so both see the same machine load
        plain_s.append(median_s(plain, 1))
        isolated_s.append(median_s(isolated, 1))
    return {"plain_pytest_s": statistics.median(plain_s), "isolated_check_s": statistics.median(isolated_s)}


def bench_start(folders: int, rounds: int) -> dict[str, float]:
    from dosaku import Agent, Config

    directory = Config().data_dir / "plugins"

    def start() -> None:
        assert Agent().learnable_tasks

    start()  # write the cache
    empty = median_s(start, rounds * 4)
    for index in range(folders):
        folder = directory / f"dosaku-bench-{index}"
        (folder / "src" / f"bench_{index}").mkdir(parents=True)
        (folder / "pyproject.toml").write_text(
            f'[project]\nname = "dosaku-bench-{index}"\n[project.entry-points.dosaku]\n'
            f'bench_{index} = "bench_{index}.plugin"\n')
        (folder / "src" / f"bench_{index}" / "__init__.py").write_text("")
        (folder / "src" / f"bench_{index}" / "plugin.py").write_text(
            "from dosaku import TaskSpec, hookimpl\n\n\n@hookimpl\ndef register_tasks(register):\n"
            f"    register(TaskSpec('Bench{index}', 'bench_{index}.plugin:X'))\n")
    start()  # the cache notices them and is rewritten
    full = median_s(start, rounds * 4)
    return {"start_no_folders_s": empty, f"start_{folders}_folders_s": full}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--folders", type=int, default=20)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="dosaku-bench-")
    os.environ.update(DOSAKU_CONFIG=f"{home}/config.ini", DOSAKU_DATA_DIR=f"{home}/data", DOSAKU_CACHE_DIR=f"{home}/c")

    check = bench_check(args.rounds)
    start = bench_start(args.folders, args.rounds)
    results = {
        **check, **start,
        "isolated_vs_plain_ratio": check["isolated_check_s"] / check["plain_pytest_s"],
        "start_folders_vs_none_ratio": start[f"start_{args.folders}_folders_s"] / start["start_no_folders_s"],
    }
    for name, value in results.items():
        print(f"{name:32} {value:.4f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_ponder.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
