"""GnuGo (PlayGo over GTP) against the real GNU Go engine."""
from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from dosaku.config import Config
from dosaku.errors import DosakuError
from dosaku.testing import PlayGoContract, isolated_agent
from dosaku_gnugo import GTPEngineError, GTPEngineNotFound, GTPError, GTPTimeout, IllegalMove, plugin
from dosaku_gnugo.gnugo import GnuGo, gnugo_command

pytestmark = pytest.mark.skipif(
    not os.access(gnugo_command()[0], os.X_OK), reason="GNU Go is not installed (apt-get install gnugo)"
)
SCORE = re.compile(r"[BW]\+\d+(\.\d+)?|0")
MOVE = re.compile(r"[A-HJ-T](1[0-9]|[1-9])|pass|resign")


@pytest.fixture
def agent():
    agent = isolated_agent(plugin)
    agent.learn("PlayGo", level=0)
    yield agent
    agent.unlearn("PlayGo")


@pytest.fixture
def go(agent):
    agent.PlayGo.boardsize(9)
    return agent.PlayGo


class TestGnuGoContract(PlayGoContract):
    @pytest.fixture
    def go(self, agent):
        return agent.PlayGo


def stones(board: str) -> str:
    """The stones on a showboard drawing, row by row (captions and hoshi dropped)."""
    rows = [line for line in board.splitlines() if re.match(r"\s*\d+ ", line)]
    return "".join(ch for row in rows for ch in row.split("  ")[0] if ch in "XO.+").replace("+", ".")


def assert_gone(pid: int) -> None:
    """The process ``pid`` was stopped and reaped."""
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_learned_by_default_and_listed(agent):
    assert agent.loaded_modules == ["GnuGo"]
    assert "GnuGo" in agent.learnable_modules("PlayGo")
    assert agent.PlayGo.name() == "GNU Go"
    assert "level" in dir(agent.PlayGo)


def test_game_to_two_passes(go):
    go.komi(6.5)
    moves, passes, color = [], 0, "black"
    while passes < 2 and len(moves) < 300:
        move = go.genmove(color)
        assert MOVE.fullmatch(move), move
        if move == "resign":
            break
        moves.append(move)
        passes = passes + 1 if move == "pass" else 0
        color = "white" if color == "black" else "black"
    assert moves[-2:] == ["pass", "pass"], moves
    assert len(go.module.moves) == len(moves)
    assert SCORE.fullmatch(go.final_score())


def test_undo_takes_back_moves(go):
    empty = stones(go.showboard())
    go.play("black", "E5")
    go.genmove("white")
    assert stones(go.showboard()).count("O") == 1
    go.undo()
    assert stones(go.showboard()).count("O") == 0
    go.undo()
    assert stones(go.showboard()) == empty
    with pytest.raises(GTPError, match="There is no move to take back"):
        go.undo()


def test_illegal_moves_are_refused_clearly(go):
    go.play("black", "E5")
    with pytest.raises(IllegalMove, match=r"refused 'play white E5': illegal move\. White cannot play E5") as info:
        go.play("white", "E5")
    assert info.value.engine_message == "illegal move"
    with pytest.raises(IllegalMove, match="K5 is off the 9x9 board"):
        go.play("white", "K5")
    with pytest.raises(IllegalMove, match="'Z0' is not a vertex"):
        go.play("white", "Z0")
    with pytest.raises(GTPError, match="invalid color.*'black' or 'white'"):
        go.play("purple", "A1")
    assert go.module.moves == [("black", "E5")]
    go.play("w", "d4")  # the game goes on
    assert go.module.moves[-1] == ("white", "D4")


def test_engine_failure_reply_is_gtp_error(go):
    with pytest.raises(GTPError, match=r"refused 'boardsize 0': unacceptable size") as info:
        go.boardsize(0)
    assert info.value.engine_message == "unacceptable size"
    assert isinstance(info.value, DosakuError)


def test_engine_killed_mid_game_is_restarted_and_game_replayed(go):
    go.play("black", "E5")
    go.play("white", "C3")
    go.genmove("black")
    before, old_pid = stones(go.showboard()), go.module._engine.pid
    os.kill(old_pid, signal.SIGKILL)
    assert stones(go.showboard()) == before
    assert go.module.restarts == 1 and go.module._engine.pid != old_pid
    assert MOVE.fullmatch(go.genmove("white"))
    assert len(go.module.moves) == 4


def test_timeout_restarts_engine_and_keeps_game():
    go = GnuGo(level=0, timeouts={"genmove": 0.5})
    try:
        go.boardsize(9)
        go.play("black", "E5")
        stuck = go._engine.pid
        os.kill(stuck, signal.SIGSTOP)  # alive but silent: it can never answer in time
        with pytest.raises(GTPTimeout, match=r"did not answer 'genmove white' within 0.5 s.*restarted and the game "
                                             r"restored \(1 moves\)"):
            go.genmove("white")
        assert go._engine.pid != stuck
        assert go.moves == [("black", "E5")]
        assert "X" in go.showboard()
        assert_gone(stuck)  # the stuck engine was killed
    finally:
        go.quit()


def test_engine_that_keeps_dying_gives_a_clear_error():
    with pytest.raises(GTPEngineError, match=r"The GTP engine 'false' died \(exit status 1\)"):
        GnuGo(command="false")


def test_missing_engine_is_reported_and_agent_unchanged():
    agent = isolated_agent(plugin)
    with pytest.raises(GTPEngineNotFound, match=r"'/nonexistent/katago' was not found.*apt-get install gnugo"):
        agent.learn("PlayGo", command="/nonexistent/katago gtp")
    assert agent.tasks == [] and agent.loaded_modules == []


def test_engine_command_from_config(tmp_path: Path):
    config = Config(path=tmp_path / "config.ini", environ={})
    config.set("GTP", "COMMAND", f"{gnugo_command()[0]} --mode gtp --level 0")
    go = GnuGo(config=config)
    try:
        assert go.command[-2:] == ["--level", "0"]
        assert go.name() == "GNU Go"
    finally:
        go.quit()


def test_quit_then_play_on_restarts_where_the_game_was(go):
    go.play("black", "E5")
    pid = go.module._engine.pid
    go.quit()
    assert go.module._engine is None
    assert_gone(pid)
    go.play("white", "C3")
    board = stones(go.showboard())
    assert board.count("X") == 1 and board.count("O") == 1


def test_unlearn_stops_the_engine(agent):
    pid = agent.PlayGo.module._engine.pid
    agent.unlearn("PlayGo")
    assert_gone(pid)
    agent.learn("PlayGo", level=0)  # for the fixture's own unlearn
