"""The ReverseText task and the Reverser module."""
import abc

from dosaku import Module, Task


class ReverseText(Task):
    """Reverse a text."""

    default_action = "reverse"

    @abc.abstractmethod
    def reverse(self, text: str) -> str:
        """Reverse ``text``.

        Example::

            agent.ReverseText.reverse('abc')  # 'cba'
        """


class Reverser(Module, ReverseText):
    """Reverses text character by character."""

    def reverse(self, text: str) -> str:
        return text[::-1]
