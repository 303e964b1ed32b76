"""Landlock (the Linux security module) through its three system calls, standard library only: the sandbox's runner
applies it to itself before the code runs, and the kernel enforces it from then on, for the process and everything
it starts. Nothing here can be undone by the code: a Landlock domain only ever gets stricter.

Rights are granted per directory tree (``path beneath``); every right this kernel knows (``abi``) and the ruleset
does not grant is denied. ABI 4 adds TCP bind/connect (none granted: no TCP at all), ABI 6 scopes abstract unix
sockets and signals to the domain (the code cannot reach a process outside it).
"""
import ctypes
import os

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # the same number on every architecture
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

#: The file-system rights each ABI knows.
FS_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
READ = READ_FILE | READ_DIR
READ_EXECUTE = READ | EXECUTE
#: Everything but execution and device nodes, inside the work directory.
READ_WRITE = (READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO | MAKE_SYM
              | REFER | TRUNCATE)
DEVICE = READ_FILE | WRITE_FILE | TRUNCATE


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The Landlock ABI this kernel offers (0: none, or disabled at boot)."""
    version = _libc().syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(0, int(version))


def fs_rights(abi: int) -> int:
    """Every file-system right ABI ``abi`` knows."""
    return next(FS_RIGHTS[level] for level in sorted(FS_RIGHTS, reverse=True) if abi >= level)


def restrict(rules: list[tuple[str, int]], abi: int | None = None) -> dict:
    """Restrict this process (and what it starts) to ``rules``: (path, rights) pairs, each granting ``rights`` in the
    tree under ``path`` (paths that do not exist are skipped). No TCP, and (ABI 6) signals and abstract unix sockets
    only within the domain.

    Returns:
        What held: ``{'abi': 7, 'fs': True, 'net': True, 'scoped': True}``.

    Raises:
        OSError: the kernel refused (then nothing was restricted).
    """
    libc = _libc()
    abi = abi_version() if abi is None else abi
    if abi < 1:
        raise OSError("this kernel offers no Landlock")
    handled = fs_rights(abi)
    attr = RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not os.path.isdir(path):
                    rights &= READ_FILE | WRITE_FILE | EXECUTE | TRUNCATE | IOCTL_DEV  # rights a file can have
                beneath = PathBeneathAttr(rights & handled, fd)
                if libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                                ctypes.byref(beneath), ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
            finally:
                os.close(fd)
        if libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return {"abi": abi, "fs": True, "net": abi >= 4, "scoped": abi >= 6}
