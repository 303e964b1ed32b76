"""A compatibility alias that lets basicsr 1.4.2 (imported by gfpgan) import on current torchvision.

basicsr 1.4.2 runs ``from torchvision.transforms.functional_tensor import rgb_to_grayscale`` at import time.
torchvision 0.17 renamed that private module to ``torchvision.transforms._functional_tensor`` (same functions), so
the import fails with ``ModuleNotFoundError``. :func:`install_torchvision_alias` registers the renamed module under
the old name in ``sys.modules`` — nothing in site-packages is changed — and does nothing where the old module
still exists. It must run before the first ``import gfpgan`` or ``import basicsr``.
"""
from __future__ import annotations

import importlib
import sys

OLD_NAME = "torchvision.transforms.functional_tensor"
NEW_NAME = "torchvision.transforms._functional_tensor"


def install_torchvision_alias() -> None:
    """Make ``import torchvision.transforms.functional_tensor`` work (an alias of ``_functional_tensor``).

    Example::

        from dosaku_tencent.compat import install_torchvision_alias

        install_torchvision_alias()
        from gfpgan import GFPGANer   # basicsr imports now
    """
    if OLD_NAME in sys.modules:
        return
    try:
        importlib.import_module(OLD_NAME)  # torchvision < 0.17 still has it
    except ModuleNotFoundError:
        sys.modules[OLD_NAME] = importlib.import_module(NEW_NAME)
