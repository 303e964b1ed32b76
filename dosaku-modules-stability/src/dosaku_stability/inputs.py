"""Checking images against Clipdrop's documented input limits before anything is sent.

Limits (clipdrop.co/apis/docs, per endpoint): accepted formats, file size, megapixels, width/height, square.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dosaku.errors import DosakuError

MB = 1024 * 1024


class InvalidImage(DosakuError, ValueError):
    """An input image is not an image, or breaks the endpoint's documented limits. Nothing was sent."""


@dataclass(frozen=True)
class Limits:
    """What one endpoint accepts."""

    formats: tuple[str, ...] = ("PNG", "JPEG", "WEBP")
    max_bytes: int = 30 * MB
    max_megapixels: float | None = None
    max_side: int | None = None
    square: bool = False


#: Clipdrop's documented input limits, per endpoint.
LIMITS: dict[str, Limits] = {
    "remove-background": Limits(max_megapixels=25),
    "image-upscaling": Limits(max_megapixels=16),
    "remove-text": Limits(formats=("PNG", "JPEG"), max_megapixels=16),
    "replace-background": Limits(max_bytes=20 * MB, max_side=2048),
    "cleanup": Limits(formats=("PNG", "JPEG"), max_megapixels=16),
    "cleanup-mask": Limits(formats=("PNG",), max_megapixels=16),
    "sketch-to-image": Limits(max_side=1024, square=True),
    "reimagine": Limits(max_side=1024),
}
MAX_PROMPT = {"text-to-image": 1000, "sketch-to-image": 5000, "replace-background": 5000}


@dataclass(frozen=True)
class EncodedImage:
    """An image ready to upload."""

    data: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return f"image/{self.format.lower()}"

    @property
    def filename(self) -> str:
        return f"image.{ {'JPEG': 'jpg'}.get(self.format, self.format.lower()) }"


def _read(image: Any, what: str) -> tuple[bytes | None, Any]:
    """(bytes, None) for encoded input, (None, PIL image) for a PIL image."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image), None
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise InvalidImage(f"The {what} {str(path)!r} is not a file.")
        return path.read_bytes(), None
    if type(image).__module__.startswith("PIL.") and hasattr(image, "save"):
        return None, image
    raise InvalidImage(
        f"The {what} must be a PIL image, the bytes of a PNG/JPEG/WebP file, or a path, not {type(image).__name__}."
    )


def encode(image: Any, endpoint: str, what: str = "image") -> EncodedImage:
    """Read ``image`` and check it against ``endpoint``'s limits.

    Raises:
        InvalidImage: not an image, a format the endpoint refuses, or too big (bytes, megapixels, sides).
    """
    from PIL import Image, UnidentifiedImageError

    limits = LIMITS[endpoint]
    data, pil = _read(image, what)
    if data is not None:
        if len(data) > limits.max_bytes:
            raise InvalidImage(f"The {what} is {len(data) / MB:.1f} MB; {endpoint} takes at most "
                               f"{limits.max_bytes // MB} MB.")
        try:
            pil = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError):
            raise InvalidImage(f"The {what} is not an image that can be read (expected "
                               f"{'/'.join(limits.formats)}).") from None
        fmt = pil.format or ""
        if fmt not in limits.formats:
            raise InvalidImage(f"The {what} is {fmt or 'of an unknown format'}; {endpoint} takes "
                               f"{'/'.join(limits.formats)}.")
    else:
        fmt = "PNG" if "PNG" in limits.formats else limits.formats[0]
    width, height = pil.size
    _check_size(width, height, limits, endpoint, what)
    if data is None:
        buffer = io.BytesIO()
        pil.save(buffer, format=fmt)
        data = buffer.getvalue()
        if len(data) > limits.max_bytes:
            raise InvalidImage(f"The {what} encodes to {len(data) / MB:.1f} MB; {endpoint} takes at most "
                               f"{limits.max_bytes // MB} MB.")
    return EncodedImage(data, fmt, width, height)


def _check_size(width: int, height: int, limits: Limits, endpoint: str, what: str) -> None:
    if limits.max_megapixels is not None and width * height > limits.max_megapixels * 1e6:
        raise InvalidImage(f"The {what} is {width}x{height} ({width * height / 1e6:.1f} megapixels); {endpoint} takes "
                           f"at most {limits.max_megapixels:g} megapixels. Resize it first.")
    if limits.max_side is not None and max(width, height) > limits.max_side:
        raise InvalidImage(f"The {what} is {width}x{height}; {endpoint} takes at most {limits.max_side} pixels a "
                           f"side. Resize it first.")
    if limits.square and width != height:
        raise InvalidImage(f"The {what} is {width}x{height}; {endpoint} takes only square images.")


def check_prompt(prompt: Any, endpoint: str, required: bool = True) -> str:
    """The prompt, checked: a str, not empty when required, within the endpoint's length limit."""
    if not isinstance(prompt, str):
        raise TypeError(f"The prompt must be a str, not {type(prompt).__name__}.")
    if required and not prompt.strip():
        raise ValueError(f"{endpoint} needs a non-empty prompt.")
    limit = MAX_PROMPT.get(endpoint)
    if limit is not None and len(prompt) > limit:
        raise ValueError(f"The prompt is {len(prompt)} characters; {endpoint} takes at most {limit}.")
    return prompt
