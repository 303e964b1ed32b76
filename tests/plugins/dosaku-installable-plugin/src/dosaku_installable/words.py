import abc

from dosaku import Module, Task


class CountWords(Task):
    """Count the words of a text."""

    default_action = "count"

    @abc.abstractmethod
    def count(self, text: str) -> int:
        """The number of words in ``text``.

        Example::

            agent.CountWords('a b c')  # 3
        """


class WordCounter(Module, CountWords):
    def count(self, text: str) -> int:
        return len(text.split())
