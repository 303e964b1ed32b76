import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # test helper modules (agent_helpers) under --import-mode=importlib

pytest_plugins = ["dosaku.testing.fixtures"]


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    """Each test's conversation log and spend ledger live in its own data directory (the one dosaku_home uses too),
    never the user's: agents here have configs of their own, but Config.data_dir follows DOSAKU_DATA_DIR."""
    monkeypatch.setenv("DOSAKU_DATA_DIR", str(tmp_path / "data"))
