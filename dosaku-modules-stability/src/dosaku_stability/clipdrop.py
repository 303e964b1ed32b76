"""Clipdrop: Stability AI's image APIs as Dosaku services (text-to-image and the image-editing tasks)."""
from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

from dosaku.config import Config
from dosaku.errors import ServiceError
from dosaku.module import Service
from dosaku.tasks.text_to_image import TextToImage

from dosaku_stability.client import ClipdropClient
from dosaku_stability.inputs import EncodedImage, InvalidImage, check_prompt, encode
from dosaku_stability.tasks import (
    ImageInput,
    Inpaint,
    Reimagine,
    RemoveBackground,
    RemoveText,
    ReplaceBackground,
    SketchToImage,
    Upscale,
)

if TYPE_CHECKING:
    from PIL.Image import Image

MAX_TARGET_SIDE = 4096


def _file(image: EncodedImage) -> tuple[str, bytes, str]:
    return (image.filename, image.data, image.content_type)


class Clipdrop(Service, TextToImage, RemoveBackground, Upscale, RemoveText, ReplaceBackground, Inpaint, SketchToImage,
               Reimagine):
    """Stability AI's Clipdrop APIs. Each call costs credits (1 per image; upscaling 1 per output megapixel).

    Args:
        api_key: The key (default ``CLIPDROP_API_KEY`` / ``[API_KEYS] CLIPDROP``).
        host: The API host (default ``[CLIPDROP] API_HOST``, else https://clipdrop-api.co).
        timeout: Seconds per request (default ``[CLIPDROP] TIMEOUT``, 120).
        max_retries: Retries of 429, 5xx, timeouts and lost connections (default ``[CLIPDROP] MAX_RETRIES``, 2).
        config: The configuration.

    Spend: each endpoint is booked as the model ``clipdrop-<endpoint>``; its price per credit is
    ``[PRICES] clipdrop = call=...`` (or per endpoint, e.g. ``clipdrop-image-upscaling = call=...``).

    Example::

        from dosaku import Agent

        agent = Agent(enable_services=True)
        agent.learn('TextToImage', module='ClipdropTextToImage')
        image = agent.TextToImage(prompt='a lighthouse at dawn')
        agent.learn('RemoveBackground')
        cutout = agent.RemoveBackground(image)
    """

    def __init__(self, api_key: str | None = None, host: str | None = None, timeout: float | None = None,
                 max_retries: int | None = None, config: Config | None = None):
        self.config = config if config is not None else Config()
        self.client = ClipdropClient.resolve(self.config, host=host, api_key=api_key, timeout=timeout,
                                             max_retries=max_retries)

    # --- actions ---
    def text_to_image(self, prompt: str) -> Image:
        """A 1024x1024 image of what ``prompt`` describes (at most 1000 characters)."""
        check_prompt(prompt, "text-to-image")
        return self._call("text-to-image", "text-to-image/v1", {"prompt": (None, prompt, "text/plain")})

    def remove_background(self, image: ImageInput) -> Image:
        """The image with its background removed (PNG/JPEG/WebP, at most 25 megapixels and 30 MB)."""
        return self._call("remove-background", "remove-background/v1",
                          {"image_file": _file(encode(image, "remove-background"))})

    def upscale(self, image: ImageInput, width: int, height: int) -> Image:
        """The image upscaled to ``width`` x ``height`` (each 1..4096; input at most 16 megapixels, 30 MB)."""
        for name, value in (("width", width), ("height", height)):
            if not isinstance(value, int) or not 1 <= value <= MAX_TARGET_SIDE:
                raise InvalidImage(f"The target {name} must be an integer from 1 to {MAX_TARGET_SIDE}, not {value!r}.")
        encoded = encode(image, "image-upscaling")
        credits = max(1, math.ceil(width * height / 1e6))  # 1 credit per output megapixel (worst case)
        return self._call("image-upscaling", "image-upscaling/v1/upscale",
                          {"image_file": _file(encoded), "target_width": (None, str(width)),
                           "target_height": (None, str(height))}, credits=credits)

    def remove_text(self, image: ImageInput) -> Image:
        """The image without its text (PNG/JPEG, at most 16 megapixels, 30 MB)."""
        return self._call("remove-text", "remove-text/v1", {"image_file": _file(encode(image, "remove-text"))})

    def replace_background(self, image: ImageInput, prompt: str) -> Image:
        """The subject of ``image`` in the scene ``prompt`` describes (sides at most 2048 px, 20 MB)."""
        check_prompt(prompt, "replace-background", required=False)
        return self._call("replace-background", "replace-background/v1",
                          {"image_file": _file(encode(image, "replace-background")), "prompt": (None, prompt)})

    def inpaint(self, image: ImageInput, mask: ImageInput) -> Image:
        """``image`` with the white areas of ``mask`` cleaned up (Clipdrop's cleanup API)."""
        encoded, encoded_mask = encode(image, "cleanup"), encode(mask, "cleanup-mask", what="mask")
        if (encoded.width, encoded.height) != (encoded_mask.width, encoded_mask.height):
            raise InvalidImage(f"The mask is {encoded_mask.width}x{encoded_mask.height} but the image is "
                               f"{encoded.width}x{encoded.height}; they must be the same size.")
        return self._call("cleanup", "cleanup/v1", {"image_file": _file(encoded), "mask_file": _file(encoded_mask)})

    def sketch_to_image(self, sketch: ImageInput, prompt: str) -> Image:
        """An image from a square ``sketch`` (at most 1024 px) and ``prompt`` (at most 5000 characters)."""
        check_prompt(prompt, "sketch-to-image")
        return self._call("sketch-to-image", "sketch-to-image/v1/sketch-to-image",
                          {"sketch_file": _file(encode(sketch, "sketch-to-image", what="sketch")),
                           "prompt": (None, prompt)})

    def reimagine(self, image: ImageInput) -> Image:
        """A variation of ``image`` (sides at most 1024 px)."""
        return self._call("reimagine", "reimagine/v1/reimagine", {"image_file": _file(encode(image, "reimagine"))})

    # --- plumbing ---
    def _call(self, endpoint: str, path: str, files: dict[str, Any], credits: float = 1) -> Image:
        model = f"clipdrop-{endpoint}"
        reservation = self.meter.reserve(model, calls=credits)
        try:
            data, headers = self.client.post(path, files, type(self).__name__)
        except BaseException:
            reservation.release()
            raise
        try:
            consumed = float(headers.get("x-credits-consumed", credits))
        except ValueError:
            consumed = credits
        reservation.settle(calls=consumed, images=1)
        return self._open(data, path)

    def _open(self, data: bytes, path: str) -> Image:
        from PIL import Image, UnidentifiedImageError

        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError):
            raise ServiceError(f"{type(self).__name__}: {self.client.host}/{path} answered with data that is not an "
                               f"image ({len(data)} bytes).", service=type(self).__name__) from None
        return image

    def unload(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(host={self.client.host!r})"


class ClipdropTextToImage(Clipdrop):
    """Clipdrop's text-to-image, as the README's AgentSmith learns it.

    Example::

        agent.learn('TextToImage', module='ClipdropTextToImage')
        image = agent.TextToImage(prompt='the machines rising above the chaos')
    """
