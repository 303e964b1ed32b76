"""Loading plugins: core's default plugins, every installed entry point of the group ``dosaku``, and the plugin
folders in the user's plugin directories (see :mod:`dosaku.directory_plugins`).

Each entry point is loaded, and each hook implementation called, on its own: a plugin that fails is recorded as a
:class:`PluginFailure` and skipped, and what it registered before failing is undone. ``DOSAKU_STRICT_PLUGINS=1``
re-raises instead (for plugin authors). ``DOSAKU_LOAD_PLUGINS`` (comma-separated names; empty loads none) and
``DOSAKU_BLOCK_PLUGINS`` select installed plugins by entry-point or distribution name.
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

from dosaku import hookspecs
from dosaku.plugin_failure import PluginFailure, failure

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "dosaku"
DEFAULT_PLUGINS: tuple[str, ...] = (
    "dosaku.default_plugins.core",
    "dosaku.default_plugins.go",
    "dosaku.default_plugins.services",
)


def _names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {name.strip().lower() for name in value.split(",") if name.strip()}


def selected_entry_points() -> list[metadata.EntryPoint]:
    """The installed ``dosaku`` entry points that ``DOSAKU_LOAD_PLUGINS``/``DOSAKU_BLOCK_PLUGINS`` allow."""
    only, blocked = _names("DOSAKU_LOAD_PLUGINS"), _names("DOSAKU_BLOCK_PLUGINS") or set()
    chosen = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        names = {entry_point.name.lower()}
        if entry_point.dist is not None:
            names.add(entry_point.dist.name.lower())
        if only is not None and not names & only:
            continue
        if names & blocked:
            continue
        chosen.append(entry_point)
    return chosen


class PluginManager(pluggy.PluginManager):
    """A pluggy plugin manager for the ``dosaku`` hooks that remembers which plugins failed.

    Example::

        from dosaku.plugins import PluginManager

        pm = PluginManager()                    # no plugins at all
        pm.register(my_plugin_module, name='mine')
    """

    def __init__(self) -> None:
        super().__init__("dosaku")
        self.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self.distributions: dict[str, tuple[str, str]] = {}
        #: The plugin directories this manager loads (see :meth:`load_directories`).
        self.directories: list[Path] = []
        self._directory_plugins: dict[str, tuple[str, Any]] = {}  # name -> (folder signature, plugin module)
        self._directory_failures: list[PluginFailure] = []

    def register_plugin(self, plugin: ModuleType | Any, name: str, distribution: str = "", version: str = "") -> bool:
        """Register ``plugin`` under ``name``; a failure is recorded, not raised. Returns whether it worked."""
        try:
            self.register(plugin, name=name)
            self.check_pending()  # a hook name no spec knows (a typo) is an error, not silence
        except Exception as error:  # noqa: BLE001 - any plugin error must be contained
            if self.is_registered(plugin):
                self.unregister(plugin)
            self.failures.append(failure(name, "register", error, distribution, version))
            return False
        self.distributions[name] = (distribution, version)
        return True

    def load_default_plugins(self, modules: Iterable[str] = DEFAULT_PLUGINS) -> None:
        """Register core's own plugins, which are loaded like any other."""
        for module_name in modules:
            from dosaku import __version__

            self.register_plugin(importlib.import_module(module_name), module_name, "dosaku", __version__)

    def load_entry_points(self) -> None:
        """Load and register every selected installed plugin, each on its own."""
        for entry_point in selected_entry_points():
            distribution = entry_point.dist.name if entry_point.dist else ""
            version = entry_point.dist.version if entry_point.dist else ""
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
        from dosaku import directory_plugins as folders

        if directories is not None:
            self.directories = [Path(d) for d in directories]
        for record in self._directory_failures:
            if record in self.failures:
                self.failures.remove(record)
        self._directory_failures = []
        plugins, broken = folders.discover(self.directories)
        for folder, error in broken:
            self._directory_failure(folder.name, error, folder.name, "")
        seen: set[str] = set()
        for plugin in plugins:
            seen |= self._load_folder(plugin, folders)
        for name in set(self._directory_plugins) - seen:  # the folder is gone
            self.unregister(name=name)
            del self._directory_plugins[name]
            self.distributions.pop(name, None)

    def _load_folder(self, plugin: Any, folders: Any) -> set[str]:
        signature, names = plugin.signature(), set()
        for name, module_name in plugin.entry_points:
            if not folders.selected(plugin, name):
                continue
            names.add(name)
            loaded = self._directory_plugins.get(name)
            if loaded is not None and loaded[0] == signature:
                continue
            if loaded is not None:
                self.unregister(name=name)
                del self._directory_plugins[name]
            elif self.has_plugin(name):
                error = ValueError(f"a plugin named {name!r} is already loaded; rename the entry point in "
                                   f"{plugin.folder / 'pyproject.toml'}")
                self._directory_failure(name, error, plugin.distribution, plugin.version, "register")
                continue
            try:
                folders.activate(plugin)
                module = folders.import_plugin(plugin, module_name)
            except Exception as error:  # noqa: BLE001 - a broken folder must not stop the others
                self._directory_failure(name, error, plugin.distribution, plugin.version)
                continue
            before = len(self.failures)
            if self.register_plugin(module, name, plugin.distribution, plugin.version):
                self._directory_plugins[name] = (signature, module)
            else:
                self._directory_failures += self.failures[before:]
        return names

    def _directory_failure(self, name: str, error: BaseException, distribution: str, version: str,
                           phase: str = "import") -> None:
        record = failure(name, phase, error, distribution, version)
        self.failures.append(record)
        self._directory_failures.append(record)

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
            else none; see :mod:`dosaku.directory_plugins`).
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
        from dosaku.directory_plugins import plugin_directories

        directories = plugin_directories(config)
    if directories is not None:
        manager.load_directories(directories)
    for index, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__name__}-{index}"
        manager.register_plugin(plugin, name=name)
    return manager
