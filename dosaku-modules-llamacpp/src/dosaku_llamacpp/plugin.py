"""The ``llamacpp`` plugin: registers :class:`~dosaku_llamacpp.chat.LlamaCppChat`. Imports only ``dosaku``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku import ModuleSpec, hookimpl

#: Above EchoBot (-100): the agent prefers a real local model when it picks a Chat module by itself.
PRIORITY = 50


@hookimpl
def register_modules(register: Callable[[ModuleSpec], None], config: Any) -> None:
    register(
        ModuleSpec(
            "LlamaCppChat",
            tasks=("Chat",),
            target="dosaku_llamacpp.chat:LlamaCppChat",
            kind="module",
            priority=PRIORITY,
            device="cpu",
            memory_mb=300,
            summary="Chat offline with a local GGUF model on llama.cpp (default: SmolLM2-135M-Instruct).",
        )
    )


@hookimpl
def register_commands(cli: Any) -> None:
    from dosaku_llamacpp.cli import models_group

    cli.add_command(models_group)
