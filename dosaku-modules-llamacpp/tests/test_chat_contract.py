"""The Chat contract, on the module and through a real agent (entry-point discovery), with real SmolLM2."""
from __future__ import annotations

import pytest
from dosaku.testing import ChatContract, isolated_agent


class TestLlamaCppChatModule(ChatContract):
    @pytest.fixture
    def chat(self, smollm2):
        smollm2.reset()
        return smollm2


class TestLlamaCppChatThroughAgent(ChatContract):
    @pytest.fixture
    def chat(self):
        agent = isolated_agent(entry_points=True)
        agent.learn("Chat", module="LlamaCppChat", temperature=0.0, max_tokens=24)
        yield agent.Chat
        agent.unlearn("Chat")
