"""The sandbox side of a run. Standard library only; started (inside bubblewrap, or as a plain process with
``isolation='process'``) as ``python -I -B _runner.py`` with the job (JSON) on standard input and the result
channel on the descriptor the job names.

Trusted phase, before any of the code runs: remount the work directory ``noexec`` (the only thing the one
capability bubblewrap leaves, CAP_SYS_ADMIN inside the run's own user namespace, is for), drop every capability,
restrict the process with Landlock, load the seccomp filter that forbids mounting, set the rlimits, and write the
header (``R`` and what held, as one JSON line) on the result channel. Then the code runs; its last expression's
value and its exception follow as JSON on the channel: from here on everything the channel carries is the code's
own claim, which the agent validates (:mod:`dosaku_python.channel`).
"""
import ast
import base64
import builtins
import ctypes
import json
import os
import resource
import sys
import traceback
from importlib import util


def _sibling(name):
    """A module beside this file (``-I`` puts no script directory on sys.path, and the code must not get one)."""
    spec = util.spec_from_file_location(name, os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py"))
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_landlock = _sibling("_landlock")

FILENAME = "<code>"
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_RELATIME = 2, 4, 8, 32, 4096, 1 << 21
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 22, 2, 47, 4
CAPABILITY_VERSION_3 = 0x20080522
REPR_LIMIT = 2000


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


LIBC = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what} failed: {os.strerror(error)}")


def read_job():
    job = json.loads(sys.stdin.buffer.read().decode())
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return job


def remount_noexec(path):
    """The work directory (bubblewrap's size-limited tmpfs) again, now without execution."""
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME
    check(LIBC.mount(None, path.encode(), None, ctypes.c_ulong(flags), None), f"remounting {path} noexec")


def drop_capabilities():
    """No capability left in any set (no_new_privs, set by bubblewrap, keeps an exec from regaining any)."""
    check(LIBC.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing the ambient capabilities")
    data = (CapData * 2)()
    check(LIBC.capset(ctypes.byref(CapHeader(CAPABILITY_VERSION_3, 0)), data), "dropping the capabilities")


def load_seccomp(program):
    """Load a compiled classic-BPF seccomp program (compiled by libseccomp on the agent's side)."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    check(LIBC.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "loading the seccomp filter")


def landlock_rules(job):
    rules = [(path, _landlock.READ_EXECUTE) for path in job["readable"]]
    rules += [(path, _landlock.DEVICE) for path in ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")]
    if job.get("own_proc"):
        rules.append(("/proc", _landlock.READ))
    rules += [(path, _landlock.READ_WRITE) for path in (job["workdir"], *job.get("writable", ()))]
    return rules


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


def set_up(job):
    """The trusted phase; returns what held (the header the agent trusts)."""
    layers = {}
    for path in job.get("remount_noexec", ()):
        remount_noexec(path)
    layers["noexec_work_dir"] = bool(job.get("remount_noexec"))
    if job.get("drop_capabilities"):
        drop_capabilities()
        layers["capabilities"] = "none"
    if job.get("set_no_new_privs"):
        check(LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "setting no_new_privs")
    if job.get("landlock"):
        layers["landlock"] = _landlock.restrict(landlock_rules(job), job["landlock"])
    for program in job.get("seccomp", ()):
        load_seccomp(base64.b64decode(program))
    layers["seccomp_programs_in_runner"] = len(job.get("seccomp", ()))
    set_limits(job["limits"])
    os.chdir(job["workdir"])
    os.umask(0o077)
    return layers


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
    return {"type": type(error).__name__, "message": str(error)[:REPR_LIMIT], "line": line,
            "traceback": (f"Traceback (most recent call last):\n{stack}{text}" if stack else text)[-8000:]}


def encode_value(value, budget):
    try:
        text = repr(value)[:REPR_LIMIT]
    except Exception:  # noqa: BLE001 - any value may fail to represent itself
        text = f"<unrepresentable {type(value).__name__}>"
    try:
        encoded = json.dumps(value, allow_nan=False)
    except Exception:  # noqa: BLE001 - any value may fail to encode
        return {"value": None, "value_repr": text, "json": False}
    if len(encoded) > budget:
        return {"value": None, "value_repr": text, "json": False}
    return {"value": json.loads(encoded), "value_repr": text, "json": True}


def run(code, budget, worker=None):
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    if worker is not None:
        namespace["__dosaku_worker__"] = worker  # a quarantine worker's requests pipe and response channel
    result = {"value": None, "value_repr": None, "json": True, "error": None, "exit_code": 0}
    try:
        body, last = split_last_expression(code)
        exec(body, namespace)
        if last is not None:
            value = eval(last, namespace)
            if value is not None:
                result.update(encode_value(value, budget))
    except SystemExit as error:
        code = error.code
        result["exit_code"] = code if isinstance(code, int) and not isinstance(code, bool) else (
            0 if code is None else 1)
    except BaseException as error:  # noqa: BLE001 - everything the code raises is reported
        result["error"] = describe(error)
        if isinstance(error, MemoryError):
            result["limit"] = "memory"
    return result


def main():
    job = read_job()
    channel = os.fdopen(job["result_fd"], "w")
    try:
        layers = set_up(job)
    except BaseException as error:  # noqa: BLE001 - the set-up failed: nothing of the code ran
        channel.write("F" + json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n")
        channel.flush()
        os._exit(70)
    channel.write("R" + json.dumps(layers) + "\n")  # the sandbox is up: what follows is the code's doing
    channel.flush()
    runner = os.getpid()
    worker = None
    if job.get("requests_fd") is not None:
        worker = {"requests": job["requests_fd"], "responses": job["result_fd"]}
    result = run(job["code"], job["limits"]["result_kb"] * 1024 // 2, worker)
    if os.getpid() != runner:
        os._exit(0)  # a process the code forked: only the runner reports
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - the code may have closed or replaced them
        pass
    try:
        channel.write(json.dumps(result))
        channel.flush()
    except BaseException:  # noqa: BLE001 - the code may have closed the channel: the agent reports a lost result
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
