"""Writing a pondered plugin: staged in a hidden folder of the plugins directory (the agent skips hidden folders),
then moved into place in one rename. A plugin that did not validate goes to ``.failed/`` instead, for the user to
read, never where the agent loads plugins. ``PROVENANCE.json`` records how it was made."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from dosaku.errors import DosakuError

PROVENANCE = "PROVENANCE.json"


class PonderError(DosakuError):
    """Ponder could not do what was asked (the message says how to fix it)."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_target(folder: Path) -> None:
    """Refuse to replace a folder Ponder did not write (before any model call, so nothing is spent).

    Raises:
        PonderError: ``folder`` exists and has no ``PROVENANCE.json``.
    """
    if folder.exists() and not (folder / PROVENANCE).is_file():
        raise PonderError(
            f"{folder} already exists and was not written by Ponder, so it is left alone. Pass another "
            f"save_filename, or move that folder away."
        )


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def write_plugin(directory: Path, name: str, files: dict[str, str], provenance: dict[str, Any],
                 validated: bool) -> Path:
    """Write ``files`` (relative path -> text) and the provenance as the plugin folder ``name``; returns it.

    A validated plugin replaces an earlier pondered folder of the same name (kept in ``.replaced/``); one that did
    not validate goes to ``.failed/<name>-<time>``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stage = Path(tempfile.mkdtemp(prefix=f".ponder-{name}-", dir=directory))
    try:
        _write_tree(stage, files)
        record = {**provenance, "files": {path: sha256(text) for path, text in sorted(files.items())}}
        (stage / PROVENANCE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        if not validated:
            target = directory / ".failed" / f"{name}-{stamp}-{os.getpid()}"
            target.parent.mkdir(exist_ok=True)
            os.replace(stage, target)
            return target
        target = directory / name
        check_target(target)
        if target.exists():
            backup = directory / ".replaced" / f"{name}-{stamp}-{os.getpid()}"
            backup.parent.mkdir(exist_ok=True)
            os.replace(target, backup)
        os.replace(stage, target)
        return target
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
