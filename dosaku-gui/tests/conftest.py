from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # gui_helpers.py (tests run with --import-mode=importlib)

import importlib.util  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through playwright (one per test module)."""
    from gui_helpers import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=180_000)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def smollm2_server(tmp_path_factory):
    """A real ``dosaku_gui`` (subprocess) chatting with SmolLM2 through dosaku-modules-llamacpp."""
    if importlib.util.find_spec("dosaku_llamacpp") is None:
        pytest.skip("dosaku-modules-llamacpp is not installed in this environment (nox -s tests installs it)")
    from gui_helpers import GuiServer

    server = GuiServer(tmp_path_factory.mktemp("gui-home"), "--max-tokens", "40", "--temperature", "0")
    yield server
    server.stop()
