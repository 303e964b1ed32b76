"""Loading plugins: core's default plugins, every installed entry point of the group ``dosaku``, the plugin folders
in the user's plugin directories (:mod:`dosaku.plugins.folders`) and in-process plugins.

Each plugin is loaded, and registered, on its own: one that fails is recorded as a
:class:`~dosaku.plugins.failures.PluginFailure` and skipped. Plugins are registered in a fixed order — core's
default plugins, then installed entry points sorted by distribution and entry-point name, then plugin folders
sorted by path, then in-process plugins in the order given — so what wins a name clash never depends on the order
in which Python happened to discover the distributions (see :mod:`dosaku.plugins.registry`).
"""
from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from dosaku.plugins import folders, hookspecs
from dosaku.plugins.failures import PluginFailure, failure
from dosaku.plugins.selection import allowed

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "dosaku"
#: Core's own plugins, loaded like any other.
DEFAULT_PLUGINS: tuple[str, ...] = ("dosaku.default_plugins.core", "dosaku.default_plugins.executors")


def selected_entry_points() -> list[metadata.EntryPoint]:
    """The installed ``dosaku`` entry points that ``DOSAKU_LOAD_PLUGINS``/``DOSAKU_BLOCK_PLUGINS`` allow, sorted by
    distribution name, then entry-point name.

    Example::

        [entry_point.name for entry_point in selected_entry_points()]   # ['llamacpp', 'openai', ...]
    """
    chosen = [entry_point for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP)
              if allowed({entry_point.name, _distribution(entry_point)[0]})]
    return sorted(chosen, key=lambda entry_point: (_distribution(entry_point)[0].lower(), entry_point.name))


def _distribution(entry_point: metadata.EntryPoint) -> tuple[str, str]:
    dist = entry_point.dist
    return (dist.name, dist.version) if dist is not None else ("", "")


def unmarked_hooks(plugin: Any) -> list[str]:
    """The functions of ``plugin`` named like a hook but not marked with ``@hookimpl`` (so pluggy would never
    call them).

    Example::

        unmarked_hooks(my_plugin)   # ['register_modules'] when its decorator was forgotten
    """
    found = []
    for name in hookspecs.HOOK_NAMES:
        function = getattr(plugin, name, None)
        if callable(function) and getattr(function, "dosaku_impl", None) is None:
            found.append(name)
    return found


class PluginManager(pluggy.PluginManager):
    """A pluggy plugin manager for the ``dosaku`` hooks that remembers where each plugin came from and which failed.

    Example::

        from dosaku.plugins import PluginManager

        pm = PluginManager()                    # no plugins at all
        pm.register_plugin(my_plugin_module, name='mine')
    """

    def __init__(self) -> None:
        super().__init__("dosaku")
        self.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        #: ``{plugin name: (distribution, version)}``.
        self.distributions: dict[str, tuple[str, str]] = {}
        #: ``{second name: first name}`` of a plugin module registered under two names (it is loaded once).
        self.aliases: dict[str, str] = {}
        #: The plugin directories this manager loads (see :meth:`load_directories`).
        self.directories: list[Path] = []
        self._folder_plugins: dict[str, tuple[str, ModuleType]] = {}  # name -> (folder signature, plugin module)
        self._folder_failures: list[PluginFailure] = []

    def register_plugin(self, plugin: ModuleType | Any, name: str, distribution: str = "", version: str = "") -> bool:
        """Register ``plugin`` under ``name``; a failure is recorded, not raised. Returns whether it is registered.

        A plugin module already registered under another name (the same module behind two entry points) stays
        registered once, under its first name.
        """
        first = self.get_name(plugin)
        if first is not None:
            if first != name:
                self.aliases[name] = first
                log.info("plugin %r is the same module as plugin %r: registered once", name, first)
            return True
        for hook in unmarked_hooks(plugin):
            error = TypeError(f"{hook}() is not marked with @hookimpl (from dosaku import hookimpl), so it is "
                              f"never called; decorate it")
            self.failures.append(failure(name, "register", error, distribution, version))
        try:
            self.register(plugin, name=name)
            self.check_pending()  # a hook name no spec knows (a typo) is an error, not silence
        except Exception as error:  # noqa: BLE001 - any plugin error must be contained
            if self.get_name(plugin) == name:
                self.unregister(plugin)
            self.failures.append(failure(name, "register", error, distribution, version))
            return False
        self.distributions[name] = (distribution, version)
        return True

    def load_default_plugins(self, modules: Iterable[str] = DEFAULT_PLUGINS) -> None:
        """Register core's own plugins, which are loaded like any other."""
        from dosaku.version import __version__

        for module_name in modules:
            self.register_plugin(importlib.import_module(module_name), module_name, "dosaku", __version__)

    def load_entry_points(self) -> None:
        """Load and register every selected installed plugin, each on its own."""
        for entry_point in selected_entry_points():
            distribution, version = _distribution(entry_point)
            if self.has_plugin(entry_point.name):
                continue
            try:
                plugin = entry_point.load()
            except Exception as error:  # noqa: BLE001
                self.failures.append(failure(entry_point.name, "import", error, distribution, version))
                continue
            self.register_plugin(plugin, entry_point.name, distribution, version)

    def load_directories(self, directories: Iterable[str | os.PathLike[str]] | None = None) -> None:
        """Load the plugin folders of ``directories`` (default: those loaded before), each on its own.

        Calling it again picks up new folders, re-imports changed ones and drops removed ones.
        """
        if directories is not None:
            self.directories = [Path(d) for d in directories]
        self.failures = [record for record in self.failures if record not in self._folder_failures]
        self._folder_failures = []
        plugins, broken = folders.discover(self.directories)
        for folder, error in broken:
            self._folder_failure(folder.name, error, folder.name, "")
        seen: set[str] = set()
        for plugin in plugins:
            seen |= self._load_folder(plugin)
        for name in set(self._folder_plugins) - seen:  # the folder is gone
            self.unregister(name=name)
            del self._folder_plugins[name]
            self.distributions.pop(name, None)

    def _load_folder(self, plugin: folders.DirectoryPlugin) -> set[str]:
        signature, names = plugin.signature(), set()
        for name, module_name in plugin.entry_points:
            if not folders.selected(plugin, name):
                continue
            names.add(name)
            loaded = self._folder_plugins.get(name)
            if loaded is not None and loaded[0] == signature:
                continue
            if loaded is not None:
                self.unregister(name=name)
                del self._folder_plugins[name]
            elif self.has_plugin(name):
                error = ValueError(f"a plugin named {name!r} is already loaded; rename the entry point in "
                                   f"{plugin.folder / 'pyproject.toml'}")
                self._folder_failure(name, error, plugin.distribution, plugin.version, "register")
                continue
            try:
                folders.activate(plugin)
                module = folders.import_plugin(plugin, module_name)
            except Exception as error:  # noqa: BLE001 - a broken folder must not stop the others
                self._folder_failure(name, error, plugin.distribution, plugin.version)
                continue
            before = len(self.failures)
            if self.register_plugin(module, name, plugin.distribution, plugin.version):
                self._folder_plugins[name] = (signature, module)
            self._folder_failures += self.failures[before:]
        return names

    def _folder_failure(self, name: str, error: BaseException, distribution: str, version: str,
                        phase: str = "import") -> None:
        record = failure(name, phase, error, distribution, version)
        self.failures.append(record)
        self._folder_failures.append(record)

    def source_of(self, plugin_name: str) -> tuple[str, str]:
        """``(distribution, version)`` of a registered plugin (empty strings for in-process plugins)."""
        return self.distributions.get(plugin_name, ("", ""))


def plugin_manager(
    *plugins: ModuleType | Any,
    defaults: bool = True,
    entry_points: bool = True,
    directories: Iterable[str | os.PathLike[str]] | None = None,
    config: Any = None,
) -> PluginManager:
    """Build a plugin manager with core's default plugins, installed plugins, the user's plugin folders and the
    given in-process plugins.

    Args:
        *plugins: In-process plugins (modules or objects with ``@hookimpl`` functions) to register too.
        defaults: Register core's own plugins (EchoBot, the core task specs...).
        entry_points: Load installed plugins (entry-point group ``dosaku``).
        directories: Plugin directories to load folders from (default: the configured ones when ``entry_points``,
            else none; see :mod:`dosaku.plugins.folders`).
        config: The configuration naming the plugin directories (default :class:`dosaku.Config`).

    Example::

        from dosaku import Agent
        from dosaku.plugins import plugin_manager

        agent = Agent(plugin_manager=plugin_manager(my_plugin, entry_points=False))
    """
    manager = PluginManager()
    if defaults:
        manager.load_default_plugins()
    if entry_points:
        manager.load_entry_points()
    if directories is None and entry_points:
        directories = folders.plugin_directories(config)
    if directories is not None:
        manager.load_directories(directories)
    for index, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{index}"
        manager.register_plugin(plugin, name=name)
    return manager
