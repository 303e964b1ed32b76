"""``dosaku models pull`` in a real terminal (tmux): the tqdm progress bar is drawn on the screen as bytes come."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from models_helpers import TINY

TMUX = shutil.which("tmux")
SCREEN_TIMEOUT_S = 120.0
BAR = re.compile(r"tiny-chat:\s+(\d+)%\|[^|]*\|\s*[\d.]+M/98\.4M")


def dosaku_command() -> list[str]:
    script = shutil.which("dosaku", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "dosaku"]


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
def test_pull_draws_a_progress_bar_in_a_terminal(hf, dosaku_home):
    hf.rate = 8_000_000  # about 12 s for the 98 MB file: long enough to see the bar move
    socket = f"dosaku-models-{os.getpid()}"
    environment = {name: os.environ[name] for name in ("DOSAKU_CONFIG", "DOSAKU_DATA_DIR", "DOSAKU_CACHE_DIR",
                                                        "HF_ENDPOINT")}
    command = " ".join(["env", *(f"{key}={shlex.quote(value)}" for key, value in environment.items()),
                        *map(shlex.quote, dosaku_command()), "models", "pull", TINY, "; sleep 60"])
    tmux = [TMUX, "-L", socket]
    subprocess.run([*tmux, "new-session", "-d", "-s", "pull", "-x", "110", "-y", "12", command], check=True,
                   timeout=30)
    screens: list[str] = []
    try:
        deadline = time.monotonic() + SCREEN_TIMEOUT_S
        while time.monotonic() < deadline:
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "pull"], capture_output=True, text=True,
                                    timeout=30).stdout
            screens.append(screen)
            if "verified (SHA-256" in screen:
                break
            time.sleep(0.3)
    finally:
        subprocess.run([*tmux, "kill-server"], timeout=30)
    final = screens[-1]
    assert "verified (SHA-256" in final, "\n---\n".join(screens[-3:])
    percents = [int(match.group(1)) for screen in screens for match in [BAR.search(screen)] if match]
    assert any(0 < percent < 100 for percent in percents), percents  # drawn part-way, not only at the end
    assert percents == sorted(percents) and percents[-1] == 100, percents
    assert "MB/s" in final or "kB/s" in final
    print("\n" + final)
