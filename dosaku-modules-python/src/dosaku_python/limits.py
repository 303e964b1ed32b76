"""The limits of an isolated run."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from dosaku_python.errors import LimitError


@dataclass(frozen=True)
class Limits:
    """What an isolated run may use.

    Attributes:
        wall_time: Seconds of real time before the run is killed.
        cpu_time: Seconds of CPU time the whole run (every process of it) may use: the run's cgroup is watched,
            and each process also has RLIMIT_CPU.
        memory_mb: Memory of the whole run in MiB, swap included (the run's memory cgroup; each process also has
            RLIMIT_AS, so one large allocation fails with MemoryError).
        processes: Processes and threads of the whole run (a pids cgroup; RLIMIT_NPROC in the run's own user
            namespace as well).
        output_bytes: Bytes of standard output and error together before the run is killed.
        file_size_mb: The largest file the code may write (RLIMIT_FSIZE).
        disk_mb: Size of the private ``noexec`` tmpfs holding the work directory.
        open_files: Open file descriptors (RLIMIT_NOFILE).
        cpus: CPUs the whole run may keep busy at once (the run's cgroup's CPU quota).
        result_kb: Size of the result the code may send back (its last expression's value, as JSON).

    Example::

        Limits().tightened(wall_time=2)   # Limits(wall_time=2, ...)
    """

    wall_time: float = 10.0
    cpu_time: int = 5
    memory_mb: int = 1024
    processes: int = 32
    output_bytes: int = 1_000_000
    file_size_mb: int = 16
    disk_mb: int = 64
    open_files: int = 64
    cpus: float = 1.0
    result_kb: int = 1024

    def tightened(self, **limits: Any) -> Limits:
        """These limits with some made stricter; a looser or unknown limit raises :class:`LimitError`."""
        self._check(limits)
        for name, value in limits.items():
            if value > getattr(self, name):
                raise LimitError(
                    f"The limit {name}={value} is looser than this executor allows ({getattr(self, name)}). "
                    f"Runs may only tighten limits; raise the ceiling with agent.learn('Tester', {name}={value})."
                )
        return replace(self, **limits)

    def loosened(self, **limits: Any) -> Limits:
        """These limits with some set anew (a learn-time ceiling); an unknown or non-positive one raises
        :class:`LimitError`."""
        self._check(limits)
        return replace(self, **limits)

    def _check(self, limits: dict[str, Any]) -> None:
        """:class:`LimitError` for an unknown limit or one that is not a positive number."""
        known = {field.name for field in fields(self)}
        for name, value in limits.items():
            if name not in known:
                raise LimitError(f"Unknown limit {name!r}. The limits are: {', '.join(sorted(known))}.")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise LimitError(f"The limit {name}={value!r} must be a positive number.")

    def as_dict(self) -> dict[str, Any]:
        """The limits as a plain dict."""
        return asdict(self)
