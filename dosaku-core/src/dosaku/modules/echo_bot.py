"""EchoBot: the simplest Chat module. It answers by echoing the message, with no model and no network."""
from __future__ import annotations

from collections.abc import Iterator

from dosaku.conversation import Conversation
from dosaku.module import Module
from dosaku.tasks.chat import Chat


class EchoBot(Module, Chat):
    """A chatbot that introduces itself and echoes what it is told. Useful for trying Dosaku and in tests.

    Args:
        stream: Stream replies by default (partial responses, each the reply so far).
        system_prompt: Kept at the start of the history, as real chat modules do.

    Example::

        from dosaku.modules import EchoBot

        bot = EchoBot()
        bot.message("Hello, what's your name?")  # "Hi, I'm EchoBot. You said: Hello, what's your name?"
        list(bot.message('a b', stream=True))    # ["Hi, I'm EchoBot.", ..., "Hi, I'm EchoBot. You said: a b"]
    """

    greeting = "Hi, I'm EchoBot."

    def __init__(self, stream: bool = False, system_prompt: str | None = None):
        self.stream = stream
        self.system_prompt = system_prompt
        self.conversation = Conversation(system_prompt)  # the history, logged and restored by the agent

    def message(self, message: str, stream: bool | None = None, **kwargs) -> str | Iterator[str]:
        """Answer ``message`` with EchoBot's greeting and the message itself."""
        if not isinstance(message, str):
            raise TypeError(f"EchoBot.message expects a str, got {type(message).__name__}")
        reply = f"{self.greeting} You said: {message}"
        self.conversation.add({"role": "user", "content": message}, {"role": "assistant", "content": reply})
        if stream if stream is not None else self.stream:
            return self._stream(reply)
        return reply

    @staticmethod
    def _stream(reply: str) -> Iterator[str]:
        words = reply.split(" ")
        for end in range(1, len(words) + 1):
            yield " ".join(words[:end])

    def history(self) -> list[dict[str, str]]:
        """The conversation so far (a copy)."""
        return self.conversation.history()

    def reset(self) -> None:
        """Forget the conversation, keeping the system prompt."""
        self.conversation.reset()
