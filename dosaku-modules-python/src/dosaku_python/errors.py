"""Errors of the executors (all :class:`~dosaku.errors.DosakuError`)."""
from __future__ import annotations

from dosaku.errors import DosakuError


class LimitError(DosakuError, ValueError):
    """A run asked for a limit that is unknown or looser than the executor allows."""


class SandboxError(DosakuError):
    """The sandbox itself failed (not the code it ran): it could not start or lost the result."""
