"""One cgroup per run, so that memory (swap included), processes and CPU are limited for the whole run, not per
process: cgroup v1 (a hierarchy per controller, as on this project's CI) or v2 (one unified hierarchy, where the
agent's own cgroup is delegated to it, as in many containers).

The run's cgroup is made inside the agent's own cgroup of each hierarchy, so it is also bounded by whatever bounds
the agent. Where no cgroup is writable (an ordinary user without delegation), :func:`run_cgroup` returns None and
the sandbox says so in ``RunResult.isolation`` (it then limits each process with rlimits only, or uses
``systemd-run --user --scope`` where a systemd user manager runs: see :func:`systemd_scope`).

Example::

    cgroup = run_cgroup(memory_mb=256, processes=16, cpus=1)
    if cgroup:
        cgroup.add(pid); ...; cgroup.usage(); cgroup.remove()
"""
from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

V1_CONTROLLERS = ("memory", "pids", "cpu", "cpuacct")
CPU_PERIOD_US = 100_000


def _mounts() -> dict[str, Path]:
    """Where each cgroup hierarchy is mounted: {'memory': ..., 'pids': ..., 'unified': ...}."""
    found: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) < 5 or len(rest) < 3:
            continue
        mount_point, fstype, options = Path(fields[4]), rest[0], rest[2].split(",")
        if fstype == "cgroup2":
            found.setdefault("unified", mount_point)
        elif fstype == "cgroup":
            for option in options:
                if option in V1_CONTROLLERS:
                    found.setdefault(option, mount_point)
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup in each hierarchy: {'memory': '/a/b', 'unified': '/x'}."""
    own: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return own
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            own["unified"] = path
        for controller in controllers.split(","):
            if controller in V1_CONTROLLERS:
                own[controller] = path
    return own


@functools.lru_cache(maxsize=1)
def hierarchies() -> dict[str, Path]:
    """The directory under which this process may make a run's cgroup, per controller (v1) or 'unified' (v2)."""
    mounts, own = _mounts(), _own_paths()
    bases = {}
    for name, mount_point in mounts.items():
        if name in own:
            bases[name] = mount_point / own[name].lstrip("/")
    if all(name in bases for name in ("memory", "pids")):
        return {name: path for name, path in bases.items() if name != "unified"}
    if "unified" in bases:
        controllers = (bases["unified"] / "cgroup.subtree_control")
        try:
            enabled = controllers.read_text().split()
        except OSError:
            enabled = []
        if "memory" in enabled and "pids" in enabled:
            return {"unified": bases["unified"]}
    return {}


@dataclass
class RunCgroup:
    """A run's cgroup: one directory per hierarchy (v1) or one (v2)."""

    paths: dict[str, Path]
    version: int
    swap_limited: bool = False
    notes: list[str] = field(default_factory=list)

    # --- making it -----------------------------------------------------------------------------------------
    @classmethod
    def make(cls, memory_mb: int, processes: int, cpus: float) -> RunCgroup:
        """Make and limit the cgroup. Raises OSError (with nothing left behind) when that is not allowed."""
        bases = hierarchies()
        if not bases:
            raise OSError("no cgroup hierarchy with the memory and pids controllers")
        name = f"dosaku-run-{uuid.uuid4().hex[:12]}"
        version = 2 if "unified" in bases else 1
        cgroup = cls({controller: base / name for controller, base in bases.items()}, version)
        try:
            for path in cgroup.paths.values():
                path.mkdir()
            cgroup.set_limits(memory_mb * 1024 * 1024, processes, cpus)
        except OSError:
            cgroup.remove()
            raise
        return cgroup

    def _write(self, controller: str, name: str, value: Any) -> None:
        (self.paths[controller] / name).write_text(str(value))

    def set_limits(self, memory: int, processes: int, cpus: float) -> None:
        quota = max(1000, int(cpus * CPU_PERIOD_US))
        if self.version == 2:
            self._write("unified", "memory.max", memory)
            try:
                self._write("unified", "memory.swap.max", 0)
                self.swap_limited = True
            except OSError:
                self.notes.append("swap is not accounted (no memory.swap.max)")
            self._write("unified", "pids.max", processes)
            try:
                self._write("unified", "cpu.max", f"{quota} {CPU_PERIOD_US}")
            except OSError:
                self.notes.append("no CPU quota (the cpu controller is not delegated)")
            return
        self._write("memory", "memory.limit_in_bytes", memory)
        try:
            self._write("memory", "memory.memsw.limit_in_bytes", memory)
            self.swap_limited = True
        except OSError:
            self.notes.append("swap is not accounted (no memory.memsw; boot with swapaccount=1)")
        self._write("pids", "pids.max", processes)
        if "cpu" in self.paths:
            self._write("cpu", "cpu.cfs_period_us", CPU_PERIOD_US)
            self._write("cpu", "cpu.cfs_quota_us", quota)
        else:
            self.notes.append("no CPU quota (no cpu controller)")

    def describe(self) -> dict[str, Any]:
        """What this cgroup limits, for ``RunResult.isolation``."""
        controllers = sorted(self.paths) if self.version == 1 else ["memory", "pids", "cpu"]
        return {"version": self.version, "controllers": controllers, "swap_limited": self.swap_limited,
                "notes": list(self.notes)}

    # --- using it ------------------------------------------------------------------------------------------
    def add(self, pid: int) -> None:
        """Move ``pid`` into the cgroup (every hierarchy)."""
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.paths.values():
            try:
                found.update(int(pid) for pid in (path / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return sorted(found)

    def _read(self, controller: str, name: str) -> str | None:
        try:
            return (self.paths[controller] / name).read_text()
        except (OSError, KeyError):
            return None

    def cpu_seconds(self) -> float | None:
        """CPU time every process of the run has used so far."""
        if self.version == 2:
            text = self._read("unified", "cpu.stat") or ""
            for line in text.splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) / 1e6
            return None
        text = self._read("cpuacct", "cpuacct.usage")
        return int(text) / 1e9 if text else None

    def usage(self) -> dict[str, Any]:
        """Peak memory, CPU seconds and OOM kills of the whole run, as measured by the kernel."""
        usage: dict[str, Any] = {"cpu_seconds": self.cpu_seconds()}
        if self.version == 2:
            peak = self._read("unified", "memory.peak")
            events = self._read("unified", "memory.events") or ""
        else:
            peak = self._read("memory", "memory.memsw.max_usage_in_bytes") or self._read(
                "memory", "memory.max_usage_in_bytes")
            events = self._read("memory", "memory.oom_control") or ""
        usage["memory_peak_mb"] = round(int(peak) / 2**20, 1) if peak else None
        kills = [line.split()[1] for line in events.splitlines() if line.startswith("oom_kill ")]
        usage["oom_kills"] = int(kills[0]) if kills else 0
        return usage

    def kill(self) -> None:
        """SIGKILL every process in the cgroup (v2: cgroup.kill; v1: each listed process, until none is left)."""
        if self.version == 2:
            try:
                self._write("unified", "cgroup.kill", 1)
            except OSError:
                pass
        for attempt in range(200):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            time.sleep(0.001 if attempt < 50 else 0.02)
        log.warning("processes left in the run's cgroup %s", self.paths)

    def remove(self) -> None:
        """Kill what is left and remove the directories."""
        self.kill()
        for path in self.paths.values():
            for attempt in range(150):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.001 if attempt < 50 else 0.02)
            else:
                log.warning("could not remove the cgroup %s", path)


def run_cgroup(memory_mb: int, processes: int, cpus: float) -> tuple[RunCgroup | None, str | None]:
    """A limited cgroup for one run, or None and why there is none."""
    try:
        return RunCgroup.make(memory_mb, processes, cpus), None
    except OSError as error:
        return None, f"no writable cgroup ({error.strerror or error})"


@functools.lru_cache(maxsize=1)
def systemd_scope() -> list[str] | None:
    """``systemd-run --user --scope`` where a systemd user manager answers (the conventional cgroup delegation for
    an ordinary user), else None."""
    if os.geteuid() == 0 or not shutil.which("systemd-run"):
        return None
    try:
        done = subprocess.run(["systemd-run", "--user", "--scope", "--quiet", "--", "true"], capture_output=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return ["systemd-run", "--user", "--scope", "--quiet"] if done.returncode == 0 else None


def scope_command(memory_mb: int, processes: int, cpus: float) -> list[str]:
    """The systemd-run prefix limiting a run like :class:`RunCgroup` does (call only when :func:`systemd_scope`)."""
    prefix = systemd_scope() or []
    return [*prefix, "-p", f"MemoryMax={memory_mb}M", "-p", "MemorySwapMax=0", "-p", f"TasksMax={processes}",
            "-p", f"CPUQuota={int(cpus * 100)}%", "--"]
