"""Ponder against a real loopback OpenAI-compatible server playing a scripted model: the README's tic-tac-toe flow
end to end (write the plugin, check it isolated, learn and use it in the same process), repairs, bounded failure,
permissions, and proof that generated code never runs in the agent's process."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dosaku import Agent
from dosaku.config import Config
from dosaku.errors import ExecutorPermissionRequired, ServicePermissionRequired
from dosaku_openai.pondering.writer import PonderError
from dosaku_openai.testing import FakeOpenAIServer, ScriptedReplies

REPLIES = Path(__file__).parent / "ponder_replies" / "tic_tac_toe"
README_REQS = "Write a tic tac toe program between a human and an AI player. Make the AI player play perfectly."
MARKER = "pondered-import-marker.txt"
FOLDER = "dosaku-pondered-tic-tac-toe"
PACKAGE = "dosaku_pondered_tic_tac_toe"
STEPS = ["plan", "task", "module", "sample", "app", "tests"]


def read(name: str) -> str:
    return (REPLIES / name).read_text()


def fenced(code: str, before: str = "Here is the file:\n") -> str:
    return f"{before}```python\n{code}```\nThat's all."


def script(**overrides: Any) -> ScriptedReplies:
    steps: dict[str, Any] = {
        "plan": read("plan.json"),
        "task": fenced(read("task.py")),
        "module": fenced(read("module.py")),
        "sample": fenced(read("sample.py")),
        "app": fenced(read("app.py")),
        "tests": fenced(read("tests.py")),
    }
    steps.update(overrides)
    return ScriptedReplies(**steps)


GOOD_MODULE = read("module.py")
SYNTAX_ERROR = GOOD_MODULE.replace("def move(self, row: int, column: int) -> str:", "def move(self, row, column)")
WITHOUT_WINNER = GOOD_MODULE.replace("    def winner(self) -> str | None:\n        return result(self._cells)\n", "")
# The action comes from nowhere: a helper base hides it from a reading, so only running missing_actions finds it.
MIXIN_WITHOUT_WINNER = WITHOUT_WINNER.replace(
    "class PerfectTicTacToe(Module, TicTacToe):",
    "class _Rules:\n    pass\n\n\nclass PerfectTicTacToe(Module, _Rules, TicTacToe):",
)
NAIVE_AI = GOOD_MODULE.replace(
    "    return max(free, key=lambda i: (score(cells[:i] + \"O\" + cells[i + 1:], \"X\"), -i))",
    "    return free[0]  # not perfect at all",
)
WRONG_TEST = read("tests.py").replace('flat.count("O") == 1', 'flat.count("O") == 0')


@pytest.fixture(autouse=True)
def _restore_imports() -> Iterator[None]:
    """Each test's plugin folder is its own: forget what an earlier test imported from its folder."""
    path, modules = list(sys.path), set(sys.modules)
    yield
    sys.path[:] = path
    for name in set(sys.modules) - modules:
        del sys.modules[name]


@pytest.fixture
def model(dosaku_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[ScriptedReplies], Any]]:
    """Start a loopback OpenAI server answering from a script; the agent's environment points at it. The test runs
    in an empty working directory, where the generated module leaves its marker when imported."""
    servers: list[FakeOpenAIServer] = []
    workdir = dosaku_home / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)

    def start(replies: ScriptedReplies) -> FakeOpenAIServer:
        server = FakeOpenAIServer(reply=replies).start()
        servers.append(server)
        monkeypatch.setenv("OPENAI_API_KEY", server.api_key)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        return server

    yield start
    for server in servers:
        server.stop()


def plugins_dir() -> Path:
    return Config().data_dir / "plugins"


def assert_never_ran_here() -> None:
    assert not Path(MARKER).exists(), "the generated module was imported in the agent's process"
    assert not [name for name in sys.modules if name.startswith(PACKAGE)]


def ponder(agent: Agent, **kwargs: Any) -> Any:
    return agent.Ponder(reqs=README_REQS, write_to_file=True, save_filename="tic_tac_toe.py", **kwargs)


# --- the README flow --------------------------------------------------------------------------------------------
def test_readme_flow_writes_a_plugin_then_the_same_process_learns_and_plays_it(model):
    replies = script()
    server = model(replies)
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder", model="gpt-4")
    report = ponder(agent)

    assert report.success, report.errors
    assert replies.asked == STEPS and report.requests == 6 and report.repairs == 0 and report.errors == []
    folder = plugins_dir() / FOLDER
    assert report.folder == folder and (report.task, report.module) == ("TicTacToe", "PerfectTicTacToe")
    written = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert written == sorted([
        "PROVENANCE.json", "README.md", "pyproject.toml", "tests/test_tic_tac_toe.py",
        f"src/{PACKAGE}/__init__.py", f"src/{PACKAGE}/plugin.py",
        f"src/{PACKAGE}/tasks/__init__.py", f"src/{PACKAGE}/tasks/tic_tac_toe.py",
        f"src/{PACKAGE}/modules/__init__.py", f"src/{PACKAGE}/modules/tic_tac_toe.py",
        f"src/{PACKAGE}/samples/__init__.py", f"src/{PACKAGE}/samples/tic_tac_toe.py",
        f"src/{PACKAGE}/app/__init__.py", f"src/{PACKAGE}/app/tic_tac_toe.py",
    ])
    assert (folder / f"src/{PACKAGE}/modules/tic_tac_toe.py").read_text() == GOOD_MODULE
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["dosaku"] == {"pondered_tic_tac_toe": f"{PACKAGE}.plugin"}
    assert not list(Path(sys.prefix).rglob(f"{PACKAGE}*")), "written inside the installation"
    assert_never_ran_here()

    # every request went to the model asked for, with Ponder's system prompt; the first is the plan
    sent = [request.json for request in server.chat_requests]
    assert len(sent) == 6 and {body["model"] for body in sent} == {"gpt-4"}
    assert all(body["messages"][0]["role"] == "system" and "Ponder" in body["messages"][0]["content"] for body in sent)
    assert sent[0]["messages"][-1]["content"].startswith("STEP: plan") and README_REQS in sent[0]["messages"][-1][
        "content"]
    [row] = agent.spending.ledger.rows(service="Ponder")
    assert row.requests == 6 and row.model == "gpt-4" and row.prompt_tokens > 0  # metered like any service call

    agent.refresh()
    assert "TicTacToe" in agent.learnable_tasks
    assert agent.registry.module("PerfectTicTacToe").kind == "executor"  # generated code: executors only
    with pytest.raises(ExecutorPermissionRequired):
        Agent(enable_services=True).learn("TicTacToe")
    # generated code is quarantined by default: Ponder wrote [PLACEMENT] PerfectTicTacToe = sandbox, which this agent
    # read again on refresh, so the module is built and called in a sandboxed worker (dosaku-modules-python) and its
    # code never runs here; locally only when asked
    assert Config().get("PLACEMENT", "PerfectTicTacToe") == "sandbox"
    agent.learn("TicTacToe")
    assert agent.tasks == ["Ponder", "TicTacToe"] and agent.loaded_modules == ["Ponder", "PerfectTicTacToe"]
    assert type(agent.TicTacToe.module).__name__ == "Quarantined"
    assert agent.api("TicTacToe") == ["new_game", "move", "board", "winner"]
    assert agent.doc("TicTacToe") == "Play tic tac toe against an AI player: the human is X, the AI is O."
    agent.TicTacToe.new_game()
    agent.TicTacToe(1, 1)  # the default action: move
    cells = sum(agent.TicTacToe.board(), [])
    assert cells.count("X") == 1 and cells.count("O") == 1 and agent.TicTacToe.winner() is None
    # the module's code ran in the sandbox only (its plugin and task, an interface, are read here to list and doc it)
    assert not Path(MARKER).exists() and not [name for name in sys.modules if name.startswith(f"{PACKAGE}.modules")]
    agent.learn("TicTacToe", placement="local")
    assert type(agent.TicTacToe.module).__name__ == "PerfectTicTacToe"
    assert Path(MARKER).read_text().split() == [str(os.getpid())]  # imported here only by the explicit learn


def test_provenance_records_model_prompts_time_and_file_hashes(model):
    model(script())
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder", model="gpt-4")
    folder = ponder(agent).folder
    provenance = json.loads((folder / "PROVENANCE.json").read_text())
    assert provenance["model"] == "gpt-4" and provenance["requirements"] == README_REQS
    assert provenance["validated"] is True and provenance["remaining_errors"] == []
    assert provenance["created"].endswith("Z") and provenance["base_url"].startswith("http://127.0.0.1:")
    assert [r["step"] for r in provenance["requests"]] == STEPS
    assert all(hashlib.sha256(r["prompt"].encode()).hexdigest() == r["sha256"] for r in provenance["requests"])
    assert provenance["checks"]["tests"]["passed"] == 6 and provenance["checks"]["missing"] == []
    for relative, digest in provenance["files"].items():
        assert hashlib.sha256((folder / relative).read_bytes()).hexdigest() == digest
    assert len(provenance["files"]) == 13


def test_the_agent_notices_the_new_plugin_without_refresh(model):
    model(script())
    agent = Agent(enable_services=True, enable_executors=True)
    assert "TicTacToe" not in agent.learnable_tasks
    agent.learn("Ponder")
    assert ponder(agent).success
    agent.learn("TicTacToe")
    assert "O wins" not in agent.TicTacToe(0, 0)
    assert "TicTacToe" in Agent().learnable_tasks  # and a new agent


def test_checks_run_isolated_without_the_agents_secrets(model, monkeypatch):
    snooping = read("tests.py") + (
        "\n\ndef test_no_secrets_and_no_home():\n"
        "    assert 'OPENAI_API_KEY' not in os.environ and 'OPENAI_BASE_URL' not in os.environ\n"
        "    assert 'DOSAKU_AGENT_SECRET' not in os.environ\n"
        "    assert not os.path.exists(os.path.expanduser('~/.ssh'))\n"
    )
    monkeypatch.setenv("DOSAKU_AGENT_SECRET", "do-not-leak")
    model(script(tests=fenced(snooping)))
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    report = ponder(agent)
    assert report.success, report.errors
    assert_never_ran_here()


def test_checks_need_the_python_pack_and_say_how_to_install_it(model, monkeypatch):
    """The checks go through the Tester task: without dosaku-modules-python, ModuleNotInstalled says what to do."""
    from dosaku.errors import ModuleNotInstalled

    model(script())
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    monkeypatch.setenv("DOSAKU_BLOCK_PLUGINS", "dosaku-modules-python")  # the private checking agent finds none
    with pytest.raises(ModuleNotInstalled, match=r"No installed module implements the task 'Tester'. Ponder checks "
                                                 r"the plugins it writes.*pip install dosaku-modules-python"):
        ponder(agent)


def test_checks_run_in_the_kernel_sandbox(model):
    """The generated tests run behind the python pack's kernel boundary: their own host name, no network."""
    probing = read("tests.py") + (
        "\n\ndef test_inside_the_sandbox():\n"
        "    import socket\n"
        "    assert socket.gethostname() == 'dosaku-sandbox'\n"
        "    assert [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]] == ['lo']\n"
    )
    model(script(tests=fenced(probing)))
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    report = ponder(agent)
    assert report.success, report.errors
    assert_never_ran_here()


# --- repairs ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("broken", "repair", "said"),
    [
        (SYNTAX_ERROR, fenced(GOOD_MODULE), "SyntaxError in src/dosaku_pondered_tic_tac_toe/modules/tic_tac_toe.py"),
        (WITHOUT_WINNER, fenced(GOOD_MODULE), "does not define the action(s) ['winner']"),
        (MIXIN_WITHOUT_WINNER, "FILE: module\n" + fenced(GOOD_MODULE, ""),
         "does not implement the action(s) ['winner'] of TicTacToe (dosaku.task.missing_actions)"),
        (NAIVE_AI, "The module is wrong.\nFILE: module\n" + fenced(GOOD_MODULE, ""), "test_the_ai_never_loses"),
    ],
    ids=["syntax-error", "missing-action-read", "missing-action-run", "failing-test-bad-module"],
)
def test_a_broken_module_is_repaired(model, broken, repair, said):
    replies = script(module=fenced(broken), repair=repair)
    server = model(replies)
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    report = ponder(agent)
    assert report.success, report.errors
    assert replies.asked == [*STEPS, "repair"] and report.repairs == 1 and report.requests == 7
    repair_prompt = server.chat_requests[-1].json["messages"][-1]["content"]
    assert repair_prompt.startswith("STEP: repair") and said in repair_prompt
    assert (report.folder / f"src/{PACKAGE}/modules/tic_tac_toe.py").read_text() == GOOD_MODULE
    assert_never_ran_here()
    agent.learn("TicTacToe")
    assert agent.TicTacToe.winner() is None


def test_a_wrong_generated_test_is_repaired(model):
    replies = script(tests=fenced(WRONG_TEST), repair="FILE: tests\n" + fenced(read("tests.py"), ""))
    server = model(replies)
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    report = ponder(agent)
    assert report.success, report.errors
    prompt = server.chat_requests[-1].json["messages"][-1]["content"]
    assert "test_ai_answers_each_move" in prompt and 'flat.count("O") == 0' in prompt
    assert (report.folder / "tests/test_tic_tac_toe.py").read_text() == read("tests.py")


def test_a_plan_that_is_not_json_is_repaired(model):
    replies = script(plan=["I think a TicTacToe task would be nice.", read("plan.json")])
    server = model(replies)
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    report = ponder(agent)
    assert report.success and replies.asked[:2] == ["plan", "plan"] and report.repairs == 1
    second = server.chat_requests[1].json["messages"]
    assert "not valid JSON" in second[-1]["content"] and second[-2]["role"] == "assistant"  # in the conversation


# --- bounded failure --------------------------------------------------------------------------------------------
def test_a_model_that_never_fixes_its_code_gets_a_report_of_the_remaining_errors(model):
    replies = script(module=fenced(SYNTAX_ERROR), repair=fenced(SYNTAX_ERROR))
    model(replies)
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder", max_repairs=2)
    report = ponder(agent)
    assert not report.success and not report
    assert replies.asked == [*STEPS, "repair", "repair"] and report.repairs == 2 and report.requests == 8
    assert len(report.errors) == 1 and report.errors[0].startswith("module: SyntaxError in src/")
    assert "Ponder did not produce a working plugin" in str(report) and "SyntaxError" in str(report)
    assert report.folder.parent == plugins_dir() / ".failed" and (report.folder / "PROVENANCE.json").is_file()
    assert json.loads((report.folder / "PROVENANCE.json").read_text())["remaining_errors"] == report.errors
    assert not (plugins_dir() / FOLDER).exists()
    agent.refresh()
    assert "TicTacToe" not in agent.learnable_tasks
    assert not [e for e in agent.plugin_errors if "pondered" in e.plugin]
    assert_never_ran_here()


def test_failing_tests_that_are_never_fixed_are_bounded_and_reported(model):
    replies = script(tests=fenced(WRONG_TEST), repair="I could not find the problem.")
    model(replies)
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder", max_repairs=1)
    report = ponder(agent)
    assert not report.success and replies.asked == [*STEPS, "repair"]
    assert report.errors and all(e.startswith("tests: test tests/test_tic_tac_toe.py::") for e in report.errors)
    assert "test_ai_answers_each_move" in report.errors[0]
    assert_never_ran_here()


def test_a_plan_that_never_parses_is_reported_without_files(model):
    replies = script(plan="no plan today")
    model(replies)
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder", max_repairs=1)
    report = ponder(agent)
    assert not report.success and report.folder is None and report.files == {}
    assert replies.asked == ["plan", "plan"] and report.errors[0].startswith("plan: the plan is not valid JSON")


# --- options and refusals ---------------------------------------------------------------------------------------
def test_write_to_file_false_writes_nothing(model):
    model(script())
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    report = agent.Ponder(reqs=README_REQS, write_to_file=False, save_filename="tic_tac_toe.py")
    assert report.success and report.folder is None
    assert report.files[f"src/{PACKAGE}/modules/tic_tac_toe.py"] == GOOD_MODULE
    assert not plugins_dir().exists() or not any(plugins_dir().iterdir())


def test_plugins_dir_from_config(model, dosaku_home, monkeypatch):
    target = dosaku_home / "my-pondered"
    monkeypatch.setenv("DOSAKU_PONDER__PLUGINS_DIR", str(target))
    model(script())
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    report = ponder(agent)
    assert report.folder == target / FOLDER and report.warnings == []
    agent.learn("TicTacToe")  # the agent loads [PONDER] PLUGINS_DIR too


def test_a_plugins_dir_the_agent_does_not_load_is_warned_about(model, dosaku_home):
    model(script())
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder", plugins_dir=dosaku_home / "elsewhere")
    report = ponder(agent)
    assert report.success and "is not one of the agent's plugin directories" in report.warnings[0]


def test_a_second_ponder_replaces_the_first_and_keeps_a_backup(model):
    model(script())
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    first = ponder(agent)
    second = ponder(agent)
    assert first.folder == second.folder and second.success
    assert [p.name.startswith(FOLDER) for p in (plugins_dir() / ".replaced").iterdir()] == [True]


def test_a_folder_not_written_by_ponder_is_never_replaced(model):
    server = model(script())
    (plugins_dir() / FOLDER).mkdir(parents=True)
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    with pytest.raises(PonderError, match="already exists and was not written by Ponder.*another save_filename"):
        ponder(agent)
    assert server.requests == []  # refused before anything was spent


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"reqs": "  "}, "Ponder needs requirements"), ({"reqs": "x", "colour": "red"}, "does not take ['colour']"),
     ({"reqs": "x", "max_repairs": -1}, "max_repairs must be 0 or more")],
)
def test_bad_arguments_are_refused_before_any_request(model, kwargs, message):
    server = model(script())
    agent = Agent(enable_services=True, enable_executors=True)
    agent.learn("Ponder")
    with pytest.raises(PonderError, match=message.replace("[", r"\[").replace("]", r"\]")):
        agent.Ponder(**kwargs)
    assert server.requests == []


def test_ponder_is_a_service_refused_without_enable_services(model):
    server = model(script())
    agent = Agent()
    with pytest.raises(ServicePermissionRequired, match="services have not been enabled"):
        agent.learn("Ponder", model="gpt-4")
    assert agent.tasks == [] and server.requests == []
    assert "Ponder" in agent.learnable_modules("Ponder")
