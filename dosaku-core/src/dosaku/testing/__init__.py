"""Helpers for testing Dosaku plugins and modules: in-process plugin managers, an isolated config, and a
contract test suite per task that every module pack reuses.

Example (a pack's ``tests/test_chat.py``)::

    import pytest
    from dosaku.testing import ChatContract

    class TestMyChat(ChatContract):
        @pytest.fixture
        def chat(self):
            return MyChat(max_tokens=16)
"""
from dosaku.testing.contracts import (
    ChatContract,
    PlayGoContract,
    RestoreFacesContract,
    TesterContract,
    TextToImageContract,
)
from dosaku.testing.helpers import in_process_plugin, isolated_agent, make_plugin_manager

__all__ = [
    "ChatContract",
    "PlayGoContract",
    "RestoreFacesContract",
    "TesterContract",
    "TextToImageContract",
    "in_process_plugin",
    "isolated_agent",
    "make_plugin_manager",
]
