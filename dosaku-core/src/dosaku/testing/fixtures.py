"""pytest fixtures for Dosaku packs, registered as a pytest plugin (entry point ``pytest11``) when dosaku is
installed: any test can ask for them, no ``conftest.py`` needed.

- ``dosaku_home``: an empty config file, data and cache directory for the test (``DOSAKU_CONFIG``,
  ``DOSAKU_DATA_DIR``, ``DOSAKU_CACHE_DIR``), every other ``DOSAKU_*`` variable and every API key variable
  (``*_API_KEY``) removed, so the user's own settings and keys are never touched or used;
- ``dosaku_config``: a :class:`~dosaku.Config` on that empty config file.

Example::

    def test_my_module_reads_its_setting(dosaku_config):
        dosaku_config.set('MYPACK', 'LEVEL', '3')
        assert MyModule(config=dosaku_config).level == 3
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dosaku.config import Config


def _private_variables() -> list[str]:
    return [name for name in os.environ if name.startswith("DOSAKU_") or name.endswith(("_API_KEY", "_BASE_URL"))]


@pytest.fixture
def dosaku_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty config file, data and cache directory for the test; the user's own are never touched."""
    for variable in _private_variables():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DOSAKU_CONFIG", str(tmp_path / "config" / "config.ini"))
    monkeypatch.setenv("DOSAKU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DOSAKU_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path


@pytest.fixture
def dosaku_config(dosaku_home: Path) -> Config:
    """A :class:`~dosaku.Config` on the test's empty config file."""
    return Config()
