"""Importing dosaku, and listing what is learnable, import nothing heavy and touch no disk."""
from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ["torch", "gradio", "openai", "llama_cpp", "PIL", "numpy", "ray", "gfpgan", "requests", "httpx"]


def run_isolated(code: str, home) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DOSAKU_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_CACHE_HOME=str(home / "cache"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_import_dosaku_imports_nothing_heavy_and_touches_no_disk(tmp_path):
    loaded = run_isolated(
        f"import sys, json, dosaku; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))", tmp_path)
    assert loaded == []
    assert list(tmp_path.iterdir()) == []


def test_listing_learnable_tasks_imports_no_implementation(tmp_path):
    code = (
        "import sys, json, dosaku\n"
        "agent = dosaku.Agent()\n"
        "tasks = agent.learnable_tasks\n"
        "modules = agent.learnable_modules()\n"
        "targets = {s.target.split(':')[0] for s in agent.registry.modules.values() if isinstance(s.target, str)}\n"
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'tasks': tasks,"
        " 'targets': sorted(targets & set(sys.modules))}))"
    )
    for run in ("collects", "reads the cache"):
        result = run_isolated(code, tmp_path)
        assert result["heavy"] == [], f"listing tasks ({run}) imported " + ", ".join(result["heavy"])
        assert "Chat" in result["tasks"]
        assert result["targets"] == [], f"module targets were imported: {result['targets']}"
        written = [str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()]
        assert len(written) == 1 and written[0].startswith("cache/dosaku/registry/")  # only the registry cache


def test_cached_registry_needs_no_pluggy_and_no_plugin(tmp_path):
    code = ("import sys, json, dosaku\nagent = dosaku.Agent()\nagent.learn('Chat')\n"
            "print(json.dumps({'pluggy': 'pluggy' in sys.modules, 'plugins': [m for m in sys.modules "
            "if m.endswith('plugin') or m.startswith('dosaku.default_plugins')], 'tasks': agent.learnable_tasks}))")
    first, second = run_isolated(code, tmp_path), run_isolated(code, tmp_path)
    assert first["pluggy"] is True and second["pluggy"] is False
    assert second["plugins"] == [] and second["tasks"] == first["tasks"]


def test_a_cached_start_imports_nothing_but_dosakus_own_start_up_modules(tmp_path):
    """The start-up path stays lean: with the registry cache current, making an agent and listing what it can learn
    imports no standard-library module Python did not already load (typing, logging, dataclasses, pathlib, json...
    each cost milliseconds; ``benchmarks/bench_core.py`` measures the start itself)."""
    code = ("import sys\nbefore = set(sys.modules)\nimport dosaku\nagent = dosaku.Agent()\n"
            "tasks = agent.learnable_tasks\nnew = sorted(set(sys.modules) - before)\n"
            "import json\nprint(json.dumps({'new': new, 'tasks': tasks}))")
    first, second = run_isolated(code, tmp_path), run_isolated(code, tmp_path)
    assert "pluggy" in first["new"]  # the first start collects the plugins
    foreign = [name for name in second["new"] if name.split(".")[0] not in ("dosaku", "__future__", "zlib")]
    assert foreign == [], f"a cached start imported {foreign}"
    assert second["tasks"] == first["tasks"] and "Chat" in second["tasks"]
    assert {"dosaku.agent", "dosaku.registry_cache"} <= set(second["new"])
    assert "dosaku.config" not in second["new"] and "dosaku.learning" not in second["new"]
