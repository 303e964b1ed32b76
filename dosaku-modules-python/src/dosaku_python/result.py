"""What an isolated run gives back: data, never live objects."""
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
            or None.
        duration: Seconds the run took, start-up included.
        isolation: How the run was isolated (namespaces, user, cgroup), for the record.

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

    @property
    def ok(self) -> bool:
        """The code ran to its end without an exception, a non-zero exit or a limit."""
        return self.error is None and self.exit_code == 0 and self.limit is None
