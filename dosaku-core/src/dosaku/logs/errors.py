"""The errors of the conversation log (:mod:`dosaku.logs`)."""
from __future__ import annotations

from dosaku.errors import DosakuError


class LogsError(DosakuError):
    """Something went wrong with the conversation log."""


class ConversationNotFound(LogsError, LookupError):
    """No logged conversation has the given id (or it belongs to another user)."""

    def __init__(self, ident: str, where: str):
        self.ident = ident
        super().__init__(
            f"No logged conversation has the id {ident!r} in {where}. List them with `dosaku logs list` "
            f"(or LogStore().list() in Python) and use one of the ids shown (a unique prefix is enough)."
        )


class AmbiguousConversationId(LogsError, LookupError):
    """A conversation id prefix matches more than one conversation."""

    def __init__(self, prefix: str, matches: list[str]):
        self.prefix, self.matches = prefix, matches
        shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
        super().__init__(
            f"The id prefix {prefix!r} matches {len(matches)} conversations ({shown}); give more of the id."
        )


class LogDatabaseError(LogsError):
    """The log database could not be opened, read or written."""

    def __init__(self, path: str, error: BaseException):
        super().__init__(
            f"The conversation log {path} could not be used ({type(error).__name__}: {error}). If the file is "
            f"damaged, move it away (a new one is made on the next chat), or turn logging off: `dosaku logs off`."
        )


class CannotResume(LogsError):
    """A conversation cannot be restored into this module."""
