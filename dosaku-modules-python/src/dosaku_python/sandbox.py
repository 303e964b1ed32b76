"""Running Python code behind a boundary the kernel enforces, the same design for root and for an ordinary user.

Layers of a run with ``isolation='kernel'`` (the default), each reported in ``RunResult.isolation``:

1. **bubblewrap** (:mod:`dosaku_python.bubblewrap`): new user, PID (its own ``/proc``), network (no interface but
   a down loopback), IPC, UTS and cgroup namespaces, ``--die-with-parent``, ``--new-session``, no-new-privs, and a
   minimal read-only root: the system directories, the interpreter's prefixes and package directories, a private
   ``noexec`` tmpfs of ``disk_mb`` as the work directory; nothing of the user's home or config.
2. **seccomp** (:mod:`dosaku_python.seccomp_filter`, compiled by libseccomp): no ptrace, new namespaces, keyrings,
   BPF, perf events, io_uring, mounting, or sockets other than unix ones.
3. **Landlock** (:mod:`dosaku_python._landlock`): reading and executing only what the sandbox shows, writing only
   in the work directory, no TCP, signals and abstract unix sockets only within the run.
4. **A cgroup per run** (:mod:`dosaku_python.cgroups`): memory with swap, processes and a CPU quota for the whole
   run, and its CPU time watched; where no cgroup is writable, ``systemd-run --user --scope``, else rlimits per
   process (said so in ``isolation['cgroup']``).
5. **rlimits** per process (CPU time, address space, processes, file size, open files, no core dumps), an empty
   environment, ``python -I``, every process killed at the end (the PID namespace dies with its first process).

As root, the run's processes belong to a dedicated, otherwise unused uid (its files and processes are nobody's),
when the interpreter is readable by others; an interpreter under ``/root`` (mode 0700) keeps root's uid, with no
capability (``isolation['host_uid']`` says which). If bubblewrap cannot set up the namespaces, :meth:`Sandbox.run`
raises :class:`~dosaku_python.errors.SandboxUnavailable` naming what to install or enable; ``isolation='process'``
(asked for explicitly) runs a plain child process with Landlock, seccomp, the cgroup and rlimits where available.

Example::

    from dosaku_python.sandbox import Sandbox
    from dosaku_python.limits import Limits

    result = Sandbox().run('print(6 * 7)', Limits(wall_time=5))
    result.stdout, result.isolation['level']  # ('42\\n', 'kernel')
"""
from __future__ import annotations

import base64
import functools
import json
import logging
import os
import pwd
import random
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from dosaku_python import _landlock, bubblewrap, cgroups, seccomp_filter
from dosaku_python.channel import MAX_HEADER, read_channel
from dosaku_python.errors import SandboxError, SandboxUnavailable
from dosaku_python.interpreter import SYSTEM, SYSTEM_FILES, Interpreter, probe, with_directories
from dosaku_python.limits import Limits
from dosaku_python.result import ExceptionInfo, RunResult

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
ISOLATIONS = ("kernel", "process")
DEDICATED_UIDS = (0x5D050000, 0x5D05FFFF)  # uids for runs started by root; none of them is anybody's
START_TIMEOUT = 30.0
INSTALL_HINT = ("Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; "
                "Arch: pacman -S bubblewrap)")
WEAKER_HINT = ("or, knowing that a plain child process is a much weaker boundary, ask for it explicitly: "
               "agent.learn('Tester', isolation='process')")
USERNS_HINT = ("Allow unprivileged user namespaces (sysctl user.max_user_namespaces=15000; on Debian before 11 "
               "kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0 "
               "or an AppArmor profile for bwrap); in a container, start it with a seccomp profile that allows "
               "creating namespaces (e.g. docker run --security-opt seccomp=unconfined --security-opt "
               "apparmor=unconfined)")


def warn_once(layer: str, why: str) -> None:
    """Say once per process that a second-layer defence is missing (each result's isolation says it too)."""
    if layer not in _WARNED:
        _WARNED.add(layer)
        log.warning("the sandbox runs without %s: %s", layer, why)


_WARNED: set[str] = set()


@functools.lru_cache(maxsize=1)
def runner_sources() -> tuple[bytes, bytes]:
    """The runner's two files, handed to bubblewrap as data (so no path of the agent's needs to be reachable)."""
    return (HERE / "_runner.py").read_bytes(), (HERE / "_landlock.py").read_bytes()


@functools.lru_cache(maxsize=1)
def landlock_abi() -> int:
    try:
        return _landlock.abi_version()
    except OSError:
        return 0


def dedicated_uid() -> int:
    """An unused uid for one run started by root."""
    for _ in range(100):
        uid = random.randint(*DEDICATED_UIDS)
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    raise SandboxError("No unused uid found for the sandbox in the range it uses.")


class Launcher:
    """One long-lived thread starting the sandboxes that must outlive the thread asking for them (a standby, a
    quarantine worker): bubblewrap's ``--die-with-parent`` follows the *thread* that started it, so a sandbox
    started by a short-lived thread would be killed when that thread ends.

    Example::

        launch = LAUNCHER.submit(lambda: sandbox.launch(code, limits)).result()
    """

    def __init__(self) -> None:
        self.queue: SimpleQueue = SimpleQueue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def submit(self, function: Any) -> Future:
        """Run ``function`` on the launcher thread; its result (or exception) comes in the future."""
        future: Future = Future()
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._serve, name="dosaku-sandbox-launcher", daemon=True)
                self.thread.start()
        self.queue.put((function, future))
        return future

    def _serve(self) -> None:
        while True:
            function, future = self.queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function())
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                future.set_exception(error)


LAUNCHER = Launcher()


def _close_standby(standby: list[Launch], lock: threading.Lock) -> None:
    with lock:
        launches = list(standby)
        standby.clear()
    for launch in launches:
        for stream in (launch.process.stdin, launch.process.stdout, launch.process.stderr):
            if stream is not None:
                stream.close()
        try:
            os.close(launch.result_fd)
        except OSError:
            pass
        launch.close()


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@dataclass
class Launch:
    """A started run: the process, the agent's ends of its pipes, and what the agent knows of its isolation."""

    process: subprocess.Popen
    result_fd: int
    isolation: dict[str, Any]
    cgroup: cgroups.RunCgroup | None = None
    cleanup: list[Any] = field(default_factory=list)
    closed: bool = False
    #: The job still to send (a standby sandbox: started, waiting for its code), and the limits it was made for.
    job: dict[str, Any] | None = None
    limits: Limits | None = None

    def pids(self) -> list[int]:
        """Host PIDs of the run's processes (bubblewrap and everything under it)."""
        found, todo = [], [self.process.pid]
        while todo and len(found) < 10_000:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    todo += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except OSError:
                continue
        return found

    def close(self) -> None:
        """Kill whatever is left of the run and free what it held (its cgroup, pipes, temporary directories)."""
        if self.closed:
            return
        self.closed = True
        Sandbox.kill(self)
        for item in self.cleanup:
            item()
        if self.cgroup is not None:
            self.cgroup.remove()


class Sandbox:
    """Runs code in a fresh sandbox per call (see the module's docstring for the layers).

    Args:
        python: The interpreter to run the code with (default: this one, so installed packages are importable).
        isolation: ``'kernel'`` (bubblewrap, refused where it cannot be set up) or ``'process'`` (a plain child
            process: only when asked for).
        directories: More directories the code may read (read-only), e.g. a plugin's source folder.
        warm: Keep one sandbox started ahead for the next run (kernel isolation only): it is fresh (never used
            before; one per run), has only started its interpreter and waits for its code, so a run does not wait
            for bubblewrap and the interpreter to start. Made for the previous run's limits; a run with other
            limits starts its own.

    Raises:
        SandboxError: an unknown ``isolation``.
    """

    def __init__(self, python: str | None = None, isolation: str = "kernel", directories: tuple[str, ...] = (),
                 warm: bool = True):
        if isolation not in ISOLATIONS:
            raise SandboxError(f"Unknown isolation {isolation!r}: use 'kernel' (the default) or 'process'.")
        self.python = python or sys.executable
        self.level = isolation
        self.directories = tuple(directories)
        self.warm = warm and isolation == "kernel"
        self._standby: list[Launch] = []  # at most one, started for the next run
        self._standby_lock = threading.Lock()
        self._refilling: Future | None = None
        self._finalizer = weakref.finalize(self, _close_standby, self._standby, self._standby_lock)

    def close(self) -> None:
        """Stop the standby sandbox, if one waits for a next run."""
        self._wait_for_refill()
        _close_standby(self._standby, self._standby_lock)

    def _wait_for_refill(self) -> None:
        refilling, self._refilling = self._refilling, None
        if refilling is not None:
            try:
                refilling.result(timeout=START_TIMEOUT)
            except Exception as error:  # noqa: BLE001 - no standby: the next run starts its own
                log.debug("no standby sandbox: %s", error)

    def standby_pids(self) -> list[int]:
        """Host PIDs of the standby sandbox waiting for the next run (none when ``warm`` is off), once it is up."""
        self._wait_for_refill()
        with self._standby_lock:
            return [pid for launch in self._standby for pid in launch.pids()]

    def interpreter(self) -> Interpreter:
        """The interpreter and every directory the code may read (its own and this sandbox's extra ones)."""
        interpreter = probe(self.python)
        if not self.directories:
            return interpreter
        return with_directories(interpreter, self.directories)

    def __repr__(self) -> str:
        return f"Sandbox(python={self.python!r}, isolation={self.level!r})"

    # --- the whole run ---------------------------------------------------------------------------------------
    def run(self, code: str, limits: Limits) -> RunResult:
        """Run ``code`` under ``limits`` and return what happened as data.

        Raises:
            SandboxUnavailable: no kernel boundary can be set up here (the message says what to install).
            SandboxError: the sandbox itself failed (the code's own failures are reported in the result).
        """
        started = time.monotonic()
        launch = self._take_standby(limits)
        if launch is None:
            launch = self.launch(code, limits)
        else:
            launch.job["code"] = code  # type: ignore[index]
            self._send(launch.process, launch.job)  # type: ignore[arg-type]
            launch.job = None
        try:
            outcome = self._collect(launch, limits)
            usage = launch.cgroup.usage() if launch.cgroup else {}
        finally:
            launch.close()
            self._refill(limits)
        return self._result(outcome, launch, limits, usage, time.monotonic() - started)

    # --- the standby sandbox -----------------------------------------------------------------------------------
    def _take_standby(self, limits: Limits) -> Launch | None:
        if not self.warm:
            return None
        self._wait_for_refill()
        with self._standby_lock:
            launch = self._standby.pop() if self._standby else None
        if launch is None:
            return None
        if launch.limits != limits or launch.process.poll() is not None:
            launch.close()  # made for other limits, or gone: start afresh
            return None
        return launch

    def _refill(self, limits: Limits) -> None:
        if not self.warm:
            return

        finalizer, standby, lock = self._finalizer, self._standby, self._standby_lock

        def start() -> None:
            launch = self.launch(None, limits)
            with lock:
                if finalizer.alive and not standby:
                    standby.append(launch)
                    return
            launch.close()

        self._refilling = LAUNCHER.submit(start)

    def launch(self, code: str | None, limits: Limits, requests_fd: int | None = None) -> Launch:
        """Start ``code`` in a fresh sandbox and return at once (``run`` collects and closes it; a quarantine worker
        talks to it). ``requests_fd``, the read end of a pipe, is passed in for the code to read requests from.
        With ``code=None`` the sandbox starts and waits: ``launch.job`` is the job to complete and send.

        Raises:
            SandboxUnavailable, SandboxError: as :meth:`run`.
        """
        interpreter = self.interpreter()
        if self.level == "kernel" and bubblewrap.executable() is None:
            raise SandboxUnavailable(f"No kernel boundary for generated code: bubblewrap (bwrap) is not installed. "
                                     f"{INSTALL_HINT}, {WEAKER_HINT}.")
        cgroup, no_cgroup = cgroups.run_cgroup(limits.memory_mb, limits.processes, limits.cpus)
        try:
            start = self._launch_kernel if self.level == "kernel" else self._launch_process
            return start(code, limits, interpreter, cgroup, no_cgroup, requests_fd)
        except BaseException:
            if cgroup is not None:
                cgroup.remove()
            raise

    # --- starting it -----------------------------------------------------------------------------------------
    def _user(self, interpreter: Interpreter, notes: list[str]) -> int | None:
        if os.geteuid() != 0:
            return None
        if interpreter.readable_by_others():
            return dedicated_uid()
        notes.append(f"the interpreter ({interpreter.executable}) lives where only root can read it, so the run "
                     f"keeps root's uid (without any capability); install one readable by others (e.g. "
                     f"/usr/bin/python3, or under /opt) for a dedicated uid")
        return None

    def _cgroup_report(self, cgroup: cgroups.RunCgroup | None, no_cgroup: str | None,
                       scope: list[str]) -> dict[str, Any]:
        if cgroup is not None:
            return cgroup.describe()
        fallback = "systemd-run --user --scope" if scope else "rlimits per process only"
        return {"none": no_cgroup, "fallback": fallback,
                "note": "memory, processes and CPU time are limited per process, not for the whole run"
                if not scope else "limits set by systemd on the run's scope; CPU time is limited per process"}

    def _launch_kernel(self, code: str, limits: Limits, interpreter: Interpreter, cgroup: cgroups.RunCgroup | None,
                       no_cgroup: str | None, requests_fd: int | None = None) -> Launch:
        notes: list[str] = []
        runner, landlock_source = runner_sources()
        fds = {"runner": _memfd("dosaku-runner", runner), "landlock": _memfd("dosaku-landlock", landlock_source)}
        seccomp_missing = seccomp_filter.available()
        if seccomp_missing is None:
            fds["seccomp"] = _memfd("dosaku-seccomp", seccomp_filter.base_program())
        status_read, fds["status"] = os.pipe()
        fds["block"], block_write = os.pipe()
        result_read, result_write = os.pipe()
        uid = self._user(interpreter, notes)
        scope = cgroups.scope_command(limits.memory_mb, limits.processes, limits.cpus) if (
            cgroup is None and cgroups.systemd_scope()) else []
        command = [*scope, *bubblewrap.command(interpreter, limits.disk_mb, fds)]
        passed = (*fds.values(), result_write, *([requests_fd] if requests_fd is not None else []))
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=passed,
                env={}, cwd="/", start_new_session=True,
                **({"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}),
            )
        except OSError as error:
            for fd in (*passed, status_read, block_write, result_read):
                if fd != requests_fd:
                    os.close(fd)
            raise SandboxUnavailable(f"Could not start bubblewrap ({command[0]}): {error}. {INSTALL_HINT}, "
                                     f"{WEAKER_HINT}.") from error
        for fd in passed:
            if fd != requests_fd:
                os.close(fd)
        # bubblewrap reports the exit status on the status pipe too: it stays open until the run is over
        launch = Launch(process, result_read, {}, cgroup, [functools.partial(os.close, status_read)])
        try:
            child = self._wait_for_bubblewrap(process, status_read)
            if cgroup is not None:
                cgroup.add(child)  # bubblewrap's sandbox process: everything of the run descends from it
            os.write(block_write, b"go")
        except BaseException:
            self.kill(launch)
            os.close(result_read)
            os.close(status_read)
            raise
        finally:
            os.close(block_write)
        seccomp = [base64.b64encode(seccomp_filter.mount_program()).decode()] if seccomp_missing is None else []
        abi = landlock_abi()
        if seccomp_missing is not None:
            warn_once("seccomp", seccomp_missing)
        if not abi:
            warn_once("Landlock", "this kernel offers none")
        job = {"code": code, "limits": limits.as_dict(), "workdir": bubblewrap.WORK_DIR, "result_fd": result_write,
               "remount_noexec": [bubblewrap.TMP_DIR, bubblewrap.SHARED_MEMORY],
               "writable": [bubblewrap.SHARED_MEMORY], "drop_capabilities": True, "landlock": abi,
               "readable": bubblewrap.readable(interpreter), "own_proc": True, "seccomp": seccomp,
               "requests_fd": requests_fd}
        launch.limits = limits
        if code is None:
            launch.job = job
        else:
            self._send(process, job)
        launch.isolation = {
            "level": "kernel",
            "bubblewrap": {"version": bubblewrap.version(), "namespaces": list(bubblewrap.NAMESPACES)},
            "host_uid": uid if uid is not None else os.geteuid(),
            "seccomp": {"before_start": True, "after_set_up": True} if seccomp_missing is None
            else f"unavailable: {seccomp_missing} (pip install pyseccomp; apt-get install libseccomp2)",
            "landlock": None if abi else "unavailable: this kernel offers no Landlock (Linux >= 5.13, lsm=landlock)",
            "cgroup": self._cgroup_report(cgroup, no_cgroup, scope),
            "rlimits": True, "environment": "empty", "withheld": list(interpreter.withheld), "notes": notes,
        }
        return launch

    def _wait_for_bubblewrap(self, process: subprocess.Popen, status: int) -> int:
        """The PID of bubblewrap's sandbox process, once its namespaces are set up (it then waits on --block-fd)."""
        buffer, deadline = b"", time.monotonic() + START_TIMEOUT
        selector = selectors.DefaultSelector()
        selector.register(status, selectors.EVENT_READ)
        try:
            while b"\n" not in buffer and time.monotonic() < deadline:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    continue
                chunk = os.read(status, 4096)
                if not chunk:
                    break
                buffer += chunk
        finally:
            selector.close()
        try:
            return int(json.loads(buffer.split(b"\n", 1)[0])["child-pid"])
        except (ValueError, KeyError, TypeError):
            process.kill()
            _, stderr = process.communicate(timeout=10)
            raise self._start_failure(stderr.decode("utf-8", "replace").strip()) from None

    @staticmethod
    def _start_failure(stderr: str) -> SandboxError:
        text = stderr[-1000:] or "no message"
        if any(word in text for word in ("namespace", "uid map", "setting up uid", "Operation not permitted",
                                         "Permission denied", "No permissions")):
            return SandboxUnavailable(f"bubblewrap could not set up the sandbox: {text}. {USERNS_HINT}; "
                                      f"{WEAKER_HINT}.")
        return SandboxError(f"bubblewrap failed to start the sandbox: {text}")

    def _launch_process(self, code: str, limits: Limits, interpreter: Interpreter,
                        cgroup: cgroups.RunCgroup | None, no_cgroup: str | None,
                        requests_fd: int | None = None) -> Launch:
        notes = ["no namespaces: the code shares the host's file system view (narrowed by Landlock where "
                 "available), processes and network stack; this is not a kernel boundary"]
        uid = self._user(interpreter, notes)
        workdir = tempfile.mkdtemp(prefix="dosaku-run-")
        runner_dir = tempfile.mkdtemp(prefix="dosaku-runner-")
        os.chmod(runner_dir, 0o755)
        for name, data in zip(("_runner.py", "_landlock.py"), runner_sources(), strict=True):
            Path(runner_dir, name).write_bytes(data)
        if uid is not None:
            os.chown(workdir, uid, uid)
        cleanup = [functools.partial(shutil.rmtree, workdir, True), functools.partial(shutil.rmtree, runner_dir, True)]
        result_read, result_write = os.pipe()
        seccomp_missing = seccomp_filter.available()
        try:
            process = subprocess.Popen(
                [interpreter.executable, "-I", "-B", str(Path(runner_dir, "_runner.py"))], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(result_write, *([requests_fd] if requests_fd is not None else [])),
                env=dict(bubblewrap.ENVIRONMENT, HOME=workdir, TMPDIR=workdir), cwd=workdir,
                start_new_session=True, **({"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}),
            )
        except OSError as error:
            os.close(result_read)
            for item in cleanup:
                item()
            raise SandboxError(f"Could not start {interpreter.executable}: {error}") from error
        finally:
            os.close(result_write)
        launch = Launch(process, result_read, {}, cgroup, cleanup)
        if cgroup is not None:
            cgroup.add(process.pid)  # before the job: the runner reads it before anything else
        abi = landlock_abi()
        programs = [seccomp_filter.base_program(), seccomp_filter.mount_program()] if seccomp_missing is None else []
        readable = [p for p in (*SYSTEM, *SYSTEM_FILES) if os.path.exists(p)] + [*interpreter.directories, runner_dir]
        job = {"code": code, "limits": limits.as_dict(), "workdir": workdir, "result_fd": result_write,
               "set_no_new_privs": True, "landlock": abi, "readable": readable, "own_proc": False,
               "seccomp": [base64.b64encode(program).decode() for program in programs], "requests_fd": requests_fd}
        self._send(process, job)
        launch.isolation = {
            "level": "process", "bubblewrap": None, "host_uid": uid if uid is not None else os.geteuid(),
            "seccomp": {"after_set_up": True} if seccomp_missing is None else f"unavailable: {seccomp_missing}",
            "landlock": None if abi else "unavailable: this kernel offers no Landlock",
            "cgroup": self._cgroup_report(cgroup, no_cgroup, []), "rlimits": True, "environment": "empty",
            "withheld": list(interpreter.withheld), "notes": notes,
        }
        return launch

    @staticmethod
    def _send(process: subprocess.Popen, job: dict[str, Any]) -> None:
        try:
            process.stdin.write(json.dumps(job).encode())  # type: ignore[union-attr]
            process.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass

    # --- watching it -----------------------------------------------------------------------------------------
    def _collect(self, launch: Launch, limits: Limits) -> dict[str, Any]:
        process, cgroup = launch.process, launch.cgroup
        buffers = {"stdout": bytearray(), "stderr": bytearray(), "result": bytearray()}
        result_budget = limits.result_kb * 1024 + MAX_HEADER
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ, "stdout")  # type: ignore[arg-type]
        selector.register(process.stderr, selectors.EVENT_READ, "stderr")  # type: ignore[arg-type]
        selector.register(launch.result_fd, selectors.EVENT_READ, "result")
        deadline = time.monotonic() + limits.wall_time
        limit, overflow, exited_at = None, False, None
        try:
            while selector.get_map():
                now = time.monotonic()
                if now >= deadline:
                    limit = "wall_time"
                    break
                if cgroup is not None and (cgroup.cpu_seconds() or 0.0) > limits.cpu_time:
                    limit = "cpu_time"
                    break
                if exited_at is None and self.reap(process, os.WNOHANG):
                    exited_at = now
                if exited_at is not None and now - exited_at > 1.0:
                    break  # left-over descendants hold the pipes open
                for key, _ in selector.select(min(deadline - now, 0.05 if cgroup is not None else 0.2)):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    buffers[key.data] += chunk
                if len(buffers["stdout"]) + len(buffers["stderr"]) > limits.output_bytes:
                    limit = "output"
                    break
                if len(buffers["result"]) > result_budget:
                    overflow = True
                    break
        finally:
            selector.close()
            self.kill(launch)
            os.close(launch.result_fd)
            process.stdout.close()  # type: ignore[union-attr]
            process.stderr.close()  # type: ignore[union-attr]
        return {"buffers": buffers, "limit": limit, "overflow": overflow, "returncode": process.returncode,
                "cpu_time": getattr(process, "cpu_time", 0.0)}

    @staticmethod
    def reap(process: subprocess.Popen, options: int = 0) -> bool:
        """Wait for the child with wait4, keeping the CPU time it and its reaped descendants used."""
        if process.returncode is not None:
            return True
        pid, status, usage = os.wait4(process.pid, options)
        if pid == 0:
            return False
        process.returncode = os.waitstatus_to_exitcode(status)
        process.cpu_time = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]
        return True

    @staticmethod
    def kill(launch: Launch) -> None:
        """Kill the run: its first process (the PID namespace, and so every process in it, dies with it), its
        session, and whatever is left in its cgroup."""
        process = launch.process
        if process.returncode is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        if launch.cgroup is not None:
            launch.cgroup.kill()
        Sandbox.reap(process)

    # --- what happened ---------------------------------------------------------------------------------------
    def _result(self, outcome: dict[str, Any], launch: Launch, limits: Limits, usage: dict[str, Any],
                duration: float) -> RunResult:
        buffers, limit, returncode = outcome["buffers"], outcome["limit"], outcome["returncode"]
        out, err = bytes(buffers["stdout"]), bytes(buffers["stderr"])
        if limit == "output":
            out = out[: limits.output_bytes]
            err = err[: max(0, limits.output_bytes - len(out))]
        stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        channel = read_channel(bytes(buffers["result"]), limits.result_kb * 1024)
        if limit is None and usage.get("oom_kills"):
            limit = "memory"
        if not channel.started:
            if channel.setup_error:
                raise SandboxError(f"The sandbox's set-up failed before any of the code ran: {channel.setup_error}")
            if limit is None:
                if launch.isolation.get("level") == "kernel":
                    raise self._start_failure(stderr.strip())
                raise SandboxError(f"The sandbox failed before running the code (exit status {returncode}): "
                                   f"{stderr[-1000:]}")
        problem = channel.problem
        if outcome["overflow"]:
            problem = (f"the code sent more than {limits.result_kb} KiB on its result channel (result_kb); return "
                       f"a smaller value, or print it")
        data = channel.data or {}
        if limit is None and not data and not problem:
            limit = self._signal_limit(returncode, outcome["cpu_time"], usage, limits)
        error = ExceptionInfo(**data["error"]) if data.get("error") else None
        if problem:
            error = ExceptionInfo("ResultInvalid", problem, None, "")
        elif not data and limit is None:
            error = ExceptionInfo("ResultLost", f"the code ended without a result (exit status {returncode}): it "
                                  "closed the result channel, called os._exit or was killed", None, "")
        isolation = dict(launch.isolation)
        layers = channel.layers
        if isolation.get("landlock") is None:
            isolation["landlock"] = layers.get("landlock", "not applied")
        if isolation.get("level") == "kernel":
            isolation["noexec_work_dir"] = bool(layers.get("noexec_work_dir"))
            isolation["capabilities"] = layers.get("capabilities", "unknown")
        return RunResult(
            stdout=stdout,
            stderr=stderr,
            value=data.get("value"),
            value_repr=data.get("value_repr"),
            error=error,
            exit_code=int(data["exit_code"]) if "exit_code" in data else self._exit_status(returncode),
            limit=limit or data.get("limit"),
            duration=duration,
            isolation=isolation,
            usage=usage,
        )

    @staticmethod
    def _exit_status(returncode: int | None) -> int:
        """bubblewrap reports a child killed by signal N as 128 + N; as a negative signal, like subprocess."""
        if returncode is None:
            return 0
        return -(returncode - 128) if 128 < returncode < 160 else returncode

    @staticmethod
    def _signal_limit(returncode: int | None, cpu_time: float, usage: dict[str, Any], limits: Limits) -> str | None:
        """Why a run that left no result died: RLIMIT_CPU sends SIGXCPU, then SIGKILL."""
        used = usage.get("cpu_seconds") or cpu_time
        if returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU) or used >= limits.cpu_time - 0.05:  # 128 + N: bwrap
            return "cpu_time"
        return None
