"""The spend ledger: what services have cost, per day, service and model, kept in a small SQLite file.

The file (``spend.sqlite3`` in the user data directory) survives restarts and is shared by every process of the
user: a reservation and the check against the limit happen in one write transaction, so two processes cannot both
take the last dollar. Reservations of calls that never settled (a crashed process) expire after
:data:`RESERVATION_TTL_S`.

Example::

    from dosaku.services import SpendLedger

    ledger = SpendLedger.for_config(config)
    ledger.spent('day')                  # USD spent today, all services
    for row in ledger.rows(days=7):
        print(row.day, row.service, row.model, row.requests, row.cost_usd)
"""
from __future__ import annotations

import datetime as _dt
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dosaku.errors import SpendLimitExceeded

if TYPE_CHECKING:
    import sqlite3

#: Seconds after which a reservation that was never settled no longer counts.
RESERVATION_TTL_S = 15 * 60
FILE_NAME = "spend.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spend (
    day TEXT NOT NULL, service TEXT NOT NULL, model TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0, prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0, images INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0, unknown_cost_requests INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, service, model));
CREATE TABLE IF NOT EXISTS reservations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, service TEXT NOT NULL, amount_usd REAL NOT NULL);
"""

_UPSERT = """
INSERT INTO spend (day, service, model, requests, prompt_tokens, completion_tokens, images, cost_usd,
                   unknown_cost_requests)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (day, service, model) DO UPDATE SET
    requests = requests + excluded.requests, prompt_tokens = prompt_tokens + excluded.prompt_tokens,
    completion_tokens = completion_tokens + excluded.completion_tokens, images = images + excluded.images,
    cost_usd = cost_usd + excluded.cost_usd,
    unknown_cost_requests = unknown_cost_requests + excluded.unknown_cost_requests
"""


def today() -> str:
    """Today's date (local time) as ``YYYY-MM-DD``: the day spend is booked on."""
    return _dt.date.today().isoformat()


@dataclass(frozen=True)
class SpendRow:
    """What one service spent on one model on one day."""

    day: str
    service: str
    model: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    images: int
    cost_usd: float
    unknown_cost_requests: int


class SpendLedger:
    """Spend per day, service and model, in SQLite at ``path``. Thread-safe; safe across processes.

    Args:
        path: The SQLite file (created, with its folder, on first write).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None

    @classmethod
    def for_config(cls, config: Any) -> SpendLedger:
        """The ledger in ``config.data_dir``."""
        return cls(Path(config.data_dir) / FILE_NAME)

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            import sqlite3  # here, so that importing dosaku stays cheap

            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            self._connection = connection
        return self._connection

    def _spent_locked(self, db: sqlite3.Connection, period: str, service: str | None = None) -> float:
        where, args = ("WHERE day = ?", [today()]) if period == "day" else ("WHERE 1", [])
        if service is not None:
            where, args = f"{where} AND service = ?", [*args, service]
        (value,) = db.execute(f"SELECT COALESCE(SUM(cost_usd), 0) FROM spend {where}", args).fetchone()
        return float(value)

    def reserve(self, service: str, amount_usd: float, limit_usd: float, period: str = "day") -> int:
        """Reserve ``amount_usd`` unless spent + reserved + amount would pass ``limit_usd``; returns the id.

        Raises:
            SpendLimitExceeded: the reservation would pass the limit (nothing is reserved).
        """
        with self._lock:
            db = self._connect()
            db.execute("BEGIN IMMEDIATE")
            try:
                now = time.time()
                db.execute("DELETE FROM reservations WHERE created < ?", (now - RESERVATION_TTL_S,))
                (reserved,) = db.execute("SELECT COALESCE(SUM(amount_usd), 0) FROM reservations").fetchone()
                committed = self._spent_locked(db, period) + float(reserved)
                if committed + amount_usd > limit_usd + 1e-12:
                    raise SpendLimitExceeded(service, limit_usd, committed, amount_usd, period)
                cursor = db.execute(
                    "INSERT INTO reservations (created, service, amount_usd) VALUES (?, ?, ?)",
                    (now, service, amount_usd),
                )
                db.execute("COMMIT")
                return int(cursor.lastrowid)
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def record(
        self,
        service: str,
        model: str,
        *,
        requests: int = 1,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        images: int = 0,
        cost_usd: float | None = 0.0,
        reservation: int | None = None,
    ) -> None:
        """Book one call's use (``cost_usd=None``: unknown) and release its reservation, in one transaction."""
        row = (today(), service, model, requests, prompt_tokens, completion_tokens, images, cost_usd or 0.0,
               requests if cost_usd is None else 0)
        with self._lock:
            db = self._connect()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(_UPSERT, row)
                if reservation is not None:
                    db.execute("DELETE FROM reservations WHERE id = ?", (reservation,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def release(self, reservation: int) -> None:
        """Drop a reservation without booking anything."""
        with self._lock:
            self._connect().execute("DELETE FROM reservations WHERE id = ?", (reservation,))

    def spent(self, period: str = "day", service: str | None = None) -> float:
        """USD spent today (``period='day'``) or ever (``'total'``), by one service or all."""
        if not self.path.exists():
            return 0.0
        with self._lock:
            return self._spent_locked(self._connect(), period, service)

    def reserved(self) -> float:
        """USD reserved by calls in flight."""
        if not self.path.exists():
            return 0.0
        with self._lock:
            cutoff = time.time() - RESERVATION_TTL_S
            (value,) = self._connect().execute(
                "SELECT COALESCE(SUM(amount_usd), 0) FROM reservations WHERE created >= ?", (cutoff,)
            ).fetchone()
            return float(value)

    def rows(self, days: int | None = None, service: str | None = None) -> list[SpendRow]:
        """The ledger's rows, newest day first; only the last ``days`` days when given."""
        if not self.path.exists():
            return []
        clauses, args = [], []
        if days is not None:
            clauses.append("day >= ?")
            args.append((_dt.date.today() - _dt.timedelta(days=max(days, 1) - 1)).isoformat())
        if service is not None:
            clauses.append("service = ?")
            args.append(service)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            found = self._connect().execute(
                f"SELECT day, service, model, requests, prompt_tokens, completion_tokens, images, cost_usd, "
                f"unknown_cost_requests FROM spend {where} ORDER BY day DESC, service, model", args
            ).fetchall()
        return [SpendRow(*row) for row in found]

    def close(self) -> None:
        """Close the database connection (it reopens on next use)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
