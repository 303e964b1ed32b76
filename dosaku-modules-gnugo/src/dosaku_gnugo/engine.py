"""A client for one GTP engine process: send a command, get its answer, with a timeout per command.

Example::

    from dosaku_gnugo.engine import GTPEngine

    engine = GTPEngine(['/usr/games/gnugo', '--mode', 'gtp'])
    engine.send('boardsize 9')
    engine.send('genmove black')   # e.g. 'E5'
    engine.close()
"""
from __future__ import annotations

import logging
import os
import select
import shutil
import subprocess
import tempfile
import time
import weakref
from collections.abc import Sequence

from dosaku_gnugo.errors import GTPEngineError, GTPEngineNotFound, GTPError, GTPTimeout

log = logging.getLogger(__name__)

#: How much of the engine's standard error a failure message quotes.
STDERR_TAIL = 2000


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a process that survives SIGKILL
            log.error("GTP engine %s did not die", process.pid)


class GTPEngine:
    """One GTP engine process, spoken to over its standard input and output.

    Args:
        command: The program and its arguments, e.g. ``['/usr/games/gnugo', '--mode', 'gtp']``.
        timeout: Seconds to wait for an answer when :meth:`send` is given none.
        cwd: The engine's working directory.

    The engine's standard error goes to a temporary file; its last lines are quoted when the engine fails.
    """

    def __init__(self, command: Sequence[str], timeout: float = 10.0, cwd: str | None = None):
        if not command:
            raise GTPEngineNotFound("No GTP engine command given. Set [GTP] COMMAND in config.ini.")
        self.command = list(command)
        self.timeout = timeout
        self._process: subprocess.Popen | None = None
        self._buffer = b""
        self._stderr = tempfile.TemporaryFile()
        self._start(cwd)

    def _start(self, cwd: str | None) -> None:
        program = shutil.which(self.command[0]) or self.command[0]
        if not os.access(program, os.X_OK):
            raise GTPEngineNotFound(
                f"The GTP engine {self.command[0]!r} was not found or is not executable. Install it (GNU Go: "
                f"`apt-get install gnugo`, which puts it in /usr/games/gnugo) or point [GTP] COMMAND in "
                f"config.ini (or the module's command= argument) at your engine, e.g. 'katago gtp -model m.bin.gz'."
            )
        self._process = subprocess.Popen(
            [program, *self.command[1:]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            bufsize=0,
            start_new_session=True,  # a Ctrl-C in a terminal does not kill the engine behind our back
        )
        self._finalizer = weakref.finalize(self, _kill, self._process)
        log.debug("started GTP engine %s (pid %s)", self.command, self._process.pid)

    @property
    def pid(self) -> int | None:
        """The engine process's id (None once closed)."""
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        """Whether the engine process is running."""
        return self._process is not None and self._process.poll() is None

    def stderr_tail(self) -> str:
        """The end of what the engine wrote to its standard error."""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - STDERR_TAIL))
        return self._stderr.read().decode("utf-8", "replace").strip()

    def _died(self, command: str) -> GTPEngineError:
        code = None
        if self._process is not None:
            try:  # its output is closed: it is exiting
                code = self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        tail = self.stderr_tail()
        detail = f" Its last words: {tail[-500:]!r}." if tail else ""
        return GTPEngineError(
            f"The GTP engine {self.command[0]!r} died (exit status {code}) during {command!r}.{detail}"
        )

    def send(self, command: str, timeout: float | None = None) -> str:
        """Send one GTP command and return the answer's text (without the ``=``).

        Args:
            command: The command line, e.g. ``'play black E5'`` (no newline).
            timeout: Seconds to wait for the answer (default: the engine's ``timeout``).

        Raises:
            GTPError: the engine answered ``? message``.
            GTPTimeout: no answer in time; the engine is killed (its state is lost).
            GTPEngineError: the engine is not running or died.

        Example::

            engine.send('name')  # 'GNU Go'
        """
        if "\n" in command or "\r" in command:
            raise GTPError(command, "a GTP command is one line", "Send one command per call.")
        process = self._process
        if process is None or process.poll() is not None:
            raise self._died(command)
        try:
            process.stdin.write(command.encode() + b"\n")  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            raise self._died(command) from None
        answer = self._read_answer(command, self.timeout if timeout is None else timeout)
        status, _, text = answer.partition(" ")
        if status.startswith("?"):
            raise GTPError(command, text.strip() or "failed")
        if not status.startswith("="):
            raise GTPEngineError(
                f"The GTP engine answered {command!r} with something that is not GTP: {answer[:200]!r}"
            )
        return text.strip("\n").rstrip()

    def _read_answer(self, command: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        fd = self._process.stdout.fileno()  # type: ignore[union-attr]
        while True:
            self._buffer = self._buffer.replace(b"\r", b"")
            self._buffer = self._buffer.lstrip(b"\n")  # stray blank lines between answers
            end = self._buffer.find(b"\n\n")
            if end >= 0:
                answer, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
                return answer.decode("utf-8", "replace")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise GTPTimeout(
                    f"The GTP engine {self.command[0]!r} did not answer {command!r} within {timeout:g} s and was "
                    f"stopped. Give it more time (the module's timeouts= argument) or lower its level."
                )
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise self._died(command)
                self._buffer += chunk

    def close(self, quit_timeout: float = 0.0) -> None:
        """Stop the engine (politely with ``quit`` when ``quit_timeout`` > 0, then by force)."""
        process, self._process = self._process, None
        if process is None:
            return
        if quit_timeout > 0 and process.poll() is None:
            try:
                process.stdin.write(b"quit\n")  # type: ignore[union-attr]
                process.wait(timeout=quit_timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        _kill(process)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        self._buffer = b""
        self._finalizer.detach()

    def __enter__(self) -> GTPEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(quit_timeout=2.0)

    def __repr__(self) -> str:
        state = f"pid {self.pid}" if self.alive else "stopped"
        return f"<GTPEngine {' '.join(self.command)} ({state})>"
