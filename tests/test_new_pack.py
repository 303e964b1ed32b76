"""`dosaku new-pack NAME`: the pack it writes installs with pip and its generated tests pass as they are, using the
fixtures dosaku registers as a pytest plugin (no conftest.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dosaku.cli.new_pack import BadPackName, pack_names, write_pack
from dosaku.errors import DosakuError


def test_names_of_a_pack():
    from dosaku.version import __version__

    assert pack_names("word-count") == {"name": "word-count", "package": "word_count", "Task": "WordCount",
                                        "Module": "WordCountModule", "dosaku_version": __version__}
    assert pack_names("dosaku-shout")["package"] == "shout"
    for bad in ("Shout", "1st", "two words", "a--b", ""):
        with pytest.raises(BadPackName, match="Bad pack name"):
            pack_names(bad)


def test_an_existing_folder_is_never_overwritten(tmp_path):
    folder = write_pack("shout", tmp_path)
    (folder / "README.md").write_text("mine")
    with pytest.raises(DosakuError, match="exists already"):
        write_pack("shout", tmp_path)
    assert (folder / "README.md").read_text() == "mine"


def test_the_written_pack_installs_and_its_tests_pass_as_generated(venv, tmp_path):
    done = subprocess.run([sys.executable, "-m", "dosaku", "new-pack", "shout-loud", "-d", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "dosaku-shout-loud"
    assert "Next: cd" in done.stdout and (folder / "src" / "dosaku_shout_loud" / "plugin.py").is_file()
    assert not (folder / "tests" / "conftest.py").exists()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DOSAKU_")}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    install = subprocess.run([str(venv), "-m", "pip", "install", "--no-deps", "--no-build-isolation", str(folder)],
                             capture_output=True, text=True, env=env, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    tests = subprocess.run([str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=folder,
                           capture_output=True, text=True, env=env, timeout=600)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout
    listed = subprocess.run([str(Path(venv).parent / "python"), "-m", "dosaku", "tasks"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert "ShoutLoud" in listed.stdout and "ShoutLoudModule" in listed.stdout
