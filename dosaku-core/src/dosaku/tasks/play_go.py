from __future__ import annotations

import abc

from dosaku.task import Task, optional_action


class PlayGo(Task):
    """Play the game of Go, through the actions of the Go Text Protocol (GTP) version 2.

    Colours are ``'black'``/``'white'`` (or ``'b'``/``'w'``); vertices are GTP coordinates such as ``'E5'`` (the
    letter I is skipped), or ``'pass'``. The module keeps the game's state between actions.
    """

    @abc.abstractmethod
    def protocol_version(self) -> str:
        """The GTP version the engine speaks.

        Returns:
            ``'2'``.

        Example::

            agent.PlayGo.protocol_version()  # '2'
        """

    @abc.abstractmethod
    def name(self) -> str:
        """The engine's name.

        Returns:
            The name, e.g. ``'GNU Go'``.

        Example::

            agent.PlayGo.name()  # 'GNU Go'
        """

    @abc.abstractmethod
    def version(self) -> str:
        """The engine's version.

        Returns:
            The version string, e.g. ``'3.8'``.

        Example::

            agent.PlayGo.version()  # '3.8'
        """

    @abc.abstractmethod
    def known_command(self, command: str) -> bool:
        """Whether the engine knows a GTP command.

        Args:
            command: A GTP command name, e.g. ``'genmove'``.

        Returns:
            True or False.

        Example::

            agent.PlayGo.known_command('genmove')  # True
        """

    @abc.abstractmethod
    def list_commands(self) -> list[str]:
        """The GTP commands the engine knows.

        Returns:
            A list of command names.

        Example::

            'play' in agent.PlayGo.list_commands()  # True
        """

    @abc.abstractmethod
    def boardsize(self, size: int) -> None:
        """Set the board size and clear the board.

        Args:
            size: The number of lines, e.g. 9, 13 or 19.

        Example::

            agent.PlayGo.boardsize(9)
        """

    @abc.abstractmethod
    def clear_board(self) -> None:
        """Remove every stone and start a new game on the same board size.

        Example::

            agent.PlayGo.clear_board()
        """

    @abc.abstractmethod
    def komi(self, komi: float) -> None:
        """Set the komi (points given to white).

        Args:
            komi: e.g. 6.5.

        Example::

            agent.PlayGo.komi(6.5)
        """

    @abc.abstractmethod
    def play(self, color: str, vertex: str) -> None:
        """Play a move for a colour.

        Args:
            color: ``'black'`` or ``'white'``.
            vertex: Where to play, e.g. ``'E5'``, or ``'pass'``.

        Example::

            agent.PlayGo.play('black', 'E5')
        """

    @abc.abstractmethod
    def genmove(self, color: str) -> str:
        """Let the engine choose and play a move for a colour.

        Args:
            color: ``'black'`` or ``'white'``.

        Returns:
            The vertex played, ``'pass'`` or ``'resign'``.

        Example::

            agent.PlayGo.genmove('white')  # e.g. 'C3'
        """

    @abc.abstractmethod
    def undo(self) -> None:
        """Take back the last move.

        Example::

            agent.PlayGo.undo()
        """

    @abc.abstractmethod
    def showboard(self) -> str:
        """The board as text.

        Returns:
            A drawing of the board.

        Example::

            print(agent.PlayGo.showboard())
        """

    @abc.abstractmethod
    def final_score(self) -> str:
        """The score of the game as it stands.

        Returns:
            The score in GTP form, e.g. ``'W+7.5'``, ``'B+3.0'`` or ``'0'``.

        Example::

            agent.PlayGo.final_score()  # 'W+6.5'
        """

    @abc.abstractmethod
    def quit(self) -> None:
        """End the session with the engine.

        Example::

            agent.PlayGo.quit()
        """

    @optional_action
    def level(self, level: int) -> None:
        """Set the engine's playing strength, where the engine supports it.

        Args:
            level: Engine-specific strength, e.g. 1 (weakest) to 10 for GNU Go.

        Example::

            agent.PlayGo.level(1)
        """
