"""lsrules as Label Studio's model: `/setup`, `/predict` and START_TRAINING, with a real
engine whose suggester has learnt enough to open its gate (the HTTP shapes are those Label
Studio 1.23's ml/api_connector.py sends and reads)."""
from __future__ import annotations

import base64
import json
import threading
import warnings
from concurrent.futures import Future
from pathlib import Path

import pytest
from tests.suggest.conftest import make_items

import lsrules
from lsrules.labelstudio.app import WebhookSettings, create_app
from lsrules.labelstudio.model_backend import ModelBackend, project_of
from lsrules.labelstudio.store import SQLiteStore
from lsrules.labelstudio.worker import Worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

FIXTURES = Path(__file__).with_name("fixtures")
SECRET = "s3cr3t"


def topic_items(count: int, seed: int):
    items = make_items(count, seed=seed)
    for _, annotation, _ in items:
        annotation["result"][0]["from_name"] = "topic"
    return items


def trained_engine(ruleset: Path = FIXTURES / "topics.yaml"):
    engine = lsrules.load(ruleset)
    for task, annotation, _ in topic_items(60, seed=1):
        engine.learn(task, annotation)
    return engine


def basic(password: str, user: str = "lsrules") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def done(function) -> Future:
    future: Future = Future()
    try:
        future.set_result(function())
    except Exception as error:
        future.set_exception(error)
    return future


@pytest.fixture
def store(tmp_path):
    store = SQLiteStore(tmp_path / "store.sqlite")
    yield store
    store.close()


def app_client(store, engine, served=frozenset({12}), trained=None):
    model = ModelBackend(lambda project: engine if project in served else None, done,
                         (trained if trained is not None else []).append)
    return TestClient(create_app(store, WebhookSettings(SECRET), model=model))


@pytest.mark.parametrize("value, expected", [
    ("12.1733000000", 12), (12, 12), ({"id": 12, "title": "x"}, 12), ("12", 12),
    ("x.1", None), (None, None), ("-1.5", None), (True, None),
])
def test_the_project_of_a_model_call(value, expected):
    assert project_of(value) == expected


def test_setup_answers_the_suggesters_version(store):
    engine = trained_engine()
    with app_client(store, engine) as client:
        answer = client.post("/setup", json={"project": "12.1733000000", "schema": "<View/>",
                                             "access_token": "not-read"},
                             headers=basic(SECRET))
    assert answer.status_code == 200
    assert answer.json() == {"model_version": engine.suggester.model_version}
    assert answer.json()["model_version"].startswith("lsrules-suggest-")


@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    (basic("wrong"), 401),
    (basic(""), 401),
    ({"Authorization": "Basic !!!"}, 401),
    ({"Authorization": "Bearer " + SECRET}, 401),
    ({"X-Webhook-Secret": SECRET}, 200),
    (basic(SECRET, user="anyone"), 200),
])
def test_model_calls_need_the_secret(store, headers, status):
    with app_client(store, trained_engine()) as client:
        assert client.post("/setup", json={"project": "12.1"},
                           headers=headers).status_code == status
        assert client.post("/predict", json={"project": "12.1", "tasks": []},
                           headers=headers).status_code == status


def test_predict_answers_one_prediction_per_task_in_order(store):
    engine = trained_engine()
    tasks = [task for task, _, _ in topic_items(6, seed=2)]
    labels = [label for _, _, label in topic_items(6, seed=2)]
    junk = ["not a task", {"id": "7/../x", "data": {"text": "goal"}}]
    with app_client(store, engine) as client:
        answer = client.post("/predict", headers=basic(SECRET), json={
            "project": "12.1733000000", "label_config": "<View/>", "params": {},
            "tasks": [*tasks[:3], *junk, *tasks[3:]]})
    assert answer.status_code == 200
    body = answer.json()
    version = engine.suggester.model_version
    assert body["model_version"] == version and len(body["results"]) == 8
    assert all(item["model_version"] == version for item in body["results"])
    assert [item["result"] for item in body["results"][3:5]] == [[], []]
    for item, label in zip(body["results"][:3] + body["results"][5:], labels):
        assert item["result"] == [{"from_name": "topic", "to_name": "text", "type": "choices",
                                   "value": {"choices": [label]}}]
        assert 0.4 <= item["score"] <= 1


def test_an_abstention_is_an_empty_result_with_the_candidates_score(store, tmp_path):
    engine = lsrules.load(FIXTURES / "topics.yaml")
    for task, annotation, _ in topic_items(3, seed=1):  # too little evidence: the gate is shut
        engine.learn(task, annotation)
    task = topic_items(1, seed=5)[0][0]
    with app_client(store, engine) as client:
        item = client.post("/predict", headers=basic(SECRET),
                           json={"project": "12.1", "tasks": [task]}).json()["results"][0]
    assert item["result"] == [] and 0 < item["score"] < 1


@pytest.mark.parametrize("project, ruleset, message", [
    ("13.1", "topics.yaml", "project 13 is bound to no ruleset"),
    ("12.1", "sentiment.yaml", "has no suggester"),
])
def test_a_project_without_a_model_is_refused(store, project, ruleset, message):
    engine = lsrules.load(FIXTURES / ruleset)
    with app_client(store, engine) as client:
        for path, body in (("/setup", {"project": project}),
                           ("/predict", {"project": project, "tasks": [{"id": 1}]})):
            answer = client.post(path, json=body, headers=basic(SECRET))
            assert answer.status_code == 404 and message in answer.json()["error"]


@pytest.mark.parametrize("body, status", [
    (b"[1]", 400), (b"{", 400), (json.dumps({"project": "12.1", "tasks": "x"}).encode(), 400),
])
def test_bad_model_calls_are_refused(store, body, status):
    with app_client(store, trained_engine()) as client:
        assert client.post("/predict", content=body, headers=basic(SECRET)).status_code == status


def test_start_training_catches_up_on_the_project(store):
    trained: list[int] = []
    start = {"action": "START_TRAINING", "project": {"id": 12, "title": "p"}}
    with app_client(store, trained_engine(), trained=trained) as client:
        assert client.post("/webhook", json=start).status_code == 401
        answer = client.post("/webhook", json=start, headers=basic(SECRET))
        assert answer.status_code == 201 and answer.json()["project"] == 12
        other = dict(start, project={"id": 13})
        assert client.post("/webhook", json=other, headers=basic(SECRET)).status_code == 404
    assert trained == [12]
    assert store.pending_event_count() == 0  # a training call is not an event


def test_without_a_model_the_calls_are_not_found(store):
    with TestClient(create_app(store, WebhookSettings(SECRET))) as client:
        assert client.post("/setup", json={}, headers=basic(SECRET)).status_code == 404


def test_predictions_run_on_the_worker_thread(store):
    """The suggester is used from one thread only: the worker's, between events."""
    worker = Worker(trained_engine(), store, label_studio=None)
    worker.start()
    try:
        names = worker.call(lambda: threading.current_thread().name).result(timeout=10)
        failed = worker.call(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failed.result(timeout=10)
    finally:
        worker.stop()
    assert names == "lsrules-worker"
