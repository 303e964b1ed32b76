"""The model catalog: small instruct GGUFs that ``dosaku models pull NAME`` downloads, as data.

The pack ships ``catalog.json``. The user overrides or extends it with ``models.json`` next to ``config.ini`` (or the
file ``[LLAMACPP] CATALOG`` names), whose entries are merged field by field over the pack's (``null`` hides one), and
with ``[LLAMACPP_MODELS]`` entries in ``config.ini`` (``name = URL [sha256=HEX] [size=BYTES]``). Download URLs are
``<endpoint>/<repo>/resolve/<revision>/<file>``, the endpoint being ``$HF_ENDPOINT``, else
``[LLAMACPP] HF_ENDPOINT``, else ``https://huggingface.co``.

Example::

    catalog = load_catalog()
    entry = catalog.find('qwen2.5-1.5b')
    catalog.url(entry)   # 'https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/qwen2.5-1.5b-...'
    entry.ram_needed     # 1600000000
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from dosaku.config import Config

from dosaku_llamacpp.errors import CatalogError

#: Where downloads come from unless ``$HF_ENDPOINT`` or ``[LLAMACPP] HF_ENDPOINT`` says otherwise.
DEFAULT_ENDPOINT = "https://huggingface.co"
#: The section of ``config.ini`` whose entries add models by URL.
CONFIG_SECTION = "LLAMACPP_MODELS"
#: What llama.cpp needs besides the file, when an entry gives no ``ram`` (KV cache and buffers, roughly).
RAM_OVERHEAD = 256 * 1024 * 1024
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+-]*$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def estimate_ram(size: int) -> int:
    """The RAM a GGUF of ``size`` bytes needs to run, when nothing better is known: the file plus a quarter (KV
    cache), at least 256 MiB more."""
    return size + max(RAM_OVERHEAD, size // 4)


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable model.

    Attributes:
        name: What commands call it (``qwen2.5-1.5b``).
        file: The GGUF file name, also its name in the model directory.
        repo: The Hugging Face repository (``owner/name``); with ``revision`` and ``file`` it makes the URL.
        url: A full download URL instead of ``repo`` (for files not on Hugging Face).
        size: The file's size in bytes (checked when no SHA-256 is known).
        sha256: The file's SHA-256 (hex); None when unknown (then pulling needs ``--no-verify``).
        context_length: The longest context the model was trained for, in tokens.
        license: The model's licence.
        ram: The RAM it needs to run, in bytes (an estimate at n_ctx 4096).
        tools: Whether its chat template supports tool calls.
        origin: Where the entry comes from: ``built-in``, a ``models.json`` path, or ``[LLAMACPP_MODELS]``.
    """

    name: str
    file: str
    repo: str | None = None
    revision: str = "main"
    url: str | None = None
    size: int | None = None
    sha256: str | None = None
    context_length: int | None = None
    license: str | None = None
    ram: int | None = None
    tools: bool | None = None
    title: str = ""
    summary: str = ""
    aliases: tuple[str, ...] = ()
    origin: str = "built-in"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ram_needed(self) -> int | None:
        """``ram``, else an estimate from ``size``, else None."""
        if self.ram:
            return self.ram
        return estimate_ram(self.size) if self.size else None

    def download_url(self, endpoint: str = DEFAULT_ENDPOINT) -> str:
        """``url``, else ``<endpoint>/<repo>/resolve/<revision>/<file>``."""
        if self.url:
            return self.url
        return f"{endpoint.rstrip('/')}/{self.repo}/resolve/{self.revision}/{self.file}"

    def matches(self, name: str) -> bool:
        wanted = name.lower()
        return wanted == self.name.lower() or wanted in (alias.lower() for alias in self.aliases)


@dataclass
class Catalog:
    """The merged catalog: the pack's entries, the user's ``models.json`` and ``[LLAMACPP_MODELS]``."""

    entries: dict[str, CatalogEntry]
    endpoint: str = DEFAULT_ENDPOINT

    def find(self, name: str) -> CatalogEntry | None:
        """The entry called ``name`` (or with that alias), case-insensitively; None when there is none."""
        for entry in self.entries.values():
            if entry.matches(name):
                return entry
        return None

    def url(self, entry: CatalogEntry) -> str:
        """Where ``entry`` downloads from (the endpoint applied)."""
        return entry.download_url(self.endpoint)

    def names(self) -> list[str]:
        """Every entry's name and alias."""
        return [name for entry in self.entries.values() for name in (entry.name, *entry.aliases)]

    def __iter__(self):
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)


def hf_endpoint(config: Config | None = None) -> str:
    """``$HF_ENDPOINT``, else ``[LLAMACPP] HF_ENDPOINT``, else ``https://huggingface.co``."""
    config = config if config is not None else Config()
    return (os.environ.get("HF_ENDPOINT") or config.get("LLAMACPP", "HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def user_catalog_path(config: Config | None = None) -> Path:
    """``[LLAMACPP] CATALOG``, else ``models.json`` next to ``config.ini``."""
    config = config if config is not None else Config()
    configured = config.get("LLAMACPP", "CATALOG")
    return Path(configured).expanduser() if configured else config.path.parent / "models.json"


def builtin_entries() -> dict[str, CatalogEntry]:
    """The pack's own catalog (``catalog.json``)."""
    text = resources.files("dosaku_llamacpp").joinpath("catalog.json").read_text(encoding="utf-8")
    return _entries(json.loads(text), "built-in", {})


def load_catalog(config: Config | None = None) -> Catalog:
    """The pack's catalog with the user's ``models.json`` and ``[LLAMACPP_MODELS]`` entries applied.

    Raises:
        CatalogError: a catalog file is not valid JSON, or an entry has a bad field (the message names it).
    """
    config = config if config is not None else Config()
    entries = builtin_entries()
    path = user_catalog_path(config)
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CatalogError(str(path), f"it is not readable JSON ({error})") from None
        entries = _entries(data, str(path), entries)
    for key in config.keys(CONFIG_SECTION):
        name = key.lower()
        entries[name] = _config_entry(name, config.get(CONFIG_SECTION, key) or "")
    return Catalog(entries, hf_endpoint(config))


def _entries(data: Any, origin: str, base: dict[str, CatalogEntry]) -> dict[str, CatalogEntry]:
    """``base`` with the ``models`` of ``data`` merged over it (field by field; ``null`` removes an entry)."""
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise CatalogError(origin, 'it must be a JSON object with a "models" object of name: entry')
    merged = dict(base)
    for name, fields_given in data["models"].items():
        if fields_given is None:
            merged.pop(name, None)
            continue
        if not isinstance(fields_given, dict):
            raise CatalogError(origin, f"the entry {name!r} must be an object")
        previous = merged.get(name)
        values = {} if previous is None else {f.name: getattr(previous, f.name) for f in fields(CatalogEntry)}
        values.update(fields_given)
        values.update(name=name, origin=origin)
        merged[name] = make_entry(values, origin)
    return merged


_KNOWN = {f.name for f in fields(CatalogEntry)} - {"extra"}
_INTEGERS = ("size", "context_length", "ram")


def make_entry(values: dict[str, Any], origin: str) -> CatalogEntry:
    """A checked :class:`CatalogEntry` from ``values`` (``origin`` names the source in errors)."""
    name = values.get("name")
    where = f"entry {name!r}"
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise CatalogError(origin, f"{where}: a name is letters, digits and . _ : + - (no slashes or spaces)")
    url, repo = values.get("url"), values.get("repo")
    file = values.get("file") or (url.rsplit("/", 1)[-1].split("?", 1)[0] if isinstance(url, str) else None)
    if not isinstance(file, str) or not file.endswith(".gguf") or "/" in file or "\\" in file or file.startswith("."):
        raise CatalogError(origin, f"{where}: 'file' must be a plain file name ending in .gguf, not {file!r}")
    if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
        raise CatalogError(origin, f"{where}: 'url' must be an http(s) URL, not {url!r}")
    if url is None and (not isinstance(repo, str) or repo.count("/") != 1):
        raise CatalogError(origin, f"{where}: give 'repo' (owner/name on Hugging Face) or 'url'")
    sha256 = values.get("sha256")
    if sha256 is not None:
        if not isinstance(sha256, str) or not SHA256_PATTERN.match(sha256.lower()):
            raise CatalogError(origin, f"{where}: 'sha256' must be 64 hex digits or null, not {sha256!r}")
        sha256 = sha256.lower()
    for key in _INTEGERS:
        value = values.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise CatalogError(origin, f"{where}: {key!r} must be a positive whole number of bytes/tokens or null")
    aliases = values.get("aliases") or ()
    if isinstance(aliases, str) or not all(isinstance(alias, str) for alias in aliases):
        raise CatalogError(origin, f"{where}: 'aliases' must be a list of names")
    known = {key: value for key, value in values.items() if key in _KNOWN}
    extra = {key: value for key, value in values.items() if key not in _KNOWN and key != "extra"}
    return CatalogEntry(**{**known, "file": file, "sha256": sha256, "aliases": tuple(aliases), "extra": extra})


def _config_entry(name: str, text: str) -> CatalogEntry:
    origin = f"[{CONFIG_SECTION}] {name}"
    words = text.split()
    if not words:
        raise CatalogError(origin, "give the URL of a .gguf file (optionally followed by sha256=HEX size=BYTES)")
    values: dict[str, Any] = {"name": name, "url": words[0], "origin": origin}
    for word in words[1:]:
        key, _, value = word.partition("=")
        if key not in ("sha256", "size") or not value:
            raise CatalogError(origin, f"{word!r} is not sha256=HEX or size=BYTES")
        values[key] = int(value) if key == "size" and value.isdigit() else value
    return make_entry(values, origin)


def with_checksum(entry: CatalogEntry, sha256: str | None) -> CatalogEntry:
    """``entry`` with ``sha256`` (when given) replacing its own."""
    return replace(entry, sha256=sha256.lower()) if sha256 else entry
