"""Finding the GGUF model: a path, a model name, the ``[LLAMACPP] MODEL_PATH`` / ``MODEL`` config entries, or SmolLM2.

A *name* is anything ``dosaku models list`` shows as installed: ``smollm2-135m`` (built in), a pulled catalog model
(``qwen2.5-1.5b``), a file in ``[LLAMACPP] MODEL_DIRS``, or an Ollama model (``ollama:llama3.2:1b``). Naming a catalog
model that is not downloaded is an error that says how to pull it: nothing is ever downloaded here.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from dosaku.config import Config

from dosaku_llamacpp.builtin_model import default_model_path
from dosaku_llamacpp.errors import ModelNotFound

log = logging.getLogger(__name__)

def resolve_model_path(
    model_path: str | os.PathLike[str] | None = None,
    config: Config | None = None,
    model: str | None = None,
) -> Path:
    """The GGUF file to load: ``model_path``, else the model named ``model``, else ``[LLAMACPP] MODEL_PATH``, else
    the model ``[LLAMACPP] MODEL`` names (set by ``dosaku models use``), else the SmolLM2 default.

    Raises:
        ModelNotFound: the chosen file does not exist, or nothing is configured and SmolLM2 is not installed.
        ModelNotInstalled: the name is a catalog model that has not been pulled.
        UnknownModel: no model has that name (the message lists close matches).
        DosakuError: both ``model_path`` and ``model`` were given.

    Example::

        resolve_model_path('~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf')
        resolve_model_path(model='qwen2.5-1.5b')
    """
    if model_path is not None and model is not None:
        from dosaku.errors import DosakuError

        raise DosakuError(f"Give model_path= or model=, not both (got {str(model_path)!r} and {model!r}).")
    if model is not None:
        return resolve_model_name(model, config, source="model=")
    source = "model_path"
    if model_path is None:
        config = config if config is not None else Config()
        model_path = config.get("LLAMACPP", "MODEL_PATH")
        source = "[LLAMACPP] MODEL_PATH"
        if model_path is None:
            name = config.get("LLAMACPP", "MODEL")
            if name:
                return resolve_model_name(name, config, source="[LLAMACPP] MODEL")
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


def resolve_model_name(name: str, config: Config | None = None, source: str = "model=") -> Path:
    """The file of the installed model called ``name`` (a path to a ``.gguf`` works too).

    Raises:
        ModelNotInstalled: ``name`` is a catalog model that has not been pulled (the message says how).
        UnknownModel: nothing has that name (the message lists close matches).
    """
    from dosaku_llamacpp.catalog import load_catalog
    from dosaku_llamacpp.errors import ModelNotInstalled, UnknownModel
    from dosaku_llamacpp.local_models import find_local, local_models

    config = config if config is not None else Config()
    if name.endswith(".gguf") and Path(name).expanduser().is_file():
        return Path(name).expanduser()
    catalog = load_catalog(config)
    found = find_local(name, config, catalog)
    if found is not None:
        log.debug("GGUF model %s is %s (from %s)", name, found.path, source)
        return found.path
    entry = catalog.find(name)
    if entry is not None:
        raise ModelNotInstalled(entry.name, entry.size)
    raise UnknownModel(name, catalog.names() + [model.name for model in local_models(config, catalog)])
