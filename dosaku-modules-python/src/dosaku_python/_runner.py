"""The child side of an isolated run. Standard library only; started as ``python -I -B _runner.py`` with the job
(JSON) on standard input and a pipe for the result on the descriptor the job names.

Trusted phase: join the pids cgroup, mount private tmpfs over the world-writable directories, set the resource
limits, drop to the unprivileged user, enter the work directory and install the audit hook. Then the untrusted code
runs; its last expression's value and its exception come back as JSON on that pipe.
"""
import ast
import builtins
import json
import os
import resource
import sys
import traceback

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC = 1, 2, 4, 32, 4096, 16384
FILENAME = "<code>"
AF_UNIX = 1
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
#: Audit events refused outright (prefixes end with '.').
REFUSED = (
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.forkpty", "subprocess.", "ctypes.", "socket.",
    "os.kill", "os.killpg", "signal.pthread_kill", "signal.pidfd_send_signal", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "sys.addaudithook", "webbrowser.", "winreg.", "_winapi.",
    "os.setxattr", "os.removexattr", "os.chroot", "os.chflags", "os.lchflags", "pty.",
)
#: Audit events that change the file system: every path argument must lie in the work directory.
PATH_EVENTS = (
    "os.remove", "os.rmdir", "os.mkdir", "os.rename", "os.link", "os.symlink", "os.truncate", "os.chmod",
    "os.chown", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.copymode", "shutil.copystat",
    "shutil.copytree", "shutil.move", "shutil.chown", "os.mkfifo", "os.mknod",
)
BLOCKED_MODULES = ("ctypes", "_ctypes", "_posixsubprocess", "pty", "multiprocessing")


def read_job():
    job = json.loads(sys.stdin.buffer.read().decode())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return job


def interpreter_dirs():
    """The directories the interpreter needs (its prefixes and sys.path), outermost only."""
    dirs = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path) if p}
    dirs = sorted(d for d in dirs if os.path.isdir(d))
    return [d for d in dirs if not any(d != o and d.startswith(o.rstrip("/") + "/") for o in dirs)]


def under(path, parents):
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in parents)


def mount_private_dirs(job):
    """Private tmpfs over each world-writable directory (the work directory lives in the one over /tmp) and over
    the home directories (the user's config.ini and keys), with the interpreter's own directories under any of them
    (a virtual environment in /tmp or in a home) bound back read-only."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source, target, fstype, flags, data):
        if libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(), flags,
                      data and data.encode()) != 0:
            raise OSError(ctypes.get_errno(), f"mount {source} on {target} failed")

    hidden = [h for h in job["hidden"] if os.path.isdir(h) and not os.path.islink(h)]
    covered = [path for path, _ in job["mounts"]] + hidden
    keep = [(d, os.open(d, os.O_PATH | os.O_DIRECTORY)) for d in interpreter_dirs() if under(d, covered)]
    for path, size in job["mounts"]:
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size}m,mode=1777")
    for path in hidden:
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for path, handle in keep:  # still open on the directory the tmpfs now covers
        os.makedirs(path, mode=0o755, exist_ok=True)
        mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC, None)
        mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        os.close(handle)
    for name in ("ctypes", "_ctypes", "ctypes._endian"):
        sys.modules.pop(name, None)


def set_limits(limits):
    cpu = int(limits["cpu_time"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    size = int(limits["file_size_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid, gid):
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError("could not drop privileges")


def disarm_fork_exec():
    """``_posixsubprocess.fork_exec`` starts programs without an audit event: replace it (re-importing the module
    is refused by the audit hook, so the original cannot come back)."""
    import _posixsubprocess

    def fork_exec(*args, **kwargs):
        raise PermissionError("starting programs is not allowed in the sandbox")

    _posixsubprocess.fork_exec = fork_exec


def install_audit_hook(workdir, readable):
    """Refuse writes outside ``workdir``, reads outside ``readable``, processes, sockets, ctypes and signals."""
    realpath, isdir, fspath, getpid = os.path.realpath, os.path.isdir, os.fspath, os.getpid
    inside_prefix = workdir.rstrip("/") + "/"

    def inside(path, prefixes):
        if isinstance(path, int):
            return True  # an already open file descriptor
        full = realpath(fspath(path) if not isinstance(path, bytes) else path.decode("utf-8", "replace"))
        return full == workdir or full.startswith(inside_prefix) or any(
            full == prefix.rstrip("/") or full.startswith(prefix) for prefix in prefixes
        )

    def refuse(event, detail=""):
        raise PermissionError(f"{event} is not allowed in the sandbox{': ' + detail if detail else ''}")

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or (flags or 0) & WRITE_FLAGS
            if writing and not inside(path, ()):
                refuse("writing", f"{path} is outside the work directory")
            if not writing and not inside(path, readable):
                refuse("reading", f"{path} is outside the readable directories")
            if not inside(path, ()) and isdir(path):
                refuse("opening a directory", str(path))
        elif event in PATH_EVENTS:
            for arg in args:
                if isinstance(arg, (str, bytes)) or hasattr(arg, "__fspath__"):
                    if not inside(arg, ()):
                        refuse(event, f"{arg} is outside the work directory")
        elif event == "socket.__new__":
            if args[1] != AF_UNIX:  # local socket pairs (asyncio's self-pipe) only
                refuse(event, "network sockets")
        elif event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[1]
            if getattr(sock, "family", None) != AF_UNIX or not isinstance(address, (str, bytes)):
                refuse(event)
            if address[:1] not in ("\0", b"\0") and not inside(address, ()):
                refuse(event, f"{address} is outside the work directory")
        elif event == "import":
            if args[0].split(".")[0] in BLOCKED_MODULES:
                raise ImportError(f"importing {args[0]} is not allowed in the sandbox")
        elif event.startswith(REFUSED):
            if event == "os.kill" and args[0] in (0, getpid()):
                return
            refuse(event)

    sys.addaudithook(hook)


def split_last_expression(code):
    tree = ast.parse(code, FILENAME, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    body = compile(tree, FILENAME, "exec")
    return body, (compile(last, FILENAME, "eval") if last is not None else None)


def describe(error):
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == FILENAME]
    if isinstance(error, SyntaxError) and error.filename == FILENAME:
        line = error.lineno
    else:
        line = frames[-1].lineno if frames else None
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    stack = "".join(traceback.format_list(frames)) if frames else ""
    return {"type": type(error).__name__, "message": str(error), "line": line,
            "traceback": f"Traceback (most recent call last):\n{stack}{text}" if stack else text}


def encode_value(value):
    try:
        return {"value": json.loads(json.dumps(value, allow_nan=False)), "value_repr": repr(value)[:2000],
                "json": True}
    except Exception:  # noqa: BLE001 - any value may fail to encode
        try:
            text = repr(value)[:2000]
        except Exception:  # noqa: BLE001
            text = f"<unrepresentable {type(value).__name__}>"
        return {"value": None, "value_repr": text, "json": False}


def run(code):
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    result = {"value": None, "value_repr": None, "json": True, "error": None, "exit_code": 0}
    try:
        body, last = split_last_expression(code)
        exec(body, namespace)
        if last is not None:
            value = eval(last, namespace)
            if value is not None:
                result.update(encode_value(value))
    except SystemExit as error:
        code = error.code
        result["exit_code"] = code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException as error:  # noqa: BLE001 - everything the code raises is reported
        result["error"] = describe(error)
        if isinstance(error, MemoryError):
            result["limit"] = "memory"
    return result


def main():
    job = read_job()
    if job.get("cgroup"):
        with open(os.path.join(job["cgroup"], "cgroup.procs"), "w") as procs:
            procs.write("0")
    if job.get("mounts"):
        mount_private_dirs(job)
    workdir = job["workdir"]
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    if job.get("uid") is not None:
        os.chown(workdir, job["uid"], job["gid"])
    set_limits(job["limits"])
    if job.get("uid") is not None:
        drop_privileges(job["uid"], job["gid"])
    os.chdir(workdir)
    os.umask(0o077)
    result_pipe = os.fdopen(job["result_fd"], "w")
    result_pipe.write("R")  # the sandbox is up: what follows is the code's doing
    result_pipe.flush()
    readable = [*job["readable"], *(p.rstrip("/") + "/" for p in sys.path if p and os.path.isdir(p)),
                *(p.rstrip("/") + "/" for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})]
    disarm_fork_exec()
    install_audit_hook(os.path.realpath(workdir), tuple(readable))
    runner = os.getpid()
    result = run(job["code"])
    if os.getpid() != runner:
        os._exit(0)  # a process the code forked: only the runner reports
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - the code may have closed or replaced them
        pass
    try:
        result_pipe.write(json.dumps(result))
        result_pipe.flush()
    except BaseException:  # noqa: BLE001 - the code may have closed fd 3: the parent reports a lost result
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
