from __future__ import annotations

import abc
from typing import TYPE_CHECKING, ClassVar

from dosaku.task import Task

if TYPE_CHECKING:
    from PIL.Image import Image


class TextToImage(Task):
    """Create an image from a text prompt."""

    default_action: ClassVar[str] = "text_to_image"

    @abc.abstractmethod
    def text_to_image(self, prompt: str, **kwargs) -> Image:
        """Create an image that shows what the prompt describes.

        Args:
            prompt: A description of the image, e.g. 'a watercolour of a lighthouse at dawn'.
            **kwargs: Module options (size, style, seed, ...) where the module supports them.

        Returns:
            A PIL image.

        Example::

            from dosaku import Agent

            agent = Agent(enable_services=True)
            agent.learn('TextToImage', module='ClipdropTextToImage')
            image = agent.TextToImage(prompt='a watercolour of a lighthouse at dawn')
            image.show()
        """
