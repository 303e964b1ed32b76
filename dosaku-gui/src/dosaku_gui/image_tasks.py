"""The image tasks the GUI shows (input and result side by side), described without importing gradio."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class ImageTaskView:
    """How the GUI shows one image task.

    Args:
        task: The task's name, e.g. ``'RestoreFaces'``.
        input: What the user gives: an ``'image'`` or a ``'text'`` prompt.
        label: The tab's title.
        help: One line under the title.

    Example::

        ImageTaskView('RestoreFaces', 'image', 'Restore faces', 'Upload a photo.')
    """

    task: str
    input: Literal["image", "text"]
    label: str
    help: str


IMAGE_TASKS: tuple[ImageTaskView, ...] = (
    ImageTaskView(
        "RestoreFaces", "image", "Restore faces", "Upload a photo with faces; the restored photo appears on the right.",
    ),
    ImageTaskView(
        "TextToImage", "text", "Text to image", "Describe an image; it appears on the right.",
    ),
)


def result_image(result: Any) -> Any:
    """The image to show for a task's result: the result itself, or its ``restored_image``/``image`` field.

    Example::

        result_image(agent.RestoreFaces(photo))  # the RestoredImage's restored_image
    """
    for field in ("restored_image", "image"):
        if hasattr(result, field):
            return getattr(result, field)
    return result
