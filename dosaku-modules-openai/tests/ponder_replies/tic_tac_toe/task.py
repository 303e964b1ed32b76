"""The TicTacToe task: a game of tic tac toe between a human (X) and an AI player (O)."""
from __future__ import annotations

import abc
from typing import ClassVar

from dosaku.task import Task


class TicTacToe(Task):
    """Play tic tac toe against an AI player: the human is X, the AI is O."""

    default_action: ClassVar[str] = "move"

    @abc.abstractmethod
    def new_game(self, human_first: bool = True) -> str:
        """Start a new game.

        Args:
            human_first: The human moves first; otherwise the AI opens.

        Returns:
            The board, drawn as text.

        Example::

            agent.learn('TicTacToe')
            print(agent.TicTacToe.new_game())
        """

    @abc.abstractmethod
    def move(self, row: int, column: int) -> str:
        """Play X at (row, column), both 0 to 2; the AI answers at once unless the game is over.

        Args:
            row: The row, 0 (top) to 2.
            column: The column, 0 (left) to 2.

        Returns:
            The board, drawn as text, and the result when the game is over.

        Raises:
            ValueError: the square is taken or off the board, or the game is over.

        Example::

            agent.TicTacToe.move(1, 1)
        """

    @abc.abstractmethod
    def board(self) -> list[list[str]]:
        """The board: three rows of 'X', 'O' or ' '.

        Example::

            agent.TicTacToe.board()  # [[' ', ' ', ' '], [' ', 'X', ' '], ['O', ' ', ' ']]
        """

    @abc.abstractmethod
    def winner(self) -> str | None:
        """'X' or 'O' when someone has won, 'draw' when the board is full, None while the game goes on.

        Example::

            agent.TicTacToe.winner()  # None
        """
