"""What serve learns survives it: every lesson journalled in the store as it is learnt,
snapshots every few hundred, and an engine that starts (after a clean stop, a kill -9 or a
reload) takes the snapshot and replays the journal into the same model."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from tests.labelstudio.fake_label_studio import FakeLabelStudio
from tests.labelstudio.test_model_backend import topic_items

import lsrules
from lsrules.labelstudio.model_state import ModelKeeper, model_key
from lsrules.labelstudio.payloads import summarize
from lsrules.labelstudio.store import SQLiteStore
from lsrules.labelstudio.worker import RetryPolicy, Worker

RULESET = Path(__file__).with_name("fixtures") / "topics.yaml"


def document(engine) -> str:
    return json.dumps(engine.suggester.to_document(), sort_keys=True)


def deliver(store, label_studio, task, annotation, project_id=1):
    body = {"action": "ANNOTATION_CREATED", "project": {"id": project_id},
            "task": dict(task, meta={}), "annotation": dict(annotation, task=task["id"],
                                                            updated_by=annotation["completed_by"],
                                                            updated_at="2026-01-01T00:00:00Z")}
    label_studio.annotations[annotation["id"]] = copy.deepcopy(body["annotation"])
    label_studio.tasks[task["id"]] = copy.deepcopy(body["task"])
    raw = json.dumps(body).encode()
    summary = summarize(body, raw)
    store.add_event(summary.action, summary.project_id, summary.task_id,
                    summary.annotation_id, raw.decode(), summary.dedupe_key)


@pytest.fixture
def store(tmp_path):
    store = SQLiteStore(tmp_path / "store.sqlite")
    yield store
    store.close()


def test_a_restarted_worker_has_learnt_what_the_killed_one_did(store):
    """No stop, no snapshot (a kill -9): the journal alone brings the model back."""
    label_studio = FakeLabelStudio()
    engine = lsrules.load(RULESET)
    worker = Worker(engine, store, label_studio, RetryPolicy())
    for task, annotation, _ in topic_items(40, seed=1):
        deliver(store, label_studio, task, annotation)
    assert worker.run_until_idle(timeout=60)
    assert engine.suggester.updates == 40
    assert len(store.model_state(model_key(engine)).lessons) == 40

    fresh = lsrules.load(RULESET)
    assert fresh.suggester.updates == 0
    Worker(fresh, store, label_studio, RetryPolicy())
    assert document(fresh) == document(engine)
    task = topic_items(1, seed=9)[0][0]
    assert fresh.suggester.suggest(task) == engine.suggester.suggest(task)


def test_snapshots_take_the_journal_in(store):
    engine = lsrules.load(RULESET)
    keeper = ModelKeeper(store, snapshot_every=15)
    keeper.restore(engine)
    for task, annotation, _ in topic_items(40, seed=1):
        engine.learn(task, annotation)
        keeper.learned(engine, task, annotation, "rules-accepted", None)
    state = store.model_state(model_key(engine))
    assert state.document is not None and len(state.lessons) == 10  # 40 = 15 + 15 + 10
    restored = lsrules.load(RULESET)
    ModelKeeper(store).restore(restored)
    assert document(restored) == document(engine)
    keeper.save(engine)
    assert store.model_state(model_key(engine)).lessons == []


def test_two_processes_learning_into_one_store_lose_nothing(store):
    """serve and a sync beside it each journal their lessons; whichever saves takes in the
    other's, and a snapshot saved meanwhile by the other is taken over, not overwritten."""
    items = topic_items(30, seed=1)
    first, second = lsrules.load(RULESET), lsrules.load(RULESET)
    keepers = [ModelKeeper(store), ModelKeeper(store)]
    for keeper, engine in zip(keepers, (first, second)):
        keeper.restore(engine)
    for number, (task, annotation, _) in enumerate(items):
        keeper, engine = (keepers[0], first) if number % 2 else (keepers[1], second)
        engine.learn(task, annotation)
        keeper.learned(engine, task, annotation, "rules-accepted", None)
    keepers[0].save(first)
    assert first.suggester.updates == 30
    keepers[1].save(second)  # the first one's snapshot moved under it: taken over
    assert second.suggester.updates == 30
    restored = lsrules.load(RULESET)
    ModelKeeper(store).restore(restored)
    assert restored.suggester.updates == 30


def test_a_damaged_snapshot_is_logged_and_the_journal_still_teaches(store, caplog):
    engine = lsrules.load(RULESET)
    key = model_key(engine)
    store.save_model(key, {"format": "something else"}, 0)
    task, annotation, _ = topic_items(1, seed=1)[0]
    store.add_lesson(key, {"task": task, "annotation": annotation,
                           "approved_by": "ground-truth", "prediction": None})
    ModelKeeper(store).restore(engine)
    assert engine.suggester.updates == 1
    assert "not an lsrules suggester model" in caplog.text


def test_a_ruleset_without_a_suggester_keeps_nothing(store):
    engine = lsrules.load(RULESET.with_name("sentiment.yaml"))
    keeper = ModelKeeper(store)
    keeper.restore(engine)
    keeper.learned(engine, {"id": 1}, {"id": 1}, "rules-accepted", None)
    keeper.save(engine)
    assert store.model_state(model_key(engine)).lessons == []


def test_every_persons_label_informs_reliability_live_and_survives(store):
    """serve observes each person's label, approved or not, so `annotator.reliability` is
    Dawid-Skene over the tasks several people labelled; the observations are journalled
    like lessons. A reviewer's edit is the reviewer's label."""
    import random

    label_studio = FakeLabelStudio()
    engine = lsrules.load(RULESET)
    worker = Worker(engine, store, label_studio, RetryPolicy())
    generator = random.Random(4)
    annotation_id = 1000
    for task, _, label in topic_items(60, seed=3):
        for annotator, accuracy in ((1, 0.95), (2, 0.9), (3, 0.3)):
            given = label if generator.random() < accuracy else generator.choice(
                [other for other in ("sport", "tech", "politics") if other != label])
            annotation_id += 1
            deliver(store, label_studio, task, {
                "id": annotation_id, "completed_by": annotator, "was_cancelled": False,
                "result": [{"from_name": "topic", "to_name": "text", "type": "choices",
                            "value": {"choices": [given]}}]})
    assert worker.run_until_idle(timeout=120)
    suggester = engine.suggester
    assert suggester.reliability(3) < 0.6 < 0.8 < min(suggester.reliability(1),
                                                       suggester.reliability(2))
    assert [suggester.annotation_count(who) for who in (1, 2, 3)] == [60, 60, 60]
    decision = engine.evaluate(dict(topic_items(1, seed=3)[0][0]), {
        "id": 1, "completed_by": 3, "result": []}).to_dict()
    assert decision["suggestions"][0]["candidate"] is not None

    fresh = lsrules.load(RULESET)
    Worker(fresh, store, label_studio, RetryPolicy())
    assert fresh.suggester.reliability(3) == pytest.approx(suggester.reliability(3))
    assert fresh.suggester.annotation_count(3) == 60


def test_a_reviewers_edit_is_the_reviewers_label():
    from lsrules.suggest import Suggester

    suggester = Suggester.new({})
    task = {"id": 1, "data": {"text": "x"}}
    item = {"from_name": "topic", "to_name": "text", "type": "choices"}
    suggester.observe(task, {"completed_by": 1, "updated_by": 1,
                             "result": [dict(item, value={"choices": ["tech"]})]})
    suggester.observe(task, {"completed_by": 1, "updated_by": 2,
                             "result": [dict(item, value={"choices": ["sport"]})]})
    assert suggester.annotators.tasks["1"]["labels"] == {"1": "tech", "2": "sport"}
