"""The catalog of known module packs: what each would add, so the agent can offer to install it.

The catalog is one data file shipped with core (``catalog.json``); a test checks it against the packs' own
registrations in this repository, so it cannot drift.

Example::

    from dosaku.catalog import Catalog

    catalog = Catalog.load()
    catalog.packs_for_task('RestoreFaces')[0].distribution   # 'dosaku-modules-tencent'
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CatalogModule:
    """A module a pack provides."""

    name: str
    tasks: tuple[str, ...]
    kind: str = "module"


@dataclass(frozen=True)
class Pack:
    """A module pack: a distribution that, installed, adds modules (and maybe tasks).

    Attributes:
        distribution: The distribution name, e.g. ``'dosaku-modules-tencent'``.
        requirement: What pip installs, with its version range.
        summary: One line saying what it is for.
        modules: The modules it registers.
        tasks: The task specs it adds (beyond core's).
        download_mb: Approximate download size, with its dependencies.
        notes: What else to know (GPU, compile time, services).
    """

    distribution: str
    requirement: str
    summary: str = ""
    modules: tuple[CatalogModule, ...] = ()
    tasks: tuple[str, ...] = ()
    download_mb: float | None = None
    notes: str = ""

    @property
    def provides(self) -> set[str]:
        """Every task a module of this pack does."""
        return {task for module in self.modules for task in module.tasks}

    @property
    def kinds(self) -> set[str]:
        return {module.kind for module in self.modules}

    def describe(self) -> str:
        size = f", about {self.download_mb:g} MB" if self.download_mb else ""
        notes = f"; {self.notes}" if self.notes else ""
        return f"{self.distribution} ({self.summary.rstrip('.')}{size}{notes})"


@dataclass
class Catalog:
    """The known packs."""

    packs: list[Pack] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Catalog:
        packs = []
        for item in data.get("packs", []):
            modules = tuple(
                CatalogModule(module["name"], tuple(module["tasks"]), module.get("kind", "module"))
                for module in item.get("modules", [])
            )
            packs.append(
                Pack(
                    distribution=item["distribution"],
                    requirement=item.get("requirement", item["distribution"]),
                    summary=item.get("summary", ""),
                    modules=modules,
                    tasks=tuple(item.get("tasks", [])),
                    download_mb=item.get("download_mb"),
                    notes=item.get("notes", ""),
                )
            )
        return cls(packs)

    @classmethod
    def load(cls) -> Catalog:
        """The catalog shipped with this version of Dosaku."""
        from importlib import resources  # only when the catalog is read: it costs every start milliseconds

        text = resources.files("dosaku").joinpath("catalog.json").read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))

    def pack(self, name: str) -> Pack | None:
        """The pack named ``name`` (its distribution name), if known."""
        wanted = name.lower().replace("_", "-")
        return next((pack for pack in self.packs if pack.distribution == wanted), None)

    def packs_for_task(self, task: str) -> list[Pack]:
        """The packs that would make ``task`` doable, local modules first, then smaller downloads."""
        found = [pack for pack in self.packs if task in pack.provides]
        return sorted(found, key=lambda pack: ("module" not in pack.kinds, pack.download_mb or 0))

    def tasks(self) -> set[str]:
        """Every task some pack would make doable."""
        return {task for pack in self.packs for task in pack.provides}
