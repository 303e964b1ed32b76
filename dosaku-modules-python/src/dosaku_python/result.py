"""What an isolated run gives back: data, never live objects.

Whose word is what: ``stdout``, ``stderr``, ``value``, ``value_repr``, ``error`` and ``exit_code`` are what the code
*says* about itself (it can print "tests passed" or write any result it likes to its result channel): treat them as
the code's own claim. ``limit``, ``duration``, ``usage`` and ``isolation`` are measured by the agent's side (the
host, or the sandbox's trusted set-up before the code started) and cannot be forged by the code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ExceptionInfo:
    """An exception the code raised.

    Attributes:
        type: Its class name, e.g. ``'ZeroDivisionError'``.
        message: ``str(exception)``.
        line: The line of the code where it was raised (None when not in the code itself).
        traceback: The traceback, limited to the code's own frames.
    """

    type: str
    message: str
    line: int | None
    traceback: str

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.type}{where}: {self.message}"


@dataclass(frozen=True)
class RunResult:
    """The outcome of ``agent.Tester.run(code)``.

    Attributes:
        stdout, stderr: What the code printed (cut at the output limit).
        value: The value of the code's last expression, decoded from JSON (None if it has none or is not JSON).
        value_repr: ``repr`` of that value (for values JSON cannot hold).
        error: The exception the code raised, if any.
        exit_code: The code's ``sys.exit`` status (0 if it did not exit), or the negative signal that killed it.
        limit: The limit that stopped the run: ``'wall_time'``, ``'cpu_time'``, ``'memory'``, ``'output'``,
            ``'processes'``, or None.
        duration: Seconds the run took, start-up included.
        isolation: Exactly which layers held for this run (see :meth:`dosaku_python.sandbox.Sandbox.run`):
            ``level`` (``'kernel'`` or ``'process'``), ``bubblewrap`` (namespaces), ``landlock``, ``seccomp``,
            ``cgroup`` (or why not: then ``rlimits`` only), ``host_uid``, ``noexec_work_dir``.
        usage: What the whole run used, measured from the host: ``memory_peak_mb``, ``cpu_seconds``,
            ``oom_kills`` (where a cgroup measured them).

    Example::

        result = agent.Tester.run('x = 6 * 7\\nprint(x)\\nx + 1')
        result.stdout, result.value, result.ok    # ('42\\n', 43, True)
    """

    stdout: str
    stderr: str
    value: Any = None
    value_repr: str | None = None
    error: ExceptionInfo | None = None
    exit_code: int = 0
    limit: str | None = None
    duration: float = 0.0
    isolation: dict[str, Any] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The code ran to its end without an exception, a non-zero exit or a limit."""
        return self.error is None and self.exit_code == 0 and self.limit is None
