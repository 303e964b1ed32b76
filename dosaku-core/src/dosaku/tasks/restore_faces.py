from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from dosaku.task import Task

if TYPE_CHECKING:
    from PIL.Image import Image


class RestoreFaces(Task):
    """Restore disfigured or low-quality faces in an image."""

    default_action: ClassVar[str] = "restore"

    @dataclass
    class RestoredImage:
        """The result of :meth:`RestoreFaces.restore`.

        Attributes:
            restored_image: The whole image with its faces restored.
            cropped_faces: The faces found in the input, cropped and aligned (may be empty).
            restored_faces: The same faces after restoration (may be empty).
        """

        restored_image: Image
        cropped_faces: list[Any] = field(default_factory=list)
        restored_faces: list[Any] = field(default_factory=list)

    @abc.abstractmethod
    def restore(self, image: Image | Any) -> RestoreFaces.RestoredImage:
        """Restore faces in the given image.

        Args:
            image: The input image. It may contain one or more disfigured or low-quality faces.

        Returns:
            A RestoreFaces.RestoredImage object containing, at minimum, the restored_image. Individual modules may
            also provide the individual cropped faces, both before and after correcting, if able, but are not
            obligated to do so.

        Example::

            from PIL import Image
            from dosaku import Agent
            from dosaku.utils import draw_images

            agent = Agent()
            agent.learn('RestoreFaces')

            image = Image.open('tests/resources/hopper_photograph.png')
            restoration = agent.RestoreFaces.restore(image)

            draw_images((image, restoration.restored_image), labels=('Original', 'Restoration'))
        """
