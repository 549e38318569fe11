"""The service's state in PostgreSQL, so several `serve` replicas share one queue.

The same tables, claims and leases as `SQLiteStore` (see `store`), with what a shared
server changes:
- a claim picks its row with `FOR UPDATE SKIP LOCKED`, so replicas claiming at the same
  moment take different rows instead of waiting for each other;
- write-back claims also hold a transaction-scoped advisory lock: "one write-back per task
  at a time" compares against claims other replicas are making right now, which a
  row lock on the chosen row cannot see;
- the schema version lives in a table, and migrations run under an advisory lock, so
  replicas starting together migrate once;
- one connection per thread, in autocommit mode with explicit transactions, each sent in
  pipeline mode: its statements go out together and the server's answers come back
  together, so a transaction costs one or two network round trips, not one per statement
  (on a busy machine a round trip is the larger part of an event's cost).
Times (`now`, leases, retries) are the replicas' clocks, as with SQLite: replicas on
different machines need clocks that agree to well within a lease (NTP does).
"""
from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lsrules.errors import LsrulesError
from lsrules.labelstudio.store import (
    DONE,
    FAILED,
    PENDING,
    SUPERSEDED,
    ClaimLost,
    Event,
    ModelState,
    Outcome,
    Processed,
    Store,
    Writeback,
    evaluated_rows,
    safe_note,
    utc_now,
)

SCHEMA_1 = """
CREATE TABLE lsrules_schema (version INTEGER NOT NULL);
INSERT INTO lsrules_schema (version) VALUES (0);
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    received_at TEXT NOT NULL,
    action TEXT NOT NULL,
    project_id BIGINT,
    task_id BIGINT,
    annotation_id BIGINT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    dedupe_key TEXT NOT NULL UNIQUE,
    next_try_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    claim_token TEXT,
    claimed_until DOUBLE PRECISION
);
CREATE INDEX events_pending ON events (status, id);
CREATE INDEX events_annotation ON events (annotation_id, status, id);
CREATE TABLE decisions (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT,
    recorded_at TEXT NOT NULL,
    project_id BIGINT,
    task_id BIGINT,
    annotation_id BIGINT,
    verdict TEXT,
    route TEXT,
    decision TEXT NOT NULL
);
CREATE INDEX decisions_annotation ON decisions (annotation_id);
CREATE INDEX decisions_task ON decisions (task_id);
CREATE INDEX decisions_event ON decisions (event_id);
CREATE TABLE writebacks (
    id BIGSERIAL PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    supersede_key TEXT NOT NULL,
    project_id BIGINT,
    task_id BIGINT,
    annotation_id TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_error TEXT,
    finished_at TEXT,
    claim_token TEXT,
    claimed_until DOUBLE PRECISION
);
CREATE INDEX writebacks_due ON writebacks (status, next_try_at, id);
CREATE INDEX writebacks_task ON writebacks (task_id, status);
CREATE INDEX writebacks_key ON writebacks (supersede_key, status);
CREATE TABLE checkpoints (
    project_id BIGINT PRIMARY KEY,
    updated_at TEXT NOT NULL
);
CREATE TABLE processed (
    annotation_id BIGINT PRIMARY KEY,
    task_id BIGINT,
    project_id BIGINT,
    content_hash TEXT NOT NULL,
    written_hash TEXT,
    updated_at TEXT NOT NULL,
    decision_id BIGINT
);
CREATE TABLE model_snapshots (
    model_key TEXT PRIMARY KEY,
    document TEXT NOT NULL,
    through_lesson BIGINT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE TABLE model_lessons (
    id BIGSERIAL PRIMARY KEY,
    model_key TEXT NOT NULL,
    lesson TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX model_lessons_key ON model_lessons (model_key, id)
"""
# MIGRATIONS[n] takes a database from version n to n + 1; version 0 is an empty database.
# Stream rules' position (see `store.SCHEMA_4`); who holds a stream is an advisory lock.
SCHEMA_2 = """
CREATE TABLE stream_positions (
    name TEXT PRIMARY KEY,
    cursor BIGINT NOT NULL DEFAULT 0,
    state TEXT
)
"""
MIGRATIONS = (SCHEMA_1, SCHEMA_2)
SCHEMA_VERSION = len(MIGRATIONS)

# advisory lock keys (one 64-bit space per database, shared with other applications:
# ours are "lsrules" in ASCII plus a small number)
_LOCK_BASE = 0x6C7372756C6573 << 8
MIGRATION_LOCK = _LOCK_BASE + 1
WRITEBACK_CLAIM_LOCK = _LOCK_BASE + 2
LESSON_LOCK = _LOCK_BASE + 3
EVENT_ORDER_LOCK = _LOCK_BASE + 4
STREAM_LOCK_CLASS = 0x6C737275  # "lsru": streams lock (this, hashtext(name))


def shown_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=netloc[0].split(":")[0] + ":***@" + netloc[1]))


def _import_driver(url: str):
    try:
        import psycopg
    except ImportError:
        raise LsrulesError("a PostgreSQL store needs the postgres extra: "
                           "pip install 'lsrules[postgres]'", shown_url(url)) from None
    return psycopg


class PostgresStore(Store):
    """One PostgreSQL database, shared by every replica that names it."""

    def __init__(self, url: str):
        self.url = url
        self._psycopg = _import_driver(url)
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        # stream name -> (the connection holding its advisory lock, whether it holds it)
        self._stream_holds: dict[str, list] = {}
        try:
            self._migrate()
        except self._psycopg.Error as error:
            self.close()
            raise LsrulesError(f"cannot open the store: {_first_line(error)}",
                               shown_url(url)) from error
        except BaseException:
            self.close()
            raise

    def connect(self):
        """A new connection of this store's database (autocommit; the caller closes it)."""
        from psycopg.rows import dict_row

        return self._psycopg.connect(self.url, autocommit=True, row_factory=dict_row,
                                     connect_timeout=10)

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is not None and connection.closed:
            connection = None  # the server went away: the next statement reconnects
        if connection is None:
            connection = self.connect()
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _migrate(self) -> None:
        connection = self._connection()
        with connection.transaction():
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            exists = connection.execute(
                "SELECT to_regclass('lsrules_schema') IS NOT NULL AS found").fetchone()["found"]
            version = connection.execute(
                "SELECT version FROM lsrules_schema").fetchone()["version"] if exists else 0
            if version > SCHEMA_VERSION:
                raise LsrulesError(
                    f"the store has schema version {version}; this lsrules knows up to "
                    f"{SCHEMA_VERSION}: upgrade lsrules", shown_url(self.url))
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute("UPDATE lsrules_schema SET version = %s", (step + 1,))

    def schema_version(self):
        return self._connection().execute(
            "SELECT version FROM lsrules_schema").fetchone()["version"]

    def add_event(self, action, project_id, task_id, annotation_id, payload, dedupe_key):
        connection = self._connection()
        with connection.pipeline(), connection.transaction():
            # events commit in id order, so stream rules reading "every event after id n"
            # never pass one whose insert has not committed yet (a sequence alone gives ids
            # in the order inserts start, not the order they commit)
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (EVENT_ORDER_LOCK,))
            inserted = connection.execute(
                "INSERT INTO events (received_at, action, project_id, task_id, annotation_id, "
                "payload, dedupe_key) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                (utc_now(), action, project_id, task_id, annotation_id, payload, dedupe_key))
        row = inserted.fetchone()
        return None if row is None else row["id"]

    def pending_events(self, limit=100):
        rows = self._connection().execute(
            "SELECT * FROM events WHERE status = %s ORDER BY id LIMIT %s", (PENDING, limit))
        return [_event(row) for row in rows]

    def claim_event(self, token, now, lease_seconds, max_attempts, projects=None):
        chosen = None if projects is None else sorted(projects)
        connection = self._connection()
        with connection.pipeline(), connection.transaction():
            connection.execute(
                "UPDATE events SET status = %s, note = %s, claim_token = NULL, "
                "claimed_until = NULL WHERE id IN (SELECT id FROM events WHERE status = %s "
                "AND attempts >= %s AND claimed_until < %s FOR UPDATE SKIP LOCKED)",
                (FAILED, f"gave up: claimed {max_attempts} times without finishing", PENDING,
                 max_attempts, now))
            # Only an annotation's earliest pending event can be chosen, so two replicas
            # never hold events of one annotation; SKIP LOCKED sends them to different rows.
            claimed = connection.execute(
                "UPDATE events SET claim_token = %s, claimed_until = %s, "
                "attempts = attempts + 1 WHERE id = (SELECT e.id FROM events e "
                "WHERE e.status = %s AND e.next_try_at <= %s "
                "AND (e.claimed_until IS NULL OR e.claimed_until < %s) "
                "AND (%s::bigint[] IS NULL OR e.project_id = ANY(%s::bigint[])) "
                "AND (e.annotation_id IS NULL OR NOT EXISTS (SELECT 1 FROM events o "
                "WHERE o.annotation_id = e.annotation_id AND o.status = %s AND o.id != e.id "
                "AND (o.id < e.id OR o.claimed_until >= %s))) "
                "ORDER BY e.id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *",
                (token, now + lease_seconds, PENDING, now, now, chosen, chosen, PENDING,
                 now))
        row = claimed.fetchone()
        return None if row is None else _event(row)

    def finish_event(self, token, outcomes, now):
        if not outcomes:
            raise ValueError("an event finishes with at least one outcome")
        event_id = outcomes[0].event_id
        status = DONE if any(outcome.status == DONE for outcome in outcomes) else \
            outcomes[-1].status
        notes = [outcome.note for outcome in outcomes if outcome.note]
        connection = self._connection()
        with connection.pipeline() as pipeline, connection.transaction():
            held = connection.execute(
                "UPDATE events SET status = %s, note = %s, claim_token = NULL, "
                "claimed_until = NULL WHERE id = %s AND claim_token = %s AND status = %s",
                (status, safe_note("; ".join(notes)) if notes else None, event_id, token,
                 PENDING))
            decisions = [self._record(connection, outcome, now) for outcome in outcomes]
            pipeline.sync()
            if held.rowcount != 1:  # rolls back everything sent with it
                raise ClaimLost(f"event {event_id}")
        return [None if cursor is None else cursor.fetchone()["id"] for cursor in decisions]

    def _record(self, connection, outcome: Outcome, now: float) -> Any:
        """Queue the outcome's statements; the cursor that will hold its decision's id."""
        inserted = None
        if outcome.decision is not None:
            decision = outcome.decision
            route = (decision.get("route") or {}).get("name")
            inserted = connection.execute(
                "INSERT INTO decisions (event_id, recorded_at, project_id, task_id, "
                "annotation_id, verdict, route, decision) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (outcome.event_id, utc_now(), outcome.project_id, decision.get("task_id"),
                 decision.get("annotation_id"), decision.get("verdict"), route,
                 json.dumps(decision, sort_keys=True)))
        if outcome.processed is not None:
            mark = outcome.processed
            # the decision just inserted is this session's last `decisions` id (its id is
            # not back yet: the statements are pipelined)
            new_decision = "currval(pg_get_serial_sequence('decisions', 'id'))" \
                if inserted is not None else "NULL"
            connection.execute(
                "INSERT INTO processed (annotation_id, task_id, project_id, content_hash, "
                "written_hash, updated_at, decision_id) "
                f"VALUES (%s, %s, %s, %s, %s, %s, COALESCE(%s, {new_decision})) "
                "ON CONFLICT (annotation_id) DO UPDATE SET task_id = excluded.task_id, "
                "project_id = excluded.project_id, content_hash = excluded.content_hash, "
                "written_hash = excluded.written_hash, updated_at = excluded.updated_at, "
                "decision_id = excluded.decision_id",
                (mark.annotation_id, mark.task_id, None, mark.content_hash, mark.written_hash,
                 mark.updated_at, mark.decision_id))
        for writeback in outcome.writebacks:
            # a write-back some replica is applying right now is not superseded: the new
            # one waits for it (the row lock orders this against a concurrent claim)
            connection.execute(
                "UPDATE writebacks SET status = %s, finished_at = %s "
                "WHERE supersede_key = %s AND status = %s "
                "AND (claimed_until IS NULL OR claimed_until < %s)",
                (SUPERSEDED, utc_now(), writeback.supersede_key, PENDING, now))
            connection.execute(
                "INSERT INTO writebacks (created_at, kind, supersede_key, project_id, "
                "task_id, annotation_id, body) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (utc_now(), writeback.kind, writeback.supersede_key, writeback.project_id,
                 writeback.task_id, _text_id(writeback.annotation_id),
                 json.dumps(writeback.body, sort_keys=True)))
        return inserted

    def fail_event(self, event_id, token, note, retry_at):
        self._connection().execute(
            "UPDATE events SET note = %s, status = %s, next_try_at = %s, claim_token = NULL, "
            "claimed_until = NULL WHERE id = %s AND claim_token = %s",
            (safe_note(note), FAILED if retry_at is None else PENDING, retry_at or 0,
             event_id, token))

    def processed(self, annotation_id):
        row = self._connection().execute(
            "SELECT * FROM processed WHERE annotation_id = %s", (annotation_id,)).fetchone()
        if row is None:
            return None
        return Processed(row["annotation_id"], row["task_id"], row["content_hash"],
                         row["written_hash"], row["updated_at"], row["decision_id"])

    def claim_writeback(self, token, now, lease_seconds):
        connection = self._connection()
        with connection.transaction():
            # one claimer at a time: the statement below then sees every claim committed
            # before it (a short wait; applying the write-back happens after the commit)
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (WRITEBACK_CLAIM_LOCK,))
            row = connection.execute(
                "UPDATE writebacks SET claim_token = %s, claimed_until = %s, "
                "attempts = attempts + 1 WHERE id = (SELECT w.id FROM writebacks w "
                "WHERE w.status = %s AND w.next_try_at <= %s "
                "AND (w.claimed_until IS NULL OR w.claimed_until < %s) "
                "AND NOT EXISTS (SELECT 1 FROM writebacks o WHERE o.claimed_until >= %s "
                "AND o.status = %s AND o.id != w.id "
                "AND (o.task_id = w.task_id OR o.supersede_key = w.supersede_key)) "
                "ORDER BY w.id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *",
                (token, now + lease_seconds, PENDING, now, now, now, PENDING)).fetchone()
        if row is None:
            return None
        return Writeback(row["id"], row["kind"], row["project_id"], row["task_id"],
                         _id_of_text(row["annotation_id"]), json.loads(row["body"]),
                         row["attempts"])

    def finish_writeback(self, writeback_id, token, status, note=None):
        self._connection().execute(
            "UPDATE writebacks SET status = %s, last_error = %s, finished_at = %s, "
            "claim_token = NULL, claimed_until = NULL WHERE id = %s AND claim_token = %s",
            (status, None if note is None else safe_note(note), utc_now(), writeback_id,
             token))

    def retry_writeback(self, writeback_id, token, error, next_try_at):
        self._connection().execute(
            "UPDATE writebacks SET last_error = %s, next_try_at = %s, claim_token = NULL, "
            "claimed_until = NULL WHERE id = %s AND claim_token = %s",
            (safe_note(error), next_try_at, writeback_id, token))

    def release_claims(self, token):
        connection = self._connection()
        with connection.transaction():
            for table in ("events", "writebacks"):
                connection.execute(f"UPDATE {table} SET claim_token = NULL, "
                                   "claimed_until = NULL WHERE claim_token = %s", (token,))

    def pending_writeback_count(self):
        return self._connection().execute(
            "SELECT count(*) AS n FROM writebacks WHERE status = %s", (PENDING,)).fetchone()["n"]

    def pending_event_count(self):
        return self._connection().execute(
            "SELECT count(*) AS n FROM events WHERE status = %s", (PENDING,)).fetchone()["n"]

    def checkpoint(self, project_id):
        row = self._connection().execute(
            "SELECT updated_at FROM checkpoints WHERE project_id = %s", (project_id,)).fetchone()
        return row["updated_at"] if row else None

    def set_checkpoint(self, project_id, updated_at):
        self._connection().execute(
            "INSERT INTO checkpoints (project_id, updated_at) VALUES (%s, %s) "
            "ON CONFLICT (project_id) DO UPDATE "
            "SET updated_at = GREATEST(checkpoints.updated_at, excluded.updated_at)",
            (project_id, updated_at))

    def checkpointed_projects(self):
        return [row["project_id"] for row in self._connection().execute(
            "SELECT project_id FROM checkpoints ORDER BY project_id")]

    def hold_stream(self, name, token, now, lease_seconds):
        """A session advisory lock on a connection of its own: the server drops it the moment
        the holder's connection ends (a killed replica's socket closes), so another replica
        takes the stream over at its next try."""
        hold = self._stream_holds.get(name)
        if hold is not None and (hold[0].closed or hold[0].broken):
            hold = None
        if hold is None:
            hold = self._stream_holds[name] = [self.connect(), False]
        if not hold[1]:
            try:
                hold[1] = hold[0].execute(
                    "SELECT pg_try_advisory_lock(%s, hashtext(%s)) AS held",
                    (STREAM_LOCK_CLASS, name)).fetchone()["held"]
            except self._psycopg.OperationalError:
                self._drop_stream_hold(name)
                return False
        return hold[1]

    def _drop_stream_hold(self, name: str) -> None:
        hold = self._stream_holds.pop(name, None)
        if hold is not None:
            try:
                if hold[1] and not hold[0].closed:
                    # at once: the server ends a closed session's locks a moment later
                    hold[0].execute("SELECT pg_advisory_unlock_all()")
                hold[0].close()
            except self._psycopg.Error:
                pass

    def release_stream(self, name, token):
        self._drop_stream_hold(name)

    def stream_position(self, name):
        row = self._connection().execute(
            "SELECT cursor, state FROM stream_positions WHERE name = %s", (name,)).fetchone()
        if row is None:
            return 0, None
        return row["cursor"], None if row["state"] is None else json.loads(row["state"])

    def evaluated_events(self, after, limit, projects=None):
        connection = self._connection()
        rows = connection.execute("SELECT * FROM events WHERE id > %s ORDER BY id LIMIT %s",
                                  (after, limit)).fetchall()
        return evaluated_rows(rows, projects, lambda ids: connection.execute(
            "SELECT event_id, decision FROM decisions WHERE event_id = ANY(%s) ORDER BY id",
            (ids,)).fetchall())

    def finish_stream(self, name, token, previous, cursor, state, outcomes, now):
        """Written on the connection that holds the stream's lock: if that session is gone,
        so is the lock, and nothing is written."""
        hold = self._stream_holds.get(name)
        if hold is None or not hold[1]:
            raise ClaimLost(f"stream {name}")
        connection = hold[0]
        try:
            with connection.transaction():
                connection.execute(
                    "INSERT INTO stream_positions (name) VALUES (%s) ON CONFLICT DO NOTHING",
                    (name,))
                moved = connection.execute(
                    "UPDATE stream_positions SET cursor = %s, state = %s "
                    "WHERE name = %s AND cursor = %s",
                    (cursor, json.dumps(state, sort_keys=True), name, previous))
                if moved.rowcount != 1:
                    raise ClaimLost(f"stream {name}")
                for outcome in outcomes:
                    self._record(connection, outcome, now)
        except self._psycopg.OperationalError as error:
            self._drop_stream_hold(name)
            raise ClaimLost(f"stream {name}: {_first_line(error)}") from error

    def add_lesson(self, model_key, lesson):
        connection = self._connection()
        with connection.transaction():
            # lessons commit in id order (a sequence alone does not promise it across
            # replicas), so a snapshot "through lesson n" never skips a later-committed m < n
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (LESSON_LOCK,))
            return connection.execute(
                "INSERT INTO model_lessons (model_key, lesson, recorded_at) "
                "VALUES (%s, %s, %s) RETURNING id",
                (model_key, json.dumps(lesson, sort_keys=True), utc_now())).fetchone()["id"]

    def model_state(self, model_key):
        connection = self._connection()
        with connection.transaction():
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            row = connection.execute(
                "SELECT document, through_lesson FROM model_snapshots WHERE model_key = %s",
                (model_key,)).fetchone()
            through = row["through_lesson"] if row is not None else 0
            lessons = [(lesson["id"], json.loads(lesson["lesson"])) for lesson in
                       connection.execute(
                           "SELECT id, lesson FROM model_lessons WHERE model_key = %s "
                           "AND id > %s ORDER BY id", (model_key, through))]
        return ModelState(json.loads(row["document"]) if row is not None else None, through,
                          lessons)

    def save_model(self, model_key, document, through_lesson):
        connection = self._connection()
        with connection.transaction():
            connection.execute(
                "INSERT INTO model_snapshots (model_key, document, through_lesson, saved_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (model_key) DO UPDATE SET "
                "document = excluded.document, through_lesson = excluded.through_lesson, "
                "saved_at = excluded.saved_at "
                "WHERE excluded.through_lesson >= model_snapshots.through_lesson",
                (model_key, json.dumps(document, sort_keys=True, allow_nan=False),
                 through_lesson, utc_now()))
            connection.execute("DELETE FROM model_lessons WHERE model_key = %s AND id <= %s",
                               (model_key, through_lesson))

    def audit_records(self, since=None, task_id=None, annotation_id=None):
        """Decisions, write-backs and events that removed or skipped something, merged by time."""
        queries = [
            ("SELECT 'decision' AS kind, recorded_at AS time, project_id, task_id, "
             "annotation_id::text AS annotation_id, verdict AS status, decision AS detail "
             "FROM decisions", "recorded_at", annotation_id),
            ("SELECT 'writeback:' || kind AS kind, created_at AS time, project_id, task_id, "
             "annotation_id, status, json_build_object('attempts', attempts, 'last_error', "
             "last_error, 'finished_at', finished_at, 'body', body::json)::text AS detail "
             "FROM writebacks", "created_at", _text_id(annotation_id)),
            ("SELECT 'event:' || action AS kind, received_at AS time, project_id, task_id, "
             "annotation_id::text AS annotation_id, status, json_build_object('note', note, "
             "'attempts', attempts)::text AS detail FROM events "
             "WHERE (status != 'done' OR action = 'ANNOTATIONS_DELETED')", "received_at",
             annotation_id),
        ]
        parts, parameters = [], []
        for query, time_column, wanted_annotation in queries:
            conditions = []
            for condition, value in (("task_id = %s", task_id),
                                     ("annotation_id = %s", wanted_annotation),
                                     (f"{time_column} >= %s", since)):
                if value is not None:
                    conditions.append(condition)
                    parameters.append(value)
            if conditions:
                query += (" AND " if " WHERE " in query else " WHERE ") + " AND ".join(conditions)
            parts.append(query)
        sql = " UNION ALL ".join(parts) + " ORDER BY time"
        for row in self._connection().execute(sql, parameters):
            record = dict(row)
            record["annotation_id"] = _id_of_text(record["annotation_id"])
            record["detail"] = json.loads(record["detail"]) if record["detail"] else None
            yield record

    def counts(self):
        connection = self._connection()
        result = {"decisions": connection.execute(
            "SELECT count(*) AS n FROM decisions").fetchone()["n"]}
        for table in ("events", "writebacks"):
            for row in connection.execute(
                    f"SELECT status, count(*) AS n FROM {table} GROUP BY status"):
                result[f"{table}_{row['status']}"] = row["n"]
            # pending after at least one failed try (the claim counts the attempt)
            result[f"{table}_retrying"] = connection.execute(
                f"SELECT count(*) AS n FROM {table} WHERE status = %s AND attempts > 0 "
                "AND claim_token IS NULL", (PENDING,)).fetchone()["n"]
        return result

    def close(self):
        for name in list(self._stream_holds):
            self._drop_stream_hold(name)
        with self._lock:
            for connection in self._connections:
                try:
                    connection.close()
                except self._psycopg.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()


def _text_id(value: int | str | None) -> str | None:
    return None if value is None else str(value)


def _id_of_text(value: str | None) -> int | str | None:
    """A write-back's annotation id: a number, or the name of a stream finding's entry."""
    if value is None:
        return None
    return int(value) if value.isdigit() else value


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _event(row: dict) -> Event:
    return Event(row["id"], row["received_at"], row["action"], row["project_id"],
                 row["task_id"], row["annotation_id"], json.loads(row["payload"]),
                 row["attempts"])
