"""In-process test modules and a scripted model for the Dosaku agent tests (real PIL transforms)."""
from __future__ import annotations

from typing import Any

import pytest
from dosaku import Module, Service
from dosaku.config import Config
from dosaku.spec import ModuleSpec
from dosaku.tasks import RestoreFaces, TextToImage
from dosaku.testing import in_process_plugin
from dosaku_openai.chat import OpenAIChat
from dosaku_openai.testing import TEST_KEY, FakeOpenAIServer


# --- in-process modules ------------------------------------------------------------------------------------------
class SwatchPainter(Module, TextToImage):
    """Paints a 64x48 swatch of the colour named in the prompt; an empty prompt is an error."""

    def text_to_image(self, prompt: str, **kwargs: Any) -> Any:
        from PIL import Image

        if not prompt:
            raise ValueError("the prompt is empty; describe the image")
        colour = next((c for c in ("red", "green", "blue") if c in prompt.lower()), "white")
        return Image.new("RGB", (64, 48), colour)


class MirrorFaces(Module, RestoreFaces):
    """'Restores' faces: mirrors the image and doubles its size."""

    def restore(self, image: Any) -> RestoreFaces.RestoredImage:
        from PIL import Image, ImageOps

        if not isinstance(image, Image.Image):
            raise TypeError(f"expected a PIL image, got {type(image).__name__}")
        restored = ImageOps.mirror(image).resize((image.width * 2, image.height * 2))
        return RestoreFaces.RestoredImage(restored_image=restored)


class PaidPainter(Service, TextToImage):
    built = 0

    def __init__(self) -> None:
        type(self).built += 1

    def text_to_image(self, prompt: str, **kwargs: Any) -> Any:  # pragma: no cover - never allowed to run
        raise AssertionError("a refused service ran")


class LocalOpenAIChat(OpenAIChat):
    """OpenAIChat talking to a server on this machine (e.g. llama.cpp's): a local module, not a service."""

    kind = "module"


LOCAL = in_process_plugin("agent-test-local", modules=[
    ModuleSpec("SwatchPainter", ("TextToImage",), target=SwatchPainter, priority=5),
    ModuleSpec("MirrorFaces", ("RestoreFaces",), target=MirrorFaces),
])
PAID_ONLY = in_process_plugin("agent-test-paid", modules=[
    ModuleSpec("PaidPainter", ("TextToImage",), target=PaidPainter, kind="service"),
    ModuleSpec("LocalOpenAIChat", ("Chat",), target=LocalOpenAIChat, kind="module"),
])


class Script:
    """The answers the fake model gives once it stops calling tools, in order (then 'Done.')."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        return self.texts.pop(0) if self.texts else "Done."


# --- fixtures (import them into a test module) ---------------------------------------------------------------
@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def server(script: Script):
    with FakeOpenAIServer(reply=script) as fake:
        yield fake


@pytest.fixture
def config(tmp_path, server) -> Config:
    return Config(tmp_path / "config.ini", {"OPENAI_API_KEY": TEST_KEY, "OPENAI_BASE_URL": server.base_url})
