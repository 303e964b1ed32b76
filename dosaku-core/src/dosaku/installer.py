"""Installing and uninstalling module packs with the pip of the running interpreter, always with consent."""
from __future__ import annotations

import logging
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dosaku.catalog import Catalog, Pack
from dosaku.config import Config
from dosaku.errors import DosakuError

log = logging.getLogger(__name__)


class InstallError(DosakuError):
    """pip failed; the message holds the end of its output."""


class InstallNotConfirmed(DosakuError, PermissionError):
    """An install or uninstall was asked for without the user's consent."""


class UnknownPack(DosakuError, LookupError):
    """No pack in the catalog is, or provides, what was asked for."""

    def __init__(self, name: str, catalog: Catalog):
        from dosaku.errors import close_matches

        known = [*catalog.tasks(), *(pack.distribution for pack in catalog.packs)]
        matches = close_matches(name, known)
        hint = f" Did you mean: {', '.join(matches)}?" if matches else ""
        super().__init__(
            f"No known pack is or provides {name!r}.{hint} See `dosaku tasks --all`; "
            f"to install a pack that is not in the catalog, give its wheel or folder with --from (source=)."
        )


@dataclass(frozen=True)
class InstallPlan:
    """What an install (or uninstall) would do, to show the user before asking for consent."""

    action: str  # 'install' or 'uninstall'
    target: str  # what pip is given: a requirement, a wheel or a distribution name
    pack: Pack | None
    command: list[str] = field(default_factory=list)

    def describe(self) -> str:
        what = self.pack.describe() if self.pack else self.target
        return f"{self.action} {what}\n  command: {' '.join(self.command)}"


def pip_options(config: Config) -> list[str]:
    """pip options from config ``[INSTALL]``: INDEX_URL, EXTRA_INDEX_URL, FIND_LINKS, CONSTRAINTS."""
    options = []
    for key, flag in (("INDEX_URL", "--index-url"), ("EXTRA_INDEX_URL", "--extra-index-url"),
                      ("FIND_LINKS", "--find-links"), ("CONSTRAINTS", "--constraint")):
        value = config.get("INSTALL", key)
        if value:
            options += [flag, value]
    return options


def resolve(name: str, catalog: Catalog) -> Pack | None:
    """The pack for ``name``: a pack's distribution name, or a task one pack provides."""
    pack = catalog.pack(name)
    if pack is not None:
        return pack
    candidates = catalog.packs_for_task(name)
    return candidates[0] if candidates else None


def install_plan(name: str, catalog: Catalog, config: Config, source: str | Path | None = None) -> InstallPlan:
    """How to install ``name`` (a pack or a task), from the package index or from ``source``.

    Args:
        name: A pack's distribution name, or a task that a pack provides.
        source: A directory of wheels (offline install) or one wheel file.
    """
    pack = resolve(name, catalog)
    if pack is None and not (source and Path(source).is_file()):
        raise UnknownPack(name, catalog)
    target = pack.requirement if pack else str(source)
    options = pip_options(config)
    if source is not None:
        source = Path(source).expanduser().resolve()
        if source.is_dir():
            options = ["--no-index", "--find-links", str(source), *options]
        elif source.is_file():
            target = str(source)
        else:
            raise InstallError(f"There is no wheel or directory at {source}; give --from a wheel file or a folder.")
    command = [sys.executable, "-m", "pip", "install", "--progress-bar", "on", *options, target]
    return InstallPlan("install", target, pack, command)


def uninstall_plan(name: str, catalog: Catalog) -> InstallPlan:
    """How to uninstall ``name`` (a pack's distribution name or a task one pack provides)."""
    pack = resolve(name, catalog)
    distribution = pack.distribution if pack else name
    command = [sys.executable, "-m", "pip", "uninstall", "--yes", distribution]
    return InstallPlan("uninstall", distribution, pack, command)


def run_pip(plan: InstallPlan, show: Callable[[str], None] | None = None) -> None:
    """Run ``plan``'s pip command, passing each output line to ``show`` (default: the log).

    Raises:
        InstallError: pip failed; the message holds the end of its output.
    """
    show = show or (lambda line: log.info("pip: %s", line))
    tail: deque[str] = deque(maxlen=15)
    with subprocess.Popen(plan.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1) as pip:
        assert pip.stdout is not None
        for line in pip.stdout:
            line = line.rstrip("\n")
            tail.append(line)
            show(line)
    if pip.returncode != 0:
        output = "\n".join(tail)
        raise InstallError(f"pip could not {plan.action} {plan.target} (exit code {pip.returncode}):\n{output}")
