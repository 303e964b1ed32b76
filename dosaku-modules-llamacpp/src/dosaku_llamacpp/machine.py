"""What this machine has for a model: RAM (``/proc/meminfo``, else ``os.sysconf``) and free disk space.

These are measured when a pull or a load asks; the functions that check take the measurements as parameters so
that callers (and tests) can pass their own.

Example::

    memory()                       # Memory(total=25_000_000_000, available=22_000_000_000)
    free_disk('~/.local/share/dosaku/models')   # bytes free on that folder's disk
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

MEMINFO = "/proc/meminfo"


@dataclass(frozen=True)
class Memory:
    """The machine's RAM in bytes: all of it, and what can be used now without swapping."""

    total: int
    available: int


def memory(meminfo: str = MEMINFO) -> Memory:
    """The machine's RAM: ``MemTotal`` and ``MemAvailable`` from ``/proc/meminfo``, else ``os.sysconf``."""
    try:
        values: dict[str, int] = {}
        with open(meminfo, encoding="ascii") as file:
            for line in file:
                key, _, rest = line.partition(":")
                parts = rest.split()
                if parts and parts[0].isdigit():
                    values[key] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
        total = values["MemTotal"]
        return Memory(total, values.get("MemAvailable", values.get("MemFree", total)))
    except (OSError, KeyError, ValueError):
        page = os.sysconf("SC_PAGE_SIZE")
        total = page * os.sysconf("SC_PHYS_PAGES")
        try:
            available = page * os.sysconf("SC_AVPHYS_PAGES")
        except (ValueError, OSError):
            available = total
        return Memory(total, available)


def free_disk(path: str | os.PathLike[str]) -> int:
    """Bytes free on the disk that holds ``path`` (its nearest existing folder, when it does not exist yet)."""
    folder = Path(path).expanduser().absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free
