"""EchoBot meets the Chat contract, called directly and through an agent."""
from __future__ import annotations

import pytest
from dosaku import ModuleNotFound
from dosaku.testing import ChatContract, isolated_agent


class TestEchoBotDirect(ChatContract):
    @pytest.fixture
    def chat(self):
        from dosaku.modules import EchoBot

        return EchoBot()


class TestEchoBotThroughAgent(ChatContract):
    @pytest.fixture
    def chat(self):
        agent = isolated_agent()
        agent.learn("Chat")
        return agent.Chat


def test_system_prompt_is_kept_by_reset():
    from dosaku.modules import EchoBot

    bot = EchoBot(system_prompt="Be brief.")
    bot.message("hi")
    bot.reset()
    assert bot.history() == [{"role": "system", "content": "Be brief."}]


def test_modules_namespace_resolves_installed_modules():
    import dosaku.modules

    assert "EchoBot" in dir(dosaku.modules)
    with pytest.raises(ModuleNotFound, match="Did you mean: EchoBot"):
        dosaku.modules.EchoBott
