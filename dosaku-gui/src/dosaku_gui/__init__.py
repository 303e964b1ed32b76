"""Dosaku's web GUI: chat with the agent's Chat module (streaming) and use its other tasks from a browser.

Importing this package imports nothing heavy: gradio is imported when the app is built.

Example (shell)::

    dosaku_gui                          # http://127.0.0.1:7860, chatting with the best local model
    dosaku_gui --module EchoBot --port 8000
"""
from __future__ import annotations

__version__ = "0.2.0"
