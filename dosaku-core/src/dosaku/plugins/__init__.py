"""Dosaku's plugin system: the hooks (:mod:`~dosaku.plugins.hookspecs`), loading installed entry points, plugin
folders and in-process plugins (:mod:`~dosaku.plugins.manager`, :mod:`~dosaku.plugins.folders`), what they
register and the rules for clashes (:mod:`~dosaku.plugins.registry`), failures (:mod:`~dosaku.plugins.failures`)
and a check of everything installed (:mod:`~dosaku.plugins.check`, ``dosaku plugins --check``).

Example::

    from dosaku import Agent
    from dosaku.plugins import plugin_manager

    agent = Agent(plugin_manager=plugin_manager(my_plugin, entry_points=False))
    agent.plugin_errors     # what failed, and why
"""
from __future__ import annotations

from dosaku.plugins.failures import PluginFailure
from dosaku.plugins.hookspecs import hookimpl, hookspec
from dosaku.plugins.manager import DEFAULT_PLUGINS, ENTRY_POINT_GROUP, PluginManager, plugin_manager
from dosaku.plugins.registry import Registry

__all__ = ["DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "PluginFailure", "PluginManager", "Registry", "hookimpl",
           "hookspec", "plugin_manager"]
