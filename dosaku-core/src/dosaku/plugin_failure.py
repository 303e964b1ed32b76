"""A plugin that could not be used, and why (kept apart from pluggy so reading a cached registry needs no pluggy)."""
from __future__ import annotations

import logging
import os
import traceback
from dataclasses import dataclass

from dosaku.errors import PluginError

log = logging.getLogger("dosaku.plugins")


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used, and why.

    Attributes:
        plugin: The plugin's (entry point's) name.
        distribution: The distribution that ships it ('' for in-process plugins).
        version: That distribution's version.
        phase: Where it failed: ``'import'``, ``'register'``, ``'hook'`` or ``'learn'``.
        error: ``'ExceptionType: message'``.
        traceback: The formatted traceback.
    """

    plugin: str
    distribution: str
    version: str
    phase: str
    error: str
    traceback: str = ""

    def __str__(self) -> str:
        source = f" ({self.distribution} {self.version})" if self.distribution else ""
        return f"plugin {self.plugin!r}{source} failed at {self.phase}: {self.error}"


def strict() -> bool:
    """True when ``DOSAKU_STRICT_PLUGINS`` asks for plugin failures to be raised."""
    return os.environ.get("DOSAKU_STRICT_PLUGINS", "") not in ("", "0", "false", "no")


def failure(plugin: str, phase: str, error: BaseException, distribution: str = "", version: str = "") -> PluginFailure:
    """Record ``error`` as a :class:`PluginFailure` (or raise it in strict mode)."""
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
    log.warning("%s", record)
    return record
