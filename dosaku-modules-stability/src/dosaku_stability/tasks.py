"""Image-editing task specs added by this pack (registered through its ``register_tasks`` hook).

Each task takes images as a PIL image, encoded bytes, or a file path, and returns a PIL image.
"""
from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Any, ClassVar

from dosaku.task import Task

if TYPE_CHECKING:
    from PIL.Image import Image

ImageInput = Any  # a PIL image, the bytes of a PNG/JPEG/WebP file, or a path to one


class RemoveBackground(Task):
    """Cut the subject out of an image, leaving a transparent background."""

    default_action: ClassVar[str] = "remove_background"

    @abc.abstractmethod
    def remove_background(self, image: ImageInput) -> Image:
        """Remove the background of ``image``.

        Args:
            image: A PIL image, PNG/JPEG/WebP bytes, or a path.

        Returns:
            A PIL image (RGBA) of the same size, the background transparent.

        Example::

            from dosaku import Agent

            agent = Agent(enable_services=True)
            agent.learn('RemoveBackground')
            cutout = agent.RemoveBackground('photo.jpg')
        """


class Upscale(Task):
    """Enlarge an image to a given size, adding detail."""

    default_action: ClassVar[str] = "upscale"

    @abc.abstractmethod
    def upscale(self, image: ImageInput, width: int, height: int) -> Image:
        """Upscale ``image`` to ``width`` x ``height`` pixels.

        Example::

            agent.learn('Upscale')
            big = agent.Upscale('photo.jpg', width=2048, height=1536)
        """


class RemoveText(Task):
    """Remove the text drawn in an image."""

    default_action: ClassVar[str] = "remove_text"

    @abc.abstractmethod
    def remove_text(self, image: ImageInput) -> Image:
        """Return ``image`` without its text.

        Example::

            agent.learn('RemoveText')
            clean = agent.RemoveText('poster.png')
        """


class ReplaceBackground(Task):
    """Put an image's subject into a new scene."""

    default_action: ClassVar[str] = "replace_background"

    @abc.abstractmethod
    def replace_background(self, image: ImageInput, prompt: str) -> Image:
        """Replace the background of ``image`` with the scene ``prompt`` describes ('' lets the model choose).

        Example::

            agent.learn('ReplaceBackground')
            moved = agent.ReplaceBackground('product.jpg', prompt='on a beach at sunset')
        """


class Inpaint(Task):
    """Fill the masked areas of an image, removing what was there."""

    default_action: ClassVar[str] = "inpaint"

    @abc.abstractmethod
    def inpaint(self, image: ImageInput, mask: ImageInput) -> Image:
        """Fill the areas of ``image`` where ``mask`` is white (255); black (0) pixels are kept.

        Args:
            image: The image.
            mask: A black-and-white image of the same size.

        Example::

            agent.learn('Inpaint')
            cleaned = agent.Inpaint('photo.jpg', mask='mask.png')
        """


class SketchToImage(Task):
    """Make an image from a sketch and a description."""

    default_action: ClassVar[str] = "sketch_to_image"

    @abc.abstractmethod
    def sketch_to_image(self, sketch: ImageInput, prompt: str) -> Image:
        """Turn ``sketch`` (square, lines on a plain background) into the image ``prompt`` describes.

        Example::

            agent.learn('SketchToImage')
            owl = agent.SketchToImage('owl-sketch.png', prompt='an owl on a branch, watercolour')
        """


class Reimagine(Task):
    """Make a variation of an image: similar, but different."""

    default_action: ClassVar[str] = "reimagine"

    @abc.abstractmethod
    def reimagine(self, image: ImageInput) -> Image:
        """A variation of ``image``.

        Example::

            agent.learn('Reimagine')
            variation = agent.Reimagine('room.jpg')
        """
