"""Helpers for the `dosaku models` tests: the test model served by the loopback Hugging Face."""
from __future__ import annotations

import json

TINY = "tiny-chat"
TINY_KEY = "test-org/Tiny-Chat-GGUF/tiny-chat-q4_1.gguf"


def tiny_entry(size, sha256, **more):
    return {"title": "SmolLM2 135M served as tiny-chat", "repo": "test-org/Tiny-Chat-GGUF",
            "file": "tiny-chat-q4_1.gguf", "size": size, "sha256": sha256, "context_length": 8192,
            "license": "Apache-2.0", "ram": 400_000_000, "tools": False, **more}


def write_user_catalog(home, models):
    path = home / "config" / "models.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"models": models}))
    return path
