"""PythonTester: results as data, each limit hit by a mild snippet, limit checks, permissions, in-process exec."""
from __future__ import annotations

import pytest
from dosaku import testing
from dosaku.errors import ExecutorPermissionRequired
from dosaku.executors import LimitError, RunResult
from dosaku.executors.sandbox import isolation_support
from dosaku.testing import isolated_agent

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


@pytest.fixture(scope="module")
def tester():
    agent = isolated_agent(enable_executors=True)
    agent.learn("Tester")
    return agent.Tester


def prove(tester, name: str) -> RunResult:
    code, limits = MILD[name]
    return tester.run(code, **limits)


class TestPythonTesterContract(testing.TesterContract):
    @pytest.fixture
    def tester(self):
        agent = isolated_agent(enable_executors=True)
        agent.learn("Tester")
        return agent.Tester


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
    assert set(result.value) <= {"PATH", "LANG", "LC_ALL", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                 "MKL_NUM_THREADS", "LC_CTYPE"}


def test_work_directory_is_writable_and_private(tester):
    result = tester.run("import os\nopen('a.txt', 'w').write('hi')\n[os.getcwd(), open('a.txt').read()]")
    assert result.ok, result.error
    cwd, text = result.value
    assert cwd.startswith("/tmp/dosaku-run-") and text == "hi"


@pytest.mark.parametrize("name", sorted(MILD))
def test_each_limit_is_hit(tester, name):
    result = prove(tester, name)
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
        if not isolation_support()["mounts"]:
            pytest.skip("no private tmpfs on this machine (needs root and unshare)")
        assert result.error.type == "OSError" and "No space left" in result.error.message


def test_output_is_cut_at_the_limit(tester):
    result = tester.run("print('x' * 5000)", output_bytes=1000)
    assert len(result.stdout) <= 1000


def test_limits_may_only_be_tightened(tester):
    with pytest.raises(LimitError, match=r"wall_time=99 is looser than this executor allows \(10.0\).*"
                                         r"agent.learn\('Tester', wall_time=99\)"):
        tester.run("1", wall_time=99)
    with pytest.raises(LimitError, match="Unknown limit 'walltime'. The limits are: cpu_time, disk_mb"):
        tester.run("1", walltime=1)
    with pytest.raises(LimitError, match="memory_mb=-1 must be a positive number"):
        tester.run("1", memory_mb=-1)


def test_learn_raises_the_ceiling():
    agent = isolated_agent(enable_executors=True)
    agent.learn("Tester", wall_time=30)
    assert agent.Tester.module.limits.wall_time == 30


def test_executor_refused_unless_enabled():
    agent = isolated_agent()
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
