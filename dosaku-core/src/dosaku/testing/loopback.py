"""A small real HTTP server on 127.0.0.1 for testing services against their wire format (stdlib only).

Subclass :class:`LoopbackServer`, implement :meth:`LoopbackServer.handle` and drive it with the service's real
client library. The server records every request (so tests can assert that *zero* requests were sent), and
plays queued faults: an HTTP status, a stall, or a stream cut mid-way.

Example::

    class Hello(LoopbackServer):
        def handle(self, request, reply):
            reply.json(200, {'hello': request.json.get('name')})

    with Hello() as server:
        requests.post(server.url + '/hi', json={'name': 'x'}).json()   # {'hello': 'x'}
        len(server.requests)                                            # 1
"""
from __future__ import annotations

import json
import struct
import threading
import zlib
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Longest a fault may stall a request (tests stay bounded even if one forgets to stop).
MAX_STALL_S = 30.0


def png_bytes(width: int, height: int, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A solid-colour RGB PNG, made with the standard library only.

    Example::

        data = png_bytes(64, 32)
        data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
    """

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(row * height)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def form(self) -> dict[str, tuple[str | None, str | None, bytes]]:
        """A ``multipart/form-data`` body: ``{field: (filename, content_type, data)}``."""
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            return {}
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + self.body
        )
        fields: dict[str, tuple[str | None, str | None, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                fields[name] = (part.get_filename(), part.get("content-type"), part.get_payload(decode=True) or b"")
        return fields


@dataclass
class Fault:
    """What the server does to one request instead of (or while) answering it.

    Attributes:
        status: Answer with this HTTP status and ``body`` (JSON) and ``headers``.
        stall_s: Wait this long before answering.
        cut_after: For streams: send this many events, then drop the connection.
    """

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stall_s: float = 0.0
    cut_after: int | None = None


class Reply:
    """How :meth:`LoopbackServer.handle` answers: whole bodies, or a stream of chunks."""

    def __init__(self, handler: BaseHTTPRequestHandler, fault: Fault | None):
        self._handler, self.fault = handler, fault
        self._sent_events = 0

    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        handler = self._handler
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(payload).encode(), "application/json", headers)

    def start_stream(self, content_type: str = "text/event-stream") -> None:
        handler = self._handler
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()

    def event(self, data: bytes) -> bool:
        """Send one chunk of the stream; False (and the connection dropped) when the fault cuts it here."""
        if self.fault is not None and self.fault.cut_after is not None and self._sent_events >= self.fault.cut_after:
            self.drop()
            return False
        self._handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self._handler.wfile.flush()
        self._sent_events += 1
        return True

    def end_stream(self) -> None:
        self._handler.wfile.write(b"0\r\n\r\n")
        self._handler.wfile.flush()

    def drop(self) -> None:
        """Close the connection mid-message."""
        self._handler.wfile.flush()
        self._handler.close_connection = True
        try:
            self._handler.connection.shutdown(2)
        except OSError:
            pass


class ThreadedLoopback:
    """The life of a threaded HTTP/1.1 server on 127.0.0.1 (an ephemeral port): :meth:`start`/:meth:`stop` or a
    ``with`` block, and :attr:`url`. Subclasses give :meth:`handler_class` (a ``BaseHTTPRequestHandler``).

    Example::

        class Files(ThreadedLoopback):
            def handler_class(self):
                return MyHandler

        with Files() as server:
            urllib.request.urlopen(server.url + '/x')
    """

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def handler_class(self) -> type[BaseHTTPRequestHandler]:  # pragma: no cover - every subclass gives one
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called (handlers that stall check it, so a test never hangs)."""
        return self._stop.is_set()

    def wait_or_stop(self, seconds: float) -> bool:
        """Sleep ``seconds``, or less when the server stops; True when it stopped."""
        return self._stop.wait(seconds)

    def start(self) -> Any:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler_class())
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"


class LoopbackServer(ThreadedLoopback):
    """A threaded HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that records requests and plays faults."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []
        self.faults: deque[Fault] = deque()
        self._lock = threading.Lock()

    # --- faults ---
    def fail(self, status: int, times: int = 1, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """Answer the next ``times`` requests with ``status``."""
        for _ in range(times):
            self.faults.append(Fault(status=status, body=body, headers=dict(headers or {})))

    def stall(self, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` requests ``seconds`` before answering."""
        for _ in range(times):
            self.faults.append(Fault(stall_s=min(seconds, MAX_STALL_S)))

    def cut_stream(self, after: int, times: int = 1) -> None:
        """Drop the connection of the next ``times`` streamed answers after ``after`` events."""
        for _ in range(times):
            self.faults.append(Fault(cut_after=after))

    # --- to implement ---
    def handle(self, request: Request, reply: Reply) -> None:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        """The JSON body of an injected error status (override for the service's error format)."""
        return {"error": f"injected HTTP {status}"}

    # --- plumbing ---
    def dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request the HTTP handler read (recording it, then playing a fault or :meth:`handle`)."""
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Request(handler.command, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body)
        with self._lock:
            self.requests.append(request)
            fault = self.faults.popleft() if self.faults else None
        reply = Reply(handler, fault)
        if fault is not None and fault.stall_s:
            self._stop.wait(fault.stall_s)
        if fault is not None and fault.status is not None:
            reply.json(fault.status, fault.body if fault.body is not None else self.error_body(fault.status),
                       fault.headers)
            return
        self.handle(request, reply)

    def handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                try:
                    server.dispatch(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST  # noqa: N815

            def handle(self) -> None:
                try:
                    super().handle()
                except (ConnectionResetError, BrokenPipeError):  # the client went away: nothing to answer
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep the test output quiet
                pass

        return Handler
