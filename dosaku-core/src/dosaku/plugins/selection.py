"""Which plugins the user lets load: ``DOSAKU_LOAD_PLUGINS`` (only these; empty loads none) and
``DOSAKU_BLOCK_PLUGINS`` (never these), each a comma-separated list of entry-point or distribution names.

Example::

    DOSAKU_BLOCK_PLUGINS=dosaku-broken-plugin dosaku tasks
"""
from __future__ import annotations

import os
from collections.abc import Iterable


def _names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip().lower() for name in value.split(",") if name.strip()}


def allowed(names: Iterable[str]) -> bool:
    """Whether a plugin known by ``names`` (its entry-point name, its distribution's name) may load.

    Example::

        allowed({'example', 'dosaku-example-plugin'})   # False with DOSAKU_BLOCK_PLUGINS=example
    """
    names = {name.lower() for name in names if name}
    only, blocked = _names("DOSAKU_LOAD_PLUGINS"), _names("DOSAKU_BLOCK_PLUGINS") or set()
    return (only is None or bool(names & only)) and not names & blocked
