"""Values a model cannot see as JSON (images, arrays, results objects) kept by reference.

The model sees a short JSON summary with an id such as ``'artifact-1'``; when it passes that id back as an
argument, the real value is used.

Example::

    store = ArtifactStore()
    summary = store.summarize(image)      # {'artifact': 'artifact-1', 'type': 'image', 'size': [64, 64], ...}
    store.resolve('artifact-1') is image  # True
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any

from dosaku.errors import DosakuError

MAX_TEXT = 4000


class UnknownArtifact(DosakuError, LookupError):
    """A model referred to an artifact id that does not exist."""


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class ArtifactStore:
    """Non-JSON values of one conversation, by id."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def put(self, value: Any) -> str:
        """Keep ``value``; returns its id."""
        ident = f"artifact-{len(self._values) + 1}"
        self._values[ident] = value
        return ident

    def as_dict(self) -> dict[str, Any]:
        """Every kept value, by id."""
        return dict(self._values)

    def get(self, ident: str) -> Any:
        try:
            return self._values[ident]
        except KeyError:
            known = ", ".join(self._values) or "none yet"
            raise UnknownArtifact(f"There is no artifact {ident!r} (known: {known}).") from None

    def resolve(self, value: Any) -> Any:
        """``value`` with artifact ids replaced by what they stand for (in lists and dicts too)."""
        if isinstance(value, str) and value in self._values:
            return self._values[value]
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def summarize(self, value: Any) -> Any:
        """A JSON-safe summary of ``value`` for the model: the value itself when it is small JSON, else a
        reference to it with what kind of thing it is."""
        if isinstance(value, str):
            return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + f"… [{len(value) - MAX_TEXT} more chars]"
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, (list, dict)) and _json_safe(value) and len(json.dumps(value)) <= MAX_TEXT:
            return value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {field.name: self.summarize(getattr(value, field.name)) for field in dataclasses.fields(value)}
            return {"artifact": self.put(value), "type": type(value).__name__, "fields": fields}
        summary: dict[str, Any] = {"artifact": self.put(value), "type": type(value).__name__}
        if hasattr(value, "size") and hasattr(value, "mode"):  # a PIL image
            summary.update(type="image", size=list(value.size), mode=value.mode)
        elif hasattr(value, "shape"):
            summary["shape"] = list(value.shape)
        elif isinstance(value, (list, tuple)):
            summary.update(length=len(value), items=[self.summarize(item) for item in value[:5]])
        return summary
