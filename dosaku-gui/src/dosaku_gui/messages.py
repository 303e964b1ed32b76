"""Turning errors into short messages a user can act on (never a stack trace)."""
from __future__ import annotations

import logging

from dosaku.errors import DosakuError, MissingAPIKey, ModuleLoadError, PermissionRequired
from dosaku.installer import InstallError, InstallNotConfirmed

log = logging.getLogger(__name__)


def _is_missing_weights(error: BaseException) -> bool:
    return isinstance(error, (FileNotFoundError, ModuleLoadError)) and isinstance(error, DosakuError)


def user_message(error: BaseException) -> str:
    """A one-paragraph Markdown explanation of ``error`` for the UI; unexpected errors are logged with traceback.

    Example::

        user_message(ServicePermissionRequired())
        # '**Permission needed.** Loaded module was a service, ... Restart with `dosaku_gui --enable-services` ...'
    """
    text = str(error).strip() or type(error).__name__
    if isinstance(error, InstallNotConfirmed):
        return "**Nothing was installed.** Tick the box to agree to the install, then press Install."
    if isinstance(error, InstallError):
        return f"**The install failed.** {text}"
    if isinstance(error, PermissionRequired):
        switch = "--enable-services" if "service" in text.lower() else "--enable-executors"
        return f"**Permission needed.** {text} In the GUI: restart it with `dosaku_gui {switch}`."
    if isinstance(error, MissingAPIKey):
        return f"**Missing API key.** {text}"
    if _is_missing_weights(error):
        return f"**Model or weights missing.** {text}"
    if isinstance(error, DosakuError):
        return f"**Error.** {text}"
    log.error("Unexpected error in the GUI", exc_info=(type(error), error, error.__traceback__))
    return f"**Unexpected error** ({type(error).__name__}): {text}. The details are in the server's log."
