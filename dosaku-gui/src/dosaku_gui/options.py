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
        allow_install: Offer to install a module pack (with pip, after the user agrees) for a task no installed
            module does. Default: only when the app listens on this machine alone and is not shared.

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
    allow_install: bool | None = None

    @property
    def installs_allowed(self) -> bool:
        """Whether the GUI may offer installs (never to the world: not with --share or a non-loopback host)."""
        if self.allow_install is not None:
            return self.allow_install
        return not self.share and self.host in ("127.0.0.1", "localhost", "::1")
