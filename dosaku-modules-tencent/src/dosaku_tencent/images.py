"""Turning what users pass (PIL images, numpy arrays, paths) into the BGR arrays GFPGAN works on, and back.

Numpy arrays are taken as RGB(A) or grayscale, like PIL images (not OpenCV's BGR). Grayscale images come back
grayscale; an alpha channel is kept (scaled with the image) and comes back as RGBA.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from dosaku_tencent.errors import InvalidImage


@dataclass
class Prepared:
    """An input made ready for GFPGAN: ``bgr`` (H, W, 3) uint8, plus what the output must give back."""

    bgr: np.ndarray
    gray: bool = False
    alpha: np.ndarray | None = None  # (H, W) uint8


def prepare(image: Any) -> Prepared:
    """Check and convert ``image`` (PIL image, numpy array, or path to an image file).

    Raises:
        InvalidImage: not an image, an empty image, or an unreadable file (the message says which).

    Example::

        prepare(Image.new('RGBA', (64, 64))).alpha.shape  # (64, 64)
    """
    if isinstance(image, (str, os.PathLike)):
        image = _open(Path(image))
    if isinstance(image, Image.Image):
        image = _pil_to_array(image)
    if not isinstance(image, np.ndarray):
        raise InvalidImage(
            f"RestoreFaces needs an image: a PIL image, a numpy array (H, W[, C]) or the path of an image file, "
            f"not {type(image).__name__}."
        )
    return _from_array(image)


def _open(path: Path) -> Image.Image:
    if not path.is_file():
        raise InvalidImage(f"There is no image file at {path}. Check the path.")
    try:
        with Image.open(path) as opened:
            opened.load()
            return opened.copy()
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidImage(f"{path} is not an image file that PIL can read ({error}).") from error


def _pil_to_array(image: Image.Image) -> np.ndarray:
    if image.width == 0 or image.height == 0:
        raise InvalidImage(f"The image is empty ({image.width}x{image.height}); pass an image with pixels.")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F", "1"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV...
    return np.asarray(image)


def _to_uint8(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise InvalidImage("The image holds NaN or infinite values; pass finite pixel values.")
        scale = 255.0 if array.max(initial=0) <= 1.0 else 1.0  # floats in [0, 1], else already in [0, 255]
        return np.clip(np.rint(array * scale), 0, 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        if array.max(initial=0) > 255:  # 16-bit
            return np.clip(np.rint(array / 257.0), 0, 255).astype(np.uint8)
        return np.clip(array, 0, 255).astype(np.uint8)
    raise InvalidImage(f"Pixels of type {array.dtype} are not supported; pass uint8, uint16 or float pixels.")


def _from_array(array: np.ndarray) -> Prepared:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise InvalidImage(
            f"An image array must be (H, W) grayscale or (H, W, 3|4) RGB(A), not of shape {array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InvalidImage(f"The image is empty ({array.shape[1]}x{array.shape[0]}); pass an image with pixels.")
    array = _to_uint8(array)
    alpha = None
    if array.ndim == 3 and array.shape[2] in (2, 4):
        array, alpha = array[:, :, :-1], np.ascontiguousarray(array[:, :, -1])
    gray = array.ndim == 2 or array.shape[2] == 1
    rgb = np.repeat(array.reshape(array.shape[0], array.shape[1], 1), 3, axis=2) if gray else array
    return Prepared(np.ascontiguousarray(rgb[:, :, ::-1]), gray, alpha)


def to_pil(bgr: np.ndarray) -> Image.Image:
    """An (H, W, 3) BGR uint8 array as an RGB PIL image."""
    return Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))


def finish(bgr: np.ndarray, prepared: Prepared) -> Image.Image:
    """The restored BGR image as a PIL image in the input's kind: grayscale stays grayscale, alpha is kept."""
    image = to_pil(bgr)
    if prepared.gray:
        image = image.convert("L")
    if prepared.alpha is not None:
        alpha = Image.fromarray(prepared.alpha).resize(image.size, Image.Resampling.LANCZOS)
        image.putalpha(alpha)
    return image
