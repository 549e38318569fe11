"""Hostile events and hostile Label Studio data: each bad one fails alone, the rest flow on.

The events go through the real webhook app into a real SQLite queue and are drained by the
real worker and engine; only Label Studio is the in-memory stand-in (the LS-backed tests in
test_claims_live.py cover the real one).
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from tests.labelstudio.fake_label_studio import FakeLabelStudio

import lsrules
from lsrules.labelstudio.app import WebhookSettings, create_app
from lsrules.labelstudio.store import SQLiteStore, Writeback
from lsrules.labelstudio.worker import RetryPolicy, Worker
from lsrules.labelstudio.writeback import LabelStudio, PermanentError, apply_writeback

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

RULESET = Path(__file__).with_name("fixtures") / "sentiment.yaml"
SECRET = "s3cr3t"
GOOD = {101: ("positive", "fixed"), 102: ("Negative", "review"), 103: ("Neutral", "accept")}


def annotation(annotation_id, task_id, label):
    return {"id": annotation_id, "task": task_id, "updated_at": "2026-01-01T00:00:01Z",
            "result": [{"id": "r1", "from_name": "sentiment", "to_name": "text",
                        "type": "choices", "value": {"choices": [label]}}]}


def created(task, annotation_body):
    return {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": task,
            "annotation": annotation_body}


# Each was seen to stop the queue, crash a write-back forever, or be refused (and lost).
POISON = {
    "task id an object (reaches SQLite in the decision)":
        created({"id": {"x": 1}, "data": {"text": "t"}}, annotation(201, {"x": 1}, "Neutral")),
    "annotation id a list": created({"id": 9, "data": {"text": "t"}},
                                    annotation([202], 9, "Neutral")),
    "annotation id past SQLite's integers": created({"id": 9, "data": {"text": "t"}},
                                                    annotation(2**70, 9, "Neutral")),
    "task id with control characters (reaches a URL path)":
        created({"id": "9\r\nX-Injected: 1", "data": {"text": "t"}},
                annotation(203, "9\r\nX-Injected: 1", "Neutral")),
    "annotation that is a string": created({"id": 9, "data": {"text": "t"}}, "annotation"),
    "annotation naming another task than the event's":
        created({"id": 9, "data": {"text": "t"}}, annotation(204, 10, "Neutral")),
    "bulk created with junk items": {
        "action": "ANNOTATIONS_CREATED", "project": {"id": 1},
        "annotation": [[1], "x", {"id": "y"}], "task": [{"id": [1]}, 3]},
    "deleted with junk items": {"action": "ANNOTATIONS_DELETED", "project": {"id": 1},
                                "annotations": [[1], {"id": "x"}, None]},
    "tasks created with junk": {"action": "TASKS_CREATED",
                                "project": {"id": 1, "parsed_label_config": "nope"},
                                "tasks": [{"id": [1]}, "t", {"id": 12, "data": None}]},
}
SURROGATE = created({"id": 20, "data": {"text": "lone \ud800 surrogate"}},
                    annotation(205, 20, "posit\udc00ive"))


@pytest.fixture
def service(tmp_path):
    store = SQLiteStore(tmp_path / "queue.sqlite")
    label_studio = FakeLabelStudio()
    engine = lsrules.load(RULESET)
    seen = []
    evaluate = engine.evaluate

    def spy(task, annotation, others=None):
        seen.append(annotation.get("id"))
        return evaluate(task, annotation, others)

    engine.evaluate = spy
    clock = {"now": 1000.0}
    worker = Worker(engine, store, label_studio, RetryPolicy(base_seconds=1, maximum_seconds=4),
                    clock=lambda: clock["now"])
    app = create_app(store, WebhookSettings(SECRET), worker.wake)
    with TestClient(app) as client:
        yield client, store, label_studio, worker, clock, seen
    store.close()


def post(client, body):
    raw = json.dumps(body).encode()  # ensure_ascii: a lone surrogate travels as "\ud800"
    return client.post("/webhook", content=raw, headers={"X-Webhook-Secret": SECRET})


def test_poisoned_events_fail_alone_and_the_good_ones_behind_them_are_all_processed(service):
    client, store, label_studio, worker, clock, seen = service
    # Label Studio's side: meta that others (or an old version) wrote in odd shapes.
    label_studio.tasks[1] = {"id": 1, "meta": {"lsrules": "not an object", "keep": 1}}
    label_studio.tasks[2] = {"id": 2, "meta": {"lsrules": {"5": "x", "6": {"verdict": 3,
                                                                        "route": "r"}}}}
    label_studio.tasks[3] = {"id": 3, "meta": ["a", "list"]}
    for body in POISON.values():
        assert post(client, body).status_code == 200
    assert post(client, SURROGATE).json()["status"] == "queued"
    for annotation_id, (label, _) in GOOD.items():
        task_id = annotation_id - 100
        body = created({"id": task_id, "data": {"text": "t"}},
                       annotation(annotation_id, task_id, label))
        label_studio.annotations[annotation_id] = dict(body["annotation"], project=1)
        assert post(client, body).json()["status"] == "queued"

    worker.run_until_idle(timeout=5)  # one pass at one instant: the good ones get through
    verdicts = {record["annotation_id"]: record["status"] for record in store.audit_records()
                if record["kind"] == "decision"}
    assert {annotation_id: verdicts.get(annotation_id) for annotation_id in GOOD} == {
        annotation_id: verdict for annotation_id, (_, verdict) in GOOD.items()}
    assert label_studio.annotations[101]["result"][0]["value"]["choices"] == ["Positive"]
    assert label_studio.tasks[1]["meta"] == {
        "keep": 1, "lsrules": {"101": label_studio.tasks[1]["meta"]["lsrules"]["101"]},
        "lsrules_verdict": "fixed"}
    assert set(label_studio.tasks[2]["meta"]["lsrules"]) == {"6", "102"}
    assert label_studio.tasks[2]["meta"]["lsrules_route"] == "review"
    assert label_studio.tasks[3]["meta"] == ["a", "list"]  # not ours to replace
    # The surrogate event was not lost on the way: it reached the engine.
    assert 205 in seen

    for _ in range(8):  # time passes: retries run out, nothing stays pending
        clock["now"] += 100
        worker.run_until_idle(timeout=5)
    counts = store.counts()
    assert counts.get("events_pending", 0) == 0 and counts.get("writebacks_pending", 0) == 0
    records = list(store.audit_records())
    writebacks = {record["task_id"]: record["status"] for record in records
                  if record["kind"] == "writeback:summary"}
    assert writebacks[3] == "refused"
    failed = [record for record in records if record["status"] == "failed"]
    assert all(record["detail"]["note"] or record["detail"]["last_error"] for record in failed
               if record["kind"].startswith(("event", "writeback")))


@pytest.mark.parametrize("bad", ["9\r\nX: 1", "9/../../admin", "-1", "1e3", 9.0, True, None,
                                 [9], {"id": 9}, "9" * 20, 2**63])
def test_an_id_that_is_not_a_positive_integer_never_reaches_a_url(bad):
    """Checked before any connection is made: the base URL names nothing that listens."""
    with LabelStudio("http://127.0.0.1:9", api_key="k") as label_studio:
        for call in (label_studio.task, label_studio.annotation, label_studio.predictions):
            with pytest.raises(PermanentError, match="not a Label Studio id"):
                call(bad)


def writeback(kind, body, task_id=3, annotation_id=7, project_id=1):
    return Writeback(1, kind, project_id, task_id, annotation_id, body, 1)


@pytest.mark.parametrize("held, write, status, note", [
    # the task is in project 2, the event came for project 1
    ({"id": 7, "task": 3, "result": []}, writeback("summary", {"summary": {"verdict": "accept"}},
                                                   project_id=2), "refused", "project 1"),
    # the event said annotation 7 is in task 3; Label Studio says task 4
    ({"id": 7, "task": 4, "result": []}, writeback("summary", {"summary": {"verdict": "accept"}}),
     "refused", "belongs to task 4"),
    ({"id": 7, "task": 4, "result": []},
     writeback("correction", {"result": [], "expected_hash": "h", "written_hash": "w"}),
     "refused", "belongs to task 4"),
    # ... or the annotation is in project 2
    ({"id": 7, "task": 3, "project": 2, "result": []},
     writeback("correction", {"result": [], "expected_hash": "h", "written_hash": "w"}),
     "refused", "project 2"),
    # the event said annotation 7 was deleted; it is still there
    ({"id": 7, "task": 3, "result": []}, writeback("summary", {"summary": None}),
     "refused", "still exists"),
    # a summary for an annotation deleted since: nothing to write
    (None, writeback("summary", {"summary": {"verdict": "accept"}}),
     "superseded", "no longer exists"),
])
def test_what_an_event_claims_is_checked_with_label_studio_first(held, write, status, note):
    label_studio = FakeLabelStudio()
    label_studio.tasks[3] = {"id": 3, "project": 1,
                             "meta": {"lsrules": {"7": {"verdict": "review"}}}}
    if held is not None:
        label_studio.annotations[7] = held
    assert apply_writeback(label_studio, write)[0] == status
    assert note in apply_writeback(label_studio, write)[1]
    assert "update_meta" not in label_studio.calls and "update_result" not in label_studio.calls


def test_health_says_up_or_down_to_strangers_and_counts_to_who_holds_the_secret(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    state = {"status": "UP", "startup_sync": "done"}

    def health():
        return {**state, **store.counts()}

    try:
        for details, stranger in ((False, {"status": "UP"}), (True, None)):
            app = create_app(store, WebhookSettings(SECRET, health_details=details),
                             health=health)
            with TestClient(app) as client:
                anonymous = client.get("/health").json()
                insider = client.get("/health", headers={"X-Webhook-Secret": SECRET}).json()
                assert insider["startup_sync"] == "done" and "decisions" in insider
                assert anonymous == (stranger or insider)
        state["status"] = "DOWN"
        with TestClient(create_app(store, WebhookSettings(SECRET), health=health)) as client:
            response = client.get("/health")
            assert (response.status_code, response.json()) == (503, {"status": "DOWN"})
    finally:
        store.close()


def test_sync_reads_only_annotations_that_are_objects(tmp_path):
    """What Label Studio lists is data too: a junk annotation entry is passed over."""
    from lsrules.labelstudio.sync import sync_project

    class Tasks:
        @staticmethod
        def list(**_):
            return [{"id": 1, "annotations": ["x", None, {"id": 5, "task": 1, "result": [],
                                                          "updated_at": "2026-01-01T00:00:00Z"}]},
                    {"id": 2, "annotations": {"id": 6}}]

    class Listing:
        class client:  # noqa: N801 - the shape of the SDK client
            tasks = Tasks

        @staticmethod
        def call(function, *arguments, **keywords):
            return function(*arguments, **keywords)

    store = SQLiteStore(tmp_path / "s.sqlite")
    try:
        report = sync_project(Listing(), store, 1)
        assert (report.seen, report.queued) == (1, 1)
        assert [event.annotation_id for event in store.pending_events()] == [5]
    finally:
        store.close()
