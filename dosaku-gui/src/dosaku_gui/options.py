"""The GUI's settings (from the command line)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuiOptions:
    """How ``dosaku_gui`` runs.

    Args:
        host: Interface to listen on (``127.0.0.1``: this machine only).
        port: TCP port.
        module: The Chat module to start with (default: the best installed local model, else EchoBot).
        enable_services: Let agents use services (remote, maybe paid, APIs).
        share: Ask gradio for a public share link (off by default).
        system_prompt: The chat's system prompt.
        max_tokens: Initial "max tokens" of a reply.
        temperature: Initial sampling temperature.
        concurrency: How many chat replies may be generated at once (across all browser sessions).

    Example::

        GuiOptions(port=8000, module='EchoBot')
    """

    host: str = "127.0.0.1"
    port: int = 7860
    module: str | None = None
    enable_services: bool = False
    share: bool = False
    system_prompt: str | None = None
    max_tokens: int = 256
    temperature: float = 0.7
    concurrency: int = 2
