"""A cache of what the installed plugins register, so an agent can list and learn tasks without importing pluggy
or any plugin when nothing changed.

The cache (``registry.json`` in the user cache directory) is keyed by a fingerprint of everything that can change
what plugins register: Dosaku's version, the interpreter, the distributions installed in every ``sys.path`` entry
(their ``.dist-info``/``.egg-info`` folders, with the times they were installed), the ``DOSAKU_*`` and key
environment variables (checksummed, never stored), and the config file's modification time. Each plugin's own
source file is checked too, so editing a plugin under development invalidates it, and so does adding, removing or
replacing a folder in the user's plugin directories (:mod:`dosaku.directory_plugins`). ``DOSAKU_NO_REGISTRY_CACHE=1``
turns it off; strict plugin mode and in-process plugin managers never use it.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import zlib
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dosaku.config import ENVIRONMENT_OVERRIDES, Config
from dosaku.plugin_failure import PluginFailure, strict
from dosaku.registry import Registry
from dosaku.spec import ModuleSpec, TaskSpec

if TYPE_CHECKING:
    from dosaku.plugins import PluginManager

log = logging.getLogger(__name__)
FORMAT = 1


def enabled() -> bool:
    """Whether the registry cache may be used."""
    return not strict() and os.environ.get("DOSAKU_NO_REGISTRY_CACHE", "") in ("", "0")


def _mtime(path: str | os.PathLike[str]) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _distributions(entry: str) -> str:
    """The installed distributions in one ``sys.path`` entry, with the times they were (re)installed."""
    try:
        with os.scandir(entry or ".") as found:
            names = sorted(f"{item.name}@{item.stat().st_mtime_ns}" for item in found
                           if item.name.endswith((".dist-info", ".egg-info")))
    except OSError:
        names = []
    return f"{entry}={','.join(names)}"


def fingerprint(config: Config) -> str:
    """A hash of everything that can change what the installed plugins register."""
    from dosaku import __version__
    from dosaku.directory_plugins import directories_signature, plugin_directories

    directories = plugin_directories(config)
    roots = tuple(str(d.resolve()) + os.sep for d in directories)
    parts = [str(FORMAT), __version__, sys.executable, sys.version]
    parts += [_distributions(entry) for entry in sys.path if not os.path.realpath(entry).startswith(roots)]
    parts.append(f"plugin folders={directories_signature(directories)}")
    variables = {name for name in os.environ if name.startswith("DOSAKU_")} | set(ENVIRONMENT_OVERRIDES.values())
    parts += [f"{name}={os.environ.get(name, '')}" for name in sorted(variables)]
    parts.append(f"{config.path}={_mtime(config.path)}")
    data = "\n".join(parts).encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"  # zlib: hashlib's OpenSSL load costs ~7 ms a start


def cache_path(config: Config) -> Path:
    return config.cache_dir / "registry.json"


def _plugin_files(manager: PluginManager) -> dict[str, int]:
    files = {}
    for _, plugin in manager.list_name_plugin():
        path = getattr(plugin, "__file__", None)
        if path:
            files[path] = _mtime(path)
    return files


def _dump(registry: Registry, key: str, files: dict[str, int]) -> dict[str, Any]:
    def spec(item: TaskSpec | ModuleSpec) -> dict[str, Any]:
        return asdict(item)

    return {
        "fingerprint": key,
        "files": files,
        "tasks": [spec(item) for item in registry.tasks.values()],
        "modules": [spec(item) for item in registry.modules.values()],
        "failures": [asdict(item) for item in registry.failures],
        "sources": registry.sources,
    }


def _load(data: dict[str, Any]) -> Registry:
    registry = Registry()
    for item in data["tasks"]:
        registry.tasks[item["name"]] = TaskSpec(**item)
    for item in data["modules"]:
        registry.modules[item["name"]] = ModuleSpec(**{**item, "tasks": tuple(item["tasks"])})
    registry.failures = [PluginFailure(**item) for item in data["failures"]]
    registry.sources = {name: tuple(source) for name, source in data["sources"].items()}  # type: ignore[misc]
    return registry


def _read(path: Path, key: str) -> Registry | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("fingerprint") != key:
        return None
    if any(_mtime(file) != mtime for file, mtime in data.get("files", {}).items()):
        return None
    try:
        return _load(data)
    except (KeyError, TypeError, ValueError):
        return None


def _write(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:  # a read-only home must not break the agent
        log.debug("could not write the registry cache %s: %s", path, error)


def _cacheable(registry: Registry) -> bool:
    specs = [*registry.tasks.values(), *registry.modules.values()]
    return all(isinstance(spec.target, str) for spec in specs)


def _activate_folders(config: Config) -> None:
    """Make the user's plugin folders importable (the cached specs name targets inside them)."""
    from dosaku.directory_plugins import activate, discover, plugin_directories

    plugins = discover(plugin_directories(config))[0]
    for plugin in plugins:
        activate(plugin, invalidate=False)
    if plugins:
        importlib.invalidate_caches()


def load_registry(config: Config, build_manager: Callable[[], PluginManager]) -> Registry:
    """The registry of the installed plugins: from the cache when it is current, else collected (and cached).

    Args:
        config: The configuration passed to the plugins' hooks.
        build_manager: Makes the plugin manager, called only when the cache cannot be used.
    """
    if not enabled():
        return Registry.collect(build_manager(), config)
    key, path = fingerprint(config), cache_path(config)
    registry = _read(path, key)
    if registry is not None:
        _activate_folders(config)
        return registry
    manager = build_manager()
    registry = Registry.collect(manager, config)
    if _cacheable(registry):
        _write(path, _dump(registry, key, _plugin_files(manager)))
    return registry
