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


#: List prices when written (USD per million tokens, or per image); the user's [PRICES] in config.ini overrides them.
PRICES = {
    "gpt-4o-mini": "input=0.15, output=0.60",
    "gpt-4o": "input=2.50, output=10.00",
    "gpt-4.1-nano": "input=0.10, output=0.40",
    "gpt-4.1-mini": "input=0.40, output=1.60",
    "gpt-4.1": "input=2.00, output=8.00",
    "gpt-4-turbo": "input=10.00, output=30.00",
    "gpt-4": "input=30.00, output=60.00",
    "gpt-3.5-turbo": "input=0.50, output=1.50",
    "o3-mini": "input=1.10, output=4.40",
    "o4-mini": "input=1.10, output=4.40",
    "dall-e-2": "image=0.020",
    "dall-e-3": "image=0.080",  # HD 1024x1024; standard quality costs half
    "gpt-image-1": "image=0.167",  # high quality 1024x1024, the worst case
}


@hookimpl
def register_prices(register: Callable[..., None], config: Any) -> None:
    for model, price in PRICES.items():
        register(model, price)
