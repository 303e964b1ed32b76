"""The ``sandbox`` placement: a module (typically generated code, e.g. one Ponder wrote) built and called inside a
sandboxed worker process, behind the same kernel boundary as ``Tester.run``, instead of in the agent's process.

``agent.learn(task, placement='sandbox')`` (or ``[PLACEMENT] <ModuleName> = sandbox`` in config.ini, which Ponder
writes for the modules it generates) makes the agent ask this plugin for a stand-in: a :class:`Quarantined` whose
actions send each call (arguments as JSON, bytes and images as PNG: :mod:`dosaku_python.wire`) to the worker and
bring the result back, validated like any result channel. The worker is one sandbox for the module's lifetime, so
the module keeps its state between calls; its memory, processes and CPU quota are those of one cgroup, and each
call has ``wall_time`` seconds (past that the worker is stopped and later calls fail). ``placement='local'`` runs
the module in the agent's process, and only when the user asks for it.

Example::

    agent = Agent(enable_executors=True)
    agent.learn('TicTacToe', placement='sandbox')
    agent.TicTacToe.move(0, 0)       # runs in the worker
"""
from __future__ import annotations

import functools
import importlib.util
import json
import logging
import os
import re
import selectors
import threading
import time
from pathlib import Path
from typing import Any

from dosaku import Module

from dosaku_python import wire
from dosaku_python.channel import MAX_CONTAINERS, MAX_HEADER, depth
from dosaku_python.errors import QuarantineError, SandboxError
from dosaku_python.limits import Limits
from dosaku_python.sandbox import LAUNCHER, Launch, Sandbox

log = logging.getLogger(__name__)

#: A worker's limits: ``wall_time`` is per call; CPU time and memory are for the worker's whole life.
WORKER_LIMITS = Limits(wall_time=60.0, cpu_time=3600, memory_mb=2048, processes=64, result_kb=32 * 1024)
START_TIME = 60.0
OUTPUT_TAIL = 8000

WORKER = '''
import importlib, json, os, sys, traceback
{wire}
sys.path[:0] = {paths!r}
_base = set({base!r})
_channel = __dosaku_worker__["responses"]

def _answer(answer):
    os.write(_channel, (json.dumps(answer) + "\\n").encode())

def _failure(error):
    return {{"error": {{"type": type(error).__name__, "message": str(error)[:2000],
                       "traceback": traceback.format_exc()[-4000:]}}}}

try:
    _module_name, _, _attribute = {target!r}.partition(":")
    _class = importlib.import_module(_module_name)
    for _part in _attribute.split("."):
        _class = getattr(_class, _part)
    if getattr(_class, "kind", "module") not in ("module", {kind!r}):
        raise TypeError(f"the class is a {{getattr(_class, 'kind', 'module')}} but its spec says {kind!r}; it is "
                        f"not built (the agent's permissions were checked against the spec)")
    _instance = _class(**decode(json.loads({kwargs!r})))
    _actions = sorted(name for name in dir(_class) if not name.startswith("_") and name not in _base
                      and callable(getattr(_class, name, None)))
except BaseException as error:
    _answer(_failure(error))
    raise SystemExit(0)
_answer({{"ready": True, "actions": _actions}})
for _line in os.fdopen(__dosaku_worker__["requests"], "rb"):
    _request = json.loads(_line)
    try:
        if _request["action"] not in _actions:
            raise AttributeError(f"no action {{_request['action']!r}}")
        _value = getattr(_instance, _request["action"])(*decode(_request["args"]), **decode(_request["kwargs"]))
        _answer({{"value": encode(_value)}})
    except BaseException as error:
        _answer(_failure(error))
'''


#: What a stand-in never forwards: the Module base's own names.
BASE_NAMES = tuple(sorted(dir(Module)))
ACTION = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")


def target_of(spec: Any, factory: Any) -> str:
    """``'package.module:Class'`` of the module: the spec's target (a class given as target, as in-process plugins
    do, names itself; it was imported by whoever passed it)."""
    target = getattr(spec, "target", None)
    if isinstance(target, str):
        return target
    module_class = factory.load_class()
    return f"{module_class.__module__}:{module_class.__qualname__}"


def source_directory(target: str) -> str:
    """The sys.path directory the target's top-level package is imported from, found without importing it
    (finding a top-level package runs none of its code)."""
    top = target.partition(":")[0].split(".")[0]
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
        raise SandboxError(f"Cannot find where {top} lives, to show it in the sandbox.")
    origin = Path(spec.origin)
    return str(origin.parent.parent if origin.name == "__init__.py" else origin.parent)


class Worker:
    """One sandbox holding one module instance; :meth:`call` is one action call, answered as data."""

    def __init__(self, name: str, program: str, sandbox: Sandbox, limits: Limits):
        self.name, self.limits = name, limits
        self.lock = threading.Lock()
        self.output = bytearray()
        self.buffer = bytearray()
        requests_read, self.requests = os.pipe()
        try:
            # started on the launcher thread: the worker must outlive the thread that learned the task
            self.launch: Launch | None = LAUNCHER.submit(
                functools.partial(sandbox.launch, program, limits, requests_fd=requests_read)).result()
        finally:
            os.close(requests_read)
        self.isolation = self.launch.isolation
        header = self._line(START_TIME, MAX_HEADER)
        if not header.startswith(b"R"):
            self.close()
            raise SandboxError(f"The sandbox of {name} failed to start: {header[1:][:2000].decode('utf-8', 'replace')}"
                               f" {self.stderr()}")
        try:
            layers = json.loads(header[1:])
        except ValueError:
            layers = {}
        self.isolation = dict(self.isolation, landlock=self.isolation.get("landlock") or layers.get("landlock"),
                              noexec_work_dir=bool(layers.get("noexec_work_dir")),
                              capabilities=layers.get("capabilities", "unknown"))
        ready = self._answer(START_TIME)
        if not ready.get("ready"):
            self.close()
            error = ready.get("error") or {}
            raise QuarantineError(f"Building {name} in its sandbox failed: {error.get('type')}: "
                                  f"{error.get('message')}\n{error.get('traceback', '')}")
        actions = ready.get("actions")
        if not (isinstance(actions, list) and len(actions) <= 1000
                and all(isinstance(a, str) and ACTION.match(a) for a in actions)):
            self.close()
            raise QuarantineError(f"The sandbox of {name} reported malformed actions; it was stopped.")
        #: The module's actions, as the worker found them on its class.
        self.actions: list[str] = actions

    def stderr(self) -> str:
        return self.output[-OUTPUT_TAIL:].decode("utf-8", "replace")

    def call(self, action: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``action`` on the module in the worker.

        Raises:
            QuarantineError: the module raised (its error, as text), the worker was stopped, or it answered with
                something malformed.
        """
        with self.lock:
            if self.launch is None:
                raise QuarantineError(f"The sandbox of {self.name} was stopped; learn the task again to restart it.")
            try:
                request = {"action": action, "args": wire.encode(list(args)), "kwargs": wire.encode(kwargs)}
            except TypeError as error:
                raise QuarantineError(f"{self.name}.{action}: {error}") from None
            try:
                os.write(self.requests, (json.dumps(request) + "\n").encode())
            except OSError:
                self.close()
                raise QuarantineError(f"The sandbox of {self.name} has ended: {self.stderr()}") from None
            answer = self._answer(self.limits.wall_time)
        if "error" in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {}
            raise QuarantineError(f"{self.name}.{action} raised {error.get('type')}: {error.get('message')}")
        try:
            return wire.decode(answer.get("value"))
        except Exception as error:  # noqa: BLE001 - the worker's data is untrusted
            raise QuarantineError(f"{self.name}.{action} answered with data that does not decode: {error}") from None

    # --- reading the worker ----------------------------------------------------------------------------------
    def _answer(self, timeout: float) -> dict[str, Any]:
        raw = self._line(timeout, self.limits.result_kb * 1024)
        problem = None
        if raw.count(b"[") + raw.count(b"{") > MAX_CONTAINERS:
            problem = "too many lists and objects"
        else:
            try:
                answer = json.loads(raw.decode("utf-8"))
            except (RecursionError, ValueError, UnicodeDecodeError) as error:
                answer, problem = None, f"not JSON ({str(error)[:100]})"
            if problem is None and (not isinstance(answer, dict)
                                    or set(answer) - {"value", "error", "ready", "actions"}):
                problem = "not an object with the fields value, error, ready or actions"
            elif problem is None and depth(answer) > 70:
                problem = "nested too deeply"
        if problem:
            self.close()
            raise QuarantineError(f"The sandbox of {self.name} answered with something malformed ({problem}); it "
                                  f"was stopped.")
        return answer

    def _line(self, timeout: float, limit: int) -> bytes:
        """The worker's next line on the channel (bounded in size and time); the worker is stopped otherwise."""
        launch = self.launch
        if launch is None:
            raise QuarantineError(f"The sandbox of {self.name} was stopped.")
        deadline = time.monotonic() + timeout
        selector = selectors.DefaultSelector()
        selector.register(launch.result_fd, selectors.EVENT_READ, "result")
        for stream in (launch.process.stdout, launch.process.stderr):
            if stream is not None and not stream.closed:
                selector.register(stream, selectors.EVENT_READ, "output")
        try:
            while b"\n" not in self.buffer:
                if len(self.buffer) > limit:
                    self.close()
                    raise QuarantineError(f"The sandbox of {self.name} sent more than {limit // 1024} KiB at once; it "
                                          f"was stopped.")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.close()
                    raise QuarantineError(f"{self.name} did not answer within {timeout:g} s (wall_time); its sandbox "
                                          f"was stopped.")
                events = selector.select(min(remaining, 0.5))
                for key, _ in events:
                    chunk = os.read(key.fd, 65536)
                    if key.data == "output":
                        if not chunk:
                            selector.unregister(key.fileobj)
                        self.output += chunk
                        del self.output[:-OUTPUT_TAIL]
                    elif not chunk:
                        self.close()
                        raise QuarantineError(f"The sandbox of {self.name} ended: {self.stderr()}")
                    else:
                        self.buffer += chunk
        finally:
            selector.close()
        line, _, rest = bytes(self.buffer).partition(b"\n")
        self.buffer = bytearray(rest)
        return line

    def close(self) -> None:
        """Stop the worker: its sandbox and everything in it."""
        launch, self.launch = self.launch, None
        if launch is None:
            return
        try:
            os.close(self.requests)
        except OSError:
            pass
        for stream in (launch.process.stdin, launch.process.stdout, launch.process.stderr):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        try:
            os.close(launch.result_fd)
        except OSError:
            pass
        launch.close()


class Quarantined:
    """Stands in for a module that runs in a sandboxed worker: its actions are forwarded there.

    Attributes:
        name: The module's name.
        actions: The actions forwarded.
        isolation: The worker's isolation (as ``RunResult.isolation``).
    """

    def __init__(self, name: str, actions: list[str], worker: Worker):
        self.name, self.actions, self.worker = name, list(actions), worker
        self.isolation = worker.isolation

    @classmethod
    def start(cls, spec: Any, factory: Any, agent: Any) -> Quarantined:
        """Start the worker for the module ``factory`` would build (its class and arguments), in a sandbox showing
        the module's source folder read-only. The module's code is imported only in the worker, which reports the
        actions it forwards."""
        try:
            encoded = json.dumps(wire.encode(dict(factory.kwargs)))
        except TypeError as error:
            raise QuarantineError(f"{spec.name} cannot be placed in a sandbox with these arguments: {error}") from None
        target = target_of(spec, factory)
        directory = source_directory(target)
        program = WORKER.format(wire=Path(wire.__file__).read_text(), paths=[directory], base=list(BASE_NAMES),
                                target=target, kind=spec.kind, kwargs=encoded)
        worker = Worker(spec.name, program, Sandbox(directories=(directory,)), WORKER_LIMITS)
        log.info("%s runs in a sandboxed worker (%s)", spec.name, worker.isolation.get("level"))
        return cls(spec.name, worker.actions, worker)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self.__dict__.get("actions", ()):
            raise AttributeError(name)
        return functools.partial(self.worker.call, name)

    def unload(self) -> None:
        """Stop the worker (the agent calls this when no task uses the module any more)."""
        self.worker.close()

    def __repr__(self) -> str:
        return f"<Quarantined {self.name} in a sandbox: {', '.join(self.actions)}>"
