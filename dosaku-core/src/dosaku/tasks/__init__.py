"""The task specs that ship with Dosaku's core.

Tasks are abstract interfaces (the human space). Module packs may add more through the ``register_tasks`` hook.

Example::

    from dosaku.tasks import Chat
    Chat.__doc__  # 'Interface for a generic conversational chatbot.'
"""
from dosaku.tasks.chat import Chat
from dosaku.tasks.play_go import PlayGo
from dosaku.tasks.ponder import Ponder
from dosaku.tasks.restore_faces import RestoreFaces
from dosaku.tasks.tester import Tester
from dosaku.tasks.text_to_image import TextToImage

__all__ = ["Chat", "PlayGo", "Ponder", "RestoreFaces", "Tester", "TextToImage"]
