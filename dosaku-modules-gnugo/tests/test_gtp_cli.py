"""``dosaku gtp``: the agent's PlayGo as a GTP engine, driven by real GTP peers (GNU Go through a referee loop)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from dosaku.testing.fixtures import dosaku_home  # noqa: F401 - fixture
from dosaku_gnugo import GTPError
from dosaku_gnugo.engine import GTPEngine
from dosaku_gnugo.gnugo import gnugo_command

pytestmark = pytest.mark.skipif(
    not os.access(gnugo_command()[0], os.X_OK), reason="GNU Go is not installed (apt-get install gnugo)"
)
DOSAKU = [sys.executable, "-c", "from dosaku.cli import main; main()"]


@pytest.fixture
def dosaku_gtp(dosaku_home):  # noqa: F811
    engine = GTPEngine([*DOSAKU, "gtp", "--level", "0"], timeout=60)
    yield engine
    engine.close(quit_timeout=10)


def referee(black: GTPEngine, white: GTPEngine, max_moves: int = 300) -> list[str]:
    """Play a 9x9 game between two GTP engines until two passes, a resignation or ``max_moves``."""
    for engine in (black, white):
        engine.send("boardsize 9")
        engine.send("clear_board")
        engine.send("komi 6.5")
    moves: list[str] = []
    players = [("black", black, white), ("white", white, black)]
    while len(moves) < max_moves and moves[-2:] != ["pass", "pass"]:
        color, mover, other = players[len(moves) % 2]
        move = mover.send(f"genmove {color}").lower()
        moves.append(move)
        if move == "resign":
            break
        other.send(f"play {color} {move}")
    return moves


def test_game_against_gnugo_through_a_referee(dosaku_gtp):
    with GTPEngine([*gnugo_command(), "--level", "0"]) as gnugo:
        moves = referee(dosaku_gtp, gnugo)
        assert moves[-2:] == ["pass", "pass"] or moves[-1] == "resign", moves
        assert len(moves) > 10
        assert dosaku_gtp.send("showboard") == gnugo.send("showboard")
        assert re.fullmatch(r"[BW]\+\d+(\.\d+)?|0", dosaku_gtp.send("final_score"))


def test_gtp_protocol_answers(dosaku_gtp):
    engine = dosaku_gtp
    assert engine.send("protocol_version") == "2"
    assert engine.send("name") == "GNU Go"
    commands = engine.send("list_commands").split()
    assert {"play", "genmove", "undo", "final_score", "level", "quit"} <= set(commands)
    assert engine.send("known_command genmove") == "true"
    assert engine.send("known_command fly") == "false"
    with pytest.raises(GTPError, match="unknown command"):
        engine.send("fly away")
    with pytest.raises(GTPError, match="unacceptable size"):
        engine.send("boardsize 99")
    engine.send("boardsize 9")
    engine.send("play black E5")
    with pytest.raises(GTPError, match="illegal move"):
        engine.send("play white E5")
    with pytest.raises(GTPError, match="syntax error"):
        engine.send("play white")
    with pytest.raises(GTPError, match="syntax error"):
        engine.send("komi lots")
    engine.send("undo")
    with pytest.raises(GTPError, match="cannot undo"):
        engine.send("undo")


def test_ids_comments_and_quit(dosaku_home):  # noqa: F811
    commands = "# comment\n\n7 name\n8 fly\n9 quit\nname\n"
    done = subprocess.run([*DOSAKU, "gtp"], input=commands, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "=7 GNU Go\n\n?8 unknown command\n\n=9 \n\n"


def test_unknown_module_fails_clearly(dosaku_home: Path):  # noqa: F811
    done = subprocess.run([*DOSAKU, "gtp", "--module", "KataGoo"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Unknown module 'KataGoo'" in done.stderr
    assert done.stdout == ""
