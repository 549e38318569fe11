"""The durable state of the live service: an event queue, the audit trail, pending write-backs.

Label Studio delivers each webhook once and never again, so an event is written here before
the webhook is answered; everything after that (evaluation, write-back) can crash and
resume. The trail of decisions is append-only: rows are added, never changed. The queue
tables (`events`, `writebacks`) change status as work is done.

`Store` is the interface the service uses; `SQLiteStore` is the default (one file, WAL mode
so the webhook's insert does not wait for the worker's reads). A PostgreSQL store for
several replicas would implement the same methods, with `SELECT ... FOR UPDATE SKIP LOCKED`
where this one relies on a single worker thread.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lsrules.errors import LsrulesError

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    action TEXT NOT NULL,
    project_id INTEGER,
    task_id INTEGER,
    annotation_id INTEGER,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    dedupe_key TEXT NOT NULL UNIQUE
);
CREATE INDEX IF NOT EXISTS events_pending ON events (status, id);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER,
    recorded_at TEXT NOT NULL,
    project_id INTEGER,
    task_id INTEGER,
    annotation_id INTEGER,
    verdict TEXT,
    route TEXT,
    decision TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_annotation ON decisions (annotation_id);
CREATE INDEX IF NOT EXISTS decisions_task ON decisions (task_id);
CREATE TABLE IF NOT EXISTS writebacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    supersede_key TEXT NOT NULL,
    project_id INTEGER,
    task_id INTEGER,
    annotation_id INTEGER,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS writebacks_due ON writebacks (status, next_try_at, id);
CREATE TABLE IF NOT EXISTS checkpoints (
    project_id INTEGER PRIMARY KEY,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS processed (
    annotation_id INTEGER PRIMARY KEY,
    task_id INTEGER,
    project_id INTEGER,
    content_hash TEXT NOT NULL,
    written_hash TEXT,
    updated_at TEXT NOT NULL,
    decision_id INTEGER
);
"""

# Statuses, spelled once.
PENDING, DONE, SKIPPED, FAILED = "pending", "done", "skipped", "failed"
APPLIED, SUPERSEDED = "applied", "superseded"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Event:
    id: int
    received_at: str
    action: str
    project_id: int | None
    task_id: int | None
    annotation_id: int | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Writeback:
    id: int
    kind: str
    project_id: int | None
    task_id: int | None
    annotation_id: int | None
    body: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Processed:
    """What was last evaluated for an annotation, and what we wrote to it."""

    annotation_id: int
    task_id: int | None
    content_hash: str
    written_hash: str | None
    updated_at: str
    decision_id: int | None


@dataclass(frozen=True)
class NewWriteback:
    """A write-back to enqueue; a newer one with the same `supersede_key` replaces a pending one."""

    kind: str
    supersede_key: str
    project_id: int | None
    task_id: int | None
    annotation_id: int | None
    body: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """Everything one evaluated event leaves behind, committed together or not at all."""

    event_id: int
    decision: dict[str, Any] | None
    processed: Processed | None
    writebacks: list[NewWriteback]
    status: str = DONE
    note: str | None = None
    project_id: int | None = None


class Store(ABC):
    """What the service needs from durable storage."""

    @abstractmethod
    def add_event(self, action: str, project_id: int | None, task_id: int | None,
                  annotation_id: int | None, payload: str, dedupe_key: str) -> int | None:
        """Queue an event; None when an event with the same key is already there."""

    @abstractmethod
    def pending_events(self, limit: int = 100) -> list[Event]:
        """The oldest pending events, in arrival order."""

    @abstractmethod
    def finish_event(self, outcome: Outcome) -> int | None:
        """Record the decision, the processed mark, the write-backs and the event's status
        atomically; returns the decision id."""

    @abstractmethod
    def fail_event(self, event_id: int, note: str, give_up: bool) -> None: ...

    @abstractmethod
    def processed(self, annotation_id: int) -> Processed | None: ...

    @abstractmethod
    def due_writebacks(self, now: float, limit: int = 100) -> list[Writeback]: ...

    @abstractmethod
    def finish_writeback(self, writeback_id: int, status: str, note: str | None = None) -> None: ...

    @abstractmethod
    def retry_writeback(self, writeback_id: int, error: str, next_try_at: float) -> None: ...

    @abstractmethod
    def pending_writeback_count(self) -> int: ...

    @abstractmethod
    def checkpoint(self, project_id: int) -> str | None: ...

    @abstractmethod
    def set_checkpoint(self, project_id: int, updated_at: str) -> None: ...

    @abstractmethod
    def checkpointed_projects(self) -> list[int]: ...

    @abstractmethod
    def audit_records(self, since: str | None = None, task_id: int | None = None,
                      annotation_id: int | None = None) -> Iterator[dict[str, Any]]:
        """Decisions, write-backs and deletions in time order, as plain dicts."""

    @abstractmethod
    def close(self) -> None: ...


class SQLiteStore(Store):
    """One SQLite file; one connection per thread (the web app and the worker each have one).

    `synchronous=NORMAL` in WAL mode keeps every committed event across a crash of the
    process (what a `kill -9` of `serve` is); only a power loss can drop the last commits.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self._connection().executescript(SCHEMA)
        except sqlite3.Error as error:
            raise LsrulesError(f"cannot open the store: {error}", self.path) from error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                         check_same_thread=False)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=30000")
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection())

    def add_event(self, action, project_id, task_id, annotation_id, payload, dedupe_key):
        cursor = self._connection().execute(
            "INSERT OR IGNORE INTO events (received_at, action, project_id, task_id, "
            "annotation_id, payload, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (utc_now(), action, project_id, task_id, annotation_id, payload, dedupe_key))
        return cursor.lastrowid if cursor.rowcount else None

    def pending_events(self, limit=100):
        rows = self._connection().execute(
            "SELECT * FROM events WHERE status = ? ORDER BY id LIMIT ?", (PENDING, limit))
        return [Event(row["id"], row["received_at"], row["action"], row["project_id"],
                      row["task_id"], row["annotation_id"], json.loads(row["payload"]),
                      row["attempts"]) for row in rows]

    def finish_event(self, outcome):
        decision_id = None
        with self._transaction() as connection:
            if outcome.decision is not None:
                decision = outcome.decision
                route = (decision.get("route") or {}).get("name")
                cursor = connection.execute(
                    "INSERT INTO decisions (event_id, recorded_at, project_id, task_id, "
                    "annotation_id, verdict, route, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (outcome.event_id, utc_now(), outcome.project_id,
                     decision.get("task_id"), decision.get("annotation_id"),
                     decision.get("verdict"), route, json.dumps(decision, sort_keys=True)))
                decision_id = cursor.lastrowid
            if outcome.processed is not None:
                mark = outcome.processed
                connection.execute(
                    "INSERT OR REPLACE INTO processed (annotation_id, task_id, project_id, "
                    "content_hash, written_hash, updated_at, decision_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (mark.annotation_id, mark.task_id, None, mark.content_hash,
                     mark.written_hash, mark.updated_at, mark.decision_id or decision_id))
            for writeback in outcome.writebacks:
                connection.execute(
                    "UPDATE writebacks SET status = ?, finished_at = ? "
                    "WHERE supersede_key = ? AND status = ?",
                    (SUPERSEDED, utc_now(), writeback.supersede_key, PENDING))
                connection.execute(
                    "INSERT INTO writebacks (created_at, kind, supersede_key, project_id, "
                    "task_id, annotation_id, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (utc_now(), writeback.kind, writeback.supersede_key, writeback.project_id,
                     writeback.task_id, writeback.annotation_id,
                     json.dumps(writeback.body, sort_keys=True)))
            connection.execute(
                "UPDATE events SET status = ?, note = ?, attempts = attempts + 1 WHERE id = ?",
                (outcome.status, outcome.note, outcome.event_id))
        return decision_id

    def fail_event(self, event_id, note, give_up):
        self._connection().execute(
            "UPDATE events SET attempts = attempts + 1, note = ?, status = ? WHERE id = ?",
            (note, FAILED if give_up else PENDING, event_id))

    def processed(self, annotation_id):
        row = self._connection().execute(
            "SELECT * FROM processed WHERE annotation_id = ?", (annotation_id,)).fetchone()
        if row is None:
            return None
        return Processed(row["annotation_id"], row["task_id"], row["content_hash"],
                         row["written_hash"], row["updated_at"], row["decision_id"])

    def due_writebacks(self, now, limit=100):
        rows = self._connection().execute(
            "SELECT * FROM writebacks WHERE status = ? AND next_try_at <= ? ORDER BY id LIMIT ?",
            (PENDING, now, limit))
        return [Writeback(row["id"], row["kind"], row["project_id"], row["task_id"],
                          row["annotation_id"], json.loads(row["body"]), row["attempts"])
                for row in rows]

    def finish_writeback(self, writeback_id, status, note=None):
        self._connection().execute(
            "UPDATE writebacks SET status = ?, attempts = attempts + 1, last_error = ?, "
            "finished_at = ? WHERE id = ?", (status, note, utc_now(), writeback_id))

    def retry_writeback(self, writeback_id, error, next_try_at):
        self._connection().execute(
            "UPDATE writebacks SET attempts = attempts + 1, last_error = ?, next_try_at = ? "
            "WHERE id = ?", (error, next_try_at, writeback_id))

    def pending_writeback_count(self):
        return self._connection().execute(
            "SELECT count(*) FROM writebacks WHERE status = ?", (PENDING,)).fetchone()[0]

    def pending_event_count(self) -> int:
        return self._connection().execute(
            "SELECT count(*) FROM events WHERE status = ?", (PENDING,)).fetchone()[0]

    def checkpoint(self, project_id):
        row = self._connection().execute(
            "SELECT updated_at FROM checkpoints WHERE project_id = ?", (project_id,)).fetchone()
        return row[0] if row else None

    def set_checkpoint(self, project_id, updated_at):
        self._connection().execute(
            "INSERT INTO checkpoints (project_id, updated_at) VALUES (?, ?) "
            "ON CONFLICT (project_id) DO UPDATE SET updated_at = max(updated_at, excluded.updated_at)",
            (project_id, updated_at))

    def checkpointed_projects(self):
        return [row[0] for row in self._connection().execute(
            "SELECT project_id FROM checkpoints ORDER BY project_id")]

    def audit_records(self, since=None, task_id=None, annotation_id=None):
        """Decisions, write-backs and events that removed or skipped something, merged by time."""
        filters, parameters = [], []
        if task_id is not None:
            filters.append("task_id = ?")
            parameters.append(task_id)
        if annotation_id is not None:
            filters.append("annotation_id = ?")
            parameters.append(annotation_id)
        queries = [
            ("SELECT 'decision' AS kind, recorded_at AS time, project_id, task_id, "
             "annotation_id, verdict AS status, decision AS detail FROM decisions", "recorded_at"),
            ("SELECT 'writeback:' || kind AS kind, created_at AS time, project_id, task_id, "
             "annotation_id, status, json_object('attempts', attempts, 'last_error', last_error,"
             " 'finished_at', finished_at, 'body', json(body)) AS detail FROM writebacks",
             "created_at"),
            ("SELECT 'event:' || action AS kind, received_at AS time, project_id, task_id, "
             "annotation_id, status, json_object('note', note) AS detail FROM events "
             "WHERE status != 'done' OR action = 'ANNOTATIONS_DELETED'", "received_at"),
        ]
        parts = []
        for query, time_column in queries:
            conditions = list(filters)
            if since is not None:
                conditions.append(f"{time_column} >= ?")
            where = " AND ".join(conditions)
            if where:
                query += (" AND " if " WHERE " in query else " WHERE ") + where
            parts.append(query)
        all_parameters = []
        for _ in queries:
            all_parameters += parameters + ([since] if since is not None else [])
        sql = " UNION ALL ".join(parts) + " ORDER BY time"
        for row in self._connection().execute(sql, all_parameters):
            record = dict(row)
            record["detail"] = json.loads(record["detail"]) if record["detail"] else None
            yield record

    def counts(self) -> dict[str, int]:
        """Row counts per table and status, for `/health` and the tests."""
        connection = self._connection()
        result = {"decisions": connection.execute("SELECT count(*) FROM decisions").fetchone()[0]}
        for table in ("events", "writebacks"):
            for status, count in connection.execute(
                    f"SELECT status, count(*) FROM {table} GROUP BY status"):
                result[f"{table}_{status}"] = count
        return result

    def close(self):
        with self._lock:
            for connection in self._connections:
                try:
                    connection.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()


class _Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT`, or `ROLLBACK` on any error."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, error_type, error, traceback) -> None:
        self.connection.execute("ROLLBACK" if error_type else "COMMIT")


def open_store(location: str | Path) -> Store:
    """A store from a path (SQLite); a URL scheme is how another backend would be chosen."""
    text = str(location)
    if text.startswith(("postgres://", "postgresql://")):
        raise LsrulesError("a PostgreSQL store is not implemented yet; give a file path", text)
    return SQLiteStore(text)


def next_retry_time(attempts: int, base: float, maximum: float, now: float | None = None) -> float:
    """Exponential backoff: base, 2·base, 4·base, ... capped at `maximum` seconds."""
    delay = min(maximum, base * (2 ** max(attempts, 0)))
    return (time.time() if now is None else now) + delay
