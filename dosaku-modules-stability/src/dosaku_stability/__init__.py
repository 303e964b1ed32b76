"""Dosaku services for Stability AI's Clipdrop APIs, and the image-editing tasks they do.

Importing this package imports nothing heavy; the module lives in :mod:`dosaku_stability.clipdrop`.

Example::

    from dosaku import Agent

    agent = Agent(enable_services=True)
    agent.learn('TextToImage', module='ClipdropTextToImage')
    image = agent.TextToImage(prompt='a lighthouse at dawn')
"""

__version__ = "0.2.0"
