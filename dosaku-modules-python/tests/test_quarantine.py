"""The ``sandbox`` placement: a module learned with placement='sandbox' is built and called in a sandboxed worker
(the same kernel boundary as Tester.run), calls and results marshalled (images as PNG), its state kept between calls,
and every way it can misbehave turned into a QuarantineError."""
from __future__ import annotations

import os
import sys
import textwrap
import uuid

import pytest
from dosaku import ModuleSpec, TaskSpec
from dosaku.testing import in_process_plugin, isolated_agent
from dosaku_python import QuarantineError, plugin
from dosaku_python.quarantine import Quarantined

TASK = '''
import abc
from dosaku import Task

class Counting(Task):
    """Counts."""

    @abc.abstractmethod
    def add(self, n: int) -> int:
        """Add ``n``; the total so far."""
'''

MODULE = '''
import os, socket, time
from dosaku import Module
from {package}.task import Counting

class Counter(Module, Counting):
    def __init__(self, start: int = 0):
        self.total = start

    def add(self, n: int) -> int:
        self.total += n
        return self.total

    def where(self):
        return {{"pid": os.getpid(), "host": socket.gethostname(), "uid": os.getuid()}}

    def read(self, path):
        return open(path).read()

    def flip(self, image):
        return image.transpose(0)

    def echo(self, value):
        return value

    def fail(self):
        raise ValueError("no good")

    def hang(self):
        time.sleep(30)

    def garble(self):
        os.write(__import__("__main__").__dict__.get("_channel", 0) or _find_channel(), b"[1, 2]\\n")
        return 1


def _find_channel():
    import fcntl, stat
    for fd in range(3, 256):
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if stat.S_ISFIFO(mode) and fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
            return fd
'''


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A generated-looking package in its own source folder (as a pondered plugin's src/)."""
    name = f"quarantine_probe_{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "src" / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "task.py").write_text(textwrap.dedent(TASK))
    (folder / "module.py").write_text(MODULE.format(package=name))
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    yield name
    for module in [m for m in sys.modules if m.startswith(name)]:
        del sys.modules[module]


@pytest.fixture
def agent(package):
    probe = in_process_plugin(
        "probe", tasks=[TaskSpec("Counting", f"{package}.task:Counting")],
        modules=[ModuleSpec("Counter", tasks=("Counting",), target=f"{package}.module:Counter", kind="executor")])
    agent = isolated_agent(probe, plugin, enable_executors=True)
    yield agent
    for task in list(agent.tasks):
        agent.unlearn(task)


def counter(agent, **kwargs) -> Quarantined:
    agent.learn("Counting", placement="sandbox", **kwargs)
    return agent.Counting.module


def test_calls_run_in_the_sandbox_and_keep_the_modules_state(agent):
    module = counter(agent, start=10)
    assert isinstance(module, Quarantined)
    assert agent.Counting.add(1) == 11 and agent.Counting.add(2) == 13  # one instance, its state kept
    where = module.where()
    assert where["pid"] != os.getpid() and where["host"] == "dosaku-sandbox"
    isolation = module.isolation
    assert isolation["level"] == "kernel" and isolation["landlock"]["fs"] and isolation["noexec_work_dir"]
    assert isolation["capabilities"] == "none" and isolation["seccomp"]["after_set_up"]


def test_the_modules_code_never_runs_in_the_agents_process(agent, package):
    """Learning it with placement='sandbox' does not import the module's file here: import-time code of generated
    code runs only in the worker."""
    module_file = f"{package}.module"
    counter(agent)
    assert module_file not in sys.modules
    assert agent.Counting.add(5) == 5 and module_file not in sys.modules
    assert agent.api("Counting") == ["add"]  # the task (an interface) is read here; the module is not


def test_a_class_claiming_more_power_than_its_spec_is_not_built(package, tmp_path):
    (tmp_path / "src" / package / "paid.py").write_text(
        f"from dosaku import Service\nfrom {package}.module import Counter\n\nclass PaidCounter(Service, Counter):\n"
        "    pass\n")
    probe = in_process_plugin(
        "liar", tasks=[TaskSpec("Counting", f"{package}.task:Counting")],
        modules=[ModuleSpec("Counter", tasks=("Counting",), target=f"{package}.paid:PaidCounter", kind="executor")])
    agent = isolated_agent(probe, plugin, enable_executors=True)
    with pytest.raises(QuarantineError, match="the class is a service but its spec says 'executor'"):
        agent.learn("Counting", placement="sandbox")
    assert agent.tasks == []


def test_the_module_cannot_read_the_agents_files(agent, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("sk-" + uuid.uuid4().hex)
    module = counter(agent)
    with pytest.raises(QuarantineError, match="Counter.read raised (FileNotFoundError|PermissionError)"):
        module.read(str(secret))


def test_images_travel_as_png(agent):
    from PIL import Image

    image = Image.new("RGB", (4, 2), (10, 20, 30))
    image.putpixel((0, 0), (255, 0, 0))
    flipped = counter(agent).flip(image)
    assert flipped.size == (4, 2) and flipped.getpixel((3, 0)) == (255, 0, 0)


def test_data_round_trips_and_what_cannot_travel_is_refused(agent):
    module = counter(agent)
    value = {"bytes": b"\x00\xff", "list": [1, 2.5, None, "x"], "__dosaku__": "not a tag"}
    assert module.echo(value) == value
    with pytest.raises(QuarantineError, match="a function cannot be sent to or from the sandbox"):
        module.echo(lambda: 0)


def test_an_error_in_the_module_comes_back_as_quarantine_error(agent):
    module = counter(agent)
    with pytest.raises(QuarantineError, match="Counter.fail raised ValueError: no good"):
        module.fail()
    assert module.add(1) == 1  # the worker goes on


def test_a_call_past_wall_time_stops_the_worker(agent, monkeypatch):
    from dosaku_python import quarantine

    monkeypatch.setattr(quarantine, "WORKER_LIMITS", quarantine.WORKER_LIMITS.tightened(wall_time=1))
    module = counter(agent)
    with pytest.raises(QuarantineError, match=r"Counter did not answer within 1 s \(wall_time\)"):
        module.hang()
    with pytest.raises(QuarantineError, match="was stopped; learn the task again"):
        module.add(1)


def test_a_malformed_answer_stops_the_worker(agent):
    module = counter(agent)
    with pytest.raises(QuarantineError, match=r"answered with something malformed \(not an object"):
        module.garble()


def test_unlearning_stops_the_worker(agent):
    module = counter(agent)
    pid = module.where()["pid"]  # in the sandbox's PID namespace; the host sees the worker through its launch
    assert pid >= 1
    launch = module.worker.launch
    agent.unlearn("Counting")
    assert module.worker.launch is None and launch.process.returncode is not None


def test_only_the_modules_actions_are_forwarded(agent):
    module = counter(agent)
    assert {"add", "echo", "fail"} <= set(module.actions) and "unload" not in module.actions
    with pytest.raises(AttributeError):
        module.load_weights  # noqa: B018 - not an action of the module
    with pytest.raises(AttributeError):
        module._find_channel  # noqa: B018 - private names are never forwarded


def test_in_process_only_when_asked(agent, package):
    agent.learn("Counting", placement="local")
    assert type(agent.Counting.module).__name__ == "Counter" and agent.Counting.add(2) == 2
