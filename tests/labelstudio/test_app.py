"""The webhook receiver: secret, size, shape, and the event stored before the answer."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    # Newer Starlette prefers `httpx2` for its test client; `httpx` still works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from lsrules.labelstudio.app import WebhookSettings, create_app
from lsrules.labelstudio.store import SQLiteStore

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "ls-samples"
SECRET = "s3cr3t"


def sample(action: str) -> dict:
    path = SAMPLES / f"webhook_{action}.json"
    if path.exists():
        return json.loads(path.read_text())["body"]
    return {"action": action, "project": {"id": 2},
            "task": {"id": 1, "data": {"text": "x"}},
            "annotation": {"id": 1, "task": 1, "result": [], "updated_at": "2026-01-01T00:00:00Z"}}


@pytest.fixture
def store(tmp_path):
    store = SQLiteStore(tmp_path / "store.sqlite")
    yield store
    store.close()


@pytest.fixture
def client(store):
    woken = []
    app = create_app(store, WebhookSettings(SECRET, max_body_bytes=20_000), lambda: woken.append(1))
    with TestClient(app) as client:
        client.woken = woken
        yield client


def post(client, body, secret=SECRET, header="X-Webhook-Secret", raw=None):
    headers = {header: secret} if secret is not None else {}
    content = raw if raw is not None else json.dumps(body).encode()
    return client.post("/webhook", content=content,
                       headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("secret, header, status", [
    (SECRET, "X-Webhook-Secret", 200),
    ("wrong", "X-Webhook-Secret", 401),
    ("", "X-Webhook-Secret", 401),
    (None, "X-Webhook-Secret", 401),
    (SECRET, "X-Other-Header", 401),
    (SECRET + "x", "X-Webhook-Secret", 401),
])
def test_secret_is_checked(client, store, secret, header, status):
    response = post(client, sample("ANNOTATION_CREATED"), secret=secret, header=header)
    assert response.status_code == status
    assert store.pending_event_count() == (1 if status == 200 else 0)


@pytest.mark.parametrize("raw, status", [
    (b"{not json", 400),
    (b"[1, 2]", 400),
    (b"{}", 400),
    (b'{"action": ""}', 400),
    (b'{"action": 3}', 400),
    (b"\xff\xfe", 400),
    (b"x" * 20_001, 413),
    (json.dumps({"action": "ANNOTATION_CREATED", "pad": "x" * 30_000}).encode(), 413),
])
def test_bad_bodies_are_refused_and_nothing_is_stored(client, store, raw, status):
    response = post(client, None, raw=raw)
    assert response.status_code == status
    assert store.pending_event_count() == 0
    assert client.get("/health").json()["status"] == "UP"


def test_event_is_persisted_before_the_answer(client, store):
    response = post(client, sample("ANNOTATION_CREATED"))
    assert response.json()["status"] == "queued"
    # The answer is out; the event must already be readable from another connection.
    other = SQLiteStore(store.path)
    events = other.pending_events()
    other.close()
    assert [(e.action, e.annotation_id, e.task_id, e.project_id) for e in events] == [
        ("ANNOTATION_CREATED", 1, 1, 2)]
    assert client.woken == [1]


def test_redelivery_is_stored_once(client, store):
    body = sample("ANNOTATION_UPDATED")
    statuses = [post(client, body).json()["status"] for _ in range(3)]
    assert statuses == ["queued", "duplicate", "duplicate"]
    assert store.pending_event_count() == 1


@pytest.mark.parametrize("action, stored", [
    ("ANNOTATION_CREATED", True), ("ANNOTATION_UPDATED", True), ("ANNOTATIONS_CREATED", True),
    ("ANNOTATIONS_DELETED", True), ("TASKS_CREATED", True),
    ("PROJECT_UPDATED", False), ("TASKS_DELETED", False),
    # lsrules' own queue entries (sync, back-fill) cannot be posted from outside
    ("SYNC_ANNOTATION", False), ("SYNC_PREDICT", False),
])
def test_only_handled_actions_are_queued(client, store, action, stored):
    body = dict(sample("ANNOTATION_CREATED"), action=action)
    response = post(client, body)
    assert response.status_code == 200
    assert (response.json()["status"] == "queued") is stored
    assert store.pending_event_count() == int(stored)
