"""A plugin that could not be used, and why (kept apart from pluggy, and light, so reading a cached registry needs
neither pluggy nor anything else it does not use)."""
from __future__ import annotations

import os

from dosaku.errors import PluginError
from dosaku.record import Record


class PluginFailure(Record):
    """A plugin that could not be used, and why.

    Attributes:
        plugin: The plugin's (entry point's) name.
        distribution: The distribution that ships it ('' for in-process plugins).
        version: That distribution's version.
        phase: Where it failed: ``'import'``, ``'register'``, ``'hook'`` or ``'learn'``.
        error: ``'ExceptionType: message'``.
        traceback: The formatted traceback.
    """

    __slots__ = ("plugin", "distribution", "version", "phase", "error", "traceback")
    _DEFAULTS = {"traceback": ""}
    plugin: str
    distribution: str
    version: str
    phase: str
    error: str
    traceback: str

    def __str__(self) -> str:
        source = f" ({self.distribution} {self.version})" if self.distribution else ""
        return f"plugin {self.plugin!r}{source} failed at {self.phase}: {self.error}"


def strict() -> bool:
    """True when ``DOSAKU_STRICT_PLUGINS`` asks for plugin failures to be raised."""
    return os.environ.get("DOSAKU_STRICT_PLUGINS", "") not in ("", "0", "false", "no")


def failure(plugin: str, phase: str, error: BaseException, distribution: str = "", version: str = "") -> PluginFailure:
    """Record ``error`` as a :class:`PluginFailure` (or raise it in strict mode)."""
    import logging
    import traceback
    record = PluginFailure(
        plugin=plugin,
        distribution=distribution,
        version=version,
        phase=phase,
        error=f"{type(error).__name__}: {error}",
        traceback="".join(traceback.format_exception(type(error), error, error.__traceback__)),
    )
    if strict():
        raise PluginError(str(record)) from error
    logging.getLogger("dosaku.plugins").warning("%s", record)
    return record
