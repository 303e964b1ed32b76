"""Byte counts as people read them (decimal units, like Hugging Face and disk vendors)."""
from __future__ import annotations


def human_bytes(size: int | float) -> str:
    """``1117320736`` -> ``'1.12 GB'``; ``491400032`` -> ``'491 MB'``.

    Example::

        human_bytes(2_104_932_768)  # '2.10 GB'
    """
    size = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            break
        size /= 1000
    if unit == "B":
        return f"{int(size)} B"
    return f"{size:.2f} {unit}" if abs(size) < 10 else f"{size:.0f} {unit}"
