"""The Whisper task and its Whisperer module."""
import abc

from dosaku import Module, Task


class Whisper(Task):
    """Say a text quietly."""

    default_action = "whisper"

    @abc.abstractmethod
    def whisper(self, text: str) -> str:
        """Say ``text`` quietly (in lower case)."""


class Whisperer(Module, Whisper):
    def whisper(self, text: str) -> str:
        return text.lower()

    def reverse(self, text: str) -> str:
        return text
