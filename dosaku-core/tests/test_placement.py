"""The placement hook: where a learned module runs is configuration; permissions come first, sharing per placement."""
from __future__ import annotations

import pickle
import types

import modules_for_tests as m
import pytest
from dosaku import ModuleSpec, ServicePermissionRequired, hookimpl
from dosaku.config import Config
from dosaku.errors import ModuleDoesNotImplementTask, ModuleLoadError, PlacementNotAvailable
from dosaku.placement import ModuleFactory
from dosaku.testing import in_process_plugin, isolated_agent


class StandIn:
    """What a placement plugin returns: calls the module built by ``factory()`` (here, in this process)."""

    def __init__(self, factory, spec):
        self.module, self.spec, self.meter, self.unloaded = factory(), spec, None, False

    def message(self, message, **kwargs):
        return f"elsewhere/{self.module.message(message, **kwargs)}"

    def unload(self):
        self.unloaded = True


def placement_plugin(calls):
    plugin = types.ModuleType("elsewhere-placement")

    @hookimpl
    def dosaku_placement(placement, spec, factory, agent):
        calls.append((placement, spec.name, agent))
        if placement != "elsewhere":
            return None
        pickle.dumps(factory)  # a placement may send the factory to another process
        return StandIn(factory, spec)

    plugin.dosaku_placement = dosaku_placement
    return plugin


MODULES = in_process_plugin(
    "placed-modules",
    modules=[
        ModuleSpec("LocalChat", ("Chat",), target="modules_for_tests:LocalChat"),
        ModuleSpec("PaidChat", ("Chat",), target="modules_for_tests:PaidChat", kind="service"),
        ModuleSpec("SharedChat", ("Chat",), target="modules_for_tests:LocalChat", shareable=True),
    ],
)


@pytest.fixture
def calls():
    return []


def test_placement_argument_routes_through_the_hook(calls):
    agent = isolated_agent(MODULES, placement_plugin(calls))
    agent.learn("Chat", module="LocalChat", placement="elsewhere")
    assert agent.Chat("hi") == "elsewhere/local: hi"
    assert isinstance(agent.Chat.module, StandIn)
    assert calls == [("elsewhere", "LocalChat", agent)]
    agent.unlearn("Chat")
    assert calls[-1][0] == "elsewhere" and len(calls) == 1


def test_placement_from_config_and_local_by_default(calls):
    config = Config(path="/nonexistent/x.ini", environ={"DOSAKU_PLACEMENT__LOCALCHAT": "Elsewhere"})
    agent = isolated_agent(MODULES, placement_plugin(calls), config=config)
    agent.learn("Chat", module="LocalChat")
    assert agent.Chat("a") == "elsewhere/local: a"
    agent.learn("Chat", module="LocalChat", placement="local")  # the argument wins over the config
    assert agent.Chat("b") == "local: b" and len(calls) == 1


def test_unknown_placement_is_a_clear_error_and_leaves_the_agent_unchanged(calls):
    agent = isolated_agent(MODULES, placement_plugin(calls))
    with pytest.raises(PlacementNotAvailable) as info:
        agent.learn("Chat", module="LocalChat", placement="ray")
    assert "No installed plugin places modules on 'ray'" in str(info.value)
    assert "pip install dosaku-ray" in str(info.value) and "placement='local'" in str(info.value)
    assert agent.tasks == [] and calls == [("ray", "LocalChat", agent)]


def test_permission_is_checked_before_placement(calls):
    agent = isolated_agent(MODULES, placement_plugin(calls))
    built = m.PaidChat.built
    with pytest.raises(ServicePermissionRequired):
        agent.learn("Chat", module="PaidChat", placement="elsewhere")
    assert calls == [] and m.PaidChat.built == built


def test_a_placed_service_gets_its_meter(calls):
    agent = isolated_agent(MODULES, placement_plugin(calls), enable_services=True)
    agent.learn("Chat", module="PaidChat", placement="elsewhere")
    assert agent.Chat.module.meter.service == "PaidChat"


def test_shared_modules_are_pooled_per_placement(calls):
    plugin = placement_plugin(calls)
    one, two = isolated_agent(MODULES, plugin), isolated_agent(MODULES, plugin)
    one.learn("Chat", module="SharedChat", placement="elsewhere")
    two.learn("Chat", module="SharedChat", placement="elsewhere")
    local = isolated_agent(MODULES, plugin)
    local.learn("Chat", module="SharedChat")
    assert one.Chat.module is two.Chat.module and len(calls) == 1
    assert not isinstance(local.Chat.module, StandIn)
    one.unlearn("Chat")
    assert not two.Chat.module.unloaded
    stand_in = two.Chat.module
    two.unlearn("Chat")
    assert stand_in.unloaded
    local.unlearn("Chat")


def test_a_placed_modules_class_is_imported_where_it_is_built_not_here(calls):
    """The agent imports nothing of a placed module: its target is imported by the factory, where it is placed
    (here the stand-in calls the factory later, on its first use)."""

    class LazyStandIn:
        def __init__(self, factory):
            self.factory, self.built = factory, None

        def message(self, message, **kwargs):
            self.built = self.built or self.factory()
            return self.built.message(message)

    plugin = types.ModuleType("lazy-placement")
    plugin.dosaku_placement = hookimpl(lambda placement, spec, factory, agent: LazyStandIn(factory))
    modules = in_process_plugin("far", modules=[ModuleSpec("FarChat", ("Chat",), target="far_away_module:FarChat")])
    agent = isolated_agent(modules, plugin)
    agent.learn("Chat", module="FarChat", placement="far")  # far_away_module does not exist in this process
    assert agent.learned["Chat"].actions == ("message",)
    with pytest.raises(ModuleNotFoundError, match="far_away_module"):
        agent.Chat("hi")  # ... only where it is built


def test_a_stand_in_without_the_tasks_actions_fails_the_learn_and_is_unloaded(calls):
    class Mute:
        unloaded = False

        def unload(self):
            self.unloaded = True

    mute = Mute()
    plugin = types.ModuleType("mute-placement")
    plugin.dosaku_placement = hookimpl(lambda placement, spec, factory, agent: mute)
    agent = isolated_agent(MODULES, plugin)
    with pytest.raises(ModuleDoesNotImplementTask, match="missing action\\(s\\) message"):
        agent.learn("Chat", module="LocalChat", placement="mute")
    assert agent.tasks == [] and mute.unloaded


def test_the_factory_refuses_a_class_claiming_more_power_than_its_spec():
    factory = ModuleFactory(ModuleSpec("Sneaky", ("Chat",), target="modules_for_tests:PaidChat"), None, {})
    with pytest.raises(ModuleLoadError, match="'Sneaky' is a service but its spec says 'module'"):
        factory()
    executor_spec = ModuleSpec("Pondered", ("Chat",), target="modules_for_tests:LocalChat", kind="executor")
    assert ModuleFactory(executor_spec, None, {})().message("x") == "local: x"  # a stricter spec is fine
