"""Every installed module, by name, imported on first use.

Example::

    from dosaku.modules import EchoBot     # core's own
    from dosaku.modules import GFPGAN      # from the dosaku-modules-tencent pack, when installed
"""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(name)
    from dosaku.config import Config
    from dosaku.plugins import plugin_manager
    from dosaku.registry import Registry

    registry = Registry.collect(plugin_manager(), Config())
    return registry.module(name).load()


def __dir__() -> list[str]:
    from dosaku.config import Config
    from dosaku.plugins import plugin_manager
    from dosaku.registry import Registry

    return sorted(Registry.collect(plugin_manager(), Config()).modules)
