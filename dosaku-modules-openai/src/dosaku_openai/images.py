"""OpenAITextToImage: the ``TextToImage`` task through OpenAI's image generation API."""
from __future__ import annotations

import base64
import io
import urllib.request
from typing import TYPE_CHECKING

import openai
from dosaku.config import Config
from dosaku.errors import ServiceError
from dosaku.module import Service
from dosaku.tasks.text_to_image import TextToImage

from dosaku_openai.client import Connection, translate

if TYPE_CHECKING:
    from PIL.Image import Image

DEFAULT_IMAGE_MODEL = "dall-e-3"
#: The most bytes accepted for one image (a 1792x1024 PNG is a few MB).
MAX_IMAGE_BYTES = 64 * 1024 * 1024


class OpenAITextToImage(Service, TextToImage):
    """Make images from text with OpenAI's image models.

    Args:
        model: ``'dall-e-3'`` (default, or ``[OPENAI] IMAGE_MODEL``), ``'dall-e-2'``, ``'gpt-image-1'``...
        size: e.g. ``'1024x1024'``.
        quality: e.g. ``'standard'``/``'hd'`` (DALL-E 3) or ``'low'``/``'medium'``/``'high'`` (gpt-image-1).
        base_url, api_key, timeout, max_retries, config: As for :class:`dosaku_openai.chat.OpenAIChat`.

    Example::

        from dosaku import Agent

        agent = Agent(enable_services=True)
        agent.learn('TextToImage', module='OpenAITextToImage', size='1024x1024')
        image = agent.TextToImage(prompt='a watercolour of a lighthouse at dawn')
        image.show()
    """

    def __init__(
        self,
        model: str | None = None,
        size: str = "1024x1024",
        quality: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        config: Config | None = None,
    ):
        self.config = config if config is not None else Config()
        self.connection = Connection.resolve(
            self.config, base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries
        )
        self.model = model or self.config.get("OPENAI", "IMAGE_MODEL") or DEFAULT_IMAGE_MODEL
        self.size, self.quality = size, quality
        self._client = self.connection.client()

    def text_to_image(self, prompt: str, size: str | None = None, quality: str | None = None) -> Image:
        """Make an image of what ``prompt`` describes.

        Args:
            prompt: The description.
            size: Override the size, e.g. ``'1792x1024'``.
            quality: Override the quality.

        Returns:
            A PIL image.

        Raises:
            ValueError: the prompt is empty (nothing is sent).
            SpendLimitExceeded: the image could pass the spend limit (nothing is sent).
            ServiceAuthError, ServiceRateLimited, ServiceUnavailable, ServiceTimeout, ServiceError: the call failed.

        Example::

            image = OpenAITextToImage().text_to_image('a red circle on white', size='1024x1024')
        """
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError("OpenAITextToImage.text_to_image needs a non-empty prompt (a str).")
        request = {"model": self.model, "prompt": prompt, "size": size or self.size, "n": 1}
        if quality or self.quality:
            request["quality"] = quality or self.quality
        if self.model.startswith("dall-e"):
            request["response_format"] = "b64_json"  # gpt-image models always answer in base64
        reservation = self.meter.reserve(self.model, images=1)
        try:
            response = self._client.images.generate(**request)
            data = self._image_bytes(response.data[0] if response.data else None)
        except openai.OpenAIError as error:
            reservation.release()
            raise translate(error, type(self).__name__, self.connection) from None
        except BaseException:
            reservation.release(charge_worst_case=True)
            raise
        reservation.settle(images=1)
        return _open(data, self.connection.base_url)

    def _image_bytes(self, item: object) -> bytes:
        if item is None:
            raise ServiceError(f"OpenAITextToImage: {self.connection.base_url} answered with no image.")
        b64 = getattr(item, "b64_json", None)
        if b64:
            return base64.b64decode(b64)
        url = getattr(item, "url", None)
        if not url:
            raise ServiceError(f"OpenAITextToImage: {self.connection.base_url} answered with no image data or URL.")
        with urllib.request.urlopen(url, timeout=self.connection.timeout) as answer:  # noqa: S310 - URL from the API
            data = answer.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise ServiceError(f"OpenAITextToImage: the image at {url} is larger than {MAX_IMAGE_BYTES} bytes.")
        return data

    def __repr__(self) -> str:
        return f"OpenAITextToImage(model={self.model!r}, base_url={self.connection.base_url!r})"


def _open(data: bytes, source: str) -> Image:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise ServiceError(f"OpenAITextToImage: {source} sent data that is not an image ({error}).") from None
    return image
