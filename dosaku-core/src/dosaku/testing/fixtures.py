"""pytest fixtures for Dosaku packs: ``pytest_plugins = ['dosaku.testing.fixtures']`` in a ``conftest.py``."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dosaku.config import Config

KEY_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CLIPDROP_API_KEY", "DOSAKU_CONFIG", "DOSAKU_DATA_DIR",
                 "DOSAKU_CACHE_DIR", "DOSAKU_LOAD_PLUGINS", "DOSAKU_BLOCK_PLUGINS", "DOSAKU_STRICT_PLUGINS")


@pytest.fixture
def dosaku_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty config file, data and cache directory for the test; the user's own are never touched."""
    for variable in KEY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    for name in [v for v in __import__("os").environ if v.startswith("DOSAKU_")]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOSAKU_CONFIG", str(tmp_path / "config" / "config.ini"))
    monkeypatch.setenv("DOSAKU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DOSAKU_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path


@pytest.fixture
def dosaku_config(dosaku_home: Path) -> Config:
    """A :class:`~dosaku.Config` on the test's empty config file."""
    return Config()
