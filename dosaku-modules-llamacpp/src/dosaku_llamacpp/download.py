"""One resumable HTTP download into an open ``.part`` file, hashed (SHA-256) as it arrives (``urllib``).

The part file keeps what arrived: a later call continues from its length with an HTTP ``Range`` request (a server
that ignores the range sends the whole file again, and the part starts over). Cut or stalled transfers are retried
from where they stopped. The caller verifies the digest and renames the part into place.

Example::

    with open('model.gguf.part', 'a+b') as part:
        length, digest = download('https://huggingface.co/.../model.gguf', part, size=491400032)
"""
from __future__ import annotations

import hashlib
import http.client
import logging
import os
import queue
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from dosaku.errors import DosakuError

from dosaku_llamacpp.errors import ModelDownloadFailed, PullCancelled
from dosaku_llamacpp.hf_token import AccessToken, same_origin

log = logging.getLogger(__name__)

#: Seconds without a byte before a transfer counts as stalled (``[LLAMACPP] DOWNLOAD_TIMEOUT``).
DEFAULT_TIMEOUT_S = 30.0
#: How many times a cut, stalled or refused transfer is tried again (resuming) before the pull fails.
DEFAULT_RETRIES = 3
#: The size of each receive buffer. Four of them (1 MiB) stay in a core's L2 cache while a buffer is received,
#: written and hashed; with 1 MiB buffers (4 MiB) they did not, and pulls ran at 0.8x curl instead of 1.35x
#: (``benchmarks/bench_models.py``, 2 cores).
CHUNK_SIZE = 256 << 10
#: Bytes between two flushes of the part file to the disk while downloading.
FLUSH_EVERY = 64 << 20
USER_AGENT = "dosaku-llamacpp (+https://github.com/dosaku; models pull)"
RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

Progress = Callable[[int, "int | None"], None]


@dataclass(frozen=True)
class Remote:
    """What the server said about the file before its bytes came.

    Attributes:
        size: The whole file's size in bytes (None when the server did not say).
        sha256: The SHA-256 the server vouches for: Hugging Face's ``X-Linked-Etag`` of an LFS file.
        offset: Where this transfer starts (bytes already in the part file).
    """

    size: int | None
    sha256: str | None
    offset: int


class _Cancelled(Exception):
    pass


class _Flusher:
    """Writes what arrived to the disk as the download goes (``fdatasync`` on another thread, every
    :data:`FLUSH_EVERY` bytes), so that the final ``fsync`` before the rename has only the tail left to wait for."""

    def __init__(self, out: IO[bytes]):
        self.fileno = out.fileno()
        self.wanted = threading.Event()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="fdatasync", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            self.wanted.wait()
            self.wanted.clear()
            if self.stopping:
                return
            try:
                os.fdatasync(self.fileno)
            except (OSError, AttributeError):  # no fdatasync here, or the file is gone: the final fsync will do
                return

    def poke(self) -> None:
        self.wanted.set()

    def finish(self) -> None:
        self.stopping = True
        self.wanted.set()
        self.thread.join()


class _BackgroundHash:
    """SHA-256 of the bytes as they arrive, computed on another thread (hashlib releases the GIL), so that hashing
    overlaps with receiving and writing instead of adding to them. Buffers come from a small pool, reused once
    hashed, so memory stays bounded."""

    BUFFERS = 4

    def __init__(self, hasher: Any):
        self.hasher = hasher
        self.free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(self.BUFFERS):
            self.free.put(bytearray(CHUNK_SIZE))
        self.todo: queue.SimpleQueue[tuple[bytearray, int] | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.todo.get()) is not None:
            buffer, count = item
            self.hasher.update(memoryview(buffer)[:count])
            self.free.put(buffer)

    def buffer(self) -> bytearray:
        return self.free.get()

    def add(self, buffer: bytearray, count: int) -> None:
        self.todo.put((buffer, count))

    def give_back(self, buffer: bytearray) -> None:
        self.free.put(buffer)

    def finish(self) -> Any:
        """Wait for the bytes handed over so far; returns the hasher."""
        self.todo.put(None)
        self.thread.join()
        return self.hasher


class _RedirectHeaders(urllib.request.HTTPRedirectHandler):
    """Follows redirects, keeping the headers of each redirect (Hugging Face puts X-Linked-* there).

    The access token is an unredirected header, which urllib drops on every redirect; it is put back only on a
    redirect to the same scheme, host and port, so it never reaches the CDN (or anywhere else) a server points to.
    """

    def __init__(self, token: AccessToken | None = None) -> None:
        self.seen: list[Any] = []
        self.token = token

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 - urllib's signature
        self.seen.append(headers)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and self.token is not None and same_origin(new.full_url, req.full_url):
            new.add_unredirected_header("Authorization", self.token.header())
        return new


def _linked(headers_seen: list[Any], response_headers: Any) -> tuple[int | None, str | None]:
    size = sha = None
    for headers in [*headers_seen, response_headers]:
        linked_size = headers.get("X-Linked-Size")
        if linked_size and linked_size.isdigit():
            size = int(linked_size)
        etag = (headers.get("X-Linked-Etag") or "").strip().strip('"').removeprefix("W/").strip('"').lower()
        if SHA256_HEX.match(etag):
            sha = etag
    return size, sha


def _content_range_total(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` -> (100, 1000)."""
    match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", value or "")
    if not match:
        return None, None
    return int(match.group(1)), (int(match.group(2)) if match.group(2).isdigit() else None)


def _fill(response: Any, buffer: bytearray) -> int:
    """Read into ``buffer`` until it is full or the body ends (one read returns what one socket read gave, often
    far less): fewer, bigger chunks to write, hash and report."""
    view, filled = memoryview(buffer), 0
    while filled < len(buffer):
        count = response.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def _rehash(out: IO[bytes]) -> tuple[int, Any]:
    """The length and running SHA-256 of what the part file already holds."""
    hasher = hashlib.sha256()
    out.seek(0)
    length = 0
    while chunk := out.read(32 * CHUNK_SIZE):
        hasher.update(chunk)
        length += len(chunk)
    return length, hasher


def download(
    url: str,
    out: IO[bytes],
    *,
    size: int | None = None,
    progress: Progress | None = None,
    on_start: Callable[[Remote], None] | None = None,
    retries: int = DEFAULT_RETRIES,
    timeout: float = DEFAULT_TIMEOUT_S,
    cancel: threading.Event | None = None,
    destination: str = "",
    durable: bool = False,
    token: AccessToken | None = None,
) -> tuple[int, str]:
    """Download ``url`` into ``out`` (a part file opened ``a+b``), continuing after what it already holds.

    Args:
        url: The file's URL (redirects are followed).
        out: The part file; its current bytes are kept (and hashed) and the rest is appended.
        size: The file's expected size, when known (a part longer than that starts over).
        progress: Called with (bytes so far, whole size or None) as bytes arrive.
        on_start: Called once with what the server said (:class:`Remote`) before any byte is written; it may
            raise to refuse the download (nothing more is fetched).
        retries: How many times to resume after a cut, stall or server error.
        timeout: Seconds without data before the transfer counts as stalled.
        cancel: Set it to stop the download (raises :class:`PullCancelled`; the part is kept).
        destination: Where the file goes, for the error message's "put it in place by hand".
        durable: Write the bytes to the disk as they come (``fdatasync`` every 64 MiB on another thread), for a
            caller that fsyncs before renaming.
        token: Sent as ``Authorization: Bearer`` to ``url``'s own host (and same-host redirects), for a gated or
            private repository; the caller decides whether ``url`` may have it (see
            :func:`~dosaku_llamacpp.hf_token.token_for`).

    Returns:
        (the file's length, its SHA-256 hex digest).

    Raises:
        ModelDownloadFailed: no network, an HTTP error, or a transfer that kept failing.
        PullCancelled: ``cancel`` was set.
    """
    length, hasher = _rehash(out)
    if size is not None and length > size:
        out.truncate(0)
        length, hasher = 0, hashlib.sha256()
    started = False
    attempt = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise PullCancelled(url)
        redirects = _RedirectHeaders(token)
        opener = urllib.request.build_opener(redirects)
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if length:
            headers["Range"] = f"bytes={length}-"
        request = urllib.request.Request(url, headers=headers)
        if token is not None:
            request.add_unredirected_header("Authorization", token.header())
        try:
            try:
                response = opener.open(request, timeout=timeout)
            except urllib.error.HTTPError as error:
                if error.code == 416 and length:  # the part may be complete already
                    total = _content_range_total(error.headers.get("Content-Range"))[1]
                    error.close()
                    if total == length or (total is None and size == length):
                        return length, hasher.hexdigest()
                    out.truncate(0)
                    length, hasher = 0, hashlib.sha256()
                    continue
                if error.code not in RETRY_STATUSES:
                    error.close()
                    raise ModelDownloadFailed(url, _http_reason(error, token), destination, length) from None
                raise
            with response:
                remote_size, linked_sha = _linked(redirects.seen, response.headers)
                if response.status == 206:
                    start, total = _content_range_total(response.headers.get("Content-Range"))
                    if start != length:
                        raise ModelDownloadFailed(url, f"the server resumed at byte {start}, not {length}",
                                                  destination, length)
                    remote_size = total or remote_size
                else:  # 200: the whole file (a server that ignores Range sends it all again)
                    if length:
                        log.info("%s ignored the Range request; downloading it again from the start", url)
                        out.truncate(0)
                        length, hasher = 0, hashlib.sha256()
                    content_length = response.headers.get("Content-Length")
                    if content_length and content_length.isdigit():
                        remote_size = int(content_length)
                remote_size = remote_size or size
                if not started:
                    started = True
                    if on_start is not None:
                        on_start(Remote(remote_size, linked_sha, length))
                if progress is not None:
                    progress(length, remote_size)
                out.seek(0, 2)
                background = _BackgroundHash(hasher)
                flusher = _Flusher(out) if durable else None
                unflushed = 0
                try:
                    while True:
                        if cancel is not None and cancel.is_set():
                            raise _Cancelled
                        buffer = background.buffer()
                        count = _fill(response, buffer)
                        if not count:
                            background.give_back(buffer)
                            break
                        out.write(memoryview(buffer)[:count])
                        background.add(buffer, count)
                        length += count
                        unflushed += count
                        if flusher is not None and unflushed >= FLUSH_EVERY:
                            out.flush()
                            flusher.poke()
                            unflushed = 0
                        if progress is not None:
                            progress(length, remote_size)
                finally:
                    hasher = background.finish()  # what was written is hashed, even when the transfer broke
                    if flusher is not None:
                        flusher.finish()
                out.flush()
                if remote_size is not None and length < remote_size:
                    raise http.client.IncompleteRead(b"", remote_size - length)
                return length, hasher.hexdigest()
        except _Cancelled:
            out.flush()
            raise PullCancelled(url) from None
        except DosakuError:  # a refusal from on_start, or a failure that retrying cannot help
            out.flush()
            raise
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            out.flush()
            reason = _reason(error, timeout, token)
            if attempt >= retries:
                raise ModelDownloadFailed(url, reason, destination, length) from None
            attempt += 1
            pause = min(0.25 * 2**attempt, 2.0)
            log.info("%s: %s; trying again in %.1f s from byte %d (%d/%d)", url, reason, pause, length, attempt,
                     retries)
            if cancel is not None:
                if cancel.wait(pause):
                    raise PullCancelled(url) from None
            else:
                time.sleep(pause)


def _http_reason(error: urllib.error.HTTPError, token: AccessToken | None = None) -> str:
    reason = f"HTTP {error.code} {error.reason}"
    if error.code in (401, 403) and token is None:
        reason += (" (the repository is gated or private: accept its licence on its Hugging Face page, then give "
                   "Dosaku a read token from https://huggingface.co/settings/tokens: `export HF_TOKEN=hf_...`, "
                   "`dosaku keys set HUGGINGFACE` or `hf auth login`; and pull again)")
    elif error.code in (401, 403):
        reason += (f" (the Hugging Face token from {token.source} was sent and refused: accept the repository's "
                   "licence on its Hugging Face page with the account the token belongs to, and check that the "
                   "token is valid and may read the repository)")
    elif error.code == 404:
        reason += " (no such file at that address: check the name, or override the entry's repo/file/url)"
    return reason


def _reason(error: BaseException, timeout: float, token: AccessToken | None = None) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return _http_reason(error, token)
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, (TimeoutError, socket.timeout)):
        return f"no data came for {timeout:g} s (the transfer stalled)"
    if isinstance(error, http.client.IncompleteRead):
        return "the connection closed before the whole file came"
    if isinstance(error, ConnectionRefusedError):
        return "the connection was refused (is the network up? is the server reachable?)"
    if isinstance(error, socket.gaierror):
        return "the host name could not be resolved (no network?)"
    return str(error) or type(error).__name__
