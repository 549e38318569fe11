"""Auto-accept in `serve`: a new task whose suggestion clears the calibrated gate gets an
annotation written by lsrules (started from lsrules' prediction) and `meta.lsrules.auto`
with the gate's numbers; the explore share goes to people; a write-back applied twice
writes once; a task a person annotated first is left alone; lsrules' own annotation never
teaches, a person's later edit of it does."""
from __future__ import annotations

import copy
import json
import shutil

import pytest
from tests.labelstudio.conftest import FIXTURES
from tests.labelstudio.fake_label_studio import FakeLabelStudio
from tests.labelstudio.test_model_backend import topic_items

import lsrules
from lsrules.labelstudio.payloads import summarize
from lsrules.labelstudio.store import SQLiteStore, Writeback
from lsrules.labelstudio.worker import RetryPolicy, Worker
from lsrules.labelstudio.writeback import APPLIED, AUTO_ACCEPT, SUPERSEDED, apply_writeback


def auto_ruleset(directory, **settings):
    shutil.copy(FIXTURES / "topics.xml", directory / "topics.xml")
    extra = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in settings.items())
    text = (FIXTURES / "topics.yaml").read_text().replace("  explore: 0.0\n", "")
    path = directory / "auto.yaml"
    path.write_text(text.replace("suggester:\n", "suggester:\n  auto_accept: true\n" + extra))
    return path


class Service:
    def __init__(self, tmp_path, **settings):
        self.engine = lsrules.load(auto_ruleset(tmp_path, **{"explore": 0.0, **settings}))
        for task, annotation, _ in topic_items(60, seed=1):
            self.engine.learn(task, annotation)
        self.store = SQLiteStore(tmp_path / "store.sqlite")
        self.label_studio = FakeLabelStudio()
        self.worker = Worker(self.engine, self.store, self.label_studio, RetryPolicy())

    def deliver(self, body):
        raw = json.dumps(body).encode()
        summary = summarize(body, raw)
        self.store.add_event(summary.action, summary.project_id, summary.task_id,
                             summary.annotation_id, raw.decode(), summary.dedupe_key)
        assert self.worker.run_until_idle(timeout=30)

    def new_tasks(self, count, seed=2, first_id=501):
        items = topic_items(count, seed=seed)
        tasks = [dict(task, id=first_id + number) for number, (task, _, _) in enumerate(items)]
        for task in tasks:
            self.label_studio.tasks[task["id"]] = {"id": task["id"], "data": task["data"],
                                                   "meta": {}, "project": 1}
        self.deliver({"action": "TASKS_CREATED", "project": {"id": 1}, "tasks": tasks})
        return tasks, [label for _, _, label in items]

    def writebacks(self, kind=AUTO_ACCEPT):
        return [record for record in self.store.audit_records()
                if record["kind"] == f"writeback:{kind}"]


@pytest.fixture
def service(tmp_path):
    service = Service(tmp_path)
    yield service
    service.store.close()


def test_a_confident_new_task_is_annotated_by_lsrules(service):
    tasks, labels = service.new_tasks(4)
    fake = service.label_studio
    for task, label in zip(tasks, labels):
        (annotation,) = [item for item in fake.annotations.values()
                         if item["task"] == task["id"]]
        assert annotation["result"][0]["value"]["choices"] == [label]
        (prediction,) = fake.prediction_rows[task["id"]]
        assert annotation["parent_prediction"] == prediction["id"]
        assert prediction["model_version"].startswith("lsrules-suggest-0.60")
        auto = fake.tasks[task["id"]]["meta"]["lsrules"]["auto"]
        assert auto["annotation"] == annotation["id"] and auto["label"] == label
        assert auto["score"] >= auto["threshold"] >= 0.4
        assert auto["target_accuracy"] == 0.8
    records = service.writebacks()
    assert len(records) == 4 and {record["status"] for record in records} == {APPLIED}
    assert all(record["detail"]["body"]["gate"]["threshold"] is not None for record in records)


def test_applying_an_auto_accept_again_writes_nothing_twice(service):
    """A worker killed after the annotation was written retries the write-back: it finds
    its own annotation by the parent prediction and only completes the meta."""
    tasks, _ = service.new_tasks(1)
    (record,) = service.writebacks()
    task_id = tasks[0]["id"]
    service.label_studio.tasks[task_id]["meta"] = {}  # the meta write was lost
    writeback = Writeback(1, AUTO_ACCEPT, 1, task_id, None, record["detail"]["body"], 2)
    assert apply_writeback(service.label_studio, writeback)[0] == APPLIED
    assert apply_writeback(service.label_studio, writeback)[0] == APPLIED
    assert len(service.label_studio.prediction_rows[task_id]) == 1
    assert len([a for a in service.label_studio.annotations.values()
                if a["task"] == task_id]) == 1
    assert "auto" in service.label_studio.tasks[task_id]["meta"]["lsrules"]


def test_a_task_a_person_annotated_first_is_left_to_them(service):
    task = dict(topic_items(1, seed=2)[0][0], id=601)
    service.label_studio.tasks[601] = {"id": 601, "data": task["data"], "meta": {}}
    service.label_studio.annotations[77] = {"id": 77, "task": 601, "result": []}
    service.deliver({"action": "TASKS_CREATED", "project": {"id": 1}, "tasks": [task]})
    (record,) = service.writebacks()
    assert record["status"] == SUPERSEDED
    assert list(service.label_studio.annotations) == [77]


def test_the_explore_share_goes_to_people_without_a_pre_annotation(tmp_path):
    service = Service(tmp_path, explore=0.5)
    try:
        tasks, _ = service.new_tasks(30)
        explored = {task["id"] for task in tasks
                    if service.engine.suggester.should_explore(task["id"])}
        auto = {record["task_id"] for record in service.writebacks()}
        assert 5 < len(explored) < 25  # the draw is a hash of the task id: fixed
        assert auto == {task["id"] for task in tasks} - explored
        assert not explored & set(service.label_studio.prediction_rows)
    finally:
        service.store.close()


def annotation_event(service, annotation, action, updated_by):
    task = service.label_studio.tasks[annotation["task"]]
    body = {"action": action, "project": {"id": 1},
            "task": {"id": task["id"], "data": task["data"]},
            "annotation": dict(copy.deepcopy(annotation), completed_by=99,
                               updated_by=updated_by, was_cancelled=False,
                               ground_truth=False, updated_at=f"2026-01-0{updated_by % 9}")}
    service.label_studio.annotations[annotation["id"]] = copy.deepcopy(body["annotation"])
    return body


def test_lsrules_own_annotation_teaches_nothing_and_a_persons_edit_does(service):
    tasks, labels = service.new_tasks(1)
    (annotation,) = service.label_studio.annotations.values()
    before = service.engine.suggester.updates
    # Label Studio's echo of the annotation lsrules wrote (99: lsrules' token user)
    service.deliver(annotation_event(service, annotation, "ANNOTATION_CREATED", 99))
    assert service.engine.suggester.updates == before
    # a reviewer changes the label: their label teaches, and scores the gate
    records = len(service.engine.suggester.calibrator.records)
    other = next(label for label in ("sport", "tech", "politics") if label != labels[0])
    edited = dict(annotation, result=[dict(annotation["result"][0],
                                           value={"choices": [other]})])
    service.deliver(annotation_event(service, edited, "ANNOTATION_UPDATED", 5))
    assert service.engine.suggester.updates == before + 1
    record = service.engine.suggester.calibrator.records[-1]
    assert len(service.engine.suggester.calibrator.records) == records + 1
    assert (record.predicted, record.actual) == (labels[0], other) and not record.correct
