"""The bubblewrap command line of a run: the namespaces, and the file system the code sees.

The root is a fresh tmpfs holding only: the system directories (``/usr`` and the ``/lib``, ``/bin`` links of a
merged-/usr system) and the dynamic linker's cache, read-only; the interpreter's prefixes and the package
directories on its ``sys.path``, read-only (:mod:`dosaku_python.interpreter`); the runner's two files; a procfs of
the run's own PID namespace; a minimal ``/dev`` with a private ``/dev/shm``; and ``/tmp``, a tmpfs of ``disk_mb``
holding the work directory ``/tmp/work`` (the runner remounts both tmpfs ``noexec``). The work directory is a
directory of its own, so that an interpreter living under ``/tmp`` (a checkout or virtual environment there),
bound back read-only at its path, never shows in it. Nothing of the user's home, config or
``/etc`` beyond the linker cache.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess

from dosaku_python.interpreter import SYSTEM, SYSTEM_FILES, Interpreter

NAMESPACES = ("user", "pid", "net", "ipc", "uts", "cgroup", "mount")
TMP_DIR = "/tmp"
WORK_DIR = "/tmp/work"
SHARED_MEMORY = "/dev/shm"  # POSIX shared memory and semaphores (multiprocessing): private, sized and noexec too
RUNNER_DIR = "/run/dosaku"
HOSTNAME = "dosaku-sandbox"
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": WORK_DIR, "TMPDIR": WORK_DIR,
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@functools.lru_cache(maxsize=1)
def executable() -> str | None:
    """The ``bwrap`` program, if installed."""
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=1)
def version() -> str:
    try:
        done = subprocess.run([executable() or "bwrap", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip().removeprefix("bubblewrap ") or "unknown"


def _system_mounts() -> list[str]:
    arguments: list[str] = []
    for path in SYSTEM:
        if os.path.islink(path):
            arguments += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            arguments += ["--ro-bind", path, path]
    for path in SYSTEM_FILES:
        arguments += ["--ro-bind-try", path, path]
    return arguments


def command(interpreter: Interpreter, disk_mb: int, fds: dict[str, int]) -> list[str]:
    """The whole bwrap command running the runner with ``interpreter``.

    Args:
        interpreter: What the code runs with.
        disk_mb: Size of the work directory's tmpfs.
        fds: Descriptors passed in: ``seccomp`` (the compiled filter, optional), ``runner`` and ``landlock`` (the
            runner's files), ``status`` (bwrap's JSON status) and ``block`` (bwrap waits on it before starting the
            runner, so the agent can first put the run into its cgroup).
    """
    arguments = [
        executable() or "bwrap",
        "--unshare-user", "--uid", "0", "--gid", "0",
        "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup",
        "--hostname", HOSTNAME, "--die-with-parent", "--new-session",
        "--cap-drop", "ALL", "--cap-add", "CAP_SYS_ADMIN",  # only for the runner's noexec remount; it drops it
        "--size", str(disk_mb * 1024 * 1024), "--perms", "0700", "--tmpfs", TMP_DIR,
        "--perms", "0700", "--dir", WORK_DIR,
        "--proc", "/proc", "--dev", "/dev", "--size", str(disk_mb * 1024 * 1024), "--tmpfs", SHARED_MEMORY,
        *_system_mounts(),
    ]
    for path in interpreter.directories:
        arguments += ["--ro-bind", path, path]
    arguments += ["--perms", "0444", "--ro-bind-data", str(fds["runner"]), f"{RUNNER_DIR}/_runner.py",
                  "--perms", "0444", "--ro-bind-data", str(fds["landlock"]), f"{RUNNER_DIR}/_landlock.py",
                  "--chdir", WORK_DIR, "--clearenv"]
    for name, value in ENVIRONMENT.items():
        arguments += ["--setenv", name, value]
    if "seccomp" in fds:
        arguments += ["--seccomp", str(fds["seccomp"])]
    arguments += ["--json-status-fd", str(fds["status"]), "--block-fd", str(fds["block"]),
                  "--", interpreter.executable, "-I", "-B", f"{RUNNER_DIR}/_runner.py"]
    return arguments


def readable(interpreter: Interpreter) -> list[str]:
    """What the runner's Landlock rules let the code read (and execute): exactly what the sandbox shows."""
    return [path for path in (*SYSTEM, *SYSTEM_FILES) if os.path.exists(path)] + [
        *interpreter.directories, RUNNER_DIR]
