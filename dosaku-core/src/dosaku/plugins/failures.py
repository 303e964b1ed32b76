"""A plugin that could not be used, and why: records that ``agent.plugin_errors`` and ``dosaku plugins`` show.

``DOSAKU_STRICT_PLUGINS=1`` raises :class:`~dosaku.errors.PluginError` instead of recording (for plugin authors).
"""
from __future__ import annotations

import logging
import os
import traceback
from dataclasses import dataclass

from dosaku.errors import PluginError

log = logging.getLogger("dosaku.plugins")

#: Where a plugin can fail: importing it, registering it with pluggy, inside one of its hooks, in what it
#: registered (a bad spec, a name clash), or when a task was learned with one of its modules.
PHASES = ("import", "register", "hook", "spec", "clash", "learn")


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used (wholly or in part), and why.

    Attributes:
        plugin: The plugin's (entry point's) name.
        distribution: The distribution that ships it ('' for in-process plugins).
        version: That distribution's version.
        phase: Where it failed, one of :data:`PHASES`.
        error: ``'ExceptionType: message'``.
        traceback: The formatted traceback ('' when there is none worth showing).

    Example::

        for failure in agent.plugin_errors:
            print(failure)   # plugin 'broken' (dosaku-broken 0.1) failed at import: ImportError: ...
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
    """Record ``error`` as a :class:`PluginFailure` (or raise it as a :class:`PluginError` in strict mode).

    Example::

        record = failure('broken', 'import', ImportError('no numpy'), 'dosaku-broken', '0.1')
    """
    trace = traceback.format_exception(type(error), error, error.__traceback__) if error.__traceback__ else []
    record = PluginFailure(
        plugin=plugin,
        distribution=distribution,
        version=version,
        phase=phase,
        error=f"{type(error).__name__}: {error}",
        traceback="".join(trace),
    )
    if strict():
        raise PluginError(str(record)) from error
    log.warning("%s", record)
    return record
