"""Helpers for the Tencent pack's tests (a uniquely named module: several test folders run in one pytest)."""
from __future__ import annotations

from pathlib import Path


def no_config(directory: Path):
    """An empty configuration (the developer's own config.ini is never read)."""
    from dosaku import Config

    return Config(path=directory / "no-config.ini", environ={})
