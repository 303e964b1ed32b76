"""The log database: one SQLite file (WAL, mode 0600) in the user data directory, shared by every process of the
user. Each logged exchange is one short write transaction, so a process killed at any moment leaves every message
it logged before, and several processes can write at once.

Example::

    from dosaku.logs import LogStore

    store = LogStore()                       # <data dir>/logs.db, the machine's own user
    for conversation in store.list(limit=5):
        print(conversation.id, conversation.title, conversation.module)
    record = store.show(store.latest().id)   # messages, steps, artifacts
    store.search('lighthouse')               # SearchHits, best first
    print(store.export(record.id, 'markdown'))
    store.delete(record.id)
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dosaku.logs.errors import AmbiguousConversationId, ConversationNotFound, LogDatabaseError, LogsError
from dosaku.logs.records import (
    ConversationRecord,
    ConversationSummary,
    LoggedArtifact,
    LoggedMessage,
    LoggedStep,
    LogStatus,
    SearchHit,
)

if TYPE_CHECKING:
    import sqlite3

    from dosaku.config import Config
    from dosaku.logs.scrub import Scrubber

log = logging.getLogger(__name__)

FILE_NAME = "logs.db"
ARTIFACTS_DIR = "log-artifacts"
TITLE_LENGTH = 80
#: Wire-form fields of a message that are kept (besides role and content) to restore it.
KEPT_FIELDS = ("tool_calls", "tool_call_id", "name")
_SUMMARY_COLUMNS = (
    "c.id, c.title, c.agent, c.module, c.model, c.user, c.started, c.updated, "
    "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)"
)


def logging_enabled(config: Config) -> bool:
    """Whether ``[LOGS] ENABLED`` (or ``DOSAKU_LOGS__ENABLED``) leaves logging on (the default)."""
    value = config.get("LOGS", "ENABLED")
    return value is None or str(value).strip().lower() not in ("0", "false", "no", "off")


def default_path(config: Config) -> Path:
    """``[LOGS] PATH``, else ``logs.db`` in the user data directory."""
    configured = config.get("LOGS", "PATH")
    return Path(configured).expanduser() if configured else Path(config.data_dir) / FILE_NAME


def _title(messages: Sequence[dict[str, Any]]) -> str:
    for message in messages:
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            text = " ".join(message["content"].split())
            return text if len(text) <= TITLE_LENGTH else text[: TITLE_LENGTH - 1] + "…"
    return ""


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return str.__str__(content)
    if isinstance(content, list):  # OpenAI content parts
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def fts_query(text: str) -> str:
    """A safe FTS5 query for ``text``: every word must match (quoted, so no FTS syntax gets through)."""
    words = re.findall(r"\w+", text or "")
    if not words:
        raise LogsError(f"Search for at least one word (got {text!r}).")
    return " ".join(f'"{word}"' for word in words)


def _is_image(value: Any) -> bool:
    return hasattr(value, "save") and hasattr(value, "size") and hasattr(value, "mode")


class LogStore:
    """The conversation log of one user.

    Args:
        path: The database file (default ``[LOGS] PATH``, else ``<data dir>/logs.db``).
        config: The configuration (default :class:`dosaku.Config`): where the file is, whether logging is on,
            and the secrets that must never be written.
        user: Whose conversations these are: ``''`` (default) for the machine's own user, a GUI login name
            otherwise. Every read and write is limited to this user; ``None`` reads every user's (and writes as
            ``''``).

    Raises:
        LogDatabaseError: the file cannot be opened or is not a database (raised by the first read or write).

    Example::

        store = LogStore(user='alice')
        store.list()                        # alice's conversations, newest first
        store.off()                         # writes [LOGS] ENABLED = false to config.ini: nothing is logged
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, config: Config | None = None,
                 user: str | None = ""):
        if config is None:
            from dosaku.config import Config

            config = Config()
        self.config = config
        self.path = Path(path).expanduser() if path is not None else default_path(config)
        self.artifacts_dir = self.path.parent / ARTIFACTS_DIR
        self.user = user
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._scrubber: Scrubber | None = None
        self._users: dict[str, LogStore] = {}

    def for_user(self, user: str) -> LogStore:
        """The same database, as ``user``'s (made once per user and kept)."""
        with self._lock:
            store = self._users.get(user)
            if store is None:
                store = self._users[user] = LogStore(self.path, config=self.config, user=user)
            return store

    # --- switches ------------------------------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        """Whether logging is on (``[LOGS] ENABLED``; on unless turned off)."""
        return logging_enabled(self.config)

    def on(self) -> None:
        """Turn logging on for every agent that does not say otherwise (writes ``[LOGS] ENABLED = true``)."""
        self.config.set("LOGS", "ENABLED", "true")

    def off(self) -> None:
        """Turn logging off (writes ``[LOGS] ENABLED = false``): from then on nothing is written."""
        self.config.set("LOGS", "ENABLED", "false")

    @property
    def scrubber(self) -> Scrubber:
        """What removes secrets before anything is written (made on first use from the config)."""
        if self._scrubber is None:
            from dosaku.logs.scrub import Scrubber

            self._scrubber = Scrubber.for_config(self.config)
        return self._scrubber

    # --- the connection ------------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            import sqlite3

            from dosaku.logs.schema import SCHEMA, VERSION

            connection = None
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                if not self.path.exists():
                    os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
                connection = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                             check_same_thread=False)
                _while_locked(lambda: _prepare(connection, SCHEMA, VERSION))
            except (sqlite3.Error, OSError) as error:
                if connection is not None:
                    connection.close()
                raise LogDatabaseError(str(self.path), error) from None
            self._connection = connection
        return self._connection

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        """The connection for a read, or None when there is no database yet (reading never creates one)."""
        import sqlite3

        with self._lock:
            if self._connection is None and not self.path.exists():
                yield None
                return
            try:
                yield self._connect()
            except sqlite3.Error as error:
                raise LogDatabaseError(str(self.path), error) from None

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT; rolled back on any error)."""
        import sqlite3

        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as error:
                raise LogDatabaseError(str(self.path), error) from None

    def close(self) -> None:
        """Close the database connection (it is opened again when needed)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # --- writing -------------------------------------------------------------------------------------------
    def log_messages(
        self,
        conversation_id: str,
        messages: Sequence[dict[str, Any]],
        *,
        details: dict[str, Any] | None = None,
        agent: str | None = None,
        module: str | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
    ) -> list[int]:
        """Append ``messages`` to the conversation ``conversation_id`` (made when new), in one transaction.

        Args:
            conversation_id: The conversation (see :func:`dosaku.logs.ids.new_id` for a new one).
            messages: Message dicts (role, content, and maybe tool_calls / tool_call_id); secrets are removed.
            details: prompt_tokens, completion_tokens, cost_usd, duration_s: booked on the last message.
            agent, module, model, system_prompt: Kept with a new conversation.

        Returns:
            The new messages' row ids.
        """
        scrub = self.scrubber
        now = time.time()
        rows = []
        for message in messages:
            extra = {key: message[key] for key in KEPT_FIELDS if message.get(key) is not None}
            rows.append([str(message.get("role") or "user"), scrub.text(_text(message.get("content"))),
                         json.dumps(scrub.value(extra)) if extra else None, now, None, None, None, None])
        if rows and details:
            rows[-1][4:] = [details.get("prompt_tokens"), details.get("completion_tokens"), details.get("cost_usd"),
                            details.get("duration_s")]
        title = scrub.text(_title(messages)) or ""
        with self._writing() as db:
            db.execute(
                "INSERT INTO conversations (id, user, agent, module, model, title, system_prompt, started, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET updated = excluded.updated, "
                "title = CASE WHEN conversations.title = '' THEN excluded.title ELSE conversations.title END",
                (conversation_id, self.user or "", agent, module, model, title, scrub.text(system_prompt), now, now),
            )
            start = db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM messages WHERE conversation_id = ?",
                               (conversation_id,)).fetchone()[0]
            ids = []
            for offset, row in enumerate(rows):
                cursor = db.execute(
                    "INSERT INTO messages (conversation_id, position, role, content, extra, created, prompt_tokens, "
                    "completion_tokens, cost_usd, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (conversation_id, start + offset, *row),
                )
                ids.append(int(cursor.lastrowid))
        return ids

    def log_step(self, conversation_id: str, step: Any, request: str | None = None) -> int:
        """Keep one :class:`~dosaku.agents.Step` of the Dosaku agent (after the conversation's last message),
        with the images it made stored as artifacts. Returns the step's row id."""
        scrub = self.scrubber
        images = self._images_of(step)
        stored = [(self.store_artifact(image), label) for label, image in images]
        now = time.time()
        with self._writing() as db:
            after = db.execute("SELECT COALESCE(MAX(position), -1) FROM messages WHERE conversation_id = ?",
                               (conversation_id,)).fetchone()[0]
            cursor = db.execute(
                "INSERT INTO steps (conversation_id, after_position, request, step_index, tool, task, action, kind, "
                "arguments, status, summary, error, duration_s, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?)",
                (conversation_id, after, request, int(step.index), step.tool, step.task, step.action, step.kind,
                 json.dumps(scrub.value(step.arguments), default=str),
                 step.status, json.dumps(scrub.value(step.summary), default=str), scrub.text(step.error),
                 float(step.duration_s or 0.0), now),
            )
            step_id = int(cursor.lastrowid)
            for artifact, label in stored:
                db.execute("INSERT INTO artifact_links (artifact, conversation_id, step_id, label) VALUES (?, ?, ?, ?)",
                           (artifact, conversation_id, step_id, label))
            db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation_id))
        return step_id

    @staticmethod
    def _images_of(step: Any) -> list[tuple[str | None, Any]]:
        import dataclasses

        value, summary = step.value, step.summary
        label = summary.get("artifact") if isinstance(summary, dict) else None
        if step.status != "ok" or value is None:
            return []
        if _is_image(value):
            return [(label, value)]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return [(f"{label}.{f.name}" if label else f.name, getattr(value, f.name))
                    for f in dataclasses.fields(value) if _is_image(getattr(value, f.name))]
        return []

    def store_artifact(self, image: Any) -> str:
        """Store ``image`` (a PIL image) once, as ``<hash>.png`` in the artifacts folder; returns its hash."""
        import hashlib

        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data = buffer.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        file = self.artifacts_dir / f"{digest}.png"
        if not file.exists():
            self.artifacts_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            partial = file.with_suffix(f".{os.getpid()}.{threading.get_ident()}.part")
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
            os.replace(partial, file)
        width, height = (image.size if hasattr(image, "size") else (None, None))
        with self._writing() as db:
            db.execute("INSERT INTO artifacts (hash, media_type, file, bytes, width, height, created) VALUES "
                       "(?, 'image/png', ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
                       (digest, file.name, len(data), width, height, time.time()))
        return digest

    # --- reading -------------------------------------------------------------------------------------------
    def _user_filter(self, alias: str = "c") -> tuple[str, list[Any]]:
        return ("1", []) if self.user is None else (f"{alias}.user = ?", [self.user])

    def resolve(self, ident: str) -> str:
        """The full id of the conversation ``ident`` names (an id, or a unique prefix of one).

        Raises:
            ConversationNotFound: none has it (or it is another user's).
            AmbiguousConversationId: the prefix fits several.
        """
        ident = (ident or "").strip()
        where, args = self._user_filter()
        with self._reading() as db:
            if db is None or not ident:
                raise ConversationNotFound(ident, str(self.path))
            if db.execute(f"SELECT 1 FROM conversations c WHERE c.id = ? AND {where}", (ident, *args)).fetchone():
                return ident
            escaped = ident.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            matches = [row[0] for row in db.execute(
                f"SELECT c.id FROM conversations c WHERE c.id LIKE ? ESCAPE '\\' AND {where} ORDER BY c.id LIMIT 50",
                (escaped + "%", *args))]
        if not matches:
            raise ConversationNotFound(ident, str(self.path))
        if len(matches) > 1:
            raise AmbiguousConversationId(ident, matches)
        return matches[0]

    def list(self, limit: int = 20, *, query: str | None = None, module: str | None = None,
             model: str | None = None, agent: str | None = None) -> list[ConversationSummary]:
        """The conversations, the most recently active first.

        Args:
            limit: How many (0: all).
            query: Only those whose title or messages hold every word of it.
            module, model, agent: Only those of this Chat module, model or agent.

        Example::

            store.list(5, query='lighthouse')
        """
        where, args = self._user_filter()
        clauses = [where]
        for column, value in (("module", module), ("model", model), ("agent", agent)):
            if value:
                clauses.append(f"c.{column} = ?")
                args.append(value)
        if query:
            clauses.append("(c.id IN (SELECT m.conversation_id FROM messages_fts JOIN messages m ON m.id = "
                           "messages_fts.rowid WHERE messages_fts MATCH ?) OR c.title LIKE ?)")
            args += [fts_query(query), f"%{query.strip()}%"]
        sql = f"SELECT {_SUMMARY_COLUMNS} FROM conversations c WHERE {' AND '.join(clauses)} ORDER BY c.updated DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._reading() as db:
            rows = [] if db is None else db.execute(sql, args).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def latest(self, module: str | None = None) -> ConversationSummary | None:
        """The most recently active conversation (of ``module``), or None when there is none."""
        found = self.list(1, module=module)
        return found[0] if found else None

    def show(self, ident: str) -> ConversationRecord:
        """The conversation ``ident`` (an id or a unique prefix) with its messages, steps and artifacts.

        Raises:
            ConversationNotFound, AmbiguousConversationId: see :meth:`resolve`.
        """
        ident = self.resolve(ident)
        with self._reading() as db:
            assert db is not None
            summary = ConversationSummary(*db.execute(
                f"SELECT {_SUMMARY_COLUMNS} FROM conversations c WHERE c.id = ?", (ident,)).fetchone())
            system_prompt = db.execute("SELECT system_prompt FROM conversations WHERE id = ?", (ident,)).fetchone()[0]
            messages = [
                LoggedMessage(row[0], row[1], row[2], row[3], row[5], json.loads(row[4]) if row[4] else {}, *row[6:])
                for row in db.execute(
                    "SELECT id, position, role, content, extra, created, prompt_tokens, completion_tokens, cost_usd, "
                    "duration_s FROM messages WHERE conversation_id = ? ORDER BY position", (ident,))
            ]
            artifacts: dict[int, list[LoggedArtifact]] = {}
            for step_id, label, digest, media, file, size, width, height in db.execute(
                "SELECT l.step_id, l.label, a.hash, a.media_type, a.file, a.bytes, a.width, a.height FROM "
                "artifact_links l JOIN artifacts a ON a.hash = l.artifact WHERE l.conversation_id = ? ORDER BY "
                "l.rowid", (ident,)
            ):
                artifacts.setdefault(step_id, []).append(
                    LoggedArtifact(digest, media, self.artifacts_dir / file, size, width, height, label))
            steps = [
                LoggedStep(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], json.loads(row[8]),
                           row[9], json.loads(row[10]) if row[10] else None, row[11], row[12], row[13],
                           artifacts.get(row[0], []))
                for row in db.execute(
                    "SELECT id, after_position, request, step_index, tool, task, action, kind, arguments, status, "
                    "summary, error, duration_s, created FROM steps WHERE conversation_id = ? ORDER BY id", (ident,))
            ]
        return ConversationRecord(summary, system_prompt, messages, steps)

    def search(self, text: str, limit: int = 20) -> list[SearchHit]:
        """The messages holding every word of ``text`` (full-text, FTS5), the best matches first.

        Raises:
            LogsError: ``text`` has no word to search for.

        Example::

            for hit in store.search('capital france'):
                print(hit.conversation_id, hit.role, hit.snippet)   # '... the [capital] of [France] is ...'
        """
        query = fts_query(text)
        where, args = self._user_filter()
        sql = (
            "SELECT m.conversation_id, c.title, m.id, m.position, m.role, "
            "snippet(messages_fts, 0, '[', ']', '…', 16), m.created FROM messages_fts "
            "JOIN messages m ON m.id = messages_fts.rowid JOIN conversations c ON c.id = m.conversation_id "
            f"WHERE messages_fts MATCH ? AND {where} ORDER BY messages_fts.rank"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._reading() as db:
            rows = [] if db is None else db.execute(sql, (query, *args)).fetchall()
        return [SearchHit(*row) for row in rows]

    def export(self, ident: str, format: str = "json") -> str:
        """The conversation ``ident`` as JSON (everything) or Markdown (to read).

        Raises:
            LogsError: an unknown format.

        Example::

            print(store.export('01j9x3', 'markdown'))
        """
        from dosaku.logs.export import to_json, to_markdown

        writers = {"json": to_json, "markdown": to_markdown, "md": to_markdown}
        if format not in writers:
            raise LogsError(f"Unknown export format {format!r}: use 'json' or 'markdown'.")
        return writers[format](self.show(ident))

    def delete(self, ident: str) -> str:
        """Delete the conversation ``ident`` with its messages, steps and the artifacts nothing else uses;
        returns its full id.

        Raises:
            ConversationNotFound, AmbiguousConversationId: see :meth:`resolve`.
        """
        ident = self.resolve(ident)
        with self._writing() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (ident,))
            orphans = db.execute("SELECT hash, file FROM artifacts WHERE hash NOT IN "
                                 "(SELECT artifact FROM artifact_links)").fetchall()
            db.executemany("DELETE FROM artifacts WHERE hash = ?", [(digest,) for digest, _ in orphans])
        for _, file in orphans:
            with contextlib.suppress(FileNotFoundError):
                (self.artifacts_dir / file).unlink()
        return ident

    def status(self) -> LogStatus:
        """Whether logging is on, and how much the log holds (for this store's user)."""
        where, args = self._user_filter()
        counts = [0, 0, 0, 0]
        with self._reading() as db:
            if db is not None:
                counts = list(db.execute(
                    f"SELECT (SELECT COUNT(*) FROM conversations c WHERE {where}), "
                    f"(SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE {where}),"
                    f" (SELECT COUNT(*) FROM steps s JOIN conversations c ON c.id = s.conversation_id WHERE {where}), "
                    "(SELECT COUNT(*) FROM artifacts)", (*args, *args, *args)).fetchone())
        size = sum(Path(f"{self.path}{suffix}").stat().st_size for suffix in ("", "-wal")
                   if Path(f"{self.path}{suffix}").exists())
        return LogStatus(self.enabled, self.path, self.path.exists(), *counts, size)

    def __repr__(self) -> str:
        return f"LogStore(path={str(self.path)!r}, user={self.user!r})"


#: How long opening the log waits while another process holds the lock it needs (beyond SQLite's busy handler).
OPEN_TIMEOUT_S = 30.0


def _prepare(connection: sqlite3.Connection, schema: str, version: int) -> None:
    """WAL, the pragmas, and the schema (in one transaction, so two processes making the file at once cannot
    clash)."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA secure_delete=ON")  # a deleted conversation leaves no text behind
    if connection.execute("PRAGMA user_version").fetchone()[0] < version:
        try:
            connection.executescript(f"BEGIN IMMEDIATE;{schema};PRAGMA user_version={version};COMMIT;")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise


def _while_locked(step: Callable[[], None]) -> None:
    """Run ``step``, again while SQLite answers "database is locked" without waiting (switching a new file to WAL
    while another process makes it does), for at most :data:`OPEN_TIMEOUT_S`."""
    import sqlite3

    deadline = time.monotonic() + OPEN_TIMEOUT_S
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
