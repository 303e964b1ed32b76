"""Every installed module, by name, imported on first use.

Example::

    from dosaku.modules import EchoBot     # core's own
    from dosaku.modules import GFPGAN      # from the dosaku-modules-tencent pack, when installed
"""
from __future__ import annotations

from typing import Any

from dosaku.config import Config
from dosaku.plugins import Registry, plugin_manager


def _registry() -> Registry:
    config = Config()
    return Registry.collect(plugin_manager(config=config), config)


def __getattr__(name: str) -> Any:
    if name.startswith("_"):
        raise AttributeError(name)
    return _registry().module(name).load()


def __dir__() -> list[str]:
    return sorted(_registry().modules)
