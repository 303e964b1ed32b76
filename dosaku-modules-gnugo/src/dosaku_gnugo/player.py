"""``GTPPlayer``: the PlayGo task done by any GTP engine (GNU Go, KataGo, Leela Zero...) in a subprocess.

The player keeps the game (board size, komi, level and every move) so that an engine that crashes or times out is
restarted and the game replayed into it: the game goes on where it was.
"""
from __future__ import annotations

import logging
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from dosaku.module import Module
from dosaku.tasks.play_go import PlayGo

from dosaku_gnugo import protocol
from dosaku_gnugo.engine import GTPEngine
from dosaku_gnugo.errors import GTPEngineError, GTPError, GTPTimeout, IllegalMove

log = logging.getLogger(__name__)

#: Seconds each command may take by default; others take ``timeout``. final_score can take a minute on 19x19.
DEFAULT_TIMEOUTS: dict[str, float] = {"genmove": 120.0, "final_score": 180.0, "final_status_list": 180.0}


class GTPPlayer(Module, PlayGo):
    """Plays Go through a GTP engine run as a subprocess.

    Args:
        command: The engine's command line (a string is split like a shell would), e.g.
            ``'katago gtp -model model.bin.gz -config gtp.cfg'``. Default: ``[GTP] COMMAND`` from the config.
        level: The engine's strength (sent with GTP ``level`` when the engine knows it).
        timeout: Seconds any command may take unless ``timeouts`` says otherwise.
        timeouts: Seconds per command name, e.g. ``{'genmove': 30, 'final_score': 120}``.
        max_restarts: How many times in a row a dead engine is restarted before giving up.
        config: The configuration to read ``[GTP]`` from (default: the user's).

    Example::

        from dosaku_gnugo.player import GTPPlayer

        go = GTPPlayer('/usr/games/gnugo --mode gtp', level=1)
        go.boardsize(9)
        go.play('black', 'E5')
        go.genmove('white')  # e.g. 'C4'
    """

    default_command: Sequence[str] = ()

    def __init__(
        self,
        command: str | Sequence[str] | None = None,
        level: int | None = None,
        timeout: float = 10.0,
        timeouts: Mapping[str, float] | None = None,
        max_restarts: int = 2,
        config: Any = None,
    ):
        self.command = self._command(command, config)
        self.timeout = float(timeout)
        self.timeouts = {**DEFAULT_TIMEOUTS, **(timeouts or {})}
        self.max_restarts = max_restarts
        self.restarts = 0
        self._size: int | None = None
        self._komi: float | None = None
        self._level: int | None = None
        self._moves: list[tuple[str, str]] = []
        self._engine: GTPEngine | None = None
        self._known: set[str] | None = None
        self.load()
        if level is not None:
            self.level(level)

    def _command(self, command: str | Sequence[str] | None, config: Any) -> list[str]:
        if command is None:
            if config is None:
                from dosaku.config import Config

                config = Config()
            command = config.get("GTP", "COMMAND") or list(self.default_command)
        return shlex.split(command) if isinstance(command, str) else list(command)

    # --- the engine ----------------------------------------------------------------------------------------
    def load(self) -> None:
        """Start the engine (if it is not running) and bring it to the game's position."""
        if self._engine is not None and self._engine.alive:
            return
        if self._engine is not None:
            self._engine.close()
        self._engine = GTPEngine(self.command, timeout=self.timeout)
        self._replay()

    def unload(self) -> None:
        """Stop the engine; the game is kept and replayed when the next action starts it again."""
        if self._engine is not None:
            self._engine.close(quit_timeout=2.0)
            self._engine = None

    @property
    def moves(self) -> list[tuple[str, str]]:
        """The moves of the game so far, ``[('black', 'E5'), ('white', 'C4'), ...]``."""
        return list(self._moves)

    def _replay(self) -> None:
        engine = self._engine
        assert engine is not None
        if self._size is not None:
            engine.send(f"boardsize {self._size}")
        engine.send("clear_board")
        if self._komi is not None:
            engine.send(f"komi {self._komi:g}")
        if self._level is not None:
            engine.send(f"level {self._level}")
        for color, vertex in self._moves:
            engine.send(f"play {color} {vertex}")

    def _recover(self, error: GTPEngineError) -> None:
        self.restarts += 1
        log.warning("%s Restarting it and replaying %d move(s).", error, len(self._moves))
        self._engine = None
        self.load()

    def _send(self, command: str) -> str:
        """Send ``command``; an engine that died is restarted, the game replayed and the command sent again."""
        name = command.split(" ", 1)[0]
        timeout = self.timeouts.get(name, self.timeout)
        for attempt in range(self.max_restarts + 1):
            if self._engine is None or not self._engine.alive:
                self.load()
            try:
                return self._engine.send(command, timeout)  # type: ignore[union-attr]
            except GTPTimeout as error:
                self._recover(error)
                raise GTPTimeout(
                    f"{error} The engine was restarted and the game restored ({len(self._moves)} moves)."
                ) from None
            except GTPError:
                raise
            except GTPEngineError as error:
                if attempt == self.max_restarts:
                    raise GTPEngineError(
                        f"{error} It was restarted {self.max_restarts} time(s) and died again; giving up. "
                        f"Check the engine's command ({' '.join(self.command)}) by running it by hand."
                    ) from error
                self._recover(error)
        raise AssertionError("unreachable")  # pragma: no cover

    # --- PlayGo --------------------------------------------------------------------------------------------
    def protocol_version(self) -> str:
        return self._send("protocol_version")

    def name(self) -> str:
        return self._send("name")

    def version(self) -> str:
        return self._send("version")

    def known_command(self, command: str) -> bool:
        return self._send(f"known_command {command}").strip().lower() == "true"

    def list_commands(self) -> list[str]:
        return [line.strip() for line in self._send("list_commands").splitlines() if line.strip()]

    def boardsize(self, size: int) -> None:
        size = int(size)
        self._send(f"boardsize {size}")
        self._size, self._moves = size, []

    def clear_board(self) -> None:
        self._send("clear_board")
        self._moves = []

    def komi(self, komi: float) -> None:
        komi = float(komi)
        self._send(f"komi {komi:g}")
        self._komi = komi

    def play(self, color: str, vertex: str) -> None:
        color = protocol.color(color)
        command = f"play {color} {vertex}"
        try:
            vertex = protocol.vertex(vertex, self._size or 19)
        except ValueError as error:
            raise IllegalMove(command, str(error), color, str(vertex)) from None
        command = f"play {color} {vertex}"
        try:
            self._send(command)
        except IllegalMove:
            raise
        except GTPError as error:
            raise IllegalMove(command, error.engine_message, color, vertex) from None
        self._moves.append((color, vertex))

    def genmove(self, color: str) -> str:
        color = protocol.color(color)
        move = self._send(f"genmove {color}").strip()
        if move.lower() in ("pass", "resign"):
            move = move.lower()
        else:
            move = move.upper()
        if move != "resign":
            self._moves.append((color, move))
        return move

    def undo(self) -> None:
        if not self._moves:
            raise GTPError("undo", "cannot undo", "There is no move to take back.")
        self._send("undo")
        self._moves.pop()

    def showboard(self) -> str:
        return self._send("showboard").strip("\n")

    def final_score(self) -> str:
        return self._send("final_score").strip()

    def quit(self) -> None:
        """Stop the engine. The game is kept: the next action restarts the engine where the game was."""
        self.unload()

    def level(self, level: int) -> None:
        level = int(level)
        if self._known is None:
            self._known = set(self.list_commands())
        if "level" not in self._known:
            raise GTPError(f"level {level}", "the engine has no 'level' command",
                           "Set the engine's strength in its own command line or config instead.")
        self._send(f"level {level}")
        self._level = level

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {' '.join(self.command)}: {len(self._moves)} moves>"
