from __future__ import annotations

import abc
from typing import Any, ClassVar

from dosaku.task import Task


class Ponder(Task):
    """Write a new task and a module that implements it, from a description of what is wanted."""

    default_action: ClassVar[str] = "ponder"

    @abc.abstractmethod
    def ponder(self, reqs: str, write_to_file: bool = True, save_filename: str | None = None, **kwargs) -> Any:
        """Think up a task and a module for the requirements, write and validate them.

        Args:
            reqs: What the new task should do, in plain English.
            write_to_file: Write the result as a plugin distribution in the user's plugins directory.
            save_filename: The base file name of the generated files, e.g. ``'tic_tac_toe.py'``.

        Returns:
            A report of what was written and whether it validated.

        Example::

            from dosaku import Agent

            agent = Agent(enable_services=True)
            agent.learn('Ponder', model='gpt-4')
            agent.Ponder(reqs='Write a tic tac toe program between a human and an AI player.',
                         write_to_file=True, save_filename='tic_tac_toe.py')
        """
