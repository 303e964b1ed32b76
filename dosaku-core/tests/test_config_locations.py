"""Where Dosaku's files live: the platform's rules (XDG on Linux) and the variables that move them."""
from __future__ import annotations

import os
import sys

import pytest
from dosaku.config import Config, default_config_path, user_dir

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rules apply on Linux")


@pytest.fixture
def bare(monkeypatch, tmp_path):
    for name in ("DOSAKU_CONFIG", "DOSAKU_DATA_DIR", "DOSAKU_CACHE_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                 "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_defaults_follow_xdg_under_home(bare):
    assert default_config_path() == bare / ".config" / "dosaku" / "config.ini"
    assert user_dir("data") == bare / ".local" / "share" / "dosaku"
    assert user_dir("cache") == bare / ".cache" / "dosaku"


def test_xdg_variables_must_be_absolute(bare, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(bare / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")  # ignored, as the XDG spec says
    assert user_dir("cache") == bare / "xdg-cache" / "dosaku"
    assert user_dir("data") == bare / ".local" / "share" / "dosaku"


def test_dosaku_variables_win(bare, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(bare / "xdg"))
    monkeypatch.setenv("DOSAKU_CONFIG", "~/mine.ini")
    monkeypatch.setenv("DOSAKU_DATA_DIR", "~/dosaku-data")
    assert default_config_path() == bare / "mine.ini"
    assert user_dir("data") == bare / "dosaku-data"


def test_config_offers_them_as_paths(bare):
    config = Config()
    assert config.path == default_config_path() and config.cache_dir == user_dir("cache")
    assert config.data_dir == user_dir("data")
    assert not os.path.exists(bare / ".config")  # nothing was created
