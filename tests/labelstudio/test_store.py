"""The stores, SQLite and PostgreSQL (a real server), through one set of tests: dedupe,
atomic outcomes, claims and leases, supersession, checkpoints, audit queries."""
from __future__ import annotations

import json

import pytest

from lsrules.cli import main
from lsrules.errors import LsrulesError
from lsrules.labelstudio.store import (
    SCHEMA_1,
    SCHEMA_VERSION,
    ClaimLost,
    ModelState,
    NewWriteback,
    Outcome,
    Processed,
    SQLiteStore,
    next_retry_time,
)
from lsrules.labelstudio.store_location import open_store
from lsrules.labelstudio import store_postgres as postgres_schema
from lsrules.labelstudio.store_postgres import PostgresStore

NOW = 1000.0
LEASE = 60.0


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "sqlite":
        store = SQLiteStore(tmp_path / "audit.sqlite")
    else:
        store = PostgresStore(request.getfixturevalue("postgres").new_database())
    yield store
    store.close()


def location(store):
    """What `--store` names for this store."""
    return store.path if isinstance(store, SQLiteStore) else store.url


def add(store, key, annotation_id=1, task_id=10):
    return store.add_event("ANNOTATION_CREATED", 1, task_id, annotation_id,
                           json.dumps({"n": key}), key)


def test_events_come_back_in_order_and_once(store):
    ids = [add(store, key) for key in ("a", "b", "a", "c")]
    assert ids[2] is None and None not in (ids[0], ids[1], ids[3])
    assert [event.payload["n"] for event in store.pending_events()] == ["a", "b", "c"]


def finish(store, outcome, token="t", now=NOW):
    """Claim the outcome's event and finish it, as a worker does."""
    claimed = store.claim_event(token, now, LEASE, 5)
    assert claimed is not None and claimed.id == outcome.event_id
    return store.finish_event(token, [outcome], now)


def test_an_outcome_is_all_or_nothing(store):
    event_id = add(store, "a")
    writeback = NewWriteback("summary", "summary:1", 1, 10, 1, {"summary": {}})
    bad = Outcome(event_id, {"verdict": "accept", "task_id": 10, "annotation_id": 1},
                  Processed(1, 10, "h", None, "t", None), [writeback, None])  # None breaks it
    with pytest.raises(AttributeError):
        finish(store, bad)
    assert store.processed(1) is None
    assert store.pending_writeback_count() == 0
    assert len(store.pending_events()) == 1


def claim_all_writebacks(store, token="t", now=NOW):
    claimed = []
    while (writeback := store.claim_writeback(token, now, LEASE)) is not None:
        claimed.append(writeback)
    return claimed


def test_a_newer_writeback_supersedes_a_pending_one(store):
    for number in range(3):
        event_id = add(store, f"e{number}")
        finish(store, Outcome(event_id, None, None, [
            NewWriteback("summary", "summary:1", 1, 10, 1, {"number": number})]))
    assert [writeback.body["number"] for writeback in claim_all_writebacks(store)] == [2]
    assert store.pending_event_count() == 0


def test_a_writeback_being_applied_is_not_superseded_and_the_newer_one_waits(store):
    """Superseding a write-back a worker is applying would let a second worker apply its
    successor at the same time: two writes of one correction."""
    finish(store, Outcome(add(store, "e1"), None, None, [
        NewWriteback("correction", "correction:1", 1, 10, 1, {"number": 1})]))
    first = store.claim_writeback("serve", NOW, LEASE)
    finish(store, Outcome(add(store, "e2"), None, None, [
        NewWriteback("correction", "correction:1", 1, 10, 1, {"number": 2})]))
    assert store.claim_writeback("sync", NOW, LEASE) is None
    store.finish_writeback(first.id, "serve", "applied")
    assert store.claim_writeback("sync", NOW, LEASE).body == {"number": 2}


def test_one_writeback_per_task_at_a_time(store):
    """Summaries are read-merge-write of the task's meta: two at once would lose one."""
    finish(store, Outcome(add(store, "e1"), None, None, [
        NewWriteback("summary", "summary:1", 1, 10, 1, {}),
        NewWriteback("summary", "summary:2", 1, 10, 2, {}),
        NewWriteback("summary", "summary:3", 1, 11, 3, {})]))
    first = store.claim_writeback("serve", NOW, LEASE)
    other = store.claim_writeback("sync", NOW, LEASE)
    assert (first.annotation_id, other.annotation_id) == (1, 3)
    assert store.claim_writeback("sync", NOW, LEASE) is None


def test_each_event_is_claimed_by_one_worker(store):
    ids = [add(store, key, annotation_id=n) for n, key in enumerate("abc", start=1)]
    first = store.claim_event("serve", NOW, LEASE, 5)
    second = store.claim_event("sync", NOW, LEASE, 5)
    assert (first.id, second.id) == (ids[0], ids[1])
    assert first.attempts == 1
    with pytest.raises(ClaimLost):
        store.finish_event("sync", [Outcome(first.id, None, None, [])], NOW)
    assert store.finish_event("serve", [Outcome(first.id, None, None, [])], NOW) == [None]


def test_an_annotations_events_wait_for_the_one_in_hand(store):
    first, second = add(store, "a", annotation_id=7), add(store, "b", annotation_id=7)
    other = add(store, "c", annotation_id=8)
    assert store.claim_event("serve", NOW, LEASE, 5).id == first
    assert store.claim_event("sync", NOW, LEASE, 5).id == other  # not `second`
    assert store.claim_event("sync", NOW, LEASE, 5) is None
    store.finish_event("serve", [Outcome(first, None, None, [])], NOW)
    assert store.claim_event("sync", NOW, LEASE, 5).id == second


def test_an_expired_lease_returns_the_row_and_the_late_result_is_dropped(store):
    event_id = add(store, "a")
    assert store.claim_event("killed", NOW, LEASE, 5).id == event_id
    assert store.claim_event("other", NOW + LEASE / 2, LEASE, 5) is None
    taken = store.claim_event("other", NOW + LEASE + 1, LEASE, 5)
    assert (taken.id, taken.attempts) == (event_id, 2)
    with pytest.raises(ClaimLost):
        store.finish_event("killed", [Outcome(event_id, {"verdict": "accept"}, None, [])], NOW)
    assert store.counts()["decisions"] == 0


def test_an_event_that_kills_its_worker_every_time_is_failed_at_the_cap(store):
    event_id = add(store, "poison")
    now = NOW
    for _ in range(3):
        assert store.claim_event(f"w{now}", now, LEASE, 3).id == event_id
        now += LEASE + 1  # the worker died: its lease runs out
    assert store.claim_event("next", now, LEASE, 3) is None
    record = next(r for r in store.audit_records() if r["kind"].startswith("event"))
    assert record["status"] == "failed" and "gave up" in record["detail"]["note"]
    assert record["detail"]["attempts"] == 3
    assert store.counts()["events_failed"] == 1


def test_a_failed_event_waits_for_its_retry_time_and_the_rest_flow_on(store):
    poison, good = add(store, "poison", annotation_id=1), add(store, "good", annotation_id=2)
    assert store.claim_event("w", NOW, LEASE, 5).id == poison
    store.fail_event(poison, "w", "ValueError: \ud800 bad", NOW + 10)
    assert store.claim_event("w", NOW, LEASE, 5).id == good
    assert store.claim_event("w", NOW + 9, LEASE, 5) is None
    assert store.counts()["events_retrying"] == 1
    assert store.claim_event("w", NOW + 10, LEASE, 5).id == poison


def test_release_gives_back_what_a_worker_holds(store):
    finish(store, Outcome(add(store, "b"), None, None, [
        NewWriteback("summary", "summary:1", 1, 10, 1, {})]))
    add(store, "a")
    store.claim_event("stopping", NOW, LEASE, 5)
    store.claim_writeback("stopping", NOW, LEASE)
    store.release_claims("stopping")
    assert store.claim_event("other", NOW, LEASE, 5) is not None
    assert store.claim_writeback("other", NOW, LEASE) is not None


def test_a_store_from_before_schema_versions_is_migrated(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA_1)
    connection.execute("INSERT INTO events (received_at, action, payload, dedupe_key, "
                       "annotation_id) VALUES ('t', 'ANNOTATION_CREATED', '{}', 'k', 5)")
    connection.commit()
    connection.close()
    store = SQLiteStore(path)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.claim_event("w", NOW, LEASE, 5).annotation_id == 5
    finally:
        store.close()
    reopened = SQLiteStore(path)  # migrations are not run twice
    assert reopened.schema_version() == SCHEMA_VERSION
    reopened.close()


def test_a_store_from_a_newer_lsrules_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "new.sqlite"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    with pytest.raises(LsrulesError, match="upgrade lsrules"):
        SQLiteStore(path)


def test_a_version_2_store_gains_the_model_tables(tmp_path):
    import sqlite3

    from lsrules.labelstudio.store import SCHEMA_2

    path = tmp_path / "v2.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript(SCHEMA_1 + SCHEMA_2 + "PRAGMA user_version = 2;")
    connection.close()
    store = SQLiteStore(path)
    try:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.add_lesson("m", {"n": 1}) > 0
        assert store.model_state("m").lessons[0][1] == {"n": 1}
    finally:
        store.close()


def test_lessons_are_journalled_until_a_snapshot_holds_them(store):
    assert store.model_state("m") == ModelState(None, 0, [])
    first = store.add_lesson("m", {"n": 1})
    second = store.add_lesson("m", {"n": 2})
    store.add_lesson("other", {"n": 9})
    assert [lesson for _, lesson in store.model_state("m").lessons] == [{"n": 1}, {"n": 2}]
    store.save_model("m", {"learnt": 1}, first)
    state = store.model_state("m")
    assert state == ModelState({"learnt": 1}, first, [(second, {"n": 2})])
    store.save_model("m", {"learnt": 0}, 0)  # an older snapshot never replaces a newer one
    assert store.model_state("m").document == {"learnt": 1}
    assert [lesson for _, lesson in store.model_state("other").lessons] == [{"n": 9}]


def test_checkpoints_only_move_forward(store):
    store.set_checkpoint(4, "2026-01-02T00:00:00Z")
    store.set_checkpoint(4, "2026-01-01T00:00:00Z")
    assert store.checkpoint(4) == "2026-01-02T00:00:00Z"
    assert store.checkpoint(5) is None
    assert store.checkpointed_projects() == [4]


@pytest.mark.parametrize("attempts, expected", [(0, 1), (1, 2), (3, 8), (10, 30)])
def test_backoff(attempts, expected):
    assert next_retry_time(attempts, base=1, maximum=30, now=100) == 100 + expected


def test_a_postgresql_url_opens_a_postgres_store(postgres):
    url = postgres.new_database()
    store = open_store(url)
    assert isinstance(store, PostgresStore)
    assert store.schema_version() == postgres_schema.SCHEMA_VERSION == 2
    store.close()
    again = open_store(url)  # migrations are not run twice
    assert again.schema_version() == 2
    again.close()


def test_an_unreachable_postgres_is_one_line_without_the_password(postgres):
    url = f"postgresql://lsrules:s3cret@127.0.0.1:{postgres.port}/no_such_database"
    with pytest.raises(LsrulesError, match="cannot open the store") as raised:
        open_store(url)
    assert "s3cret" not in str(raised.value) and "***" in str(raised.value)


def test_a_postgres_store_from_a_newer_lsrules_is_refused(postgres):
    url = postgres.new_database()
    PostgresStore(url).close()
    store = PostgresStore(url)
    store._connection().execute("UPDATE lsrules_schema SET version = 99")
    store.close()
    with pytest.raises(LsrulesError, match="upgrade lsrules"):
        PostgresStore(url)


def test_a_postgres_store_without_the_driver_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(LsrulesError, match=r"lsrules\[postgres\]"):
        open_store("postgresql://127.0.0.1:1/x")


def record_decisions(store):
    for annotation_id, task_id, verdict in ((1, 10, "accept"), (2, 10, "reject"), (3, 11, "fixed")):
        event_id = add(store, f"k{annotation_id}", annotation_id, task_id)
        finish(store, Outcome(
            event_id, {"task_id": task_id, "annotation_id": annotation_id, "verdict": verdict},
            Processed(annotation_id, task_id, "h", None, "t", None),
            [NewWriteback("summary", f"summary:{annotation_id}", 1, task_id, annotation_id, {})]))


@pytest.mark.parametrize("filters, expected", [
    ({}, [1, 1, 2, 2, 3, 3]),
    ({"task_id": 10}, [1, 1, 2, 2]),
    ({"annotation_id": 3}, [3, 3]),
    ({"since": "2999-01-01"}, []),
])
def test_audit_records_filter(store, filters, expected):
    record_decisions(store)
    records = list(store.audit_records(**filters))
    assert sorted(record["annotation_id"] for record in records) == expected


@pytest.mark.parametrize("arguments, expected_lines, needle", [
    (["--format", "jsonl"], 6, '"verdict": "reject"'),
    (["--format", "jsonl", "--annotation", "2"], 2, '"kind": "writeback:summary"'),
    (["--format", "table", "--task", "11"], 3, "fixed"),
])
def test_audit_command(store, capsys, arguments, expected_lines, needle):
    record_decisions(store)
    assert main(["audit", "--store", location(store), *arguments]) == 0
    output = capsys.readouterr().out
    assert len(output.splitlines()) == expected_lines
    assert needle in output


def test_audit_command_on_a_missing_store(tmp_path, capsys):
    assert main(["audit", "--store", str(tmp_path / "nothing.sqlite")]) == 2
    assert "no such audit store" in capsys.readouterr().err


def test_workers_claiming_at_once_take_each_row_once_and_keep_the_rules(store):
    """Four workers (threads, each with its own connection) drain events and write-backs at
    the same time: each event is handled once, an annotation's events in order and never two
    at once, and never two write-backs of one task at once."""
    import threading
    import time

    for number in range(120):
        add(store, f"e{number}", annotation_id=number % 12 + 1, task_id=number % 12 + 100)
    handled: list[tuple[str, int, int]] = []
    holding: dict[tuple[str, int], str] = {}
    overlaps: list[tuple[str, int]] = []
    lock = threading.Lock()

    def hold(kind, key, token):
        with lock:
            if (kind, key) in holding:
                overlaps.append((kind, key))
            holding[(kind, key)] = token
        time.sleep(0.002)  # a little work, so that overlaps would show

    def drop(kind, key):
        with lock:
            holding.pop((kind, key), None)

    def work(token):
        while True:
            event = store.claim_event(token, NOW, LEASE, 5)
            if event is None:
                if store.pending_event_count() == 0:
                    break
                continue
            hold("annotation", event.annotation_id, token)
            handled.append((token, event.annotation_id, event.id))
            drop("annotation", event.annotation_id)
            store.finish_event(token, [Outcome(event.id, None, None, [NewWriteback(
                "summary", f"summary:{event.id}", 1, event.task_id, event.annotation_id,
                {})])], NOW)
        while True:
            writeback = store.claim_writeback(token, NOW, LEASE)
            if writeback is None:
                if store.pending_writeback_count() == 0:
                    break
                continue
            hold("task", writeback.task_id, token)
            handled.append((token, -1, writeback.id))
            drop("task", writeback.task_id)
            store.finish_writeback(writeback.id, token, "applied")

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    events = [item for item in handled if item[1] != -1]
    assert sorted(event_id for _, _, event_id in events) == list(range(1, 121))
    for annotation_id in range(1, 13):
        ids = [event_id for _, annotation, event_id in events if annotation == annotation_id]
        assert ids == sorted(ids)
    assert len([item for item in handled if item[1] == -1]) == 120
    assert overlaps == []
    assert store.counts()["events_done"] == 120 and store.counts()["writebacks_applied"] == 120


def test_a_worker_claims_only_events_of_the_projects_it_judges(store):
    def event(project_id, annotation_id):
        return store.add_event("ANNOTATION_CREATED", project_id, 10 + annotation_id,
                               annotation_id, json.dumps({"n": annotation_id}),
                               f"k{annotation_id}")

    other, mine, unknown = event(5, 1), event(3, 2), event(None, 3)
    assert store.claim_event("w", NOW, LEASE, 5, frozenset({3, 4})).id == mine
    assert store.claim_event("w", NOW, LEASE, 5, frozenset({3, 4})) is None
    assert store.claim_event("w", NOW, LEASE, 5, frozenset()) is None
    assert store.claim_event("any", NOW, LEASE, 5).id == other  # None: any project
    assert store.claim_event("any", NOW, LEASE, 5).id == unknown
