from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tool_samples.py (tests run with --import-mode=importlib)


@pytest.fixture(scope="session")
def smollm2():
    """One loaded SmolLM2 chat module shared by the tests (greedy, short replies); reset before each use."""
    from dosaku_llamacpp.chat import LlamaCppChat

    chat = LlamaCppChat(temperature=0.0, max_tokens=24, config=_empty_config())
    yield chat
    chat.unload()


def _empty_config():
    from dosaku.config import Config

    return Config(path="/nonexistent/dosaku-test-config.ini", environ={})
