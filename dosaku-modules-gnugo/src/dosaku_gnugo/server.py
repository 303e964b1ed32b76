"""A GTP engine front end for any PlayGo module: GTP controllers (GoGui, Sabaki, twogtp referees, ``gnugo``
itself) talk to ``dosaku gtp``, which answers through ``agent.PlayGo``.

Example::

    import sys
    from dosaku import Agent
    from dosaku_gnugo.server import GTPServer

    agent = Agent()
    agent.learn('PlayGo')
    GTPServer(agent.PlayGo).serve(sys.stdin, sys.stdout)
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from dosaku.errors import DosakuError

from dosaku_gnugo import protocol
from dosaku_gnugo.errors import GTPError

log = logging.getLogger(__name__)


class GTPFailure(Exception):
    """A command fails with this GTP message (``? message``)."""


class GTPServer:
    """Answers GTP commands with a PlayGo module's actions.

    Args:
        play_go: ``agent.PlayGo`` or any object with the PlayGo actions.
    """

    def __init__(self, play_go: Any):
        self.play_go = play_go
        self.handlers: dict[str, Callable[[list[str]], str]] = {
            "protocol_version": lambda args: "2",
            "name": lambda args: self.play_go.name(),
            "version": lambda args: self.play_go.version(),
            "known_command": lambda args: str(bool(args) and args[0] in self.handlers).lower(),
            "list_commands": lambda args: "\n".join(self.handlers),
            "boardsize": self._boardsize,
            "clear_board": lambda args: self._call("clear_board"),
            "komi": self._komi,
            "play": self._play,
            "genmove": lambda args: self._call("genmove", self._color(args)),
            "undo": lambda args: self._call("undo", failure="cannot undo"),
            "showboard": lambda args: "\n" + self._call("showboard"),
            "final_score": lambda args: self._call("final_score"),
            "quit": lambda args: "",
        }
        if self._has("level"):
            self.handlers["level"] = lambda args: self._call("level", self._int(args))

    def _has(self, action: str) -> bool:
        try:
            return callable(getattr(self.play_go, action))
        except AttributeError:
            return False

    def _call(self, action: str, *args: Any, failure: str | None = None) -> str:
        try:
            result = getattr(self.play_go, action)(*args)
        except GTPError as error:
            raise GTPFailure(failure or error.engine_message) from error
        except DosakuError as error:
            raise GTPFailure(failure or str(error)) from error
        return "" if result is None else str(result)

    @staticmethod
    def _int(args: list[str]) -> int:
        try:
            return int(args[0])
        except (IndexError, ValueError):
            raise GTPFailure("syntax error") from None

    @staticmethod
    def _color(args: list[str]) -> str:
        try:
            return protocol.color(args[0])
        except (IndexError, GTPError):
            raise GTPFailure("syntax error") from None

    def _boardsize(self, args: list[str]) -> str:
        return self._call("boardsize", self._int(args), failure="unacceptable size")

    def _komi(self, args: list[str]) -> str:
        try:
            komi = float(args[0])
        except (IndexError, ValueError):
            raise GTPFailure("syntax error") from None
        return self._call("komi", komi)

    def _play(self, args: list[str]) -> str:
        if len(args) < 2:
            raise GTPFailure("syntax error")
        return self._call("play", self._color(args), args[1], failure="illegal move")

    def handle(self, line: str) -> str | None:
        """The answer to one command line (None for blank and comment lines).

        Example::

            GTPServer(agent.PlayGo).handle('1 boardsize 9')  # '=1 \\n\\n'
        """
        parsed = protocol.parse_command(line)
        if parsed is None:
            return None
        ident, name, args = parsed
        handler = self.handlers.get(name)
        if handler is None:
            return protocol.answer(ident, "unknown command", ok=False)
        try:
            return protocol.answer(ident, handler(args))
        except GTPFailure as failure:
            return protocol.answer(ident, str(failure), ok=False)
        except Exception as error:  # noqa: BLE001 - the controller gets an answer, whatever went wrong
            log.exception("GTP command %r failed", line.strip())
            return protocol.answer(ident, f"{type(error).__name__}: {error}", ok=False)

    def serve(self, lines: Iterable[str], output: TextIO) -> int:
        """Answer every command from ``lines`` on ``output`` until ``quit`` or the end of input.

        Returns:
            The number of commands answered.
        """
        count = 0
        for line in lines:
            reply = self.handle(line)
            if reply is None:
                continue
            output.write(reply)
            output.flush()
            count += 1
            parsed = protocol.parse_command(line)
            if parsed is not None and parsed[1] == "quit":
                break
        return count
