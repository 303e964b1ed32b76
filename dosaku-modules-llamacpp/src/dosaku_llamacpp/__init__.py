"""Dosaku modules on llama.cpp (``llama-cpp-python``): ``LlamaCppChat``, a local, offline Chat module.

Importing this package imports nothing heavy; ``llama_cpp`` is imported when the model is first loaded.

Example::

    from dosaku import Agent

    agent = Agent()
    agent.learn('Chat', module='LlamaCppChat')
    agent.Chat.message('Hello!')
"""
from __future__ import annotations

__version__ = "0.2.0"
