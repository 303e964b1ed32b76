"""Where Dosaku's settings and files live: the config file, the environment variables that override entries of it,
and the user's data and cache directories (as plain strings).

This module imports only :mod:`os` and :mod:`sys`, because the agent's start-up path needs these locations before
anything else (see ``benchmarks/bench_core.py``); :class:`dosaku.Config` offers them as :class:`pathlib.Path`.

Example::

    from dosaku import locations

    locations.config_file()   # '/home/me/.config/dosaku/config.ini' (or $DOSAKU_CONFIG)
    locations.user_dir('cache')  # '/home/me/.cache/dosaku' (or $DOSAKU_CACHE_DIR)
"""
from __future__ import annotations

import os
import sys

_XDG = {"config": ("XDG_CONFIG_HOME", ".config"), "data": ("XDG_DATA_HOME", ".local/share"),
        "cache": ("XDG_CACHE_HOME", ".cache")}
#: Environment variables that override one configuration entry each (besides ``DOSAKU_<SECTION>__<KEY>``).
ENVIRONMENT_OVERRIDES: dict[tuple[str, str], str] = {
    ("API_KEYS", "OPENAI"): "OPENAI_API_KEY",
    ("API_KEYS", "CLIPDROP"): "CLIPDROP_API_KEY",
    ("OPENAI", "BASE_URL"): "OPENAI_BASE_URL",
}
#: The variables that move the data and cache directories.
DIRECTORY_VARIABLES = {"data": "DOSAKU_DATA_DIR", "cache": "DOSAKU_CACHE_DIR"}


def platform_dir(kind: str) -> str:
    """The platform's user ``kind`` (config, data or cache) directory for dosaku, as platformdirs defines it.

    On Linux the XDG rules are applied directly (platformdirs' import would cost every start milliseconds).
    """
    if sys.platform.startswith("linux"):
        variable, default = _XDG[kind]
        base = os.environ.get(variable, "").strip()
        if not (base and os.path.isabs(base)):
            base = os.path.join(os.path.expanduser("~"), default)
        return os.path.join(base, "dosaku")
    import platformdirs

    return str(getattr(platformdirs, f"user_{kind}_dir")("dosaku"))


def config_file() -> str:
    """``$DOSAKU_CONFIG``, else ``config.ini`` in the platform's user config directory for ``dosaku``."""
    configured = os.environ.get("DOSAKU_CONFIG")
    if configured:
        return os.path.expanduser(configured)
    return os.path.join(platform_dir("config"), "config.ini")


def user_dir(kind: str) -> str:
    """Dosaku's ``kind`` directory: ``'data'`` (``$DOSAKU_DATA_DIR``) or ``'cache'`` (``$DOSAKU_CACHE_DIR``), else
    the platform's."""
    configured = os.environ.get(DIRECTORY_VARIABLES[kind])
    if configured:
        return os.path.expanduser(configured)
    return platform_dir(kind)
