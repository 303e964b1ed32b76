"""How calls and results cross into and out of a quarantined module's sandbox: JSON, with bytes and images
(PIL images travel as PNG) tagged. Standard library only (PIL is imported only to encode or decode an image);
the worker inside the sandbox runs this same file's source.

Example::

    decode(json.loads(json.dumps(encode({'x': b'raw', 'n': [1, 2]}))))   # {'x': b'raw', 'n': [1, 2]}
"""
import base64
import io

TAG = "__dosaku__"
MAX_DEPTH = 64


def _is_image(value):
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "size")


def encode(value, depth=0):
    """``value`` as JSON-ready data. Raises TypeError for what cannot travel (open files, modules, objects...)."""
    if depth > MAX_DEPTH:
        raise TypeError(f"the value is nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [encode(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("only dicts with string keys can be sent to or from the sandbox")
        items = {key: encode(item, depth + 1) for key, item in value.items()}
        return {TAG: "dict", "items": items} if TAG in value else items
    if isinstance(value, (bytes, bytearray)):
        return {TAG: "bytes", "data": base64.b64encode(bytes(value)).decode()}
    if _is_image(value):
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        return {TAG: "png", "data": base64.b64encode(buffer.getvalue()).decode()}
    raise TypeError(f"a {type(value).__name__} cannot be sent to or from the sandbox (send JSON data, bytes or "
                    f"images)")


def decode(value):
    """What :func:`encode` made, back (a PNG becomes a PIL image where PIL is installed, else bytes)."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(TAG)
    if tag == "dict":
        return {key: decode(item) for key, item in value["items"].items()}
    if tag in ("bytes", "png"):
        data = base64.b64decode(value["data"], validate=True)
        if tag == "png":
            try:
                from PIL import Image
            except ImportError:
                return data
            image = Image.open(io.BytesIO(data))
            image.load()
            return image
        return data
    return {key: decode(item) for key, item in value.items()}
