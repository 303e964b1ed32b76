"""A loopback server speaking Clipdrop's wire format, for tests.

Multipart uploads in, image bytes out (PNG, or JPEG where Clipdrop answers JPEG), the ``x-api-key`` header checked,
``x-remaining-credits`` / ``x-credits-consumed`` headers, and Clipdrop's JSON errors (``{"error": "..."}``).

Example::

    with FakeClipdropServer() as server:
        chat = Clipdrop(host=server.url, api_key=server.api_key)
        chat.text_to_image('a lighthouse')      # a 1024x1024 PIL image
        server.requests[-1].form()['prompt']
"""
from __future__ import annotations

import io
import math
from typing import Any

from dosaku.testing.loopback import LoopbackServer, Reply, Request

TEST_KEY = "clipdrop-test-key-0123456789SECRET"

#: path -> (required fields, output format, output size: 'same', 'target' or (w, h))
ENDPOINTS: dict[str, tuple[tuple[str, ...], str, Any]] = {
    "/text-to-image/v1": (("prompt",), "PNG", (1024, 1024)),
    "/remove-background/v1": (("image_file",), "PNG", "same"),
    "/image-upscaling/v1/upscale": (("image_file", "target_width", "target_height"), "JPEG", "target"),
    "/remove-text/v1": (("image_file",), "PNG", "same"),
    "/replace-background/v1": (("image_file", "prompt"), "JPEG", "same"),
    "/cleanup/v1": (("image_file", "mask_file"), "PNG", "same"),
    "/sketch-to-image/v1/sketch-to-image": (("sketch_file", "prompt"), "JPEG", (1024, 1024)),
    "/reimagine/v1/reimagine": (("image_file",), "JPEG", "same"),
}


class FakeClipdropServer(LoopbackServer):
    """Clipdrop's APIs on 127.0.0.1. ``credits`` counts down; at 0 the server answers 402."""

    def __init__(self, api_key: str = TEST_KEY, credits: float = 1000):
        super().__init__()
        self.api_key, self.credits = api_key, credits

    def error_body(self, status: int) -> Any:
        return {"error": {402: "Not enough credits", 429: "Too many requests",
                          500: "Internal server error"}.get(status, f"HTTP {status}")}

    def handle(self, request: Request, reply: Reply) -> None:
        if request.method != "POST":
            reply.json(405, {"error": "Method not allowed"})
            return
        if "x-api-key" not in request.headers:
            reply.json(401, {"error": "No api key provided"})
            return
        if request.headers["x-api-key"] != self.api_key:
            reply.json(403, {"error": f"Invalid api key: {request.headers['x-api-key']}"})
            return
        if request.path not in ENDPOINTS:
            reply.json(404, {"error": f"Unknown endpoint {request.path}"})
            return
        required, fmt, size = ENDPOINTS[request.path]
        form = request.form()
        missing = [name for name in required if name not in form]
        if missing:
            reply.json(400, {"error": f"Missing field(s): {', '.join(missing)}"})
            return
        self._answer(form, fmt, size, reply)

    def _answer(self, form: dict[str, Any], fmt: str, size: Any, reply: Reply) -> None:
        from PIL import Image

        if size == "same":
            upload = form.get("image_file") or form.get("sketch_file")
            try:
                size = Image.open(io.BytesIO(upload[2])).size
            except Exception:  # noqa: BLE001 - an unreadable upload is the client's error
                reply.json(400, {"error": "Invalid image file"})
                return
        elif size == "target":
            size = (int(form["target_width"][2]), int(form["target_height"][2]))
        cost = math.ceil(size[0] * size[1] / 1e6) if fmt == "JPEG" and "target_width" in form else 1
        if self.credits < cost:
            reply.json(402, {"error": "Not enough credits"})
            return
        self.credits -= cost
        mode = "RGBA" if fmt == "PNG" else "RGB"
        buffer = io.BytesIO()
        Image.new(mode, size, (20, 120, 200, 255)[: len(mode)]).save(buffer, format=fmt)
        reply.send(200, buffer.getvalue(), f"image/{fmt.lower()}",
                   {"x-remaining-credits": str(self.credits), "x-credits-consumed": str(cost)})


def image_bytes(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGB") -> bytes:
    """An encoded solid-colour image, e.g. ``image_bytes((64, 64), 'WEBP')``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, size, 128 if mode == "L" else (10, 200, 30)).save(buffer, format=fmt)
    return buffer.getvalue()
