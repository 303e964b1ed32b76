"""PythonTester.run against a red-team corpus (every attack contained) and a benign corpus (every snippet right).

Attacks run only after the limits that contain them are proven by mild snippets (the ``proven`` fixture), so a
broken limit fails the proof instead of letting, say, the fork bomb loose.
"""
from __future__ import annotations

import importlib.util
import os
import socket
import stat
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from dosaku.executors.sandbox import SANDBOX_UID, isolation_support
from dosaku.testing import isolated_agent

SECRET = "sk-redteam-" + uuid.uuid4().hex
RUN_LIMITS = {"wall_time": 3, "cpu_time": 1, "memory_mb": 256, "processes": 16, "output_bytes": 100_000}

ATTACKS: dict[str, str] = {
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
    "dir_fd_escape": "import os\nfd = os.open({marker_dir!r}, os.O_RDONLY)\n"
                     "os.open('new', os.O_WRONLY | os.O_CREAT, dir_fd=fd)",
    "read_config": "print(open({config!r}).read())",
    "read_environment": "import os\nprint(dict(os.environ))",
    "read_parent_environ": "print(open('/proc/{ppid}/environ').read())",
    "walk_home": "import os\nfor root, dirs, files in os.walk({home!r}):\n    print(root, files)\n"
                 "    for f in files:\n        print(open(os.path.join(root, f)).read())",
    "socket_exfiltration": "import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
                           "s.sendall(b'stolen')",
    "urllib_exfiltration": "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:{port}/x', timeout=1)",
    "dns_lookup": "import socket\nsocket.getaddrinfo('localhost', {port})",
    "subprocess_shell": "import subprocess\nsubprocess.run(['sh', '-c', 'echo pwned > {marker}'])",
    "os_system_rm": "import os\nos.system('rm -rf {marker_dir}')",
    "os_exec": "import os\nos.execv('/bin/sh', ['sh', '-c', 'rm -rf {marker_dir}'])",
    "posix_spawn": "import os\nos.posix_spawn('/bin/rm', ['rm', {marker!r}], {{}})",
    "ctypes_system": "import ctypes\nctypes.CDLL(None).system(b'rm -rf {marker_dir}')",
    "private_ctypes": "_ctypes = __import__('_ctypes')\nprint(_ctypes)",
    "posixsubprocess": "import _posixsubprocess\n_posixsubprocess.fork_exec(['/bin/sh'], [b'/bin/sh'], True, (), "
                       "None, None, -1, -1, -1, -1, -1, -1, -1, -1, False, False, None, None, None, -1, None, False)",
    "reimport_posixsubprocess": "import sys\ndel sys.modules['_posixsubprocess']\nimport _posixsubprocess",
    "subclass_walk_system": "w = [c for c in ().__class__.__base__.__subclasses__()\n"
                            "     if c.__name__ == '_wrap_close'][0]\n"
                            "w.__init__.__globals__['system']('rm -rf {marker_dir}')",
    "subclass_walk_remove": "w = [c for c in ().__class__.__mro__[1].__subclasses__()\n"
                            "     if c.__name__ == '_wrap_close'][0]\n"
                            "w.__init__.__globals__['remove']({marker!r})",
    "builtins_open_via_dunder": "b = (lambda: 0).__globals__['__builtins__']\n"
                                "(b['open'] if isinstance(b, dict) else b.open)({marker!r}, 'w').write('x')",
    "gc_hunt_for_audit_hook": "import gc\nprint(len(gc.get_objects()))",
    "read_root_ssh_keys": "import os\nprint([open(os.path.join('/root/.ssh', f)).read()\n"
                          "       for f in os.listdir('/root/.ssh')])",
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
    "del_after_timeout": "class Bomb:\n    def __del__(self):\n        open({marker!r}, 'w').write('pwned')\n"
                         "b = Bomb()\nwhile True:\n    pass",
    "ignore_signals": "import signal\nfor s in (signal.SIGXCPU, signal.SIGTERM, signal.SIGINT, signal.SIGALRM):\n"
                      "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass",
    "atexit_write": "import atexit\natexit.register(lambda: open({marker!r}, 'w').write('pwned'))",
    "orphan_survives": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(6)\n"
                       "    open({marker!r}, 'w').write('pwned')\nelse:\n    time.sleep(0.2)",
    "fill_disk": "i = 0\nwhile True:\n    open(f'f{{i}}', 'wb').write(b'z' * 4 * 1024 * 1024)\n    i += 1",
    "read_shadow": "print(open('/etc/shadow').read())",
}

#: Attacks that may run to their end: there is nothing for them to find or their effect never happens.
FINDS_NOTHING = {"read_environment", "walk_home", "atexit_write", "orphan_survives"}

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
    "standard_library": ("import collections, itertools, math, re, datetime, decimal, fractions\n"
                         "str(fractions.Fraction(1, 3) + fractions.Fraction(1, 6))", "", "1/2"),
    "asyncio": ("import asyncio\nasync def f():\n    await asyncio.sleep(0)\n    return 7\nasyncio.run(f())", "", 7),
    "threads": ("import threading\nout = []\nts = [threading.Thread(target=out.append, args=(i,)) for i in range(4)]\n"
                "[t.start() for t in ts]\n[t.join() for t in ts]\nsorted(out)", "", [0, 1, 2, 3]),
}
if importlib.util.find_spec("numpy") is not None:
    BENIGN["numpy"] = ("import numpy as np\na = np.arange(6).reshape(2, 3)\nprint(a.sum())\n(a @ a.T).tolist()",
                       "15\n", [[5, 14], [14, 50]])


@pytest.fixture(scope="module")
def tester():
    agent = isolated_agent(enable_executors=True)
    agent.learn("Tester")
    return agent.Tester


@pytest.fixture(scope="module")
def proven(tester):
    """The limits the attacks rely on, each proven by a mild snippet first."""
    mild = tester.run("import os, time\nn = 0\ntry:\n    for _ in range(5):\n        if os.fork() == 0:\n"
                      "            time.sleep(2)\n            os._exit(0)\n        n += 1\nfinally:\n    print(n)",
                      processes=3)
    assert mild.error is not None and mild.error.type == "BlockingIOError" and int(mild.stdout) < 5, mild
    assert tester.run("x = bytearray(300 * 1024 * 1024)", memory_mb=200).limit == "memory"
    assert tester.run("while True:\n    pass", cpu_time=1, wall_time=8).limit == "cpu_time"
    assert tester.run("import time\ntime.sleep(3)", wall_time=0.5).limit == "wall_time"
    assert tester.run("print('x' * 5000)", output_bytes=1000).limit == "output"
    support = isolation_support()
    if os.geteuid() == 0:
        assert support["drop_to_nobody"], "as root the code must run as nobody, or RLIMIT_NPROC does not bind"
        assert tester.run("import os\nos.getuid()").value == SANDBOX_UID
    return support


@pytest.fixture(scope="module")
def world(tmp_path_factory, proven):
    """Marker files, a config with a key, a listening server and a sentinel process the attacks go after."""
    home = tmp_path_factory.mktemp("home")
    marker_dir = home / "precious"
    marker_dir.mkdir()
    marker = marker_dir / "marker.txt"
    marker.write_text("untouched")
    config = home / ".config" / "dosaku" / "config.ini"
    config.parent.mkdir(parents=True)
    config.write_text(f"[API_KEYS]\nOPENAI = {SECRET}\n")
    config.chmod(0o600)
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    connections: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            connections.append(connection.recv(100) or b"<connected>")
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    sentinel = subprocess.Popen(["sleep", "600"])
    os.environ["OPENAI_API_KEY"] = SECRET
    try:
        yield {
            "home": str(home), "marker_dir": str(marker_dir), "marker": str(marker), "config": str(config),
            "port": server.getsockname()[1], "ppid": os.getpid(), "sentinel": sentinel.pid,
            "host_tmp": f"/tmp/dosaku-pwned-{uuid.uuid4().hex}", "connections": connections,
            "marker_mode": stat.S_IMODE(marker.stat().st_mode),
        }
    finally:
        del os.environ["OPENAI_API_KEY"]
        stop.set()
        thread.join(timeout=5)
        server.close()
        sentinel.kill()
        sentinel.wait()


def sandbox_processes() -> list[str]:
    """Live processes of the sandbox user (zombies, already dead and waiting for init to reap them, excepted)."""
    done = subprocess.run(["ps", "-u", str(SANDBOX_UID), "-o", "stat=,pid=,args="], capture_output=True, text=True)
    return [line for line in done.stdout.splitlines() if line.strip() and not line.strip().startswith("Z")]


def test_corpus_sizes():
    assert len(ATTACKS) >= 30 and len(BENIGN) >= 10


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_is_contained(tester, world, name):
    code = ATTACKS[name].format(**world)
    result = tester.run(code, **RUN_LIMITS)
    everything = f"{result.stdout}{result.stderr}{result.value_repr}{result.error}"
    assert SECRET not in everything, name
    assert Path(world["marker"]).read_text() == "untouched", name
    assert stat.S_IMODE(Path(world["marker"]).stat().st_mode) == world["marker_mode"]
    assert sorted(os.listdir(world["marker_dir"])) == ["marker.txt"]
    assert Path(world["config"]).read_text().endswith(f"{SECRET}\n")
    assert not os.path.exists(world["host_tmp"])
    assert world["connections"] == [], world["connections"]
    os.kill(world["sentinel"], 0)  # still alive (raises otherwise)
    if os.geteuid() == 0 and isolation_support()["unshare"]:
        assert sandbox_processes() == [], sandbox_processes()
    if name not in FINDS_NOTHING:
        assert not result.ok, f"{name} ran to its end unhindered: {result}"


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_snippet_runs_correctly(tester, name):
    code, stdout, value = BENIGN[name]
    result = tester.run(code)
    assert result.ok, (name, result)
    assert result.stdout == stdout
    assert result.value == value


@pytest.mark.skipif(not isolation_support()["mounts"], reason="needs private mounts (root with unshare)")
def test_an_interpreter_under_a_private_directory_keeps_its_packages(tmp_path):
    """A virtual environment in /tmp (or a home) lies under a directory the sandbox covers with a private tmpfs: its
    own directories are bound back read-only, so its packages import and stay unwritable."""
    import venv

    from dosaku.executors.python_tester import PythonTester

    assert str(tmp_path).startswith("/tmp/")
    venv.create(tmp_path / "venv", with_pip=False)
    site_packages = next((tmp_path / "venv" / "lib").glob("python3*/site-packages"))
    (site_packages / "probe_in_tmp.py").write_text("VALUE = 42\n")
    tester = PythonTester(python=str(tmp_path / "venv" / "bin" / "python"))
    result = tester.run("import probe_in_tmp, sys\nprint(sys.prefix)\nprobe_in_tmp.VALUE")
    assert result.ok and result.value == 42 and result.stdout == f"{tmp_path / 'venv'}\n", result
    denied = tester.run(f"open({str(site_packages / 'probe_in_tmp.py')!r}, 'a').write('VALUE = 0')")
    assert not denied.ok and (site_packages / "probe_in_tmp.py").read_text() == "VALUE = 42\n"
