"""Python values as MCP content, and image arguments from MCP clients (for ``dosaku mcp serve``).

A value becomes a JSON text item (the same summary the Dosaku agent shows its model, see
:class:`dosaku.agents.artifacts.ArtifactStore`), plus one image item for each PIL image in it (itself, a dataclass
field such as ``RestoredImage.restored_image``, or a list item). Images are kept as artifacts, so a later call may pass
``'artifact-1'`` for an image argument; a ``data:image/...;base64,`` URL or plain base64 image data works too.

Example::

    to_content('hello', store)     # [TextContent(text='hello')]
    to_content(image, store)       # [TextContent(text='{"artifact": "artifact-1", "type": "image", ...}'),
                                   #  ImageContent(data='iVBOR...', mime_type='image/png')]
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import json
import re
from typing import Any

import mcp_types as types
from dosaku.agents.artifacts import ArtifactStore
from dosaku.errors import DosakuError

MAX_IMAGES = 8
_DATA_URL = re.compile(r"^data:image/[\w.+-]+;base64,(.*)$", re.S)


def _is_image(value: Any) -> bool:
    return hasattr(value, "size") and hasattr(value, "mode") and hasattr(value, "save")


def _images(value: Any, found: list[Any], depth: int = 0) -> list[Any]:
    if len(found) >= MAX_IMAGES or depth > 3:
        return found
    if _is_image(value):
        found.append(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _images(getattr(value, field.name), found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _images(item, found, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _images(item, found, depth + 1)
    return found


def png_base64(image: Any) -> str:
    """A PIL image as base64 PNG."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def to_content(value: Any, store: ArtifactStore) -> list[Any]:
    """MCP content items for a task's result."""
    if isinstance(value, str):
        return [types.TextContent(text=value)]
    summary = store.summarize(value)
    items: list[Any] = [types.TextContent(text=json.dumps(summary, default=str))]
    for image in _images(value, []):
        items.append(types.ImageContent(data=png_base64(image), mime_type="image/png"))
    return items


def resolve_image(value: Any, store: ArtifactStore) -> Any:
    """An image argument: an artifact id, a ``data:image/...`` URL or base64 image data, as a PIL image (other
    values are artifact references resolved as the agent would).

    Raises:
        UnknownArtifact: an artifact id that does not exist.
        DosakuError: data that is not an image.
    """
    if isinstance(value, str) and value.startswith("artifact-"):
        return store.get(value)
    if isinstance(value, str) and len(value) > 64:
        match = _DATA_URL.match(value.strip())
        data = match.group(1) if match else value
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return store.resolve(value)
        from PIL import Image, UnidentifiedImageError

        try:
            image = Image.open(io.BytesIO(raw))
            image.load()
            return image
        except (UnidentifiedImageError, OSError) as error:
            raise DosakuError(f"The image argument is base64 data but not an image: {error}.") from None
    return store.resolve(value)
