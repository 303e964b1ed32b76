"""The console script, the `dosaku gui` command from the plugin, and import hygiene (no gradio at import)."""
from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner
from dosaku_gui.cli import command


def run_python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=True).stdout.strip()


def test_help_lists_every_option():
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--module", "--enable-services", "--share / --no-share", "--system-prompt"):
        assert option in result.output
    assert "7860" in result.output and "127.0.0.1" in result.output


def test_bad_option_values_are_refused():
    result = CliRunner().invoke(command, ["--port", "seventy"])
    assert result.exit_code == 2 and "'seventy' is not a valid integer" in result.output


def test_dosaku_gui_command_is_added_to_the_dosaku_cli_without_importing_gradio():
    out = run_python(
        "import sys; from dosaku.cli import build_cli; cli = build_cli(); "
        "print('gui' in cli.commands, 'gradio' in sys.modules)"
    )
    assert out == "True False"


def test_importing_dosaku_and_the_gui_package_imports_no_gradio():
    out = run_python(
        "import sys, dosaku, dosaku_gui, dosaku_gui.plugin, dosaku_gui.session, dosaku_gui.messages; "
        "dosaku.Agent().learnable_tasks; print(sorted(m for m in ('gradio', 'llama_cpp') if m in sys.modules))"
    )
    assert out == "[]"
