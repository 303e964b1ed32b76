"""A cache of what the installed plugins register, so an agent can list and learn tasks without importing pluggy
or any plugin when nothing changed.

The cache (``registry/<fingerprint>.marshal`` in the user cache directory) is keyed by a fingerprint of everything
that can change what plugins register: Dosaku's version, the interpreter, the distributions installed in every
``sys.path`` entry (their ``.dist-info``/``.egg-info`` folders, with the times they were installed), the
``DOSAKU_*`` and key environment variables (checksummed, never stored), the data directory (where plugin folders
live by default), and the config file's size and modification time. Each plugin's own source file is checked too, so
editing a plugin under development invalidates it, and so does adding, removing or replacing a folder in the user's
plugin directories (:mod:`dosaku.directory_plugins`), which the cache records as they were configured when it was
written. There is one file per fingerprint, so several virtual environments, config files or working directories
each keep theirs (the :data:`KEEP` most recently written are kept). ``DOSAKU_NO_REGISTRY_CACHE=1`` turns it off;
strict plugin mode and in-process plugin managers never use it.

Reading it is the agent's whole start-up, so this module imports only what that needs: :mod:`marshal` (no
:mod:`json`), :mod:`zlib` (no :mod:`hashlib`), plain path strings (no :mod:`pathlib`), and no config parser (the
config file is parsed only when the cache cannot be used). ``benchmarks/bench_core.py`` measures it.
"""
from __future__ import annotations

import marshal
import os
import sys
import zlib

from dosaku import __version__, locations
from dosaku.directory_plugins import activate_folder, activated, directories_signature
from dosaku.plugin_failure import strict
from dosaku.registry import Registry
from dosaku.spec import ModuleSpec, TaskSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from dosaku.config import Config
    from dosaku.plugins import PluginManager

FORMAT = 2
#: How many cache files (fingerprints) are kept.
KEEP = 8


def enabled() -> bool:
    """Whether the registry cache may be used."""
    return not strict() and os.environ.get("DOSAKU_NO_REGISTRY_CACHE", "") in ("", "0")


def _mtime(path: str) -> int:
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


def fingerprint(config_file: str | os.PathLike[str]) -> str:
    """A hash of everything, but the plugin folders, that can change what the installed plugins register."""
    config_file = os.fspath(config_file)
    parts = [str(FORMAT), __version__, sys.executable, sys.version, locations.user_dir("data")]  # holds plugins
    parts += [_distributions(entry) for entry in sys.path if not activated(entry)]
    variables = {name for name in os.environ if name.startswith("DOSAKU_")}
    variables |= set(locations.ENVIRONMENT_OVERRIDES.values())
    parts += [f"{name}={os.environ.get(name, '')}" for name in sorted(variables)]
    try:
        stat = os.stat(config_file)
        parts.append(f"{config_file}={stat.st_size}:{stat.st_mtime_ns}")
    except OSError:
        parts.append(f"{config_file}=-")
    data = "\n".join(parts).encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"  # zlib: hashlib's OpenSSL load costs ~7 ms a start


def cache_path(key: str) -> str:
    """Where the cache for fingerprint ``key`` lives: ``registry/<key>.marshal`` in the user cache directory."""
    return os.path.join(locations.user_dir("cache"), "registry", f"{key}.marshal")


def _plugin_files(manager: PluginManager) -> dict[str, int]:
    files = {}
    for _, plugin in manager.list_name_plugin():
        path = getattr(plugin, "__file__", None)
        if path:
            files[path] = _mtime(path)
    return files


def _fields(item: Any) -> tuple[Any, ...]:
    return tuple(getattr(item, name) for name in item.__slots__)


def _dump(registry: Registry, key: str, directories: list[str], signature: str, manager: PluginManager
          ) -> dict[str, Any]:
    from dosaku.directory_plugins import discover

    folders = [(os.fspath(plugin.folder), os.fspath(plugin.src)) for plugin in discover(directories)[0]]
    return {
        "format": FORMAT,
        "fingerprint": key,
        "directories": directories,
        "folders_signature": signature,
        "folders": folders,
        "files": _plugin_files(manager),
        "tasks": [_fields(item) for item in registry.tasks.values()],
        "modules": [_fields(item) for item in registry.modules.values()],
        "failures": [_fields(item) for item in registry.failures],
        "sources": registry.sources,
    }


def _load(data: dict[str, Any]) -> Registry:
    registry = Registry()
    for fields in data["tasks"]:
        spec = TaskSpec(*fields)
        registry.tasks[spec.name] = spec
    for fields in data["modules"]:
        module = ModuleSpec(*fields)
        registry.modules[module.name] = module
    if data["failures"]:
        from dosaku.plugin_failure import PluginFailure

        registry.failures = [PluginFailure(*fields) for fields in data["failures"]]
    registry.sources = {name: tuple(source) for name, source in data["sources"].items()}  # type: ignore[misc]
    return registry


def _read(path: str, key: str) -> dict[str, Any] | None:
    """The cache's contents when it is current for ``key``, else None."""
    try:
        with open(path, "rb") as file:
            data = marshal.load(file)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("fingerprint") != key:
        return None
    try:
        if any(_mtime(file) != mtime for file, mtime in data["files"].items()):
            return None
        if directories_signature(data["directories"]) != data["folders_signature"]:
            return None
    except (KeyError, AttributeError, TypeError):
        return None
    return data


def is_current(config_file: str | os.PathLike[str]) -> bool:
    """Whether the cache is there and current (the next agent start would use it).

    Example::

        is_current(Config().path)   # False right after `pip install` of a plugin
    """
    key = fingerprint(config_file)
    return _read(cache_path(key), key) is not None


def _write(path: str, data: dict[str, Any]) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as file:
            marshal.dump(data, file)
        os.replace(temporary, path)
        _prune(os.path.dirname(path))
    except (OSError, ValueError) as error:  # a read-only home must not break the agent
        import logging

        logging.getLogger(__name__).debug("could not write the registry cache %s: %s", path, error)


def _prune(directory: str) -> None:
    """Keep the :data:`KEEP` most recently written cache files."""
    with os.scandir(directory) as entries:
        files = [(entry.stat().st_mtime_ns, entry.path) for entry in entries if entry.name.endswith(".marshal")]
    for _, path in sorted(files, reverse=True)[KEEP:]:
        try:
            os.remove(path)
        except OSError:
            pass  # another process removed it first


def _cacheable(registry: Registry) -> bool:
    specs = [*registry.tasks.values(), *registry.modules.values()]
    return all(isinstance(spec.target, str) for spec in specs)


def load_registry(
    config_file: str, config: Callable[[], Config], build_manager: Callable[[], PluginManager]
) -> tuple[Registry, list[str], str]:
    """The registry of the installed plugins, from the cache when it is current, else collected (and cached); the
    plugin directories it covers, and their :func:`~dosaku.directory_plugins.directories_signature` at the time.

    Args:
        config_file: The config file in use (its size and modification time are part of the fingerprint).
        config: Gives the configuration, asked only when the cache cannot be used (it parses the file).
        build_manager: Makes the plugin manager, called only when the cache cannot be used.

    Example::

        registry, directories, signature = load_registry(locations.config_file(), Config, plugin_manager)
    """
    use_cache = enabled()
    key = fingerprint(config_file) if use_cache else ""
    path = cache_path(key)
    if use_cache:
        data = _read(path, key)
        if data is not None:
            try:
                registry = _load(data)
            except (KeyError, AttributeError, TypeError, ValueError):
                pass  # written by an incompatible version: collect anew
            else:
                for folder, src in data["folders"]:  # the cached specs name targets inside them
                    activate_folder(folder, src, invalidate=False)
                if data["folders"]:
                    import importlib

                    importlib.invalidate_caches()
                return registry, list(data["directories"]), data["folders_signature"]
    from dosaku.directory_plugins import plugin_directories

    directories = [os.fspath(directory) for directory in plugin_directories(config())]
    signature = directories_signature(directories)  # before collecting: a folder added meanwhile is seen next time
    manager = build_manager()
    registry = Registry.collect(manager, config())
    if use_cache and _cacheable(registry):
        _write(path, _dump(registry, key, directories, signature, manager))
    return registry, directories, signature
