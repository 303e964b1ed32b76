"""``dosaku logs``, ``dosaku ask`` and ``dosaku chat``, run as real subprocesses (chat on a real pseudo-terminal)."""
from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from dosaku.logs import LogStore
from dosaku.testing.terminal import Terminal

ECHO = "Hi, I'm EchoBot. You said: "


def dosaku_script() -> str:
    beside = Path(sys.executable).parent / "dosaku"  # this environment's script, even when it is not on PATH
    executable = str(beside) if beside.exists() else shutil.which("dosaku")
    if executable is None:
        pytest.fail("the dosaku console script is not installed")
    return executable


@pytest.fixture
def run(dosaku_home):
    import subprocess

    def run(*args, stdin=None, code=0):
        result = subprocess.run([dosaku_script(), *args], input=stdin, capture_output=True, text=True, timeout=120,
                                env=dict(os.environ))
        assert result.returncode == code, (result.stdout, result.stderr)
        return result

    return run


def test_ask_answers_once_with_piped_context_and_is_logged(run):
    result = run("ask", "summarize", "--module", "EchoBot", stdin="line one\nline two\n")
    assert result.stdout == f"{ECHO}line one\nline two\n\nsummarize\n"
    run("ask", "-c", "and again")  # continues the latest conversation, with its module
    [summary] = LogStore().list()
    record = LogStore().show(summary.id)
    assert summary.module == "EchoBot" and summary.title == "line one line two summarize"
    assert [m.content for m in record.messages if m.role == "user"] == ["line one\nline two\n\nsummarize", "and again"]


def test_ask_errors_exit_non_zero_with_a_message(run):
    assert "Give a prompt" in run("ask", code=2).stderr
    assert "Unknown module 'NoSuchChat'" in run("ask", "hi", "--module", "NoSuchChat", code=1).stderr
    assert "no logged conversation to continue" in run("ask", "-c", "hi", code=1).stderr
    assert "No logged conversation has the id 'zzz'" in run("ask", "--cid", "zzz", "hi", code=1).stderr
    assert "does not take these arguments" in run("ask", "hi", "-m", "EchoBot", "-o", "bogus", "1", code=1).stderr


def test_logs_commands(run, dosaku_home):
    run("ask", "-m", "EchoBot", "the first conversation about lighthouses")
    run("ask", "-m", "EchoBot", "a second one about foxes")
    latest = LogStore().latest().id

    listed = run("logs").stdout  # alone: the latest conversations
    assert listed.index("a second one about foxes") < listed.index("the first conversation about lighthouses")
    assert json.loads(run("logs", "list", "--json", "-n", "1").stdout)[0]["id"] == latest
    assert [c["title"] for c in json.loads(run("logs", "list", "-q", "lighthouses", "--json").stdout)] == [
        "the first conversation about lighthouses"]

    shown = run("logs", "show", latest[:10]).stdout
    assert shown.startswith("# a second one about foxes") and f"{ECHO}a second one about foxes" in shown
    assert run("logs", "show", "-c", "-r").stdout == f"{ECHO}a second one about foxes\n"
    assert json.loads(run("logs", "show", latest, "--json").stdout)["messages"][0]["role"] == "user"

    hits = json.loads(run("logs", "search", "foxes", "--json").stdout)
    assert {hit["conversation_id"] for hit in hits} == {latest} and "[foxes]" in hits[0]["snippet"]
    assert "No logged message holds 'zebra'" in run("logs", "search", "zebra").stdout

    exported = json.loads(run("logs", "export", latest, "--json").stdout)
    assert exported["id"] == latest and exported["module"] == "EchoBot"
    out = dosaku_home / "out.md"
    run("logs", "export", latest, "--markdown", "-o", str(out))
    assert out.read_text().startswith("# a second one about foxes")

    assert "Not confirmed" in run("logs", "delete", latest, stdin="n\n", code=1).stderr
    assert run("logs", "delete", latest, "--yes").stdout == f"Deleted {latest}\n"
    assert "No logged conversation has the id" in run("logs", "show", latest, code=1).stderr
    assert run("logs", "path").stdout.strip() == str(dosaku_home / "data" / "logs.db")
    status = run("logs", "status").stdout
    assert "Logging is ON" in status and "Number of conversations logged: 1" in status


def test_logs_off_and_on(run, dosaku_home):
    assert "Logging is OFF" in run("logs", "off").stdout
    run("ask", "-m", "EchoBot", "unlogged")
    assert not (dosaku_home / "data" / "logs.db").exists()
    assert "Logging is OFF" in run("logs", "status").stdout and "No log database yet" in run("logs", "status").stdout
    run("logs", "on")
    run("ask", "-m", "EchoBot", "logged")
    run("ask", "-m", "EchoBot", "--no-log", "not this one")
    assert [c.title for c in LogStore().list()] == ["logged"]


def test_chat_in_a_terminal_streams_continues_and_keeps_the_conversation(dosaku_home):
    with Terminal([dosaku_script(), "chat", "--module", "EchoBot", "--system", "Be kind."]) as term:
        term.expect("Chatting with EchoBot.")
        term.expect("> ")
        term.send_line("hello terminal")
        term.expect(f"{ECHO}hello terminal")
        term.expect("> ")
        term.send_line("second line")
        term.expect("> ")
        term.send_eof()
        kept = term.expect(r"Conversation (\w+) kept", regex=True)
        assert term.wait() == 0
    ident = kept.split("Conversation ")[1].split()[0]
    record = LogStore().show(ident)
    assert record.system_prompt == "Be kind." and len(record.messages) == 4

    with Terminal([dosaku_script(), "chat", "-c"]) as term:
        term.expect("Chatting with EchoBot, continuing a conversation of 4 messages.")
        term.expect("> ")
        term.send("third\x1b[Dx\r")  # line editing: the cursor moves left one character before the x
        term.expect(f"{ECHO}thirxd")
        term.expect("> ")
        term.send("\x1b[A\r")  # the up arrow brings back the last line (readline's history)
        term.expect(f"{ECHO}thirxd", timeout_s=30)
        term.expect("> ")
        term.send_line("exit")
        assert term.wait() == 0
    assert [m.content for m in LogStore().show(ident).messages if m.role == "user"] == [
        "hello terminal", "second line", "thirxd", "thirxd"]
    history = dosaku_home / "data" / "chat_history"
    assert history.exists() and oct(history.stat().st_mode)[-3:] == "600"


def test_ctrl_c_at_the_prompt_quits_cleanly(dosaku_home):
    with Terminal([dosaku_script(), "chat", "-m", "EchoBot"]) as term:
        term.expect("> ")
        term.send_line("one")
        term.expect("> ")
        term.send_ctrl_c()
        term.expect("kept")
        assert term.wait() == 0
        assert "Traceback" not in term.output
