"""A cache of what the installed plugins register, so an agent can list and learn tasks without importing pluggy
or any plugin when nothing changed.

The cache is one file per environment, ``registry/<fingerprint>.marshal`` in the user cache directory, the
fingerprint covering Dosaku's version, the interpreter, ``sys.path``, the data directory (where plugin folders live
by default), the config file's path and the ``DOSAKU_*`` and key environment variables (checksummed, never stored).
Several virtual environments or config files so each keep theirs (the :data:`KEEP` most recently written are kept).
A file is used only while what it recorded still holds: the distributions installed in every ``sys.path`` entry
(their ``.dist-info``/``.egg-info`` folders, with the times they were installed; an entry whose directory was not
modified since is not listed again), the config file's size and modification time, each plugin's own source file
(so editing a plugin under development invalidates it), and the folders in the user's plugin directories
(:mod:`dosaku.directory_plugins`), as they were configured. ``DOSAKU_NO_REGISTRY_CACHE=1`` turns it off; strict
plugin mode and in-process plugin managers never use it.

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

FORMAT = 3
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
    return ",".join(names)


def _path_entries() -> list[str]:
    """``sys.path``, less the plugin folders' code directories this process put there."""
    return [entry for entry in sys.path if not activated(entry)]


def fingerprint(config_file: str | os.PathLike[str]) -> str:
    """A hash of the environment the cache is kept for (its file name): Dosaku's version, the interpreter,
    ``sys.path``, the data directory, the config file's path and the ``DOSAKU_*`` and key environment variables.

    What is installed in each ``sys.path`` entry, the config file's contents and the plugin files and folders are
    checked against what the cache recorded (see :func:`is_current`).
    """
    parts = [str(FORMAT), __version__, sys.executable, sys.version, locations.user_dir("data"), os.fspath(config_file)]
    parts += _path_entries()
    variables = {name for name in os.environ if name.startswith("DOSAKU_")}
    variables |= set(locations.ENVIRONMENT_OVERRIDES.values())
    parts += [f"{name}={os.environ.get(name, '')}" for name in sorted(variables)]
    data = "\n".join(parts).encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"  # zlib: hashlib's OpenSSL load costs ~7 ms a start


def _installs() -> list[tuple[str, int, str]]:
    """``(entry, modification time, distributions)`` of each ``sys.path`` entry."""
    return [(entry, _mtime(entry or "."), _distributions(entry)) for entry in _path_entries()]


def _installs_unchanged(recorded: list[tuple[str, int, str]]) -> bool:
    """Whether the distributions installed in ``sys.path`` are those ``recorded``. An entry whose directory was not
    modified since cannot have gained or lost one (installing, upgrading or removing a distribution adds or removes a
    ``.dist-info`` folder there), so only modified entries (e.g. the working directory) are listed again."""
    if [entry for entry, _, _ in recorded] != _path_entries():
        return False
    return all(_mtime(entry or ".") == mtime or _distributions(entry) == names for entry, mtime, names in recorded)


def _config_state(config_file: str) -> tuple[int, int]:
    try:
        stat = os.stat(config_file)
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)


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
    """A record's fields in order: what its constructor takes back (see :func:`_load`)."""
    return tuple(item.as_dict().values())


def _dump(registry: Registry, key: str, state: dict[str, Any], manager: PluginManager) -> dict[str, Any]:
    from dosaku.directory_plugins import discover

    folders = [(os.fspath(plugin.folder), os.fspath(plugin.src)) for plugin in discover(state["directories"])[0]]
    return {
        "format": FORMAT,
        "fingerprint": key,
        **state,
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


def _read(path: str, key: str, config_file: str) -> dict[str, Any] | None:
    """The cache's contents when it is current for ``key`` and ``config_file``, else None."""
    try:
        with open(path, "rb") as file:
            data = marshal.load(file)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("fingerprint") != key:
        return None
    try:
        if tuple(data["config"]) != _config_state(config_file) or not _installs_unchanged(data["installs"]):
            return None
        if any(_mtime(file) != mtime for file, mtime in data["files"].items()):
            return None
        if directories_signature(data["directories"]) != data["folders_signature"]:
            return None
    except (KeyError, AttributeError, TypeError, ValueError):
        return None
    return data


def is_current(config_file: str | os.PathLike[str]) -> bool:
    """Whether the cache is there and current (the next agent start would use it).

    Example::

        is_current(Config().path)   # False right after `pip install` of a plugin
    """
    key = fingerprint(config_file)
    return _read(cache_path(key), key, os.fspath(config_file)) is not None


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
        config_file: The config file in use (its path is part of the fingerprint; its size and modification time
            are checked).
        config: Gives the configuration, asked only when the cache cannot be used (it parses the file).
        build_manager: Makes the plugin manager, called only when the cache cannot be used.

    Example::

        registry, directories, signature = load_registry(locations.config_file(), Config, plugin_manager)
    """
    use_cache = enabled()
    key = fingerprint(config_file) if use_cache else ""
    path = cache_path(key)
    if use_cache:
        data = _read(path, key, config_file)
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

    state = {"config": _config_state(config_file), "installs": _installs()}  # taken before collecting: what changes
    directories = [os.fspath(directory) for directory in plugin_directories(config())]  # meanwhile is seen next time
    state.update(directories=directories, folders_signature=directories_signature(directories))
    manager = build_manager()
    registry = Registry.collect(manager, config())
    if use_cache and _cacheable(registry):
        _write(path, _dump(registry, key, state, manager))
    return registry, directories, state["folders_signature"]
