"""Stream rules shared by workers on one store (SQLite, and a real PostgreSQL server): one
holder at a time, events consumed in id order up to the first still pending, and a worker
that takes the stream over from a dead one resumes from the saved state, so the findings
are those of one worker that never stopped."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from tests.labelstudio.fake_label_studio import FakeLabelStudio

import lsrules
from lsrules.labelstudio.payloads import summarize
from lsrules.labelstudio.store import ClaimLost, Outcome, SQLiteStore
from lsrules.labelstudio.store_postgres import PostgresStore
from lsrules.labelstudio.streams import HOLD_SECONDS
from lsrules.labelstudio.worker import Worker

pytestmark = pytest.mark.stream

ROOT = Path(__file__).resolve().parents[2]
NOW = 1000.0


class Databases:
    """New databases of one kind, and stores on them (each store: one worker's connections)."""

    def __init__(self, kind, tmp_path, request):
        self.kind, self.tmp_path, self.request = kind, tmp_path, request
        self.opened: list = []
        self.count = 0

    def new(self):
        self.count += 1
        if self.kind == "sqlite":
            return self.tmp_path / f"s{self.count}.sqlite"
        return self.request.getfixturevalue("postgres").new_database()

    def open(self, location):
        store = (SQLiteStore if self.kind == "sqlite" else PostgresStore)(location)
        self.opened.append(store)
        return store


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request, tmp_path):
    databases = Databases(request.param, tmp_path, request)
    yield databases
    for store in databases.opened:
        store.close()


@pytest.fixture
def open_store(databases):
    """Stores on one database."""
    location = databases.new()
    return lambda: databases.open(location)


def annotation_event(annotation_id: int, annotator: int, minute: int) -> dict:
    """An empty annotation: annotators.yaml rejects it (so rejection streaks build up)."""
    created = f"2024-05-01T09:{minute:02d}:00Z"
    task_id = 500 + annotation_id
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1},
            "task": {"id": task_id, "data": {"text": "t"}, "meta": {}},
            "annotation": {"id": annotation_id, "task": task_id, "completed_by": annotator,
                           "lead_time": 5, "created_at": created, "updated_at": created,
                           "result": []}}


EVENTS = [annotation_event(n, 8 if n % 3 else 9, n) for n in range(1, 21)]


def new_worker(store, clock=lambda: NOW):
    return Worker(lsrules.load(str(ROOT / "rulesets" / "annotators.yaml")), store,
                  FakeLabelStudio(), clock=clock)


def deliver(worker, bodies):
    for body in bodies:
        worker.label_studio.annotations.setdefault(body["annotation"]["id"],
                                                   copy.deepcopy(body["annotation"]))
        worker.label_studio.tasks.setdefault(body["task"]["id"], copy.deepcopy(body["task"]))
        raw = json.dumps(body).encode()
        summary = summarize(body, raw)
        worker.store.add_event(summary.action, summary.project_id, summary.task_id,
                               summary.annotation_id, raw.decode(), summary.dedupe_key)


def findings(store):
    return sorted((record["detail"]["stream"]["rule"], record["detail"]["annotation_id"],
                   tuple(event["annotation_id"] for event in record["detail"]["stream"]["events"]))
                  for record in store.audit_records()
                  if record["kind"] == "decision" and "stream" in record["detail"])


def test_a_worker_taking_over_a_dead_ones_stream_finds_what_one_worker_finds(databases):
    alone = new_worker(databases.open(databases.new()))
    deliver(alone, EVENTS)
    assert alone.run_until_idle(timeout=30)
    expected = findings(alone.store)
    assert len(expected) >= 4  # streaks of annotators 8 and 9

    location = databases.new()
    first = new_worker(databases.open(location))
    deliver(first, EVENTS)
    assert first.run_events(limit=8) == 8
    assert first.run_streams() == 8  # consumed and saved: windows half full
    assert first.run_events(limit=3) == 3
    first.store.close()  # dies without letting go: its session ends, its lease runs out
    later = NOW + HOLD_SECONDS + 1
    second = new_worker(databases.open(location), clock=lambda: later)
    assert second.run_until_idle(timeout=30)
    (consumer,) = second.stream_consumers()
    assert second.store.stream_position(consumer.name)[0] == 20
    assert findings(second.store) == expected


def test_streams_have_one_holder_until_it_dies_or_lets_go(open_store):
    first, second = open_store(), open_store()
    assert first.hold_stream("s", "a", NOW, HOLD_SECONDS)
    assert first.hold_stream("s", "a", NOW + 1, HOLD_SECONDS)  # renewing is holding
    assert not second.hold_stream("s", "b", NOW + 1, HOLD_SECONDS)
    first.release_stream("s", "a")
    assert second.hold_stream("s", "b", NOW + 2, HOLD_SECONDS)
    assert not first.hold_stream("s", "a", NOW + 2, HOLD_SECONDS)
    second.close()  # the holder dies: its session ends (PostgreSQL), its lease runs out
    assert first.hold_stream("s", "a", NOW + 2 + HOLD_SECONDS + 1, HOLD_SECONDS)


def test_a_stream_moved_by_another_holder_refuses_a_late_result(open_store):
    store = open_store()
    assert store.hold_stream("s", "a", NOW, HOLD_SECONDS)
    store.finish_stream("s", "a", 0, 5, {"n": 1}, [], NOW)
    assert store.stream_position("s") == (5, {"n": 1})
    with pytest.raises(ClaimLost):  # it thought the stream stood at 0
        store.finish_stream("s", "a", 0, 7, {"n": 2}, [], NOW)
    assert store.stream_position("s") == (5, {"n": 1})


def test_stream_rules_read_events_in_order_up_to_the_first_still_pending(open_store):
    store = open_store()
    ids = [store.add_event("ANNOTATION_CREATED", 1, 10 + n, n, json.dumps({"n": n}), f"k{n}")
           for n in range(1, 5)]
    for _ in range(2):  # the first two are evaluated (one decision each), the rest wait
        event = store.claim_event("w", NOW, 60, 5)
        store.finish_event("w", [Outcome(event.id, {"annotation_id": event.annotation_id,
                                                    "verdict": "accept"}, None, [])], NOW)
    claimed_fourth = store.claim_event("w", NOW, 60, 5)
    assert claimed_fourth.id == ids[2]
    ready = store.evaluated_events(0, 100)
    assert [(event.id, [d["annotation_id"] for d in decisions]) for event, decisions in ready] \
        == [(ids[0], [1]), (ids[1], [2])]
    assert store.evaluated_events(ids[1], 100) == []


def test_another_projects_pending_event_does_not_hold_up_the_stream(open_store):
    """An event of a project these rules do not judge may never be claimed (queued before
    the project file changed): it must not stop their stream."""
    store = open_store()
    other = store.add_event("ANNOTATION_CREATED", 2, 20, 20, json.dumps({"n": 0}), "other")
    ours = store.add_event("ANNOTATION_CREATED", 1, 10, 10, json.dumps({"n": 1}), "ours")
    event = store.claim_event("w", NOW, 60, 5, projects={1})
    assert event.id == ours
    store.finish_event("w", [Outcome(ours, {"annotation_id": 10, "verdict": "accept"}, None,
                                     [])], NOW)
    assert store.evaluated_events(0, 100) == []  # every project's: the other one waits
    ready = store.evaluated_events(0, 100, projects={1})
    assert [(event.id, len(decisions)) for event, decisions in ready] == [(other, 0), (ours, 1)]
