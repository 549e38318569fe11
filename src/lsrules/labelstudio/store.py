"""The durable state of the live service: an event queue, the audit trail, pending write-backs.

Label Studio delivers each webhook once and never again, so an event is written here before
the webhook is answered; everything after that (evaluation, write-back) can crash and
resume. The trail of decisions is append-only: rows are added, never changed. The queue
tables (`events`, `writebacks`) change status as work is done.

Several workers may share one store (`serve`, and a `sync` run beside it): each row is
*claimed* before it is worked on, by one atomic UPDATE that sets a claim token and a lease
on a pending row nobody holds. Finishing checks the token, so work whose lease ran out (and
was taken over) is not recorded twice; a lease that expires returns the row to the queue, so
a killed worker loses nothing. Attempts are counted when a row is claimed: a row that kills
its worker every time still reaches the attempt cap and is marked failed.

`Store` is the interface the service uses; `SQLiteStore` is the default (one file, WAL mode
so the webhook's insert does not wait for the worker's reads). The schema carries a version
(`PRAGMA user_version`) and the migrations to reach the current one run when a store is
opened. `PostgresStore` (store_postgres) implements the same methods on a server that several
`serve` replicas share.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lsrules.errors import LsrulesError

SCHEMA_1 = """
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
# Claims and event retries: a claim token and lease on both queues; events wait for their
# next try like write-backs do.
SCHEMA_2 = """
ALTER TABLE events ADD COLUMN next_try_at REAL NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN claim_token TEXT;
ALTER TABLE events ADD COLUMN claimed_until REAL;
ALTER TABLE writebacks ADD COLUMN claim_token TEXT;
ALTER TABLE writebacks ADD COLUMN claimed_until REAL;
CREATE INDEX events_claimed ON events (claimed_until);
CREATE INDEX events_annotation ON events (annotation_id, status, id);
CREATE INDEX writebacks_claimed ON writebacks (claimed_until);
CREATE INDEX writebacks_task ON writebacks (task_id, status);
"""
# The suggester's state, so that what `serve` learns survives a restart: per model key, the
# last snapshot (the model file's JSON) and a journal of the lessons learnt since, each
# committed as it is learnt; loading replays the journal over the snapshot.
SCHEMA_3 = """
CREATE TABLE model_snapshots (
    model_key TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    through_lesson INTEGER NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE TABLE model_lessons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model_key TEXT NOT NULL,
    lesson TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX model_lessons_key ON model_lessons (model_key, id);
"""
# MIGRATIONS[n] takes a store from version n to n + 1. Version 0 is a new file or a store
# written before versions existed (its tables match SCHEMA_1, hence IF NOT EXISTS there).
# Stream rules' position: the last event they consumed and what they remember after it,
# written with the findings of the events consumed, and (for SQLite) who holds the stream.
SCHEMA_4 = """
CREATE TABLE stream_positions (
    name TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL DEFAULT 0,
    state TEXT,
    holder TEXT,
    held_until REAL
);
CREATE INDEX decisions_event ON decisions (event_id);
"""
MIGRATIONS = (SCHEMA_1, SCHEMA_2, SCHEMA_3, SCHEMA_4)
SCHEMA_VERSION = len(MIGRATIONS)

# Statuses, spelled once. A write-back is `refused` when Label Studio contradicts what the
# event said (the annotation is in another task, or was not deleted).
PENDING, DONE, SKIPPED, FAILED = "pending", "done", "skipped", "failed"
APPLIED, SUPERSEDED, REFUSED = "applied", "superseded", "refused"
MAX_NOTE_CHARACTERS = 1000


class ClaimLost(Exception):
    """The row's lease ran out and another worker holds it now: this worker's result is
    dropped (the other one records its own)."""


def new_claim_token() -> str:
    return uuid.uuid4().hex


def safe_note(text: str) -> str:
    """An error message fit for a TEXT column and a log line: bounded, and valid UTF-8 (a
    message may quote a lone surrogate from the event, which SQLite refuses to store)."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= MAX_NOTE_CHARACTERS else text[:MAX_NOTE_CHARACTERS] + "..."


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
    annotation_id: int | str | None  # a stream finding's meta entry is named by a string
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
class ModelState:
    """A suggester as stored: the last snapshot (None before the first), the id of the last
    lesson it holds (0 before the first), and the lessons recorded after it, oldest first,
    as (lesson id, lesson)."""

    document: dict[str, Any] | None
    through_lesson: int
    lessons: list[tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class NewWriteback:
    """A write-back to enqueue; a newer one with the same `supersede_key` replaces a pending one."""

    kind: str
    supersede_key: str
    project_id: int | None
    task_id: int | None
    annotation_id: int | str | None  # a stream finding's meta entry is named by a string
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
    """What the service needs from durable storage.

    `token` names one worker's claims (`new_claim_token()`); `now` is that worker's clock, in
    seconds since the epoch, so that leases and retry times compare on one clock."""

    @abstractmethod
    def schema_version(self) -> int:
        """The version of the schema the store holds (`SCHEMA_VERSION` once opened)."""

    @abstractmethod
    def add_event(self, action: str, project_id: int | None, task_id: int | None,
                  annotation_id: int | None, payload: str, dedupe_key: str) -> int | None:
        """Queue an event; None when an event with the same key is already there."""

    @abstractmethod
    def pending_events(self, limit: int = 100) -> list[Event]:
        """The oldest pending events, in arrival order, claimed or not (for inspection)."""

    @abstractmethod
    def claim_event(self, token: str, now: float, lease_seconds: float, max_attempts: int,
                    projects: Collection[int] | None = None) -> Event | None:
        """The oldest pending event that is due and free, claimed until `now + lease`; None
        when there is none. An event waits while an earlier event for the same annotation
        is pending or any event for it is claimed, so one annotation's events are handled
        one at a time and in order. Only events of `projects` (None: any) are claimed: a
        worker takes no event its rulesets do not judge. Expired claims that reached
        `max_attempts` are marked failed first."""

    @abstractmethod
    def finish_event(self, token: str, outcomes: list[Outcome], now: float) -> list[int | None]:
        """Record the decisions, the processed marks, the write-backs and the event's status
        atomically, if `token` still holds the event (else `ClaimLost`); returns the decision
        ids. A new write-back supersedes a pending one with its key that nobody holds."""

    @abstractmethod
    def fail_event(self, event_id: int, token: str, note: str, retry_at: float | None) -> None:
        """Release a claimed event after a failure: pending again from `retry_at`, or failed
        for good when `retry_at` is None."""

    @abstractmethod
    def processed(self, annotation_id: int) -> Processed | None: ...

    @abstractmethod
    def claim_writeback(self, token: str, now: float, lease_seconds: float) -> Writeback | None:
        """The oldest due write-back nobody holds, claimed; None when there is none. One
        write-back per task at a time (a summary is read-merge-write of the task's meta)."""

    @abstractmethod
    def finish_writeback(self, writeback_id: int, token: str, status: str,
                         note: str | None = None) -> None: ...

    @abstractmethod
    def retry_writeback(self, writeback_id: int, token: str, error: str,
                        next_try_at: float) -> None: ...

    @abstractmethod
    def release_claims(self, token: str) -> None:
        """Give back every row `token` holds (a worker stopping cleanly)."""

    @abstractmethod
    def pending_event_count(self) -> int: ...

    @abstractmethod
    def pending_writeback_count(self) -> int: ...

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Counters for `/health`: rows per queue and status, retries, decisions."""

    @abstractmethod
    def checkpoint(self, project_id: int) -> str | None: ...

    @abstractmethod
    def set_checkpoint(self, project_id: int, updated_at: str) -> None: ...

    @abstractmethod
    def checkpointed_projects(self) -> list[int]: ...

    @abstractmethod
    def hold_stream(self, name: str, token: str, now: float, lease_seconds: float) -> bool:
        """Hold (or keep holding) the stream `name` for `token`: true when it is ours. One
        holder at a time; a holder that dies loses it within seconds."""

    @abstractmethod
    def release_stream(self, name: str, token: str) -> None: ...

    @abstractmethod
    def stream_position(self, name: str) -> tuple[int, dict[str, Any] | None]:
        """(the last event id the stream consumed, its saved state or None)."""

    @abstractmethod
    def evaluated_events(self, after: int, limit: int, projects: Collection[int] | None = None
                         ) -> list[tuple[Event, list[dict]]]:
        """Events after id `after`, in id order, each with its decisions (the annotations it
        evaluated, oldest first; stream findings left out), up to the first event of
        `projects` (None: any) still pending: stream rules consume events in this order and
        never skip one of theirs. Other projects' events come with no decisions, pending or
        not (no worker of these rules may ever claim them)."""

    @abstractmethod
    def finish_stream(self, name: str, token: str, previous: int, cursor: int,
                      state: dict[str, Any], outcomes: list[Outcome], now: float) -> None:
        """Record the findings (`outcomes`) and move the stream from `previous` to `cursor`
        with `state`, atomically, if `token` still holds it and nobody moved it meanwhile
        (else `ClaimLost`)."""

    @abstractmethod
    def add_lesson(self, model_key: str, lesson: dict[str, Any]) -> int:
        """Journal one lesson the model `model_key` learnt (committed on return); its id."""

    @abstractmethod
    def model_state(self, model_key: str) -> ModelState:
        """The model's last snapshot and the lessons journalled after it."""

    @abstractmethod
    def save_model(self, model_key: str, document: dict[str, Any], through_lesson: int) -> None:
        """Replace the model's snapshot by `document`, which holds every lesson up to id
        `through_lesson`; those lessons leave the journal (atomically with the snapshot)."""

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
            self._migrate()
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

    def _migrate(self) -> None:
        """Bring the file to SCHEMA_VERSION, one migration per transaction (SQLite's DDL is
        transactional, and BEGIN IMMEDIATE keeps two processes from migrating at once)."""
        while True:
            with self._transaction() as connection:
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise LsrulesError(
                        f"the store has schema version {version}; this lsrules knows up to "
                        f"{SCHEMA_VERSION}: upgrade lsrules", self.path)
                if version == SCHEMA_VERSION:
                    return
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {version + 1}")

    def schema_version(self):
        return self._connection().execute("PRAGMA user_version").fetchone()[0]

    def add_event(self, action, project_id, task_id, annotation_id, payload, dedupe_key):
        cursor = self._connection().execute(
            "INSERT OR IGNORE INTO events (received_at, action, project_id, task_id, "
            "annotation_id, payload, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (utc_now(), action, project_id, task_id, annotation_id, payload, dedupe_key))
        return cursor.lastrowid if cursor.rowcount else None

    def pending_events(self, limit=100):
        rows = self._connection().execute(
            "SELECT * FROM events WHERE status = ? ORDER BY id LIMIT ?", (PENDING, limit))
        return [_event(row) for row in rows]

    def claim_event(self, token, now, lease_seconds, max_attempts, projects=None):
        chosen = None if projects is None else json.dumps(sorted(projects))
        with self._transaction() as connection:
            connection.execute(
                "UPDATE events SET status = ?, note = ?, claim_token = NULL, "
                "claimed_until = NULL WHERE status = ? AND attempts >= ? "
                "AND claimed_until < ?",
                (FAILED, f"gave up: claimed {max_attempts} times without finishing", PENDING,
                 max_attempts, now))
            row = connection.execute(
                "UPDATE events SET claim_token = ?, claimed_until = ?, attempts = attempts + 1 "
                "WHERE id = (SELECT e.id FROM events e WHERE e.status = ? "
                "AND e.next_try_at <= ? AND (e.claimed_until IS NULL OR e.claimed_until < ?) "
                "AND (? IS NULL OR e.project_id IN (SELECT value FROM json_each(?))) "
                "AND (e.annotation_id IS NULL OR NOT EXISTS (SELECT 1 FROM events o "
                "WHERE o.annotation_id = e.annotation_id AND o.status = ? AND o.id != e.id "
                "AND (o.id < e.id OR o.claimed_until >= ?))) "
                "ORDER BY e.id LIMIT 1) RETURNING *",
                (token, now + lease_seconds, PENDING, now, now, chosen, chosen, PENDING,
                 now)).fetchone()
        return None if row is None else _event(row)

    def finish_event(self, token, outcomes, now):
        decision_ids: list[int | None] = []
        if not outcomes:
            raise ValueError("an event finishes with at least one outcome")
        event_id = outcomes[0].event_id
        status = DONE if any(outcome.status == DONE for outcome in outcomes) else \
            outcomes[-1].status
        notes = [outcome.note for outcome in outcomes if outcome.note]
        with self._transaction() as connection:
            held = connection.execute(
                "UPDATE events SET status = ?, note = ?, claim_token = NULL, "
                "claimed_until = NULL WHERE id = ? AND claim_token = ? AND status = ?",
                (status, safe_note("; ".join(notes)) if notes else None, event_id, token,
                 PENDING))
            if held.rowcount != 1:
                raise ClaimLost(f"event {event_id}")
            for outcome in outcomes:
                decision_ids.append(self._record(connection, outcome, now))
        return decision_ids

    def _record(self, connection: sqlite3.Connection, outcome: Outcome,
                now: float) -> int | None:
        decision_id = None
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
            # a pending write-back that a worker is applying right now is not superseded:
            # the new one waits for it (see `claim_writeback`)
            connection.execute(
                "UPDATE writebacks SET status = ?, finished_at = ? "
                "WHERE supersede_key = ? AND status = ? "
                "AND (claimed_until IS NULL OR claimed_until < ?)",
                (SUPERSEDED, utc_now(), writeback.supersede_key, PENDING, now))
            connection.execute(
                "INSERT INTO writebacks (created_at, kind, supersede_key, project_id, "
                "task_id, annotation_id, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (utc_now(), writeback.kind, writeback.supersede_key, writeback.project_id,
                 writeback.task_id, writeback.annotation_id,
                 json.dumps(writeback.body, sort_keys=True)))
        return decision_id

    def fail_event(self, event_id, token, note, retry_at):
        self._connection().execute(
            "UPDATE events SET note = ?, status = ?, next_try_at = ?, claim_token = NULL, "
            "claimed_until = NULL WHERE id = ? AND claim_token = ?",
            (safe_note(note), FAILED if retry_at is None else PENDING, retry_at or 0,
             event_id, token))

    def processed(self, annotation_id):
        row = self._connection().execute(
            "SELECT * FROM processed WHERE annotation_id = ?", (annotation_id,)).fetchone()
        if row is None:
            return None
        return Processed(row["annotation_id"], row["task_id"], row["content_hash"],
                         row["written_hash"], row["updated_at"], row["decision_id"])

    def claim_writeback(self, token, now, lease_seconds):
        with self._transaction() as connection:
            row = connection.execute(
                "UPDATE writebacks SET claim_token = ?, claimed_until = ?, "
                "attempts = attempts + 1 WHERE id = (SELECT w.id FROM writebacks w "
                "WHERE w.status = ? AND w.next_try_at <= ? "
                "AND (w.claimed_until IS NULL OR w.claimed_until < ?) "
                "AND NOT EXISTS (SELECT 1 FROM writebacks o WHERE o.claimed_until >= ? "
                "AND o.status = ? AND o.id != w.id "
                "AND (o.task_id = w.task_id OR o.supersede_key = w.supersede_key)) "
                "ORDER BY w.id LIMIT 1) RETURNING *",
                (token, now + lease_seconds, PENDING, now, now, now, PENDING)).fetchone()
        if row is None:
            return None
        return Writeback(row["id"], row["kind"], row["project_id"], row["task_id"],
                         row["annotation_id"], json.loads(row["body"]), row["attempts"])

    def finish_writeback(self, writeback_id, token, status, note=None):
        self._connection().execute(
            "UPDATE writebacks SET status = ?, last_error = ?, finished_at = ?, "
            "claim_token = NULL, claimed_until = NULL WHERE id = ? AND claim_token = ?",
            (status, None if note is None else safe_note(note), utc_now(), writeback_id,
             token))

    def retry_writeback(self, writeback_id, token, error, next_try_at):
        self._connection().execute(
            "UPDATE writebacks SET last_error = ?, next_try_at = ?, claim_token = NULL, "
            "claimed_until = NULL WHERE id = ? AND claim_token = ?",
            (safe_note(error), next_try_at, writeback_id, token))

    def release_claims(self, token):
        with self._transaction() as connection:
            for table in ("events", "writebacks"):
                connection.execute(f"UPDATE {table} SET claim_token = NULL, "
                                   "claimed_until = NULL WHERE claim_token = ?", (token,))

    def pending_writeback_count(self):
        return self._connection().execute(
            "SELECT count(*) FROM writebacks WHERE status = ?", (PENDING,)).fetchone()[0]

    def pending_event_count(self):
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

    def hold_stream(self, name, token, now, lease_seconds):
        with self._transaction() as connection:
            connection.execute("INSERT OR IGNORE INTO stream_positions (name) VALUES (?)",
                               (name,))
            held = connection.execute(
                "UPDATE stream_positions SET holder = ?, held_until = ? WHERE name = ? "
                "AND (holder IS NULL OR holder = ? OR held_until < ?)",
                (token, now + lease_seconds, name, token, now))
        return held.rowcount == 1

    def release_stream(self, name, token):
        self._connection().execute(
            "UPDATE stream_positions SET holder = NULL, held_until = NULL "
            "WHERE name = ? AND holder = ?", (name, token))

    def stream_position(self, name):
        row = self._connection().execute(
            "SELECT cursor, state FROM stream_positions WHERE name = ?", (name,)).fetchone()
        if row is None:
            return 0, None
        return row["cursor"], None if row["state"] is None else json.loads(row["state"])

    def evaluated_events(self, after, limit, projects=None):
        connection = self._connection()
        rows = connection.execute("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?",
                                  (after, limit)).fetchall()
        return evaluated_rows(rows, projects, lambda ids: connection.execute(
            f"SELECT event_id, decision FROM decisions WHERE event_id IN "
            f"({', '.join('?' * len(ids))}) ORDER BY id", ids).fetchall())

    def finish_stream(self, name, token, previous, cursor, state, outcomes, now):
        with self._transaction() as connection:
            moved = connection.execute(
                "UPDATE stream_positions SET cursor = ?, state = ? WHERE name = ? "
                "AND holder = ? AND cursor = ?",
                (cursor, json.dumps(state, sort_keys=True), name, token, previous))
            if moved.rowcount != 1:
                raise ClaimLost(f"stream {name}")
            for outcome in outcomes:
                self._record(connection, outcome, now)

    def add_lesson(self, model_key, lesson):
        cursor = self._connection().execute(
            "INSERT INTO model_lessons (model_key, lesson, recorded_at) VALUES (?, ?, ?)",
            (model_key, json.dumps(lesson, sort_keys=True), utc_now()))
        return cursor.lastrowid

    def model_state(self, model_key):
        with self._transaction() as connection:  # snapshot and journal read as one
            row = connection.execute(
                "SELECT document, through_lesson FROM model_snapshots WHERE model_key = ?",
                (model_key,)).fetchone()
            through = row["through_lesson"] if row is not None else 0
            lessons = [(lesson["id"], json.loads(lesson["lesson"])) for lesson in connection.execute(
                "SELECT id, lesson FROM model_lessons WHERE model_key = ? AND id > ? "
                "ORDER BY id", (model_key, through))]
        return ModelState(json.loads(row["document"]) if row is not None else None, through,
                          lessons)

    def save_model(self, model_key, document, through_lesson):
        with self._transaction() as connection:
            connection.execute(
                "INSERT INTO model_snapshots (model_key, document, through_lesson, saved_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (model_key) DO UPDATE SET "
                "document = excluded.document, through_lesson = excluded.through_lesson, "
                "saved_at = excluded.saved_at WHERE excluded.through_lesson >= through_lesson",
                (model_key, json.dumps(document, sort_keys=True, allow_nan=False),
                 through_lesson, utc_now()))
            connection.execute("DELETE FROM model_lessons WHERE model_key = ? AND id <= ?",
                               (model_key, through_lesson))

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
             "annotation_id, status, json_object('note', note, 'attempts', attempts) AS detail "
             "FROM events "
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

    def counts(self):
        connection = self._connection()
        result = {"decisions": connection.execute("SELECT count(*) FROM decisions").fetchone()[0]}
        for table in ("events", "writebacks"):
            for status, count in connection.execute(
                    f"SELECT status, count(*) FROM {table} GROUP BY status"):
                result[f"{table}_{status}"] = count
            # pending after at least one failed try (the claim counts the attempt)
            result[f"{table}_retrying"] = connection.execute(
                f"SELECT count(*) FROM {table} WHERE status = ? AND attempts > 0 "
                "AND claim_token IS NULL", (PENDING,)).fetchone()[0]
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


def evaluated_rows(rows, projects, decisions_of) -> list[tuple[Event, list[dict]]]:
    """`evaluated_events` from rows of `events` in id order and a query of the decisions of
    some event ids (`decisions_of`, rows of event_id and decision in decision order)."""
    ready = []
    for row in rows:
        ours = projects is None or row["project_id"] in projects
        if ours and row["status"] == PENDING:
            break
        ready.append((row, ours))
    decisions: dict[int, list[dict]] = {row["id"]: [] for row, _ in ready}
    done = [row["id"] for row, ours in ready if ours and row["status"] == DONE]
    if done:
        for row in decisions_of(done):
            decision = json.loads(row["decision"])
            if "stream" not in decision:
                decisions[row["event_id"]].append(decision)
    return [(_event(row), decisions[row["id"]]) for row, _ in ready]


def _event(row: Any) -> Event:
    return Event(row["id"], row["received_at"], row["action"], row["project_id"],
                 row["task_id"], row["annotation_id"], json.loads(row["payload"]),
                 row["attempts"])


def next_retry_time(attempts: int, base: float, maximum: float, now: float | None = None) -> float:
    """Exponential backoff: base, 2·base, 4·base, ... capped at `maximum` seconds."""
    delay = min(maximum, base * (2 ** max(attempts, 0)))
    return (time.time() if now is None else now) + delay
