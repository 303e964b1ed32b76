"""Running Python code isolated from the agent: a separate process in its own work directory, with CPU time, wall
time, memory, process-count, file-size and output limits, no network and no access to the agent's secrets.

Layers (each used where the machine allows it, recorded in ``RunResult.isolation``):

- ``unshare --net --pid --mount``: no network interface but loopback-less isolation; a PID namespace, so every
  process the code starts dies with it and the agent's processes cannot be seen or signalled; private tmpfs over
  the world-writable directories (the work directory lives in the one over /tmp, ``disk_mb`` in size) and over
  the home directories; the interpreter's own directories under them (a virtual environment in /tmp or a home) are
  bound back read-only.
- When the agent runs as root, the code runs as uid/gid 65534 (``nobody``): root-only files (the user's
  config.ini, other processes' environments) are out of reach and RLIMIT_NPROC binds. A pids cgroup caps the
  process count as well where cgroups are writable.
- rlimits: CPU time, address space, processes, file size, open files, no core dumps.
- No environment is passed on (API keys stay in the agent), and the interpreter runs with ``-I``.
- An audit hook in the child refuses writes outside the work directory, reads outside the interpreter's and
  system directories, starting programs, sockets, ctypes and signals to other processes.

Example::

    from dosaku.executors.sandbox import Sandbox
    from dosaku.executors.limits import Limits

    result = Sandbox().run('print(6 * 7)', Limits(wall_time=5))
    result.stdout  # '42\\n'
"""
from __future__ import annotations

import functools
import json
import logging
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from dosaku.executors.errors import SandboxError
from dosaku.executors.limits import Limits
from dosaku.executors.result import ExceptionInfo, RunResult

log = logging.getLogger(__name__)

RUNNER = Path(__file__).with_name("_runner.py")
SANDBOX_UID = SANDBOX_GID = 65534
NAMESPACES = ["--net", "--pid", "--fork", "--kill-child", "--mount"]
PIDS_CGROUPS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")
HIDDEN = ("/root", "/home")
READABLE = ("/usr/", "/lib/", "/lib64/", "/etc/", "/proc/self/", "/proc/cpuinfo", "/proc/meminfo",
            "/sys/devices/system/cpu/", "/dev/null", "/dev/urandom", "/dev/random", "/dev/zero")
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
STARTED = b"R"


@functools.lru_cache(maxsize=1)
def isolation_support() -> dict[str, Any]:
    """What this machine allows (probed once): namespaces, dropping to nobody, a pids cgroup."""
    root = os.geteuid() == 0
    unshare = shutil.which("unshare")
    prefix: list[str] = []
    if unshare:
        for extra in ([] if root else ["--map-root-user"],):
            command = [unshare, *extra, *NAMESPACES, "--", "true"]
            try:
                if subprocess.run(command, capture_output=True, timeout=10).returncode == 0:
                    prefix = [unshare, *extra, *NAMESPACES, "--"]
            except (OSError, subprocess.TimeoutExpired):
                pass
    cgroup = None
    if root:
        for base in PIDS_CGROUPS:
            if (base / "pids.max").exists() or (base / "cgroup.procs").exists() and base.name == "pids":
                cgroup = base
                break
            controllers = base / "cgroup.controllers"
            if controllers.exists() and "pids" in controllers.read_text().split():
                cgroup = base
                break
    return {"unshare": prefix, "drop_to_nobody": root, "mounts": bool(prefix) and root, "cgroup": cgroup}


class Sandbox:
    """Runs code in a fresh isolated child process per call (see the module's docstring for the layers).

    Args:
        python: The interpreter to run the code with (default: this one, so installed packages are importable).
    """

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable
        self.support = isolation_support()

    def isolation(self) -> dict[str, Any]:
        """How runs are isolated on this machine."""
        return {
            "network_namespace": bool(self.support["unshare"]),
            "pid_namespace": bool(self.support["unshare"]),
            "private_tmp": self.support["mounts"],
            "user": SANDBOX_UID if self.support["drop_to_nobody"] else os.geteuid(),
            "pids_cgroup": self.support["cgroup"] is not None,
            "audit_hook": True,
        }

    def run(self, code: str, limits: Limits) -> RunResult:
        """Run ``code`` under ``limits`` and return what happened as data.

        Raises:
            SandboxError: the sandbox itself could not start (not the code's own failures, which are reported in
                the result).
        """
        started = time.monotonic()
        workdir = tempfile.mkdtemp(prefix="dosaku-run-", dir="/tmp" if self.support["mounts"] else None)
        cgroup = self._make_cgroup(limits)
        try:
            job = self._job(code, limits, workdir, cgroup)
            outcome = self._execute(job, limits)
        finally:
            self._remove_cgroup(cgroup)
            shutil.rmtree(workdir, ignore_errors=True)
        return self._result(outcome, time.monotonic() - started)

    def _job(self, code: str, limits: Limits, workdir: str, cgroup: Path | None) -> dict[str, Any]:
        drop = self.support["drop_to_nobody"]
        if drop and not self.support["mounts"]:
            os.chown(workdir, SANDBOX_UID, SANDBOX_GID)
        mounts = []
        if self.support["mounts"]:
            for path in WORLD_WRITABLE:
                if os.path.isdir(path) and not os.path.islink(path):
                    mounts.append((path, limits.disk_mb if path == "/tmp" else 1))
        return {
            "code": code,
            "limits": limits.as_dict(),
            "workdir": workdir,
            "uid": SANDBOX_UID if drop else None,
            "gid": SANDBOX_GID if drop else None,
            "mounts": mounts,
            "cgroup": str(cgroup) if cgroup else None,
            "readable": list(READABLE),
            "hidden": self._hidden(),
        }

    @staticmethod
    def _hidden() -> list[str]:
        """Directories replaced by an empty tmpfs in the child: homes, and Dosaku's config directory."""
        hidden = list(HIDDEN)
        try:
            from dosaku.config import default_config_path

            config_dir = str(default_config_path().parent)
            if os.path.isdir(config_dir) and not any(config_dir.startswith(h + "/") for h in HIDDEN):
                hidden.append(config_dir)
        except Exception as error:  # noqa: BLE001 - no config directory to hide
            log.debug("config directory unknown: %s", error)
        return hidden

    # --- cgroup ------------------------------------------------------------------------------------------------
    def _make_cgroup(self, limits: Limits) -> Path | None:
        base = self.support["cgroup"]
        if base is None:
            return None
        path = base / f"dosaku-run-{uuid.uuid4().hex[:12]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(limits.processes))
        except OSError as error:
            log.debug("no pids cgroup: %s", error)
            if path.exists():
                path.rmdir()
            return None
        return path

    @staticmethod
    def _remove_cgroup(path: Path | None) -> None:
        if path is None:
            return
        for _ in range(50):
            try:
                for pid in (path / "cgroup.procs").read_text().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                path.rmdir()
                return
            except OSError:
                time.sleep(0.02)
        log.warning("could not remove the cgroup %s", path)

    # --- the child ---------------------------------------------------------------------------------------------
    def _execute(self, job: dict[str, Any], limits: Limits) -> dict[str, Any]:
        read_result, write_result = os.pipe()
        command = [*self.support["unshare"], self.python, "-I", "-B", str(RUNNER)]
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(write_result,), env=dict(ENVIRONMENT), cwd="/", start_new_session=True,
            )
        except OSError as error:
            os.close(read_result)
            raise SandboxError(f"Could not start the sandbox ({command[0]}): {error}") from error
        finally:
            os.close(write_result)
        job["result_fd"] = write_result
        try:
            process.stdin.write(json.dumps(job).encode())  # type: ignore[union-attr]
            process.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass
        return self._collect(process, read_result, limits)

    def _collect(self, process: subprocess.Popen, read_result: int, limits: Limits) -> dict[str, Any]:
        buffers = {"stdout": bytearray(), "stderr": bytearray(), "result": bytearray()}
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ, "stdout")  # type: ignore[arg-type]
        selector.register(process.stderr, selectors.EVENT_READ, "stderr")  # type: ignore[arg-type]
        selector.register(read_result, selectors.EVENT_READ, "result")
        deadline = time.monotonic() + limits.wall_time
        limit, exited_at = None, None
        try:
            while selector.get_map():
                now = time.monotonic()
                if now >= deadline:
                    limit = "wall_time"
                    break
                if exited_at is None and self._reap(process, os.WNOHANG):
                    exited_at = now
                if exited_at is not None and now - exited_at > 1.0:
                    break  # left-over descendants hold the pipes open
                for key, _ in selector.select(min(deadline - now, 0.2)):
                    chunk = os.read(key.fd, 65536)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    buffers[key.data] += chunk
                if len(buffers["stdout"]) + len(buffers["stderr"]) > limits.output_bytes:
                    limit = "output"
                    break
                if len(buffers["result"]) > 10 * limits.output_bytes + 1_000_000:
                    limit = "output"
                    break
        finally:
            selector.close()
            self._kill(process)
            os.close(read_result)
            process.stdout.close()  # type: ignore[union-attr]
            process.stderr.close()  # type: ignore[union-attr]
        return {"buffers": buffers, "limit": limit, "returncode": process.returncode, "limits": limits,
                "cpu_time": process.cpu_time}  # type: ignore[attr-defined]

    @staticmethod
    def _reap(process: subprocess.Popen, options: int = 0) -> bool:
        """Wait for the child with wait4, keeping the CPU time it and its reaped descendants used."""
        if process.returncode is not None:
            return True
        pid, status, usage = os.wait4(process.pid, options)
        if pid == 0:
            return False
        process.returncode = os.waitstatus_to_exitcode(status)
        process.cpu_time = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]
        return True

    def _kill(self, process: subprocess.Popen) -> None:
        if process.returncode is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.send_signal(signal.SIGKILL)
        self._reap(process)

    # --- the result ----------------------------------------------------------------------------------------
    def _result(self, outcome: dict[str, Any], duration: float) -> RunResult:
        buffers, limits, limit = outcome["buffers"], outcome["limits"], outcome["limit"]
        returncode = outcome["returncode"]
        out = bytes(buffers["stdout"])
        err = bytes(buffers["stderr"])
        raw = bytes(buffers["result"])
        if limit == "output":
            budget = limits.output_bytes
            out = out[:budget]
            err = err[: max(0, budget - len(out))]
        stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        if not raw.startswith(STARTED):
            if limit is None:
                raise SandboxError(
                    f"The sandbox failed before running the code (exit status {returncode}): {stderr[-1000:]}"
                )
            raw = STARTED
        data: dict[str, Any] = {}
        if raw[1:]:
            try:
                data = json.loads(raw[1:].decode("utf-8", "replace"))
            except ValueError:
                data = {}
        if limit is None and not data:
            limit = self._signal_limit(returncode, outcome["cpu_time"], limits)
        error = ExceptionInfo(**data["error"]) if data.get("error") else None
        if not data and limit is None:
            error = ExceptionInfo("ResultLost", f"the code ended without a result (exit status {returncode}): it "
                                  "closed the result pipe, called os._exit or was killed", None, "")
        return RunResult(
            stdout=stdout,
            stderr=stderr,
            value=data.get("value"),
            value_repr=data.get("value_repr"),
            error=error,
            exit_code=int(data.get("exit_code", returncode if returncode else 0)),
            limit=limit or data.get("limit"),
            duration=duration,
            isolation=self.isolation(),
        )

    @staticmethod
    def _signal_limit(returncode: int | None, cpu_time: float, limits: Limits) -> str | None:
        """Why a child that left no result died: RLIMIT_CPU sends SIGXCPU, then SIGKILL."""
        if returncode in (-signal.SIGXCPU, 128 + signal.SIGXCPU) or cpu_time >= limits.cpu_time - 0.05:
            return "cpu_time"
        return None
