"""Errors of the Python pack (all :class:`~dosaku.DosakuError`)."""
from __future__ import annotations

from dosaku import DosakuError


class LimitError(DosakuError, ValueError):
    """A run asked for a limit that is unknown or looser than the executor allows."""


class SandboxError(DosakuError):
    """The sandbox itself failed (not the code it ran): it could not start or its set-up was refused."""


class SandboxUnavailable(SandboxError):
    """No kernel boundary can be set up on this machine (e.g. bubblewrap is missing or user namespaces are off).

    The message names what to install or enable, and how to ask for the weaker ``isolation='process'`` explicitly.
    """


class QuarantineError(DosakuError):
    """A module placed in a sandbox (``placement='sandbox'``) raised, stopped, or answered with malformed data."""
