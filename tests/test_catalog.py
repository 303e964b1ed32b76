"""The catalog shipped with core matches the packs' own registrations in this repository, so it cannot drift."""
from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import pytest
from dosaku.catalog import Catalog
from dosaku.config import Config
from dosaku.plugins import Registry, plugin_manager

REPO = Path(__file__).parents[1]
PACK_FOLDERS = sorted(REPO.glob("dosaku-modules-*"))


def project(folder: Path) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text())["project"]


def registrations(folder: Path) -> Registry:
    """What the pack's plugins register, loaded from its source folder."""
    sys.path.insert(0, str(folder / "src"))
    try:
        plugins = [importlib.import_module(target) for target in project(folder)["entry-points"]["dosaku"].values()]
    finally:
        sys.path.remove(str(folder / "src"))
    core = Registry.collect(plugin_manager(entry_points=False), Config("/none", {}))
    registry = Registry.collect(plugin_manager(*plugins, entry_points=False), Config("/none", {}))
    assert not registry.failures, registry.failures
    for name in core.tasks:  # what the pack itself registers
        del registry.tasks[name]
    for name in core.modules:
        del registry.modules[name]
    return registry


def test_every_pack_in_the_repository_is_in_the_catalog_and_back():
    in_repo = {project(folder)["name"] for folder in PACK_FOLDERS}
    assert in_repo, "no pack folders found"
    assert {pack.distribution for pack in Catalog.load().packs} == in_repo


@pytest.mark.parametrize("folder", PACK_FOLDERS, ids=lambda folder: folder.name)
def test_catalog_entry_matches_the_registrations(folder):
    pack = Catalog.load().pack(project(folder)["name"])
    registry = registrations(folder)
    assert {m.name: (tuple(m.tasks), m.kind) for m in pack.modules} == {
        spec.name: (tuple(spec.tasks), spec.kind) for spec in registry.modules.values()
    }
    assert set(pack.tasks) == set(registry.tasks)
    assert pack.requirement.startswith(pack.distribution)


def test_catalog_lookups():
    catalog = Catalog.load()
    assert catalog.pack("dosaku_modules_tencent") is catalog.pack("dosaku-modules-tencent")
    assert catalog.packs_for_task("NoSuchTask") == []
    chat_packs = catalog.packs_for_task("Chat")
    assert "module" in chat_packs[0].kinds  # a local module before a service
