"""An MCP tool result as Python values: text as ``str``, images as PIL images, the structured result as a dict.

Rules, in order: an ``isError`` result raises :class:`~dosaku_mcp.errors.MCPToolError` with the tool's message; a
result with images, audio or resources gives its content (one item itself, several as a list: text ``str``, image a
``PIL.Image.Image``, audio and binary resources ``bytes``, a text resource ``str``, a resource link its URI); else
the structured result (a ``{'result': x}`` wrapper of a plain return value gives ``x``); else the text (several text
items as a list); an empty result gives None.

Example::

    value = to_python(result, server='time', tool='get_current_time')   # {'timezone': 'UTC', 'datetime': ...}
"""
from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from dosaku_mcp.errors import MCPMalformedResult, MCPToolError

MAX_ERROR_TEXT = 2000


def _bytes(data: str, what: str, server: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise MCPMalformedResult(f"The MCP server {server!r} sent {what} whose data is not base64.",
                                 server=server) from None


def _image(data: bytes, mime: str, server: str) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise MCPMalformedResult(f"The MCP server {server!r} sent an image ({mime}) that cannot be decoded: "
                                 f"{error}.", server=server) from None
    return image


def block_value(block: Any, server: str) -> Any:
    """One content block as a Python value."""
    kind = getattr(block, "type", None)
    if kind == "text":
        return block.text
    if kind == "image":
        return _image(_bytes(block.data, f"an image ({block.mime_type})", server), block.mime_type, server)
    if kind == "audio":
        return _bytes(block.data, f"audio ({block.mime_type})", server)
    if kind == "resource":
        resource = block.resource
        if getattr(resource, "text", None) is not None:
            return resource.text
        data = _bytes(resource.blob, f"the resource {resource.uri}", server)
        mime = getattr(resource, "mime_type", None) or ""
        return _image(data, mime, server) if mime.startswith("image/") else data
    if kind == "resource_link":
        return str(block.uri)
    raise MCPMalformedResult(f"The MCP server {server!r} sent content of an unknown type {kind!r}.", server=server)


def _unwrap(structured: Any, output_schema: dict[str, Any] | None) -> Any:
    properties = (output_schema or {}).get("properties")
    if isinstance(structured, dict) and set(structured) == {"result"} and (
            output_schema is None or (isinstance(properties, dict) and set(properties) == {"result"})):
        return structured["result"]
    return structured


def to_python(result: Any, server: str, tool: str, output_schema: dict[str, Any] | None = None) -> Any:
    """The value of a ``CallToolResult`` (see the module's rules).

    Raises:
        MCPToolError: the result is an error.
        MCPMalformedResult: its content cannot be decoded.
    """
    content = list(getattr(result, "content", None) or [])
    if getattr(result, "is_error", False):
        text = "\n".join(block.text for block in content if getattr(block, "type", None) == "text").strip()
        text = text[:MAX_ERROR_TEXT] or "(no message)"
        raise MCPToolError(f"The MCP tool {tool!r} of the server {server!r} failed: {text}", server=server, tool=tool)
    rich = [block for block in content if getattr(block, "type", None) != "text"]
    if not rich and getattr(result, "structured_content", None) is not None:
        return _unwrap(result.structured_content, output_schema)
    values = [block_value(block, server) for block in content]
    if not values:
        return None
    return values[0] if len(values) == 1 else values
