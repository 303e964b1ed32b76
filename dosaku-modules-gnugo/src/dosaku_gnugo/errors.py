"""Errors of the GTP client and the PlayGo modules built on it (all :class:`~dosaku.errors.DosakuError`)."""
from __future__ import annotations

from dosaku.errors import DosakuError


class GTPError(DosakuError):
    """The engine answered a command with a GTP failure (``? message``).

    Attributes:
        command: The command that failed, e.g. ``'play white E5'``.
        engine_message: The engine's own message, e.g. ``'illegal move'``.
    """

    def __init__(self, command: str, engine_message: str, hint: str = ""):
        self.command, self.engine_message = command, engine_message
        hint = hint or "Check the command's arguments (see agent.doc('PlayGo', action=...))."
        super().__init__(f"The Go engine refused {command!r}: {engine_message}. {hint}")


class IllegalMove(GTPError):
    """A move the rules forbid: an occupied point, suicide or a ko, or a vertex off the board."""

    def __init__(self, command: str, engine_message: str, color: str, vertex: str):
        self.color, self.vertex = color, vertex
        super().__init__(
            command,
            engine_message,
            f"{color.capitalize()} cannot play {vertex} (the point is taken, off the board, suicide or a ko "
            f"recapture); choose another vertex or 'pass'. See the position with agent.PlayGo.showboard().",
        )


class GTPEngineError(DosakuError):
    """The engine process failed: it could not start, died, or spoke something other than GTP."""


class GTPEngineNotFound(GTPEngineError, FileNotFoundError):
    """The engine's program is not installed where the configuration says."""


class GTPTimeout(GTPEngineError, TimeoutError):
    """The engine did not answer a command in time (it was restarted and the game restored)."""
