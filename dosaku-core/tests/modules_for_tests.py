"""Modules used by the core tests, registered through in-process plugins."""
from __future__ import annotations

from dosaku import Executor, Module, Service
from dosaku.tasks import Chat, TextToImage


class Counting:
    """Counts how many instances were built (to prove refusals happen before construction)."""

    built = 0

    def __init__(self, **kwargs):
        type(self).built += 1
        self.kwargs = kwargs
        self.unloaded = False

    def unload(self):
        self.unloaded = True


class LocalChat(Counting, Module, Chat):
    def message(self, message, **kwargs):
        return f"local: {message}"


class PaidChat(Counting, Service, Chat):
    built = 0

    def message(self, message, **kwargs):
        return f"paid: {message}"


class CodeChat(Counting, Executor, Chat):
    built = 0

    def message(self, message, **kwargs):
        return f"code: {message}"


class HalfChat(Module, Chat):
    """Does not implement message."""


class ExplodingChat(Module, Chat):
    def __init__(self):
        raise RuntimeError("no weights here")

    def message(self, message, **kwargs):  # pragma: no cover
        return message


class Painter(Module, TextToImage):
    def text_to_image(self, prompt, **kwargs):
        return f"image of {prompt}"


class ChatAndPaint(Counting, Module, Chat, TextToImage):
    built = 0

    def message(self, message, **kwargs):
        return message

    def text_to_image(self, prompt, **kwargs):
        return prompt
