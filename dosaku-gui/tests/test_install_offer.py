"""The image tabs offer to install a pack for a task no module does, only where installs are allowed."""
from __future__ import annotations

import pytest
from dosaku.catalog import Catalog
from dosaku.testing import isolated_agent
from dosaku_gui.app import build_app
from dosaku_gui.options import GuiOptions

CATALOG = Catalog.from_dict({"packs": [{
    "distribution": "dosaku-modules-tencent", "requirement": "dosaku-modules-tencent", "summary": "Faces.",
    "modules": [{"name": "GFPGAN", "tasks": ["RestoreFaces"], "kind": "module"}],
}]})


def factory(enable_services=False):
    agent = isolated_agent(enable_services=enable_services)
    agent._catalog = CATALOG
    return agent


def element_ids(options):
    demo = build_app(options, factory)
    return {getattr(block, "elem_id", None) for block in demo.blocks.values()}


@pytest.mark.parametrize("options, offered", [
    (GuiOptions(), True),
    (GuiOptions(share=True), False),
    (GuiOptions(host="0.0.0.0"), False),
    (GuiOptions(host="0.0.0.0", allow_install=True), True),
    (GuiOptions(allow_install=False), False),
])
def test_install_offered_only_where_allowed(options, offered):
    ids = element_ids(options)
    assert ("RestoreFaces-install-button" in ids) is offered
    assert ("RestoreFaces-agree" in ids) is offered
    assert ("RestoreFaces-module" in ids) is offered  # the module list is there, to fill once installed
