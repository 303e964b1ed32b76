"""The ``openai`` plugin: registers OpenAIChat, OpenAITextToImage and Ponder. Imports only ``dosaku``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku import ModuleSpec, hookimpl


@hookimpl
def register_modules(register: Callable[[ModuleSpec], None], config: Any) -> None:
    register(
        ModuleSpec(
            "OpenAIChat",
            tasks=("Chat",),
            target="dosaku_openai.chat:OpenAIChat",
            kind="service",
            priority=10,
            needs_key="OPENAI",
            key_env_var="OPENAI_API_KEY",
            summary="Chat with OpenAI's GPT models, or any OpenAI-compatible endpoint (streaming, tool calls).",
        )
    )
    register(
        ModuleSpec(
            "OpenAITextToImage",
            tasks=("TextToImage",),
            target="dosaku_openai.images:OpenAITextToImage",
            kind="service",
            priority=5,
            needs_key="OPENAI",
            key_env_var="OPENAI_API_KEY",
            summary="Images from text with OpenAI's image models (DALL-E, gpt-image).",
        )
    )
    register(
        ModuleSpec(
            "Ponder",
            tasks=("Ponder",),
            target="dosaku_openai.ponder:Ponder",
            kind="service",
            priority=10,
            needs_key="OPENAI",
            key_env_var="OPENAI_API_KEY",
            summary="Writes a new task and module as a plugin with a GPT model, checked by tests run isolated.",
        )
    )
