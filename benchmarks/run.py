"""Run every benchmark (each ``bench_*.py`` in its own process) and print a summary of the ratios.

    python benchmarks/run.py            # all
    python benchmarks/run.py core go    # only bench_core.py and bench_go.py

bench_planner.py runs with --quick here (run it alone for every request).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
#: Arguments some benchmarks get here, to keep the whole run within minutes.
ARGUMENTS = {"bench_planner.py": ["--quick"]}
#: Scores printed in the summary besides the ratios: {result file: [(backend, score), ...]}.
SCORES = {"bench_planner": [(backend, score) for backend in ("llamacpp", "llamacpp-no-grammar", "openai")
                            for score in ("valid_call_rate", "node_f1", "success_rate")]}


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [script for script in scripts if script.stem.removeprefix("bench_") in names]
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script), *ARGUMENTS.get(script.name, [])], cwd=HERE).returncode != 0:
            failed.append(script.name)
    print("\n== summary (ratios: through Dosaku / baseline measured in the same run)")
    for path in sorted((HERE / "results").glob("*.json")):
        results = json.loads(path.read_text())
        ratios = {key: round(value, 3) for key, value in results.items() if "ratio" in key or "speedup" in key}
        for backend, score in SCORES.get(path.stem, []):
            value = (results.get(backend) or {}).get(score)
            if isinstance(value, (int, float)):
                ratios[f"{backend}.{score}"] = round(value, 3)
        print(f"{path.stem:<12} {ratios}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
