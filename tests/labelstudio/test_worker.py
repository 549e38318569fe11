"""The worker: order, idempotency, the echo of our own corrections, staleness, retries."""
from __future__ import annotations

import copy
import json

import pytest
from tests.labelstudio.fake_label_studio import FakeLabelStudio
from tests.labelstudio.stand_in_engine import StandInEngine

from lsrules.labelstudio.payloads import summarize
from lsrules.labelstudio.store import SQLiteStore
from lsrules.labelstudio.predictions import suggestion_results
from lsrules.labelstudio.worker import RetryPolicy, Worker, learn_from


def annotation_event(label, annotation_id=7, task_id=3, updated_at="2026-01-01T00:00:01Z",
                     action="ANNOTATION_CREATED", ground_truth=False, updated_by=1):
    return {"action": action, "project": {"id": 1},
            "task": {"id": task_id, "data": {"text": "t"}, "meta": {"source": "x"}},
            "annotation": {"id": annotation_id, "task": task_id, "updated_at": updated_at,
                           "ground_truth": ground_truth, "was_cancelled": False,
                           "completed_by": 1, "updated_by": updated_by,
                           "result": [{"id": "r1", "from_name": "sentiment", "to_name": "text",
                                       "type": "choices", "value": {"choices": [label]}}]}}


class Harness:
    def __init__(self, tmp_path):
        self.store = SQLiteStore(tmp_path / "s.sqlite")
        self.engine = StandInEngine()
        self.label_studio = FakeLabelStudio()
        self.clock_now = 1000.0
        self.worker = Worker(self.engine, self.store, self.label_studio,
                             RetryPolicy(base_seconds=1, maximum_seconds=8),
                             clock=lambda: self.clock_now)

    def deliver(self, body):
        """What the webhook does, plus Label Studio's own state for the annotation."""
        annotation = body.get("annotation")
        if isinstance(annotation, dict):
            self.label_studio.annotations.setdefault(annotation["id"], copy.deepcopy(annotation))
            self.label_studio.tasks.setdefault(body["task"]["id"], copy.deepcopy(body["task"]))
        raw = json.dumps(body).encode()
        summary = summarize(body, raw)
        return self.store.add_event(summary.action, summary.project_id, summary.task_id,
                                    summary.annotation_id, raw.decode(), summary.dedupe_key)

    def echo_of_our_write(self, annotation_id, updated_at):
        """The ANNOTATION_UPDATED Label Studio sends when our correction lands."""
        current = self.label_studio.annotations[annotation_id]
        body = annotation_event("x", annotation_id, current["task"], updated_at,
                                "ANNOTATION_UPDATED")
        body["annotation"]["result"] = copy.deepcopy(current["result"])
        return body

    def settle(self):
        assert self.worker.run_until_idle(timeout=5)

    def decisions(self):
        return [r for r in self.store.audit_records() if r["kind"] == "decision"]


@pytest.fixture
def harness(tmp_path):
    harness = Harness(tmp_path)
    yield harness
    harness.store.close()


def test_a_correction_is_written_and_summarised(harness):
    harness.deliver(annotation_event("positive"))
    harness.settle()
    assert harness.label_studio.annotations[7]["result"][0]["value"]["choices"] == ["Positive"]
    meta = harness.label_studio.tasks[3]["meta"]
    assert meta["source"] == "x"  # merged, not replaced
    assert meta["lsrules"]["7"]["verdict"] == "fixed"
    assert meta["lsrules"]["7"]["rules"] == ["label-case"]
    assert meta["lsrules_verdict"] == "fixed"
    assert "lsrules_route" not in meta


def test_our_own_correction_echo_is_not_evaluated_again(harness):
    harness.deliver(annotation_event("positive"))
    harness.settle()
    harness.deliver(harness.echo_of_our_write(7, "2026-01-01T00:00:02Z"))
    harness.settle()
    assert len(harness.decisions()) == 1
    assert harness.engine.evaluated == [(3, 7)]
    assert harness.label_studio.calls.count("update_result") == 1


@pytest.mark.parametrize("deliveries, evaluated_labels", [
    # redelivery of the same event
    ([("positive", "2026-01-01T00:00:01Z")] * 3, ["positive"]),
    # in order: both evaluated, the latest is what Label Studio keeps
    ([("Negative", "2026-01-01T00:00:01Z"), ("Neutral", "2026-01-01T00:00:05Z")],
     ["Negative", "Neutral"]),
    # out of order: the older one arrives last and is ignored
    ([("Neutral", "2026-01-01T00:00:05Z"), ("Negative", "2026-01-01T00:00:01Z")], ["Neutral"]),
])
def test_duplicates_and_order(harness, deliveries, evaluated_labels):
    evaluated = []
    original = harness.engine.evaluate

    def spy(task, annotation, others=None):
        evaluated.append(annotation["result"][0]["value"]["choices"][0])
        return original(task, annotation, others)

    harness.engine.evaluate = spy
    for label, updated_at in deliveries:
        harness.deliver(annotation_event(label, updated_at=updated_at,
                                         action="ANNOTATION_UPDATED"))
    harness.settle()
    assert evaluated == evaluated_labels
    verdicts = {"positive": "fixed", "Negative": "review", "Neutral": "accept"}
    assert harness.label_studio.tasks[3]["meta"]["lsrules"]["7"]["verdict"] == verdicts[
        evaluated_labels[-1]]


def test_a_correction_never_overwrites_a_newer_edit(harness):
    harness.label_studio.down = True
    harness.deliver(annotation_event("positive"))
    harness.worker.run_events()
    harness.worker.run_writebacks()
    harness.label_studio.down = False
    # A person edits the annotation before the correction got through.
    harness.label_studio.annotations[7]["result"][0]["value"]["choices"] = ["Neutral"]
    harness.clock_now += 100
    harness.settle()
    assert harness.label_studio.annotations[7]["result"][0]["value"]["choices"] == ["Neutral"]
    statuses = {r["kind"]: r["status"] for r in harness.store.audit_records()
                if r["kind"].startswith("writeback")}
    assert statuses == {"writeback:correction": "superseded", "writeback:summary": "applied"}


def test_writebacks_wait_with_backoff_while_label_studio_is_down(harness):
    harness.label_studio.down = True
    harness.deliver(annotation_event("Negative"))
    harness.worker.run_events()
    delays = []
    for _ in range(5):
        harness.worker.run_writebacks()
        due = harness.store._connection().execute(
            "SELECT next_try_at FROM writebacks WHERE status='pending' ORDER BY id").fetchone()[0]
        delays.append(due - harness.clock_now)
        harness.clock_now = due
    assert delays == [1, 2, 4, 8, 8]
    harness.label_studio.down = False
    harness.settle()
    assert harness.label_studio.tasks[3]["meta"]["lsrules_route"] == "review"
    assert harness.store.pending_writeback_count() == 0


def test_pending_writebacks_survive_a_restart(harness, tmp_path):
    harness.label_studio.down = True
    harness.deliver(annotation_event("positive"))
    harness.worker.run_events()
    harness.store.close()
    reopened = SQLiteStore(tmp_path / "s.sqlite")
    harness.label_studio.down = False
    worker = Worker(StandInEngine(), reopened, harness.label_studio, clock=lambda: 10**10)
    assert worker.run_until_idle(timeout=5)
    assert harness.label_studio.annotations[7]["result"][0]["value"]["choices"] == ["Positive"]
    reopened.close()


def test_deleted_annotations_leave_meta(harness):
    harness.deliver(annotation_event("Negative", annotation_id=7))
    harness.deliver(annotation_event("Neutral", annotation_id=8))
    harness.settle()
    assert set(harness.label_studio.tasks[3]["meta"]["lsrules"]) == {"7", "8"}
    assert harness.label_studio.tasks[3]["meta"]["lsrules_route"] == "review"
    del harness.label_studio.annotations[7]
    harness.deliver({"action": "ANNOTATIONS_DELETED", "project": {"id": 1},
                     "annotations": [{"id": 7}]})
    harness.settle()
    meta = harness.label_studio.tasks[3]["meta"]
    assert set(meta["lsrules"]) == {"8"}
    assert "lsrules_route" not in meta and meta["lsrules_verdict"] == "accept"
    assert any(r["kind"] == "event:ANNOTATIONS_DELETED" for r in harness.store.audit_records())


def test_tasks_created_get_suggestions_as_predictions(harness):
    config = {"sentiment": {"type": "Choices", "to_name": ["text"],
                            "labels": ["Positive", "Negative"]}}
    body = {"action": "TASKS_CREATED", "project": {"id": 1, "parsed_label_config": config},
            "tasks": [{"id": 11, "data": {"text": "a"}}, {"id": 12, "data": {"text": "b"}}]}
    harness.deliver(body)
    harness.settle()
    harness.deliver(dict(body, extra=1))  # a replay with other bytes still writes once
    harness.settle()
    assert {task_id: [{key: value for key, value in row.items() if key != "id"}
                      for row in rows]
            for task_id, rows in harness.label_studio.prediction_rows.items()} == {
        task_id: [{"result": [{"from_name": "sentiment", "to_name": "text", "type": "choices",
                               "value": {"choices": ["Positive"]}}],
                   "score": 0.9, "model_version": "stand-in-suggester-1"}]
        for task_id in (11, 12)}


def test_annotations_created_evaluates_each(harness):
    first, second = annotation_event("positive", 21, 5), annotation_event("Neutral", 22, 6)
    for body in (first, second):
        harness.label_studio.annotations[body["annotation"]["id"]] = copy.deepcopy(
            body["annotation"])
    harness.deliver({"action": "ANNOTATIONS_CREATED", "project": {"id": 1},
                     "annotation": [first["annotation"], second["annotation"]],
                     "task": [first["task"], second["task"]]})
    harness.settle()
    assert sorted(harness.engine.evaluated) == [(5, 21), (6, 22)]
    assert harness.label_studio.tasks[5]["meta"]["lsrules_verdict"] == "fixed"


def test_an_engine_failure_does_not_stop_the_queue(harness):
    def broken(task, annotation, others=None):
        raise RuntimeError("bug")

    harness.engine.evaluate = broken
    harness.deliver(annotation_event("Neutral"))
    for _ in range(5):
        harness.worker.run_events()
        harness.clock_now += 100  # past the backoff
    statuses = [r["status"] for r in harness.store.audit_records() if r["kind"].startswith("event")]
    assert statuses == ["failed"]


@pytest.mark.parametrize("ground_truth, updated_by, label, learned", [
    (False, 1, "Neutral", True),     # accepted, no findings
    (False, 1, "positive", False),   # fixed: not approved as given
    (False, 1, "Negative", False),   # routed to review
    (True, 1, "Negative", True),     # ground truth always teaches
    (False, 2, "Negative", True),    # a reviewer's edit of annotator 1's label teaches
])
def test_feedback_hook(harness, ground_truth, updated_by, label, learned):
    harness.deliver(annotation_event(label, ground_truth=ground_truth, updated_by=updated_by))
    harness.settle()
    assert harness.engine.learned == ([7] if learned else [])


@pytest.mark.parametrize("model_version, label, learned", [
    ("lsrules-suggest-0.12", "Neutral", False),  # lsrules' prediction accepted unchanged
    ("lsrules-suggest-0.12", "Positive", True),   # a person changed it
    ("other-model-v1", "Neutral", True),          # another model's, accepted by a person
])
def test_feedback_hook_asks_label_studio_for_the_parent_prediction(
        harness, model_version, label, learned):
    """A webhook's task lists no predictions: the worker fetches the annotation's parent."""
    harness.label_studio.prediction_rows[3] = [
        {"id": 55, "model_version": model_version,
         "result": [{"id": "p1", "from_name": "sentiment", "to_name": "text",
                     "type": "choices", "value": {"choices": [label]}, "score": 0.9}]}]
    event = annotation_event("Neutral")
    event["annotation"]["parent_prediction"] = 55
    harness.deliver(event)
    harness.settle()
    assert "predictions" in harness.label_studio.calls
    assert harness.engine.learned == ([7] if learned else [])


def test_the_worker_engine_protocol_is_what_the_engine_offers():
    """The worker calls what its `Engine` protocol declares, and the real engine has all of
    it (no `getattr` probes for optional parts)."""
    from pathlib import Path

    import lsrules
    from lsrules.labelstudio.worker import Engine

    engine = lsrules.load(Path(__file__).resolve().parents[2] / "rulesets" / "sentiment.yaml")
    declared = {name for name in vars(Engine) if not name.startswith("_")} | set(
        Engine.__annotations__)
    assert {"evaluate", "learn", "uses_others", "name", "version"} <= declared
    for name in declared:
        assert hasattr(engine, name), name
    # approved, but a ruleset without a suggester learns nothing from it
    assert learn_from(engine, {}, {"ground_truth": True}, {"verdict": "accept"}) is False


@pytest.mark.parametrize("suggestions, expected", [
    ([{"region_id": None, "label": "Negative", "confidence": 0.8}],
     [{"from_name": "sentiment", "to_name": "text", "type": "choices",
       "value": {"choices": ["Negative"]}}]),
    ([{"region_id": None, "label": None, "confidence": 0.2}], []),
    ([{"region_id": "r1", "label": "Negative", "confidence": 0.8}], []),
    ([{"region_id": None, "label": "Unknown", "confidence": 0.8}], []),
])
def test_suggestion_results(suggestions, expected):
    config = {"sentiment": {"type": "Choices", "to_name": ["text"],
                            "labels": ["Positive", "Negative"]}}
    assert suggestion_results(suggestions, config) == expected


@pytest.mark.parametrize("policy, written", [("apply", True), ("suggest", False)])
def test_task_meta_fixes_are_written_with_the_summary(tmp_path, policy, written):
    """`set task.meta...` is a fix like any other: under `fixes: apply` it reaches Label
    Studio, merged into the meta the task already holds; under `suggest` it does not."""
    import lsrules

    ruleset = tmp_path / "meta.yaml"
    ruleset.write_text(f'ruleset: meta\nversion: "1"\nfixes: {policy}\nrules:\n'
                       '  - id: mark-checked\n    severity: info\n'
                       '    when: count(r.type == "choices" for r in regions) == 1\n'
                       '    fix: set task.meta.checked.by = "lsrules"\n')
    harness = Harness(tmp_path)
    harness.engine = lsrules.load(ruleset)
    harness.worker = Worker(harness.engine, harness.store, harness.label_studio,
                            RetryPolicy(base_seconds=1, maximum_seconds=8),
                            clock=lambda: harness.clock_now)
    harness.deliver(annotation_event("Positive"))
    harness.settle()
    meta = harness.label_studio.tasks[3]["meta"]
    assert (meta.get("checked") == {"by": "lsrules"}) is written
    assert meta["source"] == "x" and meta["lsrules"]["7"]["verdict"] == "fixed"
    harness.store.close()


@pytest.mark.parametrize("other_annotations, verdict", [([], "accept"), ([8], "review")])
def test_rules_on_others_see_the_tasks_other_annotations(tmp_path, other_annotations, verdict):
    """The webhook payload carries one annotation; `others` is read from Label Studio, and
    only for a ruleset that uses it."""
    import lsrules

    ruleset = tmp_path / "others.yaml"
    ruleset.write_text('ruleset: others\nversion: "1"\nroutes:\n  review: {priority: 1}\n'
                       'rules:\n  - id: overlap\n    severity: warning\n'
                       '    when: len(others) > 0\n    route: review\n')
    harness = Harness(tmp_path)
    harness.engine = lsrules.load(ruleset)
    assert harness.engine.uses_others
    harness.worker = Worker(harness.engine, harness.store, harness.label_studio,
                            RetryPolicy(base_seconds=1, maximum_seconds=8),
                            clock=lambda: harness.clock_now)
    body = annotation_event("Positive")
    harness.label_studio.tasks[3] = {"id": 3, "meta": {}, "annotations": [
        {"id": annotation_id, "result": []} for annotation_id in [7, *other_annotations]]}
    harness.deliver(body)
    harness.settle()
    assert harness.decisions()[0]["status"] == verdict
    harness.store.close()


def test_uses_others_is_false_for_a_ruleset_that_never_names_it():
    from pathlib import Path

    import lsrules

    repository = Path(__file__).resolve().parents[2]
    assert not lsrules.load(repository / "rulesets" / "sentiment.yaml").uses_others
