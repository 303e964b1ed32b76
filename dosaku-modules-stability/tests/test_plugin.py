"""The pack is found through its entry point, adds its tasks, and imports nothing heavy when listed."""
from __future__ import annotations

import subprocess
import sys

from dosaku.plugins import Registry, plugin_manager


def test_entry_point_registers_tasks_and_modules(dosaku_config) -> None:
    registry = Registry.collect(plugin_manager(), dosaku_config)
    for task in ("RemoveBackground", "Upscale", "RemoveText", "ReplaceBackground", "Inpaint", "SketchToImage",
                 "Reimagine"):
        assert registry.task(task).default_module == "Clipdrop"
    assert registry.module("ClipdropTextToImage").tasks == ("TextToImage",)
    assert registry.module("Clipdrop").kind == "service"


def test_listing_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from dosaku import Agent\n"
        "agent = Agent()\n"
        "assert 'Upscale' in agent.learnable_tasks\n"
        "heavy = [m for m in ('requests', 'PIL', 'urllib3') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
