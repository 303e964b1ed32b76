"""The `dosaku` command line, run as a real subprocess."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

KEY = "sk-cli-0123456789abcdefSECRET"


@pytest.fixture
def run(dosaku_home):
    beside = Path(sys.executable).parent / "dosaku"  # this environment's script, even when it is not on PATH
    executable = str(beside) if beside.exists() else shutil.which("dosaku")
    if executable is None:
        pytest.fail("the dosaku console script is not installed")

    def run(*args, stdin=None, check=True):
        result = subprocess.run([executable, *args], input=stdin, capture_output=True, text=True, timeout=60,
                                env=dict(os.environ))
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


def test_tasks(run):
    out = run("tasks").stdout
    assert "Chat" in out and "EchoBot" in out and "Converse with a chatbot." in out


def test_modules(run):
    out = run("modules", "Chat").stdout
    assert out.splitlines()[-1].startswith("EchoBot") or "EchoBot" in out
    assert "module" in out


def test_modules_unknown_task(run):
    result = run("modules", "Chta", check=False)
    assert result.returncode == 1
    assert "Unknown task 'Chta'. Did you mean: Chat?" in result.stderr


BROKEN = "dosaku-broken-plugin,dosaku-zz-clash-plugin"  # the test plugins that fail on purpose


def test_plugins_lists_failures_and_exits_non_zero(run):
    result = run("plugins", check=False)
    assert result.returncode == 1, "the broken test plugins (tests/plugins) must be installed"
    out = result.stdout
    assert "ok     dosaku.default_plugins.core" in out
    assert "ERROR  broken_import" in out and "[import] ImportError" in out
    assert "ERROR  broken_hook                      dosaku-broken-plugin 0.0.1\n" in out  # its hook raised: not ok
    assert "[clash]" in out and "same   example_again" in out


def test_plugins_exits_zero_when_nothing_failed(run, monkeypatch):
    monkeypatch.setenv("DOSAKU_BLOCK_PLUGINS", BROKEN)
    out = run("plugins").stdout
    assert "ERROR" not in out and "ok     example" in out


def test_plugins_check_finds_what_only_learning_would_show(run):
    result = run("plugins", "--check", check=False)
    assert result.returncode == 1
    assert ("PROBLEM missing_target: module GhostChat: its target 'dosaku_broken.no_such_module:GhostChat' does not "
            "import: ModuleNotFoundError") in result.stdout


def test_plugins_check_passes_every_installed_pack(run, monkeypatch):
    monkeypatch.setenv("DOSAKU_BLOCK_PLUGINS", BROKEN)
    result = run("plugins", "--check", check=False)
    assert result.returncode == 0, result.stdout
    assert "no problem(s)" in result.stdout and "PROBLEM" not in result.stdout


def test_keys_list_names_what_the_services_need_never_the_keys(run, monkeypatch):
    if "OpenAIChat" not in run("modules").stdout:
        pytest.skip("dosaku-modules-openai is not installed")
    assert "OPENAI       not set" in run("keys", "list").stdout
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    out = run("keys", "list").stdout
    assert "OPENAI       set" in out and "$OPENAI_API_KEY" in out and "OpenAIChat" in out and KEY not in out
    assert "[key OPENAI: set]" in run("modules", "Chat").stdout


def test_doc(run):
    assert run("doc", "Chat").stdout.startswith("Interface for a generic conversational chatbot.")
    assert "Actions: message, history, reset" in run("doc", "Chat").stdout
    assert "Example::" in run("doc", "Chat", "message").stdout
    result = run("doc", "Chat", "shout", check=False)
    assert result.returncode == 1 and "has no action 'shout'" in result.stderr


def test_keys_set_reads_stdin_and_config_show_masks(run, dosaku_home):
    result = run("keys", "set", "openai", stdin=KEY + "\n")
    assert KEY not in result.stdout + result.stderr
    path = dosaku_home / "config" / "config.ini"
    assert run("config", "path").stdout.strip() == str(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert KEY in path.read_text()
    shown = run("config", "show").stdout
    assert "[API_KEYS]" in shown and "OPENAI = sk-…CRET" in shown and KEY not in shown
    assert '"OPENAI": "sk-\\u2026CRET"' in run("config", "show", "--json").stdout
    run("keys", "unset", "OPENAI")
    assert KEY not in path.read_text()


def test_keys_set_refuses_empty_input(run):
    result = run("keys", "set", "openai", stdin="\n", check=False)
    assert result.returncode == 1 and "No key given" in result.stderr


def test_keys_are_not_taken_from_arguments(run):
    result = run("keys", "set", "OPENAI", KEY, check=False)
    assert result.returncode == 2 and "unexpected extra argument" in result.stderr.lower()


def test_version_and_module_entry():
    result = subprocess.run([sys.executable, "-m", "dosaku", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "version" in result.stdout
