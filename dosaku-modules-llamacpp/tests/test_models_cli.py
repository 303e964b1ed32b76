"""``dosaku models``: the real command line (click, through the plugin's register_commands), then chatting with the
model that ``use`` picked."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from dosaku import Agent
from dosaku.cli import build_cli
from dosaku.config import Config
from dosaku.errors import DosakuError
from dosaku_llamacpp.chat import LlamaCppChat
from dosaku_llamacpp.errors import ModelNotInstalled, UnknownModel
from dosaku_llamacpp.local_models import models_dir
from dosaku_llamacpp.testing import HuggingFaceFiles
from models_helpers import TINY, TINY_KEY


def dosaku(*args: str, input: str | None = None):
    result = CliRunner().invoke(build_cli(), ["models", *args], input=input, catch_exceptions=False)
    return result


def test_the_installed_dosaku_command_has_models(dosaku_home):
    script = shutil.which("dosaku", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "dosaku"]
    done = subprocess.run([*command, "models", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name in ("list", "pull", "remove", "use", "info"):
        assert name in done.stdout


def test_list_shows_the_builtin_default_and_the_catalog_with_sizes_and_ram(dosaku_home):
    result = dosaku("list")
    assert result.exit_code == 0, result.output
    assert "* smollm2-135m" in result.output
    catalog = result.output.split("Catalog", 1)[1]
    assert "qwen2.5-1.5b" in catalog and "1.12 GB" in catalog and "1.60 GB" in catalog and "Apache-2.0" in catalog


def test_pull_then_list_then_info(hf):
    pulled = dosaku("pull", TINY)
    assert pulled.exit_code == 0, pulled.output
    assert "verified (SHA-256" in pulled.output and "dosaku models use tiny-chat" in pulled.output
    listed = dosaku("list")
    assert "  tiny-chat" in listed.output and "downloaded, verified" in listed.output
    assert "[installed]" in listed.output.split("Catalog", 1)[1]
    data = json.loads(dosaku("list", "--json").output)
    assert data["default"] == "smollm2-135m"
    assert any(model["name"] == TINY and model["verified"] for model in data["installed"])
    assert any(entry["name"] == "qwen2.5-3b" and entry["sha256"] for entry in data["catalog"])
    info = dosaku("info", TINY)
    assert hf.url_of(TINY_KEY) in info.output and "400 MB" in info.output
    assert str(models_dir(Config()) / "tiny-chat-q4_1.gguf") in info.output


def test_info_of_a_catalog_model_not_downloaded(dosaku_home):
    result = dosaku("info", "llama3.2:1b")
    assert result.exit_code == 0
    assert "bartowski/Llama-3.2-1B-Instruct-GGUF/resolve/main/Llama-3.2-1B-Instruct-Q4_K_M.gguf" in result.output
    assert "131072 tokens" in result.output and "Llama 3.2 Community License" in result.output
    assert "no: `dosaku models pull llama3.2-1b`" in result.output


def test_errors_are_messages_not_tracebacks(hf):
    for args in (("pull", "qwen-2.5"), ("info", "qwen-2.5"), ("use", "qwen-2.5"), ("remove", "qwen-2.5")):
        result = dosaku(*args)
        assert result.exit_code == 1 and "Error: Unknown model 'qwen-2.5'" in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_pull_refuses_an_unverifiable_url_unless_no_verify(dosaku_home, smollm2_file):
    with HuggingFaceFiles({TINY_KEY: smollm2_file}, linked_etag=False) as server:
        refused = dosaku("pull", server.url_of(TINY_KEY))
        assert refused.exit_code == 1 and "--no-verify" in refused.output
        accepted = dosaku("pull", server.url_of(TINY_KEY), "--no-verify", "--name", "mine")
        assert accepted.exit_code == 0 and "UNVERIFIED" in accepted.output
        assert "mine" in dosaku("list").output and "UNVERIFIED" in dosaku("list").output


def test_use_a_model_not_downloaded_says_how_to_pull_it(dosaku_home):
    result = dosaku("use", "qwen2.5-1.5b")
    assert result.exit_code == 1 and "dosaku models pull qwen2.5-1.5b" in result.output
    assert Config().get("LLAMACPP", "MODEL") is None


def test_use_then_chat_with_the_pulled_model(hf):
    assert dosaku("pull", TINY).exit_code == 0
    config = Config()
    config.set("LLAMACPP", "MODEL_PATH", "/somewhere/old.gguf")
    used = dosaku("use", TINY)
    assert used.exit_code == 0 and "now chats with tiny-chat" in used.output and "MODEL_PATH" in used.output
    config = Config()
    assert config.get("LLAMACPP", "MODEL") == TINY and config.get("LLAMACPP", "MODEL_PATH") is None
    assert "* tiny-chat" in dosaku("list").output

    agent = Agent()
    agent.learn("Chat", module="LlamaCppChat", temperature=0.0, max_tokens=8)
    try:
        assert agent.Chat.module.model_path == models_dir(config) / "tiny-chat-q4_1.gguf"
        reply = agent.Chat.message("What is the capital of France? Answer in one word.")
        assert "paris" in reply.lower(), reply
    finally:
        agent.unlearn("Chat")

    back = dosaku("use", "smollm2-135m")
    assert back.exit_code == 0 and Config().get("LLAMACPP", "MODEL") is None


def test_pull_with_use_makes_it_the_default(hf):
    result = dosaku("pull", TINY, "--use")
    assert result.exit_code == 0 and "now chats with tiny-chat" in result.output
    assert Config().get("LLAMACPP", "MODEL") == TINY


def test_learn_picks_a_model_by_name_and_model_path_still_works(hf, smollm2_file):
    assert dosaku("pull", TINY).exit_code == 0
    by_name = LlamaCppChat(model=TINY)
    assert by_name.model_path.name == "tiny-chat-q4_1.gguf"
    assert LlamaCppChat(model="smollm2-135m").model_path == smollm2_file
    assert LlamaCppChat(model_path=smollm2_file).model_path == smollm2_file
    with pytest.raises(DosakuError, match="not both"):
        LlamaCppChat(model_path=smollm2_file, model=TINY)


def test_naming_a_catalog_model_never_downloads_it(hf):
    with pytest.raises(ModelNotInstalled, match="dosaku models pull qwen2.5-3b"):
        Agent().learn("Chat", module="LlamaCppChat", model="qwen2.5-3b")
    with pytest.raises(ModelNotInstalled):
        LlamaCppChat(model=TINY)
    with pytest.raises(UnknownModel, match="Did you mean"):
        LlamaCppChat(model="tiny-chatt")
    config = Config()
    config.set("LLAMACPP", "MODEL", "qwen2.5-0.5b")
    with pytest.raises(ModelNotInstalled):
        LlamaCppChat()
    assert hf.requests == []  # offline stays the default


def test_remove_deletes_a_pulled_model_and_resets_the_default(hf):
    assert dosaku("pull", TINY, "--use").exit_code == 0
    kept = dosaku("remove", TINY, input="n\n")
    assert "Nothing removed" in kept.output and (models_dir(Config()) / "tiny-chat-q4_1.gguf").exists()
    removed = dosaku("remove", TINY, "-y")
    assert removed.exit_code == 0 and "Removed tiny-chat" in removed.output and "default" in removed.output
    assert os.listdir(models_dir(Config())) == []
    assert Config().get("LLAMACPP", "MODEL") is None
    assert "* smollm2-135m" in dosaku("list").output


def test_remove_a_half_download(hf, smollm2_file):
    hf.cut_after(1_000_000)
    from dosaku_llamacpp.pull import pull

    with pytest.raises(DosakuError):
        pull(TINY, Config(), retries=0)
    result = dosaku("remove", TINY, "-y")
    assert "half download" in result.output and os.listdir(models_dir(Config())) == []


def test_remove_of_a_catalog_model_not_downloaded_says_so(hf):
    result = dosaku("remove", TINY, "-y")
    assert result.exit_code == 1 and f"The model '{TINY}' is in the catalog but not downloaded yet" in result.output
    assert "Unknown model" not in result.output


def test_remove_leaves_models_that_are_not_dosakus(dosaku_home):
    result = dosaku("remove", "smollm2-135m", "-y")
    assert result.exit_code == 1 and "was not downloaded by Dosaku" in result.output
