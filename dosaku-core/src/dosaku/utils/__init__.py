"""Small helpers for users of Dosaku.

Example::

    from dosaku.utils import draw_images
    draw_images((image, restored), labels=('Original', 'Restoration'))
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dosaku.utils.draw import draw_images


def __getattr__(name: str) -> Any:
    if name == "draw_images":
        from dosaku.utils.draw import draw_images

        return draw_images
    raise AttributeError(f"module 'dosaku.utils' has no attribute {name!r}")


__all__ = ["draw_images"]
