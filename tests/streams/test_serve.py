"""Stream rules in the live worker: findings audited, tasks routed and annotators flagged
through task meta, redeliveries fed once."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from tests.labelstudio.fake_label_studio import FakeLabelStudio

import lsrules
from lsrules.labelstudio.payloads import summarize
from lsrules.labelstudio.store import SQLiteStore
from lsrules.labelstudio.worker import Worker

pytestmark = pytest.mark.stream

ROOT = Path(__file__).resolve().parents[2]


def empty_annotation(annotation_id: int, task_id: int, minute: int) -> dict:
    created = f"2024-05-01T09:{minute:02d}:00Z"
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1},
            "task": {"id": task_id, "data": {"text": "t"}, "meta": {"source": "x"}},
            "annotation": {"id": annotation_id, "task": task_id, "completed_by": 8,
                           "lead_time": 5, "created_at": created, "updated_at": created,
                           "result": []}}


@pytest.fixture
def worker(tmp_path):
    engine = lsrules.load(str(ROOT / "rulesets" / "annotators.yaml"))
    store = SQLiteStore(tmp_path / "s.sqlite")
    label_studio = FakeLabelStudio()
    worker = Worker(engine, store, label_studio)  # stream rules are fed when it has some
    return worker


def deliver(worker, body):
    worker.label_studio.annotations.setdefault(body["annotation"]["id"],
                                               copy.deepcopy(body["annotation"]))
    worker.label_studio.tasks.setdefault(body["task"]["id"], copy.deepcopy(body["task"]))
    raw = json.dumps(body).encode()
    summary = summarize(body, raw)
    worker.store.add_event(summary.action, summary.project_id, summary.task_id,
                           summary.annotation_id, raw.decode(), summary.dedupe_key)


def test_a_rejection_streak_is_audited_routed_and_flagged(worker):
    bodies = [empty_annotation(70 + n, 30 + n, n) for n in range(3)]
    for body in bodies:
        deliver(worker, body)
    deliver(worker, bodies[1])  # a redelivery is skipped, so it is not fed twice
    assert worker.run_until_idle(timeout=10)
    records = [r["detail"] for r in worker.store.audit_records() if r["kind"] == "decision"]
    assert len(records) == 4  # three annotations, one stream finding
    (stream,) = [record for record in records if "stream" in record]
    assert stream["stream"]["rule"] == "rejection-streak" and stream["annotation_id"] == 72
    assert [e["annotation_id"] for e in stream["stream"]["events"]] == [70, 71, 72]
    meta = worker.label_studio.tasks[32]["meta"]
    entry = meta["lsrules"]["stream:rejection-streak:8"]
    assert entry["stream"] == {"key_kind": "annotator", "key": 8, "flag": True,
                               "message": "the last 3 annotations of annotator 8 were rejected"}
    assert meta["lsrules_route"] == "review" and meta["source"] == "x"
    for task_id in (30, 31):  # every task the rule matched is marked
        assert "stream:rejection-streak:8" in worker.label_studio.tasks[task_id]["meta"]["lsrules"]


def test_a_stream_rule_over_its_budget_is_audited_but_flags_and_routes_nothing(tmp_path):
    """A stream rule that runs out of steps: its `review` record with `lsrules-budget` is
    audited, and nothing is written to the tasks (it found no pattern to flag or route)."""
    ruleset = tmp_path / "budget.yaml"
    ruleset.write_text(
        'ruleset: stream-budget\nversion: "1"\nroutes:\n  review: {priority: 10}\n'
        "limits:\n  steps: 20\nrules:\n  - id: any\n    assert: true\nstreams:\n"
        "  - id: pairs\n    key: annotator\n    flag: true\n    route: review\n"
        "    when: count(any(f.verdict == e.verdict for f in events) for e in events) > 100\n")
    worker = Worker(lsrules.load(str(ruleset)), SQLiteStore(tmp_path / "s.sqlite"),
                    FakeLabelStudio())
    for n in range(5):  # 4 events: 4 + 16 steps; 5: 5 + 25
        deliver(worker, empty_annotation(70 + n, 30 + n, n))
    assert worker.run_until_idle(timeout=10)
    records = [r["detail"] for r in worker.store.audit_records() if r["kind"] == "decision"]
    (stream,) = [record for record in records if "stream" in record]
    assert stream["verdict"] == "review" and stream["annotation_id"] == 74
    assert [f["rule"] for f in stream["findings"]] == ["lsrules-budget"]
    assert stream["route"] is None and stream["stream"]["flag"] is False
    for task_id in range(30, 35):
        meta = worker.label_studio.tasks[task_id]["meta"]
        assert "lsrules_route" not in meta
        assert not any(key.startswith("stream:") for key in meta.get("lsrules", {})), meta
