"""Pulls in background threads, for programs that must not wait (the GUI): start one, poll its progress.

One process-wide :class:`BackgroundPulls` keeps a job per model: a second start of the same model joins the
running job instead of downloading it twice, and a failed or cancelled job can be started again (it resumes).

Example::

    job = background_pulls().start('qwen2.5-1.5b')
    while job.running:
        print(job.describe())        # 'qwen2.5-1.5b: 34% (380 MB of 1.12 GB, 41 MB/s)'
        time.sleep(1)
    job.model.path if job.state == 'done' else job.error
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from dosaku.config import Config
from dosaku.errors import DosakuError

from dosaku_llamacpp.local_models import LocalModel
from dosaku_llamacpp.units import human_bytes

log = logging.getLogger(__name__)


@dataclass
class PullJob:
    """One background pull.

    Attributes:
        name: What was asked for (a catalog name or a URL).
        state: ``running``, ``done``, ``failed`` or ``cancelled``.
        done: Bytes in the part file so far.
        total: The whole file's size (None until known).
        error: The error's message when it failed (a DosakuError's, which says how to fix it).
        model: The model, once done.
    """

    name: str
    state: str = "running"
    done: int = 0
    total: int | None = None
    error: str = ""
    model: LocalModel | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)
    _first: tuple[float, int] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def fraction(self) -> float | None:
        """How much of the file has come, 0 to 1 (None while the size is unknown)."""
        if self.state == "done":
            return 1.0
        return self.done / self.total if self.total else None

    @property
    def rate(self) -> float | None:
        """Bytes per second since this job's first byte."""
        if self._first is None:
            return None
        seconds = (self.finished or time.monotonic()) - self._first[0]
        return (self.done - self._first[1]) / seconds if seconds > 0 else None

    def progress(self, done: int, total: int | None) -> None:
        if self._first is None:
            self._first = (time.monotonic(), done)
        self.done, self.total = done, total

    def cancel(self) -> None:
        """Stop the download (what came is kept; starting it again resumes)."""
        self.cancel_event.set()

    def describe(self) -> str:
        """One line for people: what it is doing, how far, how fast."""
        if self.state == "done" and self.model is not None:
            state = "verified" if self.model.verified else "UNVERIFIED"
            return f"{self.model.name}: downloaded and {state} ({human_bytes(self.model.size)})."
        if self.state in ("failed", "cancelled"):
            return f"{self.name}: {self.state}. {self.error}"
        if self.fraction is None:
            return f"{self.name}: starting…"
        rate = f", {human_bytes(self.rate)}/s" if self.rate else ""
        return f"{self.name}: {self.fraction:.0%} ({human_bytes(self.done)} of {human_bytes(self.total or 0)}{rate})"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "state": self.state, "done": self.done, "total": self.total,
                "fraction": self.fraction, "error": self.error, "text": self.describe()}


class BackgroundPulls:
    """The pulls running in this process, one job per model name."""

    def __init__(self) -> None:
        self._jobs: dict[str, PullJob] = {}
        self._lock = threading.Lock()

    def start(self, name: str, config: Config | None = None, **options: Any) -> PullJob:
        """Start pulling ``name`` in a daemon thread (or return the job already running for it).

        Args:
            name: A catalog name or a URL, as :func:`~dosaku_llamacpp.pull.pull` takes.
            config: The configuration (default: :class:`dosaku.Config`).
            **options: Passed to :func:`~dosaku_llamacpp.pull.pull` (``verify``, ``sha256``, ``memory``...).
        """
        key = name.lower()
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.running:
                return job
            job = PullJob(name)
            self._jobs[key] = job
        job.thread = threading.Thread(target=self._run, args=(job, config, options), name=f"pull {name}",
                                      daemon=True)
        job.thread.start()
        return job

    def _run(self, job: PullJob, config: Config | None, options: dict[str, Any]) -> None:
        from dosaku_llamacpp.errors import PullCancelled
        from dosaku_llamacpp.pull import pull

        try:
            job.model = pull(job.name, config, progress=job.progress, cancel=job.cancel_event, **options)
            job.state = "done"
        except PullCancelled as error:
            job.state, job.error = "cancelled", str(error)
        except DosakuError as error:
            job.state, job.error = "failed", str(error)
        except Exception as error:  # noqa: BLE001 - a background thread must report, never die silently
            log.exception("Pulling %s failed", job.name)
            job.state, job.error = "failed", f"{type(error).__name__}: {error}"
        finally:
            job.finished = time.monotonic()

    def job(self, name: str) -> PullJob | None:
        """The latest job for ``name`` (None when there was none)."""
        return self._jobs.get(name.lower())

    def jobs(self) -> list[PullJob]:
        return list(self._jobs.values())


_PULLS = BackgroundPulls()


def background_pulls() -> BackgroundPulls:
    """This process's background pulls."""
    return _PULLS
