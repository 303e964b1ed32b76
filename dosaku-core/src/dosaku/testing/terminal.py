"""A real terminal for tests: a command run on a pseudo-terminal (its controlling tty), so that line editing,
streamed output and Ctrl-C (SIGINT from the terminal's line discipline) behave as for a person at a keyboard.

POSIX only (``pty``). Every wait is bounded.

Example::

    with Terminal(['dosaku', 'chat', '--module', 'EchoBot']) as term:
        term.expect('> ')
        term.send_line('hello')
        term.expect("You said: hello")
        term.send_eof()                       # Ctrl-D
        term.wait()
"""
from __future__ import annotations

import os
import re
import select
import signal
import time
from collections.abc import Mapping, Sequence

CTRL_C, CTRL_D = b"\x03", b"\x04"


#: The signals a terminal's keys send (Ctrl-C, Ctrl-\, Ctrl-Z) and its hang-up.
TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGHUP)


def _as_a_terminal_starts_it() -> None:
    """Give the child the signals a terminal's program starts with: default actions, none blocked. A process
    started in the background by a shell without job control (``cmd &`` in a script, as a CI runner may do) ignores
    SIGINT, and that would pass on to the program and make Ctrl-C do nothing."""
    for number in TERMINAL_SIGNALS:
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


class TerminalTimeout(AssertionError):
    """What was awaited did not appear in time (the message shows what the terminal printed)."""


class Terminal:
    """``argv`` running on a new pseudo-terminal.

    Args:
        argv: The command.
        env: Its environment (default: this process's).
        cwd: Its working directory.
        timeout_s: The default bound of each wait.
    """

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None,
                 timeout_s: float = 60.0):
        import pty

        self.timeout_s = timeout_s
        self.output = ""
        self._seen = 0  # where the next expect() starts looking
        environment = dict(os.environ if env is None else env)
        environment.setdefault("TERM", "xterm")
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal, it is the foreground process group
            try:
                _as_a_terminal_starts_it()
                if cwd:
                    os.chdir(cwd)
                os.execvpe(argv[0], list(argv), environment)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.returncode: int | None = None

    def _read(self, timeout_s: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout_s)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the child closed the terminal
            data = b""
        if not data:
            raise EOFError
        self.output += data.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return True

    def expect(self, pattern: str, timeout_s: float | None = None, regex: bool = False) -> str:
        """Wait until ``pattern`` (text, or a regular expression) appears after the last match; returns the output
        from the last match up to the end of this one."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            found = (re.search(pattern, self.output[self._seen:]) if regex else None)
            index = -1 if regex else self.output.find(pattern, self._seen)
            if found or index >= 0:
                end = self._seen + found.end() if found else index + len(pattern)
                text, self._seen = self.output[self._seen:end], end
                return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise TerminalTimeout(f"{pattern!r} did not appear; the terminal shows:\n{self.output[-3000:]}")
            try:
                self._read(min(left, 0.2))
            except EOFError:
                raise TerminalTimeout(f"the program ended before {pattern!r}; it printed:\n{self.output[-3000:]}"
                                      ) from None

    def send(self, data: bytes | str) -> None:
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def send_line(self, text: str) -> None:
        self.send(text + "\r")

    def send_ctrl_c(self) -> None:
        self.send(CTRL_C)

    def send_eof(self) -> None:
        self.send(CTRL_D)

    def wait(self, timeout_s: float | None = None) -> int:
        """Wait for the program to end (reading what it prints); returns its exit status."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                raise TerminalTimeout(f"the program did not end; it printed:\n{self.output[-3000:]}")
            try:
                self._read(0.1)
            except EOFError:
                time.sleep(0.05)
        try:
            while self._read(0):
                pass
        except EOFError:
            pass
        return self.returncode

    def close(self) -> None:
        """Kill the program if it still runs, and close the terminal."""
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                self.wait(10)
            except (ProcessLookupError, ChildProcessError, TerminalTimeout):
                pass
        try:
            os.close(self.fd)
        except OSError:
            pass

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
