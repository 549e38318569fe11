"""The SQLite store: dedupe, atomic outcomes, supersession, checkpoints, audit queries."""
from __future__ import annotations

import json

import pytest

from lsrules.cli import main
from lsrules.errors import LsrulesError
from lsrules.labelstudio.store import (
    NewWriteback,
    Outcome,
    Processed,
    SQLiteStore,
    next_retry_time,
    open_store,
)


@pytest.fixture
def store(tmp_path):
    store = SQLiteStore(tmp_path / "audit.sqlite")
    yield store
    store.close()


def add(store, key, annotation_id=1, task_id=10):
    return store.add_event("ANNOTATION_CREATED", 1, task_id, annotation_id,
                           json.dumps({"n": key}), key)


def test_events_come_back_in_order_and_once(store):
    ids = [add(store, key) for key in ("a", "b", "a", "c")]
    assert ids[2] is None and None not in (ids[0], ids[1], ids[3])
    assert [event.payload["n"] for event in store.pending_events()] == ["a", "b", "c"]


def test_an_outcome_is_all_or_nothing(store):
    event_id = add(store, "a")
    writeback = NewWriteback("summary", "summary:1", 1, 10, 1, {"summary": {}})
    bad = Outcome(event_id, {"verdict": "accept", "task_id": 10, "annotation_id": 1},
                  Processed(1, 10, "h", None, "t", None), [writeback, None])  # None breaks it
    with pytest.raises(AttributeError):
        store.finish_event(bad)
    assert store.processed(1) is None
    assert store.pending_writeback_count() == 0
    assert len(store.pending_events()) == 1


def test_a_newer_writeback_supersedes_a_pending_one(store):
    for number in range(3):
        event_id = add(store, f"e{number}")
        store.finish_event(Outcome(event_id, None, None, [
            NewWriteback("summary", "summary:1", 1, 10, 1, {"number": number})]))
    due = store.due_writebacks(now=0)
    assert [writeback.body["number"] for writeback in due] == [2]
    assert store.pending_event_count() == 0


def test_checkpoints_only_move_forward(store):
    store.set_checkpoint(4, "2026-01-02T00:00:00Z")
    store.set_checkpoint(4, "2026-01-01T00:00:00Z")
    assert store.checkpoint(4) == "2026-01-02T00:00:00Z"
    assert store.checkpoint(5) is None
    assert store.checkpointed_projects() == [4]


@pytest.mark.parametrize("attempts, expected", [(0, 1), (1, 2), (3, 8), (10, 30)])
def test_backoff(attempts, expected):
    assert next_retry_time(attempts, base=1, maximum=30, now=100) == 100 + expected


def test_postgres_is_named_not_yet_supported():
    with pytest.raises(LsrulesError, match="PostgreSQL"):
        open_store("postgresql://localhost/lsrules")


def record_decisions(store):
    for annotation_id, task_id, verdict in ((1, 10, "accept"), (2, 10, "reject"), (3, 11, "fixed")):
        event_id = add(store, f"k{annotation_id}", annotation_id, task_id)
        store.finish_event(Outcome(
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
    assert main(["audit", "--store", store.path, *arguments]) == 0
    output = capsys.readouterr().out
    assert len(output.splitlines()) == expected_lines
    assert needle in output


def test_audit_command_on_a_missing_store(tmp_path, capsys):
    assert main(["audit", "--store", str(tmp_path / "nothing.sqlite")]) == 2
    assert "no such audit store" in capsys.readouterr().err
