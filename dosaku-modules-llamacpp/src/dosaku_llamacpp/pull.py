"""``dosaku models pull``: download a catalog model (or any GGUF URL) into Dosaku's model directory, safely.

In order: the name is looked up; a model already there is not downloaded again; the machine's RAM and the disk's free
space are checked (before any byte is fetched when the catalog gives the size); the file is downloaded into
``NAME.gguf.part`` (resumed with an HTTP Range request when a part is there, retried when cut), its SHA-256 checked,
and only then renamed into place (atomic), so a half or corrupt download is never used. Nothing else downloads.
A gated or private Hugging Face repository needs the user's token (``$HF_TOKEN``, ``dosaku keys set HUGGINGFACE`` or
``hf auth login``; see :mod:`dosaku_llamacpp.hf_token`), which goes to Hugging Face's host only.

Example::

    model = pull('qwen2.5-1.5b', progress=lambda done, total: print(done, total))
    model.path   # PosixPath('~/.local/share/dosaku/models/qwen2.5-1.5b-instruct-q4_k_m.gguf')
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from dosaku.config import Config

from dosaku_llamacpp import machine
from dosaku_llamacpp.catalog import SHA256_PATTERN, Catalog, CatalogEntry, estimate_ram, load_catalog, make_entry
from dosaku_llamacpp.download import DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, Progress, Remote, download
from dosaku_llamacpp.errors import (
    CatalogError,
    ChecksumMismatch,
    ChecksumUnknown,
    NotEnoughDisk,
    NotEnoughMemory,
    PullInProgress,
    UnknownModel,
)
from dosaku_llamacpp.hf_token import token_for
from dosaku_llamacpp.local_models import LocalModel, local_models, models_dir, part_path, read_record, write_record

log = logging.getLogger(__name__)

TRUE_WORDS = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class PullPlan:
    """What a pull will fetch, and where it goes.

    Attributes:
        entry: The catalog entry (made up from the URL for ``pull URL``).
        url: Where it downloads from.
        destination: The file it becomes in the model directory.
        verify: Whether its SHA-256 must be checked (False only with ``--no-verify``).
    """

    entry: CatalogEntry
    url: str
    destination: Path
    verify: bool = True

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def part(self) -> Path:
        return part_path(self.destination)


def is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


def plan_pull(
    what: str,
    config: Config | None = None,
    *,
    catalog: Catalog | None = None,
    sha256: str | None = None,
    name: str | None = None,
    verify: bool = True,
) -> PullPlan:
    """Resolve ``what`` (a catalog name or alias, or the URL of a ``.gguf`` file) into a :class:`PullPlan`.

    Args:
        what: ``qwen2.5-1.5b``, ``qwen2.5:1.5b`` or ``https://huggingface.co/OWNER/REPO/resolve/main/FILE.gguf``.
        sha256: The file's SHA-256, replacing what the catalog says (or the only one known, for a URL).
        name: What to call a model pulled by URL (default: the file's name without ``.gguf``).
        verify: Check the SHA-256 (default). Without a known one the pull is refused unless ``verify=False``.

    Raises:
        UnknownModel: ``what`` is neither a catalog name nor a URL (the message lists close matches).
        CatalogError: the URL does not name a ``.gguf`` file, or ``sha256`` is not 64 hex digits.
    """
    config = config if config is not None else Config()
    catalog = catalog if catalog is not None else load_catalog(config)
    if is_url(what):
        file = what.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        entry = make_entry({"name": name or file.removesuffix(".gguf"), "url": what, "file": file, "sha256": sha256,
                            "origin": "URL"}, f"URL {what}")
        url = what
    else:
        entry = catalog.find(what)
        if entry is None:
            known = catalog.names() + [model.name for model in local_models(config, catalog)]
            raise UnknownModel(what, known)
        if sha256:
            if not SHA256_PATTERN.match(sha256.lower()):
                raise CatalogError(f"--sha256 {sha256}", "a SHA-256 is 64 hex digits")
            entry = replace(entry, sha256=sha256.lower())
        url = catalog.url(entry)
    return PullPlan(entry, url, models_dir(config) / entry.file, verify)


def check_memory(name: str, needed: int | None, memory: machine.Memory | None = None) -> None:
    """Refuse a model the machine's RAM can never hold (``needed`` > all of it), with the numbers.

    Raises:
        NotEnoughMemory: the machine has less RAM in all than the model needs.
    """
    if not needed:
        return
    memory = memory if memory is not None else machine.memory()
    if memory.total < needed:
        raise NotEnoughMemory(name, needed, memory.total, "in all",
                              "Pick a smaller model (`dosaku models list` shows the RAM each one needs), or pass "
                              "--ignore-memory to download it anyway.")
    if memory.available < needed:
        log.warning("%s needs about %d bytes of RAM; %d are available now (close other programs before chatting)",
                    name, needed, memory.available)


def check_disk(name: str, remaining: int, directory: Path, free: int | None = None) -> None:
    """Refuse a download whose ``remaining`` bytes do not fit the free space of ``directory``'s disk.

    Raises:
        NotEnoughDisk: with the bytes needed and free.
    """
    free = free if free is not None else machine.free_disk(directory)
    if free < remaining:
        raise NotEnoughDisk(name, remaining, free, str(directory))


def installed(plan: PullPlan) -> LocalModel | None:
    """The model already in place for ``plan`` (downloaded and checked before), or None."""
    path = plan.destination
    if not path.is_file():
        return None
    record = read_record(path)
    if not record:
        return None
    expected = plan.entry.sha256
    if expected and record.get("sha256") != expected:
        return None
    return LocalModel(plan.name, path, path.stat().st_size, "dosaku", bool(record.get("verified")),
                      record.get("sha256"), plan.entry, record.get("url", ""))


def pull(
    what: str,
    config: Config | None = None,
    *,
    verify: bool = True,
    sha256: str | None = None,
    name: str | None = None,
    progress: Progress | None = None,
    memory: machine.Memory | None = None,
    free_disk: int | None = None,
    ignore_memory: bool = False,
    retries: int = DEFAULT_RETRIES,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    catalog: Catalog | None = None,
    durable: bool | None = None,
) -> LocalModel:
    """Download the model ``what`` into Dosaku's model directory, verified, and return it.

    Args:
        what: A catalog name or alias, or the URL of a ``.gguf`` file.
        verify: Check the file's SHA-256 (default). Without one known (from the catalog, ``sha256`` or the
            server's ``X-Linked-Etag``) the pull is refused unless ``verify=False``.
        sha256: The expected SHA-256, overriding the catalog's.
        name: What to call a model pulled by URL.
        progress: Called with (bytes so far, whole size) as the download goes.
        memory: The machine's RAM (default: measured).
        free_disk: Free bytes on the model directory's disk (default: measured).
        ignore_memory: Download a model that the machine's RAM cannot hold anyway.
        retries: Resume a cut or stalled transfer this many times before failing.
        timeout: Seconds without data before a transfer counts as stalled (default: ``[LLAMACPP]
            DOWNLOAD_TIMEOUT``, else 30).
        cancel: Set it to stop (the part is kept for a later resume).
        durable: Write the file to the disk as it comes (every 64 MiB) and fsync it before renaming it into
            place, so that even a power cut cannot leave a model whose bytes never reached the disk, and a big
            download never piles up gigabytes of unwritten memory; it bounds the download to the disk's speed
            (default: ``[LLAMACPP] DOWNLOAD_FSYNC``, else off: the kernel writes the file back, as with pip,
            huggingface_hub and curl).

    Returns:
        The model, in place and checked.

    Raises:
        UnknownModel, ChecksumUnknown, NotEnoughMemory, NotEnoughDisk: refused before any byte is written.
        ModelDownloadFailed: the network or server failed (what came is kept; pulling again resumes).
        ChecksumMismatch: the bytes are not the expected file (nothing is kept).
        PullInProgress: another process is downloading the same file.
    """
    config = config if config is not None else Config()
    plan = plan_pull(what, config, catalog=catalog, sha256=sha256, name=name, verify=verify)
    already = installed(plan)
    if already is not None:
        log.info("%s is already in %s", plan.name, already.path)
        return already
    entry = plan.entry
    if not ignore_memory:
        check_memory(plan.name, entry.ram_needed, memory)
    if verify and not entry.sha256 and not is_url(what):
        raise ChecksumUnknown(f"the catalog entry {plan.name!r}")
    directory = plan.destination.parent
    directory.mkdir(parents=True, exist_ok=True)
    if plan.destination.exists():  # put there by hand (the way the download error suggests): check it in place
        return _adopt(plan)
    timeout = timeout if timeout is not None else config.number("LLAMACPP", "DOWNLOAD_TIMEOUT", DEFAULT_TIMEOUT_S)
    if durable is None:
        durable = (config.get("LLAMACPP", "DOWNLOAD_FSYNC") or "no").lower() in TRUE_WORDS
    expected = {"sha256": entry.sha256}
    with _locked_part(plan) as out:
        had = out.seek(0, os.SEEK_END)
        if entry.size:
            check_disk(plan.name, max(entry.size - had, 0), directory, free_disk)

        def on_start(remote: Remote) -> None:
            if expected["sha256"] is None and remote.sha256:
                expected["sha256"] = remote.sha256
                log.info("%s: the server vouches for SHA-256 %s", plan.url, remote.sha256)
            if verify and expected["sha256"] is None:
                raise ChecksumUnknown(plan.url)
            if not entry.size and remote.size:
                if not ignore_memory:
                    check_memory(plan.name, estimate_ram(remote.size), memory)
                check_disk(plan.name, max(remote.size - remote.offset, 0), directory, free_disk)

        length, digest = download(plan.url, out, size=entry.size, progress=progress, on_start=on_start,
                                  retries=retries, timeout=timeout, cancel=cancel, destination=str(plan.destination),
                                  durable=durable, token=token_for(plan.url, config))
        wanted = expected["sha256"]
        if wanted and digest != wanted:
            out.truncate(0)
            _unlink(plan.part)
            raise ChecksumMismatch(plan.url, wanted, digest)
        if not wanted and entry.size and length != entry.size:
            out.truncate(0)
            _unlink(plan.part)
            raise ChecksumMismatch(plan.url, f"a file of {entry.size} bytes", f"{length} bytes")
        out.flush()
        if durable:
            os.fsync(out.fileno())
        os.replace(plan.part, plan.destination)
    if durable:
        _sync_directory(directory)
    verified = bool(wanted)
    write_record(plan.destination, name=plan.name, url=plan.url, sha256=digest, size=length, verified=verified)
    if not verified:
        log.warning("%s was downloaded UNVERIFIED (no SHA-256 to check it against): sha256 %s", plan.name, digest)
    return LocalModel(plan.name, plan.destination, length, "dosaku", verified, digest, entry, plan.url)


def _adopt(plan: PullPlan) -> LocalModel:
    """Check a file put in place by hand against the catalog's SHA-256, and record it."""
    path = plan.destination
    with open(path, "rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()
    expected = plan.entry.sha256
    if expected and digest != expected:
        raise ChecksumMismatch(str(path), expected, digest, deleted=False)
    write_record(path, name=plan.name, url=plan.url, sha256=digest, size=path.stat().st_size,
                 verified=bool(expected))
    return LocalModel(plan.name, path, path.stat().st_size, "dosaku", bool(expected), digest, plan.entry, plan.url)


@contextlib.contextmanager
def _locked_part(plan: PullPlan) -> Iterator[IO[bytes]]:
    """The part file, opened for appending and locked against other pulls of the same file."""
    with open(plan.part, "a+b") as out:
        try:
            import fcntl

            fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # not POSIX: no lock
            pass
        except BlockingIOError:
            raise PullInProgress(plan.name, str(plan.part)) from None
        try:
            yield out
        finally:
            empty = out.seek(0, os.SEEK_END) == 0
            if empty:
                _unlink(plan.part)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
