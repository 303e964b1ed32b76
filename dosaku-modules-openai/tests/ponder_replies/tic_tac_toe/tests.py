"""Tests of PerfectTicTacToe."""
import os

import pytest
from dosaku.task import missing_actions
from dosaku_pondered_tic_tac_toe.modules.tic_tac_toe import PerfectTicTacToe
from dosaku_pondered_tic_tac_toe.tasks.tic_tac_toe import TicTacToe


def test_implements_the_task():
    assert missing_actions(TicTacToe, PerfectTicTacToe) == []


def test_module_was_imported_in_this_process():
    assert os.path.exists("pondered-import-marker.txt")


def test_ai_answers_each_move():
    game = PerfectTicTacToe()
    game.move(1, 1)
    flat = sum(game.board(), [])
    assert flat.count("X") == 1 and flat.count("O") == 1


def test_taken_square_is_refused():
    game = PerfectTicTacToe()
    game.move(0, 0)
    with pytest.raises(ValueError):
        game.move(0, 0)


def test_ai_takes_a_win():
    game = PerfectTicTacToe(human_first=False)
    assert game.winner() is None


def _play_all(game_cells, human_moves=0):
    """Every line of play of the human against the AI: the AI never loses."""
    game = PerfectTicTacToe()
    game._cells = game_cells
    outcome = game.winner()
    if outcome is not None:
        assert outcome != "X"
        return 1
    games = 0
    for index, cell in enumerate(game_cells):
        if cell == " ":
            trial = PerfectTicTacToe()
            trial._cells = game_cells
            trial.move(index // 3, index % 3)
            games += _play_all(trial._cells, human_moves + 1)
    return games


def test_the_ai_never_loses():
    assert _play_all(" " * 9) > 100
