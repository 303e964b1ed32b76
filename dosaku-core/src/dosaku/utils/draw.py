"""Show images side by side (matplotlib), or save them to a file where there is no display."""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dosaku.errors import DosakuError

log = logging.getLogger(__name__)


def _as_array(image: Any) -> Any:
    import numpy as np

    if isinstance(image, (str, os.PathLike)):
        from PIL import Image

        image = Image.open(image)
    array = np.asarray(image)
    if array.ndim not in (2, 3) or array.size == 0:
        raise DosakuError(f"draw_images expects images (PIL images, arrays or paths), got shape {array.shape}.")
    return array


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.name == "nt")


def draw_images(
    images: Sequence[Any],
    labels: Sequence[str] | None = None,
    save_to: str | os.PathLike[str] | None = None,
    show: bool | None = None,
) -> Path | None:
    """Draw ``images`` in a row, each with its label.

    Args:
        images: PIL images, numpy arrays (H×W or H×W×C) or image file paths.
        labels: One title per image.
        save_to: Save the figure to this file (PNG).
        show: Open a window. Default: only when there is a display and no ``save_to``.

    Returns:
        The path of the saved figure, when saved (with no display and no ``save_to``, a temporary PNG is written
        and its path returned and logged).

    Example::

        from dosaku.utils import draw_images
        draw_images((image, restoration.restored_image), labels=('Original', 'Restoration'))
    """
    try:
        import matplotlib
    except ImportError:
        raise DosakuError("draw_images needs matplotlib: pip install 'dosaku[draw]'") from None
    if labels is not None and len(labels) != len(images):
        raise DosakuError(f"draw_images got {len(images)} images but {len(labels)} labels; give one label per image.")
    if not images:
        raise DosakuError("draw_images got no images.")
    show = _has_display() and save_to is None if show is None else show
    if not show:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(images), figsize=(5 * len(images), 5), squeeze=False)
    for index, (axis, image) in enumerate(zip(axes[0], images)):
        array = _as_array(image)
        axis.imshow(array, cmap="gray" if array.ndim == 2 else None)
        axis.set_axis_off()
        if labels:
            axis.set_title(labels[index])
    figure.tight_layout()
    path = None
    if save_to is not None or not show:
        path = Path(save_to) if save_to is not None else Path(tempfile.mkstemp(prefix="dosaku-", suffix=".png")[1])
        figure.savefig(path)
        log.info("Saved the images to %s", path)
    if show:
        plt.show()
    plt.close(figure)
    return path
