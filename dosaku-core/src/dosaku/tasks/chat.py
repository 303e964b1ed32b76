from __future__ import annotations

import abc
from collections.abc import Iterator
from typing import ClassVar

from dosaku.task import Task, optional_action


class Chat(Task):
    """Interface for a generic conversational chatbot."""

    default_action: ClassVar[str] = "message"

    @abc.abstractmethod
    def message(self, message: str, **kwargs) -> str | Iterator[str]:
        """Send a message to the agent and get a response.

        The conversation so far (the history) is kept by the module, so each message is answered in context.

        Args:
            message: The user's message.
            **kwargs: Module options for this one message, e.g. ``stream=True``, ``temperature=0.2``,
                ``max_tokens=64`` where the module supports them.

        Returns:
            The response as a string or, when the module streams (``stream=True``), an iterator of partial
            responses: each item is the whole response so far, so the last item is the complete answer
            (the form gradio's ``ChatInterface`` expects).

        Example::

            from dosaku import Agent

            agent = Agent()
            agent.learn('Chat')
            response = agent.Chat.message("Hello, what's your name?")  # "Hi, I'm EchoBot. ..."
            response = agent.Chat("And what can you do?")  # the default action is message
        """

    @optional_action
    def history(self) -> list[dict[str, str]]:
        """The conversation so far.

        Returns:
            A list of ``{'role': 'user' | 'assistant' | 'system', 'content': str}`` dicts, oldest first.

        Example::

            agent.Chat.message('Hi')
            agent.Chat.history()  # [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', ...}]
        """

    @optional_action
    def reset(self) -> None:
        """Forget the conversation so far (a system prompt, if any, is kept).

        Example::

            agent.Chat.reset()
            agent.Chat.history()  # []
        """
