"""Importing dosaku, and listing what is learnable, import nothing heavy and touch no disk."""
from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ["torch", "gradio", "openai", "llama_cpp", "PIL", "numpy", "ray", "gfpgan", "requests", "httpx", "mcp",
         "starlette", "uvicorn"]


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


LISTING = (
    "import sys, json, dosaku\n"
    "agent = dosaku.Agent()\n"
    "tasks = agent.learnable_tasks\n"
    "modules = agent.learnable_modules()\n"
    "targets = {s.target.split(':')[0] for s in agent.registry.modules.values() if isinstance(s.target, str)}\n"
    f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'tasks': tasks,"
    " 'targets': sorted(targets & set(sys.modules))}))"
)


def test_listing_learnable_tasks_imports_no_implementation_and_writes_nothing(tmp_path):
    """With every installed pack (nox -s tests installs them all), listing what is learnable imports no model or
    client library, no module target, and writes no file."""
    result = run_isolated(LISTING, tmp_path)
    assert result["heavy"] == [], "listing tasks imported " + ", ".join(result["heavy"])
    assert "Chat" in result["tasks"]
    assert result["targets"] == [], f"module targets were imported: {result['targets']}"
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_dosaku_tasks_imports_nothing_heavy(tmp_path):
    code = ("import sys, json, io, contextlib\nfrom dosaku.cli import main\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            "    try:\n        main(['tasks'])\n    except SystemExit:\n        pass\n"
            f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'out': out.getvalue()}}))")
    result = run_isolated(code, tmp_path)
    assert result["heavy"] == [], "`dosaku tasks` imported " + ", ".join(result["heavy"])
    assert "Chat" in result["out"] and "EchoBot" in result["out"]
