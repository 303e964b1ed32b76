"""Test helpers: in-process test modules, and a real ``dosaku_gui`` server started and stopped by the tests."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from dosaku.config import Config
from dosaku.errors import ModuleLoadError
from dosaku.module import Module, Service
from dosaku.spec import ModuleSpec, TaskSpec
from dosaku.tasks.chat import Chat
from dosaku.tasks.restore_faces import RestoreFaces
from dosaku.tasks.text_to_image import TextToImage
from dosaku.testing import in_process_plugin, isolated_agent

#: Debian's chromium, headless, as the browser tests drive it (never a browser downloaded by playwright).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("DOSAKU_ARTIFACTS", REPO_ROOT / "artifacts"))
SERVER_START_TIMEOUT_S = 180.0


def save_screenshot(page: Any, name: str, what: str) -> Path:
    """A full-page screenshot of ``page`` as ``artifacts/<name>`` (to look at after the run); returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"\nscreenshot of {what}: {path}")
    return path


# --- in-process test modules ---------------------------------------------------------------------------------
class MirrorFaces(Module, RestoreFaces):
    """'Restores' faces by mirroring the image and doubling its size (a real PIL transform)."""

    def restore(self, image: Any) -> RestoreFaces.RestoredImage:
        from PIL import Image, ImageOps

        if not isinstance(image, Image.Image):
            raise TypeError(f"MirrorFaces.restore expects a PIL image, got {type(image).__name__}")
        restored = ImageOps.mirror(image.convert("RGB")).resize((image.width * 2, image.height * 2))
        return RestoreFaces.RestoredImage(restored_image=restored)


class SwatchTextToImage(Module, TextToImage):
    """Draws a 64x48 swatch whose colour is named in the prompt."""

    def text_to_image(self, prompt: str, **kwargs: Any) -> Any:
        from PIL import Image

        if not prompt:
            raise ValueError("empty prompt")
        colour = next((c for c in ("red", "green", "blue") if c in prompt.lower()), "white")
        return Image.new("RGB", (64, 48), colour)


class KeyedChat(Service, Chat):
    """A service that needs an API key (none is configured in the tests)."""

    def __init__(self, config: Config | None = None):
        (config or Config(path="/nonexistent/dosaku-test.ini", environ={})).require_key("TESTCHAT", "TESTCHAT_KEY")

    def message(self, message: str, **kwargs: Any) -> str:
        return message


class MissingWeightsChat(Module, Chat):
    """A local module whose weights are not there."""

    def __init__(self) -> None:
        raise ModuleLoadError("The weights file '/nonexistent/weights.bin' does not exist; download them first.")

    def message(self, message: str, **kwargs: Any) -> str:
        return message


TEST_PLUGIN = in_process_plugin(
    "gui-test",
    tasks=[TaskSpec("Unstaffed", "dosaku.tasks.chat:Chat", "A task no installed module does.")],
    modules=[
        ModuleSpec("MirrorFaces", ("RestoreFaces",), target=MirrorFaces),
        ModuleSpec("SwatchTextToImage", ("TextToImage",), target=SwatchTextToImage),
        ModuleSpec("KeyedChat", ("Chat",), target=KeyedChat, kind="service", needs_key="TESTCHAT"),
        ModuleSpec("MissingWeightsChat", ("Chat",), target=MissingWeightsChat, priority=-200),
    ],
)


def make_test_agent(enable_services: bool = False) -> Any:
    """Agents with core's plugins and the in-process test modules (no installed plugins)."""
    return isolated_agent(TEST_PLUGIN, enable_services=enable_services)


# --- a real server ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_page(
    url: str, timeout_s: float = SERVER_START_TIMEOUT_S, process: subprocess.Popen | None = None
) -> float:
    """Poll ``url`` until it answers 200 (bounded); returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


def gui_command() -> list[str]:
    script = shutil.which("dosaku_gui", path=str(Path(sys.executable).parent)) or shutil.which("dosaku_gui")
    return [script] if script else [sys.executable, "-m", "dosaku_gui"]


class GuiServer:
    """``dosaku_gui`` in a subprocess on a free port, with an isolated config; stop() kills it by PID."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = home / f"dosaku_gui_{self.port}.log"
        environment = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1",
                       "DOSAKU_CONFIG": str(home / "config.ini"), "DOSAKU_DATA_DIR": str(home / "data"),
                       "DOSAKU_CACHE_DIR": str(home / "cache"), **(env or {})}
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [*gui_command(), "--port", str(self.port), *args], stdout=self._log, stderr=subprocess.STDOUT,
            env=environment, start_new_session=True,
        )
        try:
            self.startup_s = wait_for_page(self.url, process=self.process)
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self._log.close()
