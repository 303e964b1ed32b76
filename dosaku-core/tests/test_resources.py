"""The resource manager, with real torch modules on the CPU and a simulated budget for the CPU ([RESOURCES] CPU).

Each ``Block`` holds a real ``torch.nn.Linear`` of about 4 MB while loaded; ``live_mb()`` adds up the bytes of
every live block's real parameters, so "peak resident <= budget" is measured on real tensors, not bookkeeping.
"""
from __future__ import annotations

import abc
import logging
import threading
from typing import Any

import pytest
from dosaku import Config, Module, ModuleSpec, TaskSpec
from dosaku.errors import ConfigError
from dosaku.resources import ResourceManager, config_key, normalize_device
from dosaku.task import Task
from dosaku.testing import in_process_plugin, isolated_agent

torch = pytest.importorskip("torch")  # installed with the module packs (nox -s tests); core alone has no torch

WIDTH = 1024  # a Linear(1024, 1024) holds 4 MB of float32 weights (+4 KB of bias)
BLOCK_MB = (WIDTH * WIDTH + WIDTH) * 4 / 2**20
BUDGET_MB = 10  # two blocks fit, three do not


class Crunch(Task):
    """Crunch a tensor."""

    default_action = "run"

    @abc.abstractmethod
    def run(self, x: Any) -> Any:
        """Run the block on ``x``."""


LIVE: set[Block] = set()
PEAK = {"mb": 0.0}


def live_mb() -> float:
    return sum(p.numel() * p.element_size() for block in LIVE for p in block.net.parameters()) / 2**20


def note_peak() -> None:
    PEAK["mb"] = max(PEAK["mb"], live_mb())


class Block(Module, Crunch):
    """A real torch layer that can leave memory (unload) and come back (load), rebuilt with the same weights."""

    memory_mb = BLOCK_MB

    def __init__(self, seed: int = 0):
        self.seed, self.net, self.loads = seed, None, 0
        self.load()

    def load(self) -> None:
        torch.manual_seed(self.seed)
        self.net = torch.nn.Linear(WIDTH, WIDTH)
        self.loads += 1
        LIVE.add(self)
        note_peak()

    def unload(self) -> None:
        LIVE.discard(self)
        self.net = None

    gate: tuple[threading.Event, threading.Event] | None = None  # (started, finish): hold a call open

    def run(self, x: Any) -> Any:
        if self.gate is not None:
            self.gate[0].set()
            assert self.gate[1].wait(10)
        if self.net is None:  # the Module contract: still works after unload()
            self.load()
        note_peak()
        with torch.no_grad():
            return self.net(x)


def _tasks() -> list[TaskSpec]:
    return [TaskSpec(f"Crunch{n}", target=type(f"Crunch{n}", (Crunch,), {})) for n in "ABCD"]


def _blocks() -> list[ModuleSpec]:
    specs = []
    for n, letter in enumerate("ABCD"):
        module_class = type(f"Block{letter}", (Block,), {"__init__": lambda self, seed=n: Block.__init__(self, seed)})
        specs.append(ModuleSpec(f"Block{letter}", (f"Crunch{letter}",), target=module_class, device="cpu",
                                memory_mb=BLOCK_MB))
    return specs


@pytest.fixture
def agent(tmp_path):
    for block in list(LIVE):
        block.unload()
    PEAK["mb"] = 0.0
    config = Config(path=tmp_path / "config.ini", environ={})
    config.set("RESOURCES", "CPU", str(BUDGET_MB))
    agent = isolated_agent(in_process_plugin("blocks", tasks=_tasks(), modules=_blocks()), config=config)
    yield agent
    for task in list(agent.tasks):
        agent.unlearn(task)


X = torch.ones(1, WIDTH)


def learn_all(agent, letters="ABC"):
    for letter in letters:
        agent.learn(f"Crunch{letter}", module=f"Block{letter}")


def test_peak_resident_stays_within_the_budget(agent):
    learn_all(agent)
    for letter in "ABCACBBCA":
        getattr(agent, f"Crunch{letter}").run(X)
        assert live_mb() <= BUDGET_MB
    assert PEAK["mb"] <= BUDGET_MB
    assert agent.resources.peak_mb["cpu"] <= BUDGET_MB
    assert 2 * BLOCK_MB <= PEAK["mb"]  # it did use the room it had


def test_least_recently_used_leaves_first(agent):
    learn_all(agent, "AB")
    agent.CrunchA.run(X)
    agent.CrunchB.run(X)
    agent.CrunchA.run(X)  # B is now the least recently used
    agent.learn("CrunchC", module="BlockC")
    assert agent.resources.where("BlockB") == "unloaded"
    assert agent.resources.where("BlockA") == "cpu"
    assert agent.resources.where("BlockC") == "cpu"
    assert [row["name"] for row in agent.resources.report()] == ["BlockB", "BlockA", "BlockC"]


def test_a_moved_module_comes_back_on_its_next_call(agent):
    learn_all(agent, "AB")
    before = agent.CrunchA.run(X)
    agent.CrunchB.run(X)
    agent.learn("CrunchC", module="BlockC")  # A is the least recently used: it leaves
    assert agent.resources.where("BlockA") == "unloaded"
    after = agent.CrunchA(X)  # the default action goes through the manager too
    assert torch.equal(before, after)
    assert agent.resources.where("BlockA") == "cpu"
    assert agent.resources.where("BlockB") == "unloaded"  # B was the least recently used then
    block_a = agent.CrunchA.module
    assert block_a.loads == 2
    rows = {row["name"]: row for row in agent.resources.report()}
    assert rows["BlockA"]["evictions"] == 1 and rows["BlockA"]["state"] == "on device"


def test_unlearn_frees_the_module_and_its_room(agent):
    learn_all(agent)
    agent.CrunchA.run(X)
    agent.CrunchB.run(X)
    block_c = agent.CrunchC.module
    agent.unlearn("CrunchA")
    assert agent.resources.where("BlockA") is None
    assert "BlockA" not in [row["name"] for row in agent.resources.report()]
    assert live_mb() <= 2 * BLOCK_MB + 1e-6  # A's tensors are gone
    agent.CrunchC.run(X)
    agent.CrunchB.run(X)  # B and C now fit together: nothing else has to leave
    assert agent.resources.where("BlockB") == "cpu" and agent.resources.where("BlockC") == "cpu"
    assert block_c.net is not None


def test_a_running_module_is_never_moved(agent):
    learn_all(agent, "AB")
    started, finish = threading.Event(), threading.Event()
    agent.CrunchA.module.gate = (started, finish)
    worker = threading.Thread(target=agent.CrunchA.run, args=(X,))
    worker.start()
    try:
        assert started.wait(10)
        agent.CrunchB.run(X)
        agent.learn("CrunchC", module="BlockC")  # A is the least recently used but busy: B leaves instead
        assert agent.resources.where("BlockA") == "cpu"
        assert agent.resources.where("BlockB") == "unloaded"
    finally:
        finish.set()
        worker.join(10)
    assert not worker.is_alive()


def test_going_over_budget_when_nothing_can_leave_is_logged(agent, caplog):
    agent.config.set("RESOURCES", "CPU", str(BLOCK_MB * 1.5))
    agent._resources = None  # the next use reads the new budget
    with caplog.at_level(logging.WARNING, logger="dosaku.resources"):
        learn_all(agent, "AB")
        agent.CrunchA.run(X)
    assert agent.resources.where("BlockA") == "cpu"
    assert agent.resources.where("BlockB") == "unloaded"
    assert not caplog.records  # one block fits: B left for A, nothing went over
    with caplog.at_level(logging.WARNING, logger="dosaku.resources"):
        agent.config.set("RESOURCES", "CPU", str(BLOCK_MB / 2))
        agent._resources = None
        agent.unlearn("CrunchA")
        agent.learn("CrunchA", module="BlockA")
    assert "going over" in caplog.text and "budget" in caplog.text


def test_modules_without_a_budget_are_not_wrapped(tmp_path):
    config = Config(path=tmp_path / "config.ini", environ={})  # no [RESOURCES]: the CPU has no budget
    agent = isolated_agent(in_process_plugin("blocks", tasks=_tasks(), modules=_blocks()), config=config)
    agent.learn("CrunchA", module="BlockA")
    agent.learn("Chat")
    assert agent.CrunchA.run == agent.CrunchA.module.run  # the bound method itself: no wrapper, no overhead
    assert agent.Chat.message == agent.Chat.module.message
    assert agent.resources.report() == []
    agent.unlearn("CrunchA")


def test_plain_modules_are_not_managed_even_with_a_budget(agent):
    agent.learn("Chat")  # EchoBot: no memory declared, nothing to move
    assert agent.Chat.message == agent.Chat.module.message
    assert agent.resources.where("EchoBot") is None


# --- offloading with to(): a module on an accelerator goes to the CPU and back ---------------------------------
class Accelerated(Module, Crunch):
    """Declares it runs on ``cuda:0``. There is no CUDA device on this machine, so ``to()`` records where the
    module was sent and keeps its real tensor on the CPU: the manager's side of the protocol is what is tested."""

    memory_mb = 4.0

    def __init__(self, name: str):
        self.name, self.device, self.moves = name, "cuda:0", []
        self.weight = torch.ones(WIDTH, WIDTH)

    def to(self, device: str) -> Accelerated:
        self.moves.append(device)
        self.device = device
        return self

    def run(self, x: Any) -> Any:
        assert self.device == "cuda:0", "called while offloaded"
        return x @ self.weight


def test_modules_on_an_accelerator_are_offloaded_to_the_cpu_and_brought_back():
    manager = ResourceManager({"cuda": 10})
    a, b, c = Accelerated("a"), Accelerated("b"), Accelerated("c")
    for module in (a, b):
        assert manager.register(module.name, module)
    runs = {m.name: manager.wrap("run", m.run) for m in (a, b)}
    runs["a"](X)
    runs["b"](X)
    assert manager.register("c", c)  # a is the least recently used: offloaded to the CPU
    assert a.moves == ["cpu"] and manager.where("a") == "cpu"
    runs["a"](X)  # back on cuda:0; b (least recently used now) leaves
    assert a.moves == ["cpu", "cuda:0"] and b.moves == ["cpu"]
    assert manager.where("a") == "cuda:0" and manager.where("b") == "cpu"
    assert manager.resident_mb("cuda:0") <= 10
    assert "a" in repr(manager) and "cuda:0" in repr(manager)


def test_budgets_come_from_the_config(tmp_path):
    config = Config(path=tmp_path / "config.ini", environ={"DOSAKU_RESOURCES__CUDA_1": "4000"})
    config.set("RESOURCES", "CUDA", "6000")
    config.set("RESOURCES", "CPU", "2000")
    manager = ResourceManager.from_config(config)
    assert manager.budget_mb("cuda") == 6000 and manager.budget_mb("cuda:0") == 6000
    assert manager.budget_mb("cuda:1") == 4000
    assert manager.budget_mb("cpu") == 2000
    assert config_key("cuda:1") == "CUDA_1" and normalize_device("CUDA") == "cuda:0"


def test_a_bad_budget_is_a_config_error(tmp_path):
    config = Config(path=tmp_path / "config.ini", environ={})
    config.set("RESOURCES", "CUDA", "lots")
    with pytest.raises(ConfigError, match=r"\[RESOURCES\] CUDA = 'lots' is not a number of MB"):
        ResourceManager.from_config(config)
