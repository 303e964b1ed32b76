"""The sandbox's seccomp filters, compiled by libseccomp (through ``pyseccomp``) into classic BPF programs once per
process. The kernel checks every system call of the sandboxed process (and of everything it starts) against them;
a filter can never be removed.

Two programs, because the runner must remount its work directory ``noexec`` after bubblewrap has started it:

- :func:`base_program`, loaded by bubblewrap (``--seccomp FD``) before the interpreter starts: no ptrace or other
  processes' memory, no new namespaces (``unshare``, ``setns``, ``clone`` with namespace flags; ``clone3`` answers
  ENOSYS so the C library falls back to ``clone``), no kernel keyrings, BPF, perf events, userfaultfd or io_uring, no
  kernel modules, reboot, swap, clocks or accounting, no file handles, no terminal input injection, and sockets of
  the unix family only.
- :func:`mount_program`, loaded by the runner once the work directory is set up: no mounting of any kind.

Denied calls fail with EPERM (ENOSYS for ``clone3``), so the code sees a clear ``PermissionError``.
"""
from __future__ import annotations

import errno
import functools
import logging
import os

log = logging.getLogger(__name__)

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "unshare", "setns",
    "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
    "acct", "quotactl", "syslog", "uselib", "vhangup", "iopl", "ioperm", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "open_by_handle_at", "name_to_handle_at", "fanotify_init", "lookup_dcookie",
    "nfsservctl", "personality",
)
MOUNTING = ("mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount",
            "fspick", "mount_setattr")
CLONE_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
                    0x00000080)  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
AF_UNIX = 1
TIOCSTI, TIOCLINUX = 0x5412, 0x541C


class SeccompUnavailable(RuntimeError):
    """libseccomp (or pyseccomp) is missing."""


def _filter():
    try:
        import pyseccomp
    except (ImportError, OSError) as error:  # pyseccomp missing, or libseccomp.so.2 missing under it
        raise SeccompUnavailable(f"pyseccomp/libseccomp not available: {error}") from error
    return pyseccomp, pyseccomp.SyscallFilter(pyseccomp.ALLOW)


def _deny(seccomp, program, names, code: int = errno.EPERM, *args) -> list[str]:
    """Add a rule denying each of ``names``; the names this libseccomp does not know are returned."""
    unknown = []
    for name in names:
        try:
            program.add_rule(seccomp.ERRNO(code), name, *args)
        except (ValueError, RuntimeError, OSError):
            unknown.append(name)
    return unknown


def _compile(program) -> bytes:
    fd = os.memfd_create("dosaku-seccomp", os.MFD_CLOEXEC)
    try:
        with os.fdopen(os.dup(fd), "wb") as handle:
            program.export_bpf(handle)
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=1)
def base_program() -> bytes:
    """The filter bubblewrap loads before the interpreter starts (see the module's docstring).

    Raises:
        SeccompUnavailable: no libseccomp.
    """
    seccomp, program = _filter()
    unknown = _deny(seccomp, program, DENIED)
    for flag in CLONE_NAMESPACES:
        unknown += _deny(seccomp, program, ("clone",), errno.EPERM, seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    unknown += _deny(seccomp, program, ("clone3",), errno.ENOSYS)
    for call in ("socket", "socketpair"):
        unknown += _deny(seccomp, program, (call,), errno.EPERM, seccomp.Arg(0, seccomp.NE, AF_UNIX))
    for request in (TIOCSTI, TIOCLINUX):
        unknown += _deny(seccomp, program, ("ioctl",), errno.EPERM,
                         seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
    if unknown:
        log.debug("libseccomp does not know %s (older than this kernel's calls): not filtered", unknown)
    return _compile(program)


@functools.lru_cache(maxsize=1)
def mount_program() -> bytes:
    """The filter the runner loads once its work directory is mounted: no mounting of any kind."""
    seccomp, program = _filter()
    _deny(seccomp, program, MOUNTING)
    return _compile(program)


def available() -> str | None:
    """None when the filters compile here, else why not."""
    try:
        base_program()
        mount_program()
    except SeccompUnavailable as error:
        return str(error)
    except Exception as error:  # noqa: BLE001 - libseccomp's own errors
        return f"libseccomp failed: {type(error).__name__}: {error}"
    return None
