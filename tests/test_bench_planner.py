"""The planner benchmark's data and scoring, checked with its oracle backend: the loopback OpenAI server makes each
request's expected calls, so every request must run and every score be perfect (fast: no model)."""
from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("dosaku_openai", reason="needs dosaku-modules-openai")
pytest.importorskip("dosaku_llamacpp", reason="needs dosaku-modules-llamacpp")

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_planner.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_planner", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_request_is_well_formed():
    requests = json.loads((BENCH.parent / "data" / "planner_requests.json").read_text())
    assert len(requests) >= 40 and len({r["id"] for r in requests}) == len(requests)
    for request in requests:
        for call in request["expected"]:
            assert set(call["key"]) <= set(call["arguments"]), request["id"]


def test_the_oracle_scores_perfectly_on_every_request(monkeypatch):
    bench = load_bench()
    monkeypatch.delenv(bench.ENV_BASE_URL, raising=False)
    plugin, modules = bench.stand_in_plugin()
    requests = json.loads(bench.DATA.read_text())
    args = argparse.Namespace(max_steps=3, max_tokens=48, threads=1)
    summary = bench.run_backend("openai", requests, plugin, modules, args)
    failed = [row["id"] for row in summary["per_request"] if not row["success"]]
    assert failed == []
    assert summary["valid_call_rate"] == summary["node_f1"] == summary["edge_f1"] == 1.0
    assert summary["argument_accuracy"] == summary["success_rate"] == 1.0


def test_scores_of_a_wrong_plan():
    bench = load_bench()

    class Step:
        def __init__(self, tool, arguments, ok=True):
            self.tool, self.arguments, self.ok = tool, arguments, ok

    request = {"expected": [{"tool": "A", "arguments": {"x": "red fox"}, "key": {"x": "fox"}},
                            {"tool": "B", "arguments": {"n": 2}, "key": {"n": 2}}]}
    right = bench.score(request, [Step("A", {"x": "a Red Fox"}), Step("B", {"n": 2.0})])
    assert right["node_f1"] == right["edge_f1"] == 1.0 and right["success"] and right["key_arguments_right"] == 2
    swapped = bench.score(request, [Step("B", {"n": 3}), Step("A", {"x": "cat"})])
    assert swapped["node_f1"] == 1.0 and swapped["edge_f1"] == 0.0 and not swapped["success"]
    assert swapped["key_arguments_right"] == 0
    assert bench.score({"expected": []}, [])["success"]
    assert not bench.score({"expected": []}, [Step("A", {})])["success"]
