"""Dosaku modules for OpenAI and any OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp's server...).

Importing this package imports nothing heavy; the modules live in :mod:`dosaku_openai.chat` and
:mod:`dosaku_openai.images` and are imported when a task is learned.

Example::

    from dosaku import Agent

    agent = Agent(enable_services=True)
    agent.learn('Chat', module='OpenAIChat', model='gpt-4o-mini', stream=True)
    for partial in agent.Chat('Hello!'):
        print(partial)
"""

__version__ = "0.2.0"
