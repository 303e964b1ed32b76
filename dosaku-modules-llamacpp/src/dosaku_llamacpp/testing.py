"""A Hugging Face-like file server on 127.0.0.1 for testing ``dosaku models pull`` (stdlib only, real sockets).

``GET /OWNER/REPO/resolve/REVISION/FILE`` answers like Hugging Face does for an LFS file: a ``302`` to
``/cdn/SHA256`` carrying ``X-Linked-Size`` and ``X-Linked-Etag``, whose answer honours ``Range`` (``206``). Faults
are queued per request: cut the body after N bytes, flip a byte, ignore ``Range``, stall before answering, answer
with an HTTP status; the whole server can be throttled, its repositories gated behind a token, and its CDN put on
another host name. Every request is recorded (path and headers).

Example::

    with HuggingFaceFiles({'test/Tiny-GGUF/tiny.gguf': path}) as server:
        os.environ['HF_ENDPOINT'] = server.url
        server.cut_after(1_000_000)            # the next transfer drops half-way
        server.requests[-1].headers.get('range')

It shares the server's life (start, stop, url) with core's loopback servers (:class:`ThreadedLoopback`) but answers
with its own handler, since a file must go out with a Content-Length, in ranges and by sendfile.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from dosaku.testing.loopback import ThreadedLoopback

#: Longest a fault may stall a request, so that a test that forgets to stop stays bounded.
MAX_STALL_S = 30.0
BLOCK = 256 * 1024


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FileFault:
    """What the server does to one file transfer.

    Attributes:
        status: Answer with this HTTP status instead.
        cut_after: Drop the connection after sending this many bytes of the body.
        corrupt_at: Flip the byte at this offset of the file (when it is sent).
        ignore_range: Send the whole file with ``200`` even when a ``Range`` was asked for.
        stall_s: Wait this long before answering.
    """

    status: int | None = None
    cut_after: int | None = None
    corrupt_at: int | None = None
    ignore_range: bool = False
    stall_s: float = 0.0


@dataclass
class Hosted:
    path: Path
    size: int
    sha256: str
    extra_headers: dict[str, str] = field(default_factory=dict)


def sha256_of(path: str | os.PathLike[str]) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class HuggingFaceFiles(ThreadedLoopback):
    """Serve local files under Hugging Face-style paths: ``{'owner/repo/file.gguf': path}`` (revision any).

    Args:
        files: Where each ``owner/repo/file`` comes from.
        rate: Bytes per second each transfer is throttled to (None: as fast as the machine goes, with sendfile).
        redirect: Answer ``resolve`` URLs with a redirect to ``/cdn/...`` (Hugging Face's way); else serve them.
        linked_etag: Send ``X-Linked-Etag`` (the SHA-256) on the redirect.
        token: Make every repository gated: ``resolve`` answers ``401`` without ``Authorization: Bearer TOKEN`` and
            ``403`` with another token (Hugging Face's answers).
        cdn_elsewhere: Redirect to ``http://localhost:PORT/cdn/...``: the same server under another host name, as
            Hugging Face redirects to its CDN's host.
    """

    def __init__(self, files: dict[str, str | os.PathLike[str]], rate: float | None = None, redirect: bool = True,
                 linked_etag: bool = True, token: str | None = None, cdn_elsewhere: bool = False):
        super().__init__()
        self.files: dict[str, Hosted] = {}
        for key, path in files.items():
            self.add(key, path)
        self.rate, self.redirect, self.linked_etag = rate, redirect, linked_etag
        self.token, self.cdn_elsewhere = token, cdn_elsewhere
        self.requests: list[Seen] = []
        self.faults: deque[FileFault] = deque()
        self.bytes_sent = 0
        self._lock = threading.Lock()

    def add(self, key: str, path: str | os.PathLike[str]) -> Hosted:
        """Serve ``path`` as ``owner/repo/file``."""
        path = Path(path)
        hosted = Hosted(path, path.stat().st_size, sha256_of(path))
        self.files[key] = hosted
        return hosted

    def url_of(self, key: str, revision: str = "main") -> str:
        owner, repo, file = key.split("/", 2)
        return f"{self.url}/{owner}/{repo}/resolve/{revision}/{file}"

    @property
    def transfers(self) -> list[Seen]:
        """The requests for file bytes (not the redirects)."""
        return [seen for seen in self.requests if seen.path.startswith("/cdn/") or not self.redirect]

    # --- faults ---
    def cut_after(self, count: int, times: int = 1) -> None:
        """Drop the next ``times`` transfers after ``count`` bytes of body."""
        self.faults.extend(FileFault(cut_after=count) for _ in range(times))

    def corrupt(self, offset: int, times: int = 1) -> None:
        """Flip the byte at ``offset`` in the next ``times`` transfers."""
        self.faults.extend(FileFault(corrupt_at=offset) for _ in range(times))

    def ignore_range(self, times: int = 1) -> None:
        self.faults.extend(FileFault(ignore_range=True) for _ in range(times))

    def stall(self, seconds: float, times: int = 1) -> None:
        self.faults.extend(FileFault(stall_s=min(seconds, MAX_STALL_S)) for _ in range(times))

    def fail(self, status: int, times: int = 1) -> None:
        self.faults.extend(FileFault(status=status) for _ in range(times))

    # --- serving ---
    def _hosted(self, path: str) -> tuple[Hosted | None, bool]:
        """(the file a path names, whether it is a transfer)."""
        clean = path.split("?", 1)[0]
        if clean.startswith("/cdn/"):
            sha = clean.removeprefix("/cdn/")
            return next((hosted for hosted in self.files.values() if hosted.sha256 == sha), None), True
        match = re.match(r"^/([^/]+)/([^/]+)/resolve/[^/]+/(.+)$", clean)
        if not match:
            return None, False
        return self.files.get("/".join(match.groups())), not self.redirect

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request the HTTP handler read (recording it, then playing a fault or serving the file)."""
        with self._lock:
            headers = {key.lower(): value for key, value in handler.headers.items()}
            self.requests.append(Seen(handler.command, handler.path, headers))
        hosted, transfer = self._hosted(handler.path)
        if hosted is None:
            return self._plain(handler, 404, b'{"error": "Entry not found"}', {"X-Error-Code": "EntryNotFound"})
        fault = None
        if transfer:
            with self._lock:
                fault = self.faults.popleft() if self.faults else None
        if fault is not None and fault.stall_s:
            self.wait_or_stop(fault.stall_s)
        if fault is not None and fault.status is not None:
            return self._plain(handler, fault.status, b'{"error": "injected"}')
        if not transfer and self.token is not None:
            refusal = self._refusal(handler.headers.get("Authorization"))
            if refusal is not None:
                return self._plain(handler, *refusal)
        if not transfer:
            cdn = self.url.replace("127.0.0.1", "localhost") if self.cdn_elsewhere else ""
            headers = {"Location": f"{cdn}/cdn/{hosted.sha256}", "X-Linked-Size": str(hosted.size)}
            if self.linked_etag:
                headers["X-Linked-Etag"] = f'"{hosted.sha256}"'
            return self._plain(handler, 302, b"", headers)
        start = 0
        wanted = handler.headers.get("Range")
        if wanted and not (fault and fault.ignore_range):
            match = re.match(r"bytes=(\d+)-$", wanted.strip())
            start = int(match.group(1)) if match else 0
            if start >= hosted.size:
                return self._plain(handler, 416, b"", {"Content-Range": f"bytes */{hosted.size}"})
        length = hosted.size - start
        handler.send_response(206 if start else 200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(length))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("ETag", f'"{hosted.sha256}"')
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{hosted.size - 1}/{hosted.size}")
        handler.end_headers()
        if handler.command == "HEAD":
            return None
        self._send_body(handler, hosted, start, fault)
        return None

    def _refusal(self, authorization: str | None) -> tuple[int, bytes, dict[str, str]] | None:
        """Hugging Face's answer to a gated file asked for with ``authorization``, or None when it may go."""
        if authorization == f"Bearer {self.token}":
            return None
        if authorization is None:
            return 401, b'{"error": "Access to this model is restricted. You must be authenticated."}', {
                "X-Error-Code": "GatedRepo"}
        return 403, b'{"error": "Access to this model is restricted and you are not in the authorized list."}', {
            "X-Error-Code": "GatedRepo"}

    def _send_body(self, handler: BaseHTTPRequestHandler, hosted: Hosted, start: int, fault: FileFault | None) -> None:
        cut = fault.cut_after if fault else None
        corrupt = fault.corrupt_at if fault else None
        with open(hosted.path, "rb") as file:
            if self.rate is None and cut is None and corrupt is None:
                sent = handler.connection.sendfile(file, start)
                with self._lock:
                    self.bytes_sent += sent
                return
            file.seek(start)
            offset, began = start, time.monotonic()
            while offset < hosted.size and not self.stopping:
                block = bytearray(file.read(BLOCK))
                if cut is not None and offset - start + len(block) > cut:
                    block = block[: max(cut - (offset - start), 0)]
                if corrupt is not None and offset <= corrupt < offset + len(block):
                    block[corrupt - offset] ^= 0xFF
                if block:
                    handler.wfile.write(block)
                    with self._lock:
                        self.bytes_sent += len(block)
                offset += len(block)
                if cut is not None and offset - start >= cut:
                    handler.wfile.flush()
                    handler.close_connection = True
                    handler.connection.shutdown(2)
                    return
                if self.rate:
                    ahead = (offset - start) / self.rate - (time.monotonic() - began)
                    if ahead > 0:
                        self.wait_or_stop(min(ahead, MAX_STALL_S))

    @staticmethod
    def _plain(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None):
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                try:
                    server.answer(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_HEAD = do_GET  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
                pass

        return Handler
