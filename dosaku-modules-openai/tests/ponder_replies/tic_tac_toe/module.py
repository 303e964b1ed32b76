"""PerfectTicTacToe: tic tac toe against an AI that plays perfectly (minimax over every position)."""
from __future__ import annotations

import os
from functools import cache

from dosaku.module import Module
from dosaku_pondered_tic_tac_toe.tasks.tic_tac_toe import TicTacToe

# Test scaffolding of the scripted model: note which process imported this module.
with open("pondered-import-marker.txt", "a", encoding="utf-8") as _marker:
    _marker.write(f"{os.getpid()}\n")

LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def result(cells: str) -> str | None:
    for a, b, c in LINES:
        if cells[a] != " " and cells[a] == cells[b] == cells[c]:
            return cells[a]
    return "draw" if " " not in cells else None


@cache
def score(cells: str, to_move: str) -> int:
    """+1 if O wins with best play from here, -1 if X does, 0 for a draw."""
    outcome = result(cells)
    if outcome is not None:
        return {"O": 1, "X": -1, "draw": 0}[outcome]
    other = "X" if to_move == "O" else "O"
    scores = [score(cells[:i] + to_move + cells[i + 1:], other) for i, cell in enumerate(cells) if cell == " "]
    return max(scores) if to_move == "O" else min(scores)


def best_move(cells: str) -> int:
    free = [i for i, cell in enumerate(cells) if cell == " "]
    return max(free, key=lambda i: (score(cells[:i] + "O" + cells[i + 1:], "X"), -i))


class PerfectTicTacToe(Module, TicTacToe):
    """Tic tac toe against a perfect AI player."""

    def __init__(self, human_first: bool = True):
        self.new_game(human_first)

    def new_game(self, human_first: bool = True) -> str:
        self._cells = " " * 9
        if not human_first:
            self._ai_move()
        return self._draw()

    def move(self, row: int, column: int) -> str:
        if self.winner() is not None:
            raise ValueError("The game is over; start a new one with new_game().")
        if not (0 <= row <= 2 and 0 <= column <= 2):
            raise ValueError(f"({row}, {column}) is off the board; rows and columns go from 0 to 2.")
        index = 3 * row + column
        if self._cells[index] != " ":
            raise ValueError(f"({row}, {column}) is taken.")
        self._cells = self._cells[:index] + "X" + self._cells[index + 1:]
        if self.winner() is None:
            self._ai_move()
        return self._draw()

    def board(self) -> list[list[str]]:
        return [list(self._cells[row * 3:row * 3 + 3]) for row in range(3)]

    def winner(self) -> str | None:
        return result(self._cells)

    def _ai_move(self) -> None:
        index = best_move(self._cells)
        self._cells = self._cells[:index] + "O" + self._cells[index + 1:]

    def _draw(self) -> str:
        rows = [" | ".join(row) for row in self.board()]
        text = "\n---------\n".join(rows)
        outcome = self.winner()
        if outcome == "draw":
            text += "\nIt's a draw."
        elif outcome is not None:
            text += f"\n{outcome} wins."
        return text
