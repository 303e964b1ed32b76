"""Plugins kept as folders in the user's plugin directories (e.g. those Ponder writes), loaded without installing.

A *directory plugin* is a sub-folder of a configured plugin directory holding a ``pyproject.toml`` that declares
``[project.entry-points.dosaku]`` (exactly as an installable distribution does) and its code under ``src/``::

    <plugins dir>/dosaku-pondered-tic-tac-toe/
        pyproject.toml               # [project.entry-points.dosaku] tic_tac_toe = "dosaku_pondered_tic_tac_toe.plugin"
        src/dosaku_pondered_tic_tac_toe/plugin.py

The agent puts each folder's ``src`` on ``sys.path`` (at the end: installed packages always win) and loads its
plugin modules with the same failure containment as installed entry points: a broken folder becomes a record in
``agent.plugin_errors`` and never stops the agent. A folder that changed since it was imported is imported afresh
on :meth:`dosaku.agent.Agent.refresh`; new, removed and replaced folders (what Ponder does) are also noticed by
``agent.learnable_tasks`` and ``agent.learn`` by themselves.

Plugin directories are user code, so only the configured ones are read::

    [PLUGINS]
    DIRECTORIES = /home/me/dosaku-plugins:/opt/team-plugins   # os.pathsep-separated; default <data dir>/plugins
    [PONDER]
    PLUGINS_DIR = /home/me/pondered                           # where Ponder writes (also loaded)

(or ``DOSAKU_PLUGINS__DIRECTORIES`` / ``DOSAKU_PONDER__PLUGINS_DIR``). Folders whose name starts with ``.`` or
``_`` are skipped (Ponder stages and keeps failed attempts there). ``DOSAKU_LOAD_PLUGINS`` and
``DOSAKU_BLOCK_PLUGINS`` select directory plugins by entry-point or project name, as for installed ones.
"""
from __future__ import annotations

import importlib
import logging
import os
import shutil
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from dosaku.plugins.selection import allowed

log = logging.getLogger(__name__)

#: The pyproject table that makes a folder a Dosaku plugin.
ENTRY_POINT_GROUP = "dosaku"
#: ``{src directory: signature}`` of the folders whose modules this process has imported.
_imported: dict[str, str] = {}


def _checksum(parts: list[str]) -> str:
    """A change detector for this process (signatures are compared within one process, never stored)."""
    return f"{hash(tuple(parts)) & (2**64 - 1):016x}"


def plugin_directories(config: Any = None) -> list[Path]:
    """The configured plugin directories: ``[PLUGINS] DIRECTORIES`` (default ``<data dir>/plugins``) and
    ``[PONDER] PLUGINS_DIR``, without duplicates.

    Example::

        plugin_directories(Config())   # [PosixPath('/home/me/.local/share/dosaku/plugins')]
    """
    if config is None:
        from dosaku.config import Config

        config = Config()
    configured = config.get("PLUGINS", "DIRECTORIES")
    if configured is not None:
        found = [Path(p).expanduser() for p in configured.split(os.pathsep) if p.strip()]
    else:
        found = [Path(config.data_dir) / "plugins"]
    ponder = config.get("PONDER", "PLUGINS_DIR")
    if ponder:
        found.append(Path(ponder).expanduser())
    unique: list[Path] = []
    for path in found:
        if path.resolve() not in [p.resolve() for p in unique]:
            unique.append(path)
    return unique


@dataclass(frozen=True)
class DirectoryPlugin:
    """One plugin folder: its project name and version, its entry points and where its code lives.

    Attributes:
        folder: The plugin folder.
        distribution: Its project name.
        version: Its project version.
        entry_points: ``((name, module), ...)``, sorted.
        src: Where its code lives (``folder/src`` when there is one, else the folder).
    """

    folder: Path
    distribution: str
    version: str
    entry_points: tuple[tuple[str, str], ...]
    src: Path

    def signature(self) -> str:
        """A hash of the folder's pyproject and Python files (names, sizes, modification times)."""
        return folder_signature(self.folder)


def folder_signature(folder: str | os.PathLike[str]) -> str:
    """A hash of what makes up a plugin folder: ``pyproject.toml`` and every ``*.py`` file (``__pycache__`` and
    hidden folders ignored, so importing the plugin does not change it)."""
    folder = os.fspath(folder)
    parts = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py") or (name == "pyproject.toml" and root == folder):
                path = os.path.join(root, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                parts.append(f"{os.path.relpath(path, folder)}:{stat.st_size}:{stat.st_mtime_ns}")
    return _checksum(parts)


def read_folder(folder: Path) -> DirectoryPlugin | None:
    """The plugin a folder holds, None when it holds none (no pyproject, or no ``dosaku`` entry points).

    Raises:
        ValueError: the pyproject cannot be read (a broken plugin, recorded by the loader).
    """
    folder = Path(folder)
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{pyproject} cannot be read: {error}") from error
    project = data.get("project") or {}
    entry_points = (project.get("entry-points") or {}).get(ENTRY_POINT_GROUP) or {}
    if not entry_points:
        return None
    if not isinstance(entry_points, dict) or not all(isinstance(v, str) for v in entry_points.values()):
        raise ValueError(f"{pyproject}: [project.entry-points.dosaku] must map names to 'package.module' strings.")
    src = folder / "src" if (folder / "src").is_dir() else folder
    return DirectoryPlugin(
        folder=folder,
        distribution=str(project.get("name") or folder.name),
        version=str(project.get("version") or ""),
        entry_points=tuple(sorted(entry_points.items())),
        src=src,
    )


def plugin_folders(directories: list[Path]) -> list[Path]:
    """The candidate folders of ``directories``, sorted (hidden and ``_``-prefixed ones skipped)."""
    names = []
    for directory in directories:
        try:
            with os.scandir(directory) as entries:
                names += sorted(entry.path for entry in entries
                                if entry.is_dir() and not entry.name.startswith((".", "_")))
        except OSError:
            continue
    return [Path(name) for name in names]


def directories_signature(directories: list[Path]) -> str:
    """A cheap hash of the plugin folders in ``directories``: which folders there are (each folder's identity and
    modification time, so a folder replaced or with files added or removed at its top changes it) and each
    ``pyproject.toml``. Edits deeper inside a folder are picked up by :meth:`dosaku.agent.Agent.refresh`."""
    parts = [os.fspath(d) for d in directories]
    for folder in plugin_folders(directories):
        for path in (folder, folder / "pyproject.toml"):
            try:
                stat = os.stat(path)
                parts.append(f"{path}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                parts.append(f"{path}:-")
    return _checksum(parts)


def _modules_under(src: str) -> list[str]:
    root = os.path.realpath(src) + os.sep
    names = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and os.path.realpath(file).startswith(root):
            names.append(name)
    return names


def activate(plugin: DirectoryPlugin) -> None:
    """Make ``plugin``'s code importable: its ``src`` on ``sys.path`` (at the end: installed packages always win),
    and modules imported from an older version of the folder forgotten so the next import reads the new files."""
    src = os.path.realpath(plugin.src)
    signature = plugin.signature()
    previous = _imported.get(src)
    if previous is not None and previous != signature:
        for name in _modules_under(src):
            del sys.modules[name]
        for root, dirs, _ in os.walk(src):  # a same-size rewrite within a second would look current
            if "__pycache__" in dirs:
                dirs.remove("__pycache__")
                shutil.rmtree(os.path.join(root, "__pycache__"), ignore_errors=True)
        log.info("plugin folder %s changed: its modules will be imported afresh", plugin.folder)
    _imported[src] = signature
    if src not in sys.path:
        sys.path.append(src)
    importlib.invalidate_caches()


def import_plugin(plugin: DirectoryPlugin, module_name: str) -> ModuleType:
    """Import one of ``plugin``'s entry-point modules, refusing one that resolves outside its folder (a package
    name that clashes with an installed one)."""
    module = importlib.import_module(module_name)
    file = getattr(module, "__file__", None)
    root = str(plugin.src.resolve()) + os.sep
    if not file or not os.path.realpath(file).startswith(root):
        raise ImportError(
            f"{module_name!r} resolves to {file}, not to the plugin folder {plugin.folder}: its package name "
            f"clashes with an installed package. Rename the package in {plugin.folder}."
        )
    return module


def discover(directories: list[Path]) -> tuple[list[DirectoryPlugin], list[tuple[Path, Exception]]]:
    """The plugins in ``directories`` and the folders that could not be read (with why)."""
    plugins, broken = [], []
    for folder in plugin_folders(directories):
        try:
            plugin = read_folder(folder)
        except ValueError as error:
            broken.append((folder, error))
            continue
        if plugin is not None:
            plugins.append(plugin)
    return plugins, broken


def selected(plugin: DirectoryPlugin, name: str) -> bool:
    """Whether ``DOSAKU_LOAD_PLUGINS``/``DOSAKU_BLOCK_PLUGINS`` allow this entry point of ``plugin``."""
    return allowed({name, plugin.distribution})
