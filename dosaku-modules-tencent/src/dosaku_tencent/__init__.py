"""Dosaku's Tencent module pack: :class:`~dosaku_tencent.gfpgan.GFPGAN` face restoration.

Importing this package imports nothing heavy; torch, gfpgan and friends are imported when the module is learned.

Example::

    from dosaku.modules import GFPGAN   # found through this pack's plugin

    restoration = GFPGAN(upscale=2).restore('photo.png')
"""

__version__ = "0.1.0"
