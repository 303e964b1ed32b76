"""What an interpreter needs to run inside the sandbox: its prefixes and the directories on its ``sys.path`` (as
``python -I`` sees them), asked of the interpreter itself once per process.

Directories that would expose private data (a home directory itself, Dosaku's config or data directory, or any
directory above them) are never made visible, even when they are on ``sys.path``; they are listed as ``withheld``.
"""
from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dosaku_python.errors import SandboxError

PROBE = ("import json, sys; print(json.dumps({'executable': sys.executable, 'prefixes': sorted({sys.prefix, "
         "sys.base_prefix, sys.exec_prefix}), 'path': sys.path}))")
#: System directories the sandbox shows (read-only) whatever the interpreter.
SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf")


@dataclass(frozen=True)
class Interpreter:
    """An interpreter and the directories it needs (outermost only, real paths).

    Attributes:
        executable: The interpreter as given.
        directories: What the sandbox shows read-only for it (beyond the system directories).
        withheld: Directories on its path kept out because they hold or contain private data.
    """

    executable: str
    directories: tuple[str, ...]
    withheld: tuple[str, ...] = ()

    def readable_by_others(self) -> bool:
        """Whether a user with no relation to the files could reach and read every directory (so the sandbox can
        run as a dedicated unused uid); an interpreter under /root (mode 0700) cannot be."""
        return all(_reachable(Path(path)) for path in (*self.directories, os.path.realpath(self.executable)))


def _reachable(path: Path) -> bool:
    try:
        for parent in [*reversed(path.parents)]:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
        mode = os.stat(path).st_mode
    except OSError:
        return False
    needed = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    return mode & needed == needed


def private_directories() -> list[str]:
    """Directories whose contents are the user's own: homes, Dosaku's config and data directories."""
    private = {os.path.expanduser("~"), "/root", "/home"}
    try:
        from dosaku import Config

        config = Config()
        for attribute in ("path", "data_dir"):
            value = getattr(config, attribute, None)
            if value:
                private.add(str(Path(value).parent if attribute == "path" else value))
    except Exception:  # noqa: BLE001 - no config: nothing more to withhold
        pass
    return sorted(os.path.realpath(p) for p in private if p)


def _outermost(paths: set[str]) -> list[str]:
    ordered = sorted(paths)
    return [p for p in ordered if not any(p != o and p.startswith(o.rstrip("/") + "/") for o in ordered)]


def _under(path: str, parents: tuple[str, ...] | list[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in parents)


@functools.lru_cache(maxsize=16)
def probe(executable: str | None = None) -> Interpreter:
    """Ask ``executable`` (default: this interpreter) where it lives.

    Raises:
        SandboxError: it does not start.
    """
    executable = executable or sys.executable
    try:
        done = subprocess.run([executable, "-I", "-c", PROBE], capture_output=True, text=True, timeout=60, env={})
        found = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        raise SandboxError(f"The interpreter {executable} does not start: {error}") from error
    candidates = {os.path.realpath(p) for p in (*found["prefixes"], *found["path"]) if p and os.path.exists(p)}
    candidates.add(os.path.dirname(os.path.realpath(executable)))
    private = private_directories()
    keep, withheld = set(), []
    for path in candidates:
        if path == "/" or any(_under(secret, [path]) for secret in private):
            withheld.append(path)  # the path is a private directory or above one
        elif not _under(path, SYSTEM):
            keep.add(path)
    return Interpreter(executable, tuple(_outermost(keep)), tuple(sorted(withheld)))


def with_directories(interpreter: Interpreter, directories: tuple[str, ...]) -> Interpreter:
    """``interpreter`` with more directories to show (read-only), e.g. a plugin's source folder.

    Raises:
        SandboxError: one of them is (or contains) a private directory, or does not exist.
    """
    private = private_directories()
    extra = set()
    for directory in directories:
        path = os.path.realpath(directory)
        if not os.path.isdir(path):
            raise SandboxError(f"The directory {directory} to show in the sandbox does not exist.")
        if path == "/" or any(_under(secret, [path]) for secret in private):
            raise SandboxError(f"The directory {directory} holds private data (a home, or Dosaku's config or data "
                               f"directory): it is never shown in the sandbox; show a folder inside it instead.")
        extra.add(path)
    keep = _outermost({*interpreter.directories, *(p for p in extra if not _under(p, SYSTEM))})
    return Interpreter(interpreter.executable, tuple(keep), interpreter.withheld)
