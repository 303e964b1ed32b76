"""The pack is found through its installed entry point, and listing it imports nothing heavy."""
from __future__ import annotations

import subprocess
import sys

from dosaku.plugins import Registry, plugin_manager


def test_entry_point_registers_the_services(dosaku_config) -> None:
    registry = Registry.collect(plugin_manager(), dosaku_config)
    chat, images = registry.module("OpenAIChat"), registry.module("OpenAITextToImage")
    assert (chat.kind, chat.tasks, chat.needs_key) == ("service", ("Chat",), "OPENAI")
    assert (images.kind, images.tasks) == ("service", ("TextToImage",))
    assert chat.plugin == "openai"


def test_listing_imports_no_openai() -> None:
    code = (
        "import sys\n"
        "from dosaku import Agent\n"
        "agent = Agent()\n"
        "assert 'OpenAIChat' in agent.learnable_modules('Chat'), agent.learnable_modules('Chat')\n"
        "heavy = [m for m in ('openai', 'PIL', 'httpx', 'httpx2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
