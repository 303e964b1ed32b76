"""Where Dosaku's files live: the platform's rules (XDG on Linux) and the variables that move them."""
from __future__ import annotations

import os
import sys

import pytest
from dosaku import locations
from dosaku.config import Config

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rules apply on Linux")


@pytest.fixture
def bare(monkeypatch, tmp_path):
    for name in ("DOSAKU_CONFIG", "DOSAKU_DATA_DIR", "DOSAKU_CACHE_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                 "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_defaults_follow_xdg_under_home(bare):
    assert locations.config_file() == str(bare / ".config" / "dosaku" / "config.ini")
    assert locations.user_dir("data") == str(bare / ".local" / "share" / "dosaku")
    assert locations.user_dir("cache") == str(bare / ".cache" / "dosaku")


def test_xdg_variables_must_be_absolute(bare, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(bare / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")  # ignored, as the XDG spec says
    assert locations.user_dir("cache") == str(bare / "xdg-cache" / "dosaku")
    assert locations.user_dir("data") == str(bare / ".local" / "share" / "dosaku")


def test_dosaku_variables_win(bare, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(bare / "xdg"))
    monkeypatch.setenv("DOSAKU_CONFIG", "~/mine.ini")
    monkeypatch.setenv("DOSAKU_DATA_DIR", "~/dosaku-data")
    assert locations.config_file() == str(bare / "mine.ini")
    assert locations.user_dir("data") == str(bare / "dosaku-data")


def test_config_offers_them_as_paths(bare):
    config = Config()
    assert str(config.path) == locations.config_file() and str(config.cache_dir) == locations.user_dir("cache")
    assert str(config.data_dir) == locations.user_dir("data")
    assert not os.path.exists(bare / ".config")  # nothing was created
