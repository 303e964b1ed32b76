"""Placement on a real two-node cluster: values, errors, state per agent, resources, unlearn, scaling."""
from __future__ import annotations

import time

import numpy as np
import pytest
from dosaku.errors import ConfigError, ModuleLoadError
from dosaku_ray import DeploymentTimeout, ResourcesUnavailable
from dosaku_ray.testing import BusyBot
from PIL import Image
from ray_test_helpers import assert_on_worker, dosaku_apps, ray_config, wait_for


def test_images_and_arrays_pass_as_values(make_agent, ray_cluster):
    agent = make_agent()
    agent.learn("Busywork", placement="ray")
    assert_on_worker(agent.Busywork.module, ray_cluster)
    image = Image.new("RGB", (4, 3), (10, 20, 30))
    inverted = agent.Busywork.invert(image)
    assert isinstance(inverted, Image.Image) and inverted.getpixel((0, 0)) == (245, 235, 225)
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(agent.Busywork.invert(array), 255 - array)
    assert agent.Busywork(1000) == BusyBot().spin(1000)


def test_remote_errors_arrive_as_the_same_types(make_agent):
    agent = make_agent()
    agent.learn("Busywork", placement="ray")
    with pytest.raises(ValueError, match="rounds must be a whole number >= 0, not -1") as info:
        agent.Busywork.spin(-1)
    assert "Raised by BusyBot on Ray" in info.value.__notes__[0]
    with pytest.raises(TypeError, match="invert expects a PIL image or a numpy array, got str"):
        agent.Busywork.invert("no")


def test_a_constructor_error_arrives_at_learn_and_nothing_stays_deployed(make_agent):
    agent = make_agent()
    with pytest.raises(ModuleLoadError, match="The module 'BusyBot' failed to start: ValueError: no weights here"):
        agent.learn("Busywork", placement="ray", fail="no weights here")
    assert agent.tasks == [] and dosaku_apps() == []


def test_streaming_goes_through_the_handle_item_by_item(make_agent):
    agent = make_agent()
    agent.learn("Chat", module="EchoBot", placement="ray")
    stream = agent.Chat.message("one two three", stream=True)
    assert not isinstance(stream, (str, list))
    assert next(stream) == "Hi,"
    assert list(stream)[-1] == "Hi, I'm EchoBot. You said: one two three"
    stopped_early = agent.Chat.message("a b c d", stream=True)
    assert next(stopped_early) == "Hi,"
    stopped_early.close()  # the replica's generator is cancelled; the module keeps working
    assert agent.Chat("again") == "Hi, I'm EchoBot. You said: again"


def test_two_agents_keep_their_own_state(make_agent):
    alice, bob = make_agent(), make_agent()
    alice.learn("Chat", module="EchoBot", placement="ray")
    bob.learn("Chat", module="EchoBot", placement="ray")
    alice.Chat("I am Alice")
    bob.Chat("I am Bob")
    bob.Chat("Still Bob")
    assert [turn["content"] for turn in alice.Chat.history() if turn["role"] == "user"] == ["I am Alice"]
    assert [turn["content"] for turn in bob.Chat.history() if turn["role"] == "user"] == ["I am Bob", "Still Bob"]
    alice.Chat.reset()
    assert alice.Chat.history() == [] and len(bob.Chat.history()) == 4
    assert alice.Chat.module.deployment.app != bob.Chat.module.deployment.app


def test_unlearn_removes_only_what_that_agent_used(make_agent):
    alice, bob = make_agent(), make_agent()
    alice.learn("Chat", module="EchoBot", placement="ray")
    bob.learn("Chat", module="EchoBot", placement="ray")
    alice.learn("Busywork", placement="ray")
    bob.learn("Busywork", placement="ray")
    shared = alice.Busywork.module.deployment.app
    assert bob.Busywork.module is alice.Busywork.module and shared == "dosaku-BusyBot"
    alice_chat, bob_chat = alice.Chat.module.deployment.app, bob.Chat.module.deployment.app
    assert dosaku_apps() == sorted([alice_chat, bob_chat, shared])
    alice.unlearn("Chat")
    alice.unlearn("Busywork")
    assert dosaku_apps() == sorted([bob_chat, shared])
    assert bob.Busywork.spin(10) == BusyBot().spin(10)  # the shared deployment still serves bob
    bob.unlearn("Busywork")
    bob.unlearn("Chat")
    assert dosaku_apps() == []


def test_stateless_replicas_scale(make_agent):
    agent = make_agent(config=ray_config(RAY__REPLICAS_BUSYBOT="2"))
    agent.learn("Busywork", placement="ray")
    from ray import serve

    states = serve.status().applications["dosaku-BusyBot"].deployments["BusyBot"].replica_states
    assert sum(count for state, count in states.items() if str(state).endswith("RUNNING")) == 2
    pids = {agent.Busywork.module.replica_info()["pid"] for _ in range(30)}
    assert len(pids) == 2


def test_a_request_no_node_can_meet_fails_at_once(make_agent):
    agent = make_agent(config=ray_config(RAY__RESOURCES_BUSYBOT='{"gpu_box": 1}'))
    started = time.monotonic()
    with pytest.raises(ResourcesUnavailable) as info:
        agent.learn("Busywork", placement="ray")
    message = str(info.value)
    assert (
        "Cannot place BusyBot on the Ray cluster: it needs CPU=1, gpu_box=1 per replica, and no node has that"
        in message
    )
    assert "worker_box=8" in message and "[RAY] RESOURCES_BUSYBOT" in message.upper()
    assert time.monotonic() - started < 30 and agent.tasks == [] and dosaku_apps() == []


def test_a_request_the_busy_cluster_cannot_meet_now_times_out(make_agent):
    config = ray_config(RAY__RESOURCES_BUSYBOT='{"worker_box": 8}', RAY__DEPLOY_TIMEOUT_S="3")
    holder = make_agent()
    holder.learn("Chat", module="EchoBot", placement="ray")  # takes 1 of the worker's 8 worker_box
    agent = make_agent(config=config)
    with pytest.raises(DeploymentTimeout, match=r"The replicas of BusyBot did not start within 3 s, so the deploy"):
        agent.learn("Busywork", placement="ray")
    wait_for(lambda: dosaku_apps() == [holder.Chat.module.deployment.app], what="the timed-out app to go")


def test_bad_resource_config_is_a_config_error(make_agent):
    agent = make_agent(config=ray_config(RAY__RESOURCES_BUSYBOT="gpu_box=1"))
    with pytest.raises(ConfigError, match=r'\[RAY\] RESOURCES_BusyBot must be a JSON object such as'):
        agent.learn("Busywork", placement="ray")


def test_placement_from_config_alone(make_agent, ray_cluster):
    agent = make_agent(config=ray_config(PLACEMENT__ECHOBOT="ray"))
    agent.learn("Chat")
    assert type(agent.Chat.module).__name__ == "RemoteEchoBot"
    assert_on_worker(agent.Chat.module, ray_cluster)
