"""PythonTester: results as data, each limit hit by a mild snippet (per process and for the whole run), limit checks,
permissions, what the isolation report says, in-process exec."""
from __future__ import annotations

import os
import sys

import pytest
from dosaku import testing
from dosaku.errors import ExecutorPermissionRequired
from dosaku.testing import isolated_agent
from dosaku_python import LimitError, RunResult, SandboxError, SandboxUnavailable, bubblewrap, plugin
from dosaku_python.python_tester import PythonTester

#: Mild snippets, one per limit: each must hit its limit (and nothing else) before any attack runs.
MILD = {
    "processes": ("import os, time\nkids = []\ntry:\n    for _ in range(5):\n        pid = os.fork()\n"
                  "        if pid == 0:\n            time.sleep(3)\n            os._exit(0)\n        kids.append(pid)\n"
                  "finally:\n    print(len(kids))\n", {"processes": 3}),
    "memory": ("x = bytearray(300 * 1024 * 1024)", {"memory_mb": 200}),
    "cpu_time": ("while True:\n    pass", {"cpu_time": 1, "wall_time": 8}),
    "wall_time": ("import time\ntime.sleep(3)", {"wall_time": 0.5}),
    "output": ("print('x' * 5000)", {"output_bytes": 1000}),
    "file_size": ("open('big', 'wb').write(b'x' * 2 * 1024 * 1024)", {"file_size_mb": 1}),
    "disk": ("for i in range(3):\n    open(f'f{i}', 'wb').write(b'x' * 1024 * 1024)", {"disk_mb": 2}),
}


def learn_tester(**kwargs):
    agent = isolated_agent(plugin, enable_executors=True)
    agent.learn("Tester", **kwargs)
    return agent.Tester


@pytest.fixture(scope="module")
def tester():
    return learn_tester()


class TestPythonTesterContract(testing.TesterContract):
    @pytest.fixture
    def tester(self):
        return learn_tester()


def test_result_is_data_with_value_and_output(tester):
    result = tester.run("x = 6 * 7\nprint(x)\n{'x': x, 'ok': [True, None]}")
    assert isinstance(result, RunResult) and result.ok
    assert result.stdout == "42\n" and result.stderr == ""
    assert result.value == {"x": 42, "ok": [True, None]}


def test_value_that_is_not_json_comes_back_as_repr(tester):
    result = tester.run("{1, 2}")
    assert result.value is None and result.value_repr == "{1, 2}"


def test_exception_with_line_number(tester):
    result = tester.run("a = 1\n\ndef f():\n    return a / 0\n\nf()")
    assert not result.ok
    assert (result.error.type, result.error.line) == ("ZeroDivisionError", 4)
    assert 'File "<code>", line 6' in result.error.traceback and "_runner" not in result.error.traceback
    assert str(result.error) == "ZeroDivisionError (line 4): division by zero"


def test_syntax_error_line(tester):
    result = tester.run("x = 1\ny = (\n")
    assert result.error.type == "SyntaxError" and result.error.line == 2


def test_exit_code_and_stderr(tester):
    result = tester.run("import sys\nprint('bye', file=sys.stderr)\nsys.exit(3)")
    assert result.exit_code == 3 and result.stderr == "bye\n" and not result.ok


def test_markdown_fences_are_stripped(tester):
    assert tester.run("Here you go:\n```python\nprint('fenced')\n```\n").stdout == "fenced\n"


def test_no_environment_is_passed(tester, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-0123456789")
    result = tester.run("import os\nsorted(os.environ)")
    assert "OPENAI_API_KEY" not in result.value
    assert set(result.value) <= set(bubblewrap.ENVIRONMENT) | {"LC_CTYPE", "PWD"}  # PWD: set by bubblewrap


def test_work_directory_is_a_private_noexec_tmpfs(tester):
    result = tester.run("import os\nopen('a.txt', 'w').write('hi')\n"
                        "mounts = [l.split() for l in open('/proc/self/mountinfo')]\n"
                        "[os.getcwd(), open('a.txt').read(), [m[5] for m in mounts if m[4] == '/tmp']]")
    assert result.ok, result.error
    cwd, text, options = result.value
    assert cwd == "/tmp/work" and text == "hi"
    assert "noexec" in options[0].split(",") and "nosuid" in options[0].split(",")


def test_the_isolation_report_says_which_layers_held(tester):
    isolation = tester.run("1").isolation
    assert isolation["level"] == "kernel"
    assert set(isolation["bubblewrap"]["namespaces"]) == {"user", "pid", "net", "ipc", "uts", "cgroup", "mount"}
    assert isolation["noexec_work_dir"] is True and isolation["capabilities"] == "none"
    assert isolation["landlock"]["abi"] >= 1 and isolation["landlock"]["fs"] is True
    assert isolation["seccomp"] == {"before_start": True, "after_set_up": True}
    if os.geteuid() == 0:
        assert isolation["cgroup"]["version"] in (1, 2) and "memory" in isolation["cgroup"]["controllers"]


def test_the_code_has_no_capability_and_no_new_privileges(tester):
    status = tester.run("dict(l.split(':\\t') for l in open('/proc/self/status').read().splitlines() if "
                        "l.startswith(('Cap', 'NoNewPrivs', 'Seccomp')))").value
    assert {status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapAmb")} == {"0000000000000000"}
    assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"


@pytest.mark.parametrize("name", sorted(MILD))
def test_each_limit_is_hit(tester, name):
    code, limits = MILD[name]
    result = tester.run(code, **limits)
    if name == "processes":
        assert result.error.type == "BlockingIOError", result
        assert int(result.stdout) < 5
    elif name == "memory":
        assert result.limit == "memory" and result.error.type == "MemoryError"
    elif name in ("cpu_time", "wall_time", "output"):
        assert result.limit == name, result
    elif name == "file_size":
        assert result.error.type == "OSError" and "File too large" in result.error.message
    elif name == "disk":
        assert result.error.type == "OSError" and "No space left" in result.error.message


@pytest.mark.skipif(os.geteuid() != 0, reason="the whole-run limits need a writable cgroup (root here)")
def test_memory_is_limited_for_the_whole_run_not_per_process(tester):
    """Two processes of 120 MiB each stay under RLIMIT_AS each, but not under the run's 200 MiB together."""
    code = ("import os, time\nr, w = os.pipe()\npid = os.fork()\nif pid == 0:\n"
            "    x = bytearray(120 * 1024 * 1024)\n    x[::4096] = b'x' * len(x[::4096])\n    os.write(w, b'1')\n"
            "    time.sleep(5)\n    os._exit(0)\nos.read(r, 1)\ny = bytearray(120 * 1024 * 1024)\n"
            "y[::4096] = b'y' * len(y[::4096])\nif os.waitpid(pid, os.WNOHANG) == (0, 0):\n    print('both held')")
    result = tester.run(code, memory_mb=200, wall_time=8)
    assert result.limit == "memory" and "both held" not in result.stdout, result
    assert result.usage["oom_kills"] >= 1 and result.usage["memory_peak_mb"] <= 201


@pytest.mark.skipif(os.geteuid() != 0, reason="the whole-run limits need a writable cgroup (root here)")
def test_cpu_time_is_limited_for_the_whole_run(tester):
    code = ("import os\nfor _ in range(3):\n    if os.fork() == 0:\n        while True:\n            pass\n"
            "while True:\n    pass")
    result = learn_tester(cpus=4).run(code, cpu_time=2, wall_time=9)
    assert result.limit == "cpu_time", result
    assert 2 <= result.usage["cpu_seconds"] < 4  # four processes: rlimits alone would allow 8 s
    assert result.duration < 9


def test_every_run_starts_fresh(tester):
    """The standby sandbox is never reused: nothing of one run is seen by the next."""
    first = tester.run("import builtins, os\nopen('left-behind', 'w').write('x')\nbuiltins.MARK = 1\nos.getpid()")
    second = tester.run("import builtins, os\n[os.listdir('.'), hasattr(builtins, 'MARK'), os.getpid()]")
    assert first.ok and second.ok, (first, second)
    assert second.value[0] == [] and second.value[1] is False
    assert tester.module.sandbox.standby_pids()  # one waits for the next run


def test_a_run_with_other_limits_gets_its_own_sandbox(tester):
    tester.run("1")  # leaves a standby made for the default limits
    result = tester.run("open('big', 'wb').write(b'x' * 3 * 1024 * 1024)", disk_mb=2)
    assert result.error.type == "OSError" and "No space left" in result.error.message


def test_unloading_stops_the_standby():
    agent = isolated_agent(plugin, enable_executors=True)
    agent.learn("Tester")
    assert agent.Tester.run("1").ok
    sandbox = agent.Tester.module.sandbox
    pids = sandbox.standby_pids()
    assert pids
    agent.unlearn("Tester")
    assert sandbox.standby_pids() == [] and not any(os.path.exists(f"/proc/{pid}/cmdline") and
                                                    "_runner" in open(f"/proc/{pid}/cmdline").read() for pid in pids)


def test_output_is_cut_at_the_limit(tester):
    result = tester.run("print('x' * 5000)", output_bytes=1000)
    assert len(result.stdout) <= 1000


def test_limits_may_only_be_tightened(tester):
    with pytest.raises(LimitError, match=r"wall_time=99 is looser than this executor allows \(10.0\).*"
                                         r"agent.learn\('Tester', wall_time=99\)"):
        tester.run("1", wall_time=99)
    with pytest.raises(LimitError, match="Unknown limit 'walltime'. The limits are: cpu_time, cpus, disk_mb"):
        tester.run("1", walltime=1)
    with pytest.raises(LimitError, match="memory_mb=-1 must be a positive number"):
        tester.run("1", memory_mb=-1)


def test_learn_raises_the_ceiling():
    assert learn_tester(wall_time=30).module.limits.wall_time == 30
    with pytest.raises(LimitError, match="Unknown limit 'walls'"):
        PythonTester(walls=3)


def test_unknown_isolation_is_refused():
    with pytest.raises(SandboxError, match="Unknown isolation 'none': use 'kernel' \\(the default\\) or 'process'"):
        PythonTester(isolation="none")


def test_without_bubblewrap_a_run_is_refused_naming_what_to_install(tester, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no bwrap on it
    bubblewrap.executable.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match=r"bubblewrap \(bwrap\) is not installed. Install bubblewrap "
                                                     r"\(Debian/Ubuntu: apt-get install bubblewrap.*"
                                                     r"agent.learn\('Tester', isolation='process'\)"):
            tester.run("print(1)")
    finally:
        bubblewrap.executable.cache_clear()


def test_a_failing_namespace_set_up_names_what_to_enable():
    from dosaku_python.sandbox import Sandbox

    error = Sandbox._start_failure("bwrap: No permissions to create a new namespace, likely because the kernel "
                                   "does not allow non-privileged user namespaces.")
    assert isinstance(error, SandboxUnavailable)
    assert "user.max_user_namespaces" in str(error) and "isolation='process'" in str(error)


def test_process_isolation_only_when_asked_and_says_so():
    tester = learn_tester(isolation="process")
    result = tester.run("import os\nprint('hi')\nos.getcwd()")
    assert result.ok and result.stdout == "hi\n", result
    assert result.isolation["level"] == "process" and result.isolation["bubblewrap"] is None
    assert "not a kernel boundary" in result.isolation["notes"][0]
    assert result.isolation["landlock"]["fs"] is True
    assert not os.path.exists(result.value)  # the work directory is gone


def test_another_interpreter_runs_with_its_own_packages(tmp_path):
    """An interpreter under /tmp (a virtual environment) keeps its packages, read-only."""
    import venv

    venv.create(tmp_path / "venv", with_pip=False)
    site_packages = next((tmp_path / "venv" / "lib").glob("python3*/site-packages"))
    (site_packages / "probe_in_tmp.py").write_text("VALUE = 42\n")
    tester = PythonTester(python=str(tmp_path / "venv" / "bin" / "python"))
    result = tester.run("import probe_in_tmp, sys\nprint(sys.prefix)\nprobe_in_tmp.VALUE")
    assert result.ok and result.value == 42 and result.stdout == f"{tmp_path / 'venv'}\n", result
    denied = tester.run(f"open({str(site_packages / 'probe_in_tmp.py')!r}, 'a').write('VALUE = 0')")
    assert not denied.ok and (site_packages / "probe_in_tmp.py").read_text() == "VALUE = 42\n"
    fresh = tester.run("import os\nos.listdir('.')")
    assert fresh.ok and fresh.value == [], fresh  # the interpreter bound under /tmp does not show in the work dir


def test_a_config_and_home_under_tmp_do_not_break_runs(dosaku_home, tmp_path):
    assert str(dosaku_home).startswith(tempfile_root())
    tester = learn_tester()
    result = tester.run("print('fine')")
    assert result.ok and result.stdout == "fine\n", result


def tempfile_root() -> str:
    import tempfile

    return tempfile.gettempdir()


def test_executor_refused_unless_enabled():
    agent = isolated_agent(plugin)
    with pytest.raises(ExecutorPermissionRequired, match=r"only done by executors \(PythonTester\), but executors "
                                                         r"have not been enabled.*enable_executors=True"):
        agent.learn("Tester")
    with pytest.raises(ExecutorPermissionRequired, match="Loaded module was an executor, but executors have not "
                                                         "been enabled"):
        agent.learn("Tester", module="PythonTester")
    assert agent.tasks == []


def test_exec_runs_in_the_callers_namespace(tester):
    namespace: dict = {}
    tester.exec("```python\ndef gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n```",
                globals=namespace, locals=namespace)
    assert namespace["gcd"](10, 15) == 5


def test_exec_without_namespaces_uses_the_callers(tester):
    seen_by_exec = 41
    namespace: dict = {}
    tester.exec("assert seen_by_exec == 41\nexec_defined = seen_by_exec + 1\nsink['x'] = exec_defined",
                globals={"sink": namespace, "seen_by_exec": seen_by_exec})
    tester.exec("namespace['y'] = seen_by_exec")  # no namespaces: the caller's, as Python's exec
    assert namespace == {"x": 42, "y": 41}


def test_importing_the_plugin_imports_only_dosaku():
    import subprocess

    code = ("import sys, dosaku_python.plugin; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('pyseccomp', 'ctypes', 'numpy')]; print(bad)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_core_alone_names_this_pack_for_tester():
    from dosaku.errors import ModuleNotInstalled

    with pytest.raises(ModuleNotInstalled, match=r"'Tester'.*dosaku install Tester.*dosaku-modules-python"):
        isolated_agent(enable_executors=True).learn("Tester")  # core's plugins only


def test_without_libseccomp_the_run_says_so():
    """No silent downgrade: where pyseccomp/libseccomp is missing, the result's isolation says seccomp did not hold."""
    import json
    import subprocess

    code = ("import sys, json; sys.modules['pyseccomp'] = None\n"
            "from dosaku_python.sandbox import Sandbox\nfrom dosaku_python.limits import Limits\n"
            "r = Sandbox(warm=False).run('print(1)', Limits())\nprint(json.dumps([r.stdout, r.isolation['seccomp']]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    stdout, seccomp = json.loads(done.stdout.splitlines()[-1])
    assert stdout == "1\n" and seccomp.startswith("unavailable: pyseccomp/libseccomp not available")
    assert "the sandbox runs without seccomp" in done.stderr
