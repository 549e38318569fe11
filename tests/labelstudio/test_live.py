"""Against a real Label Studio 1.23.2 started by the test run: what it holds afterwards."""
from __future__ import annotations

import json

import httpx
import pytest
from tests.labelstudio.conftest import FIXTURES
from tests.labelstudio.live_helpers import (
    choice,
    connect,
    create_project,
    health,
    settled,
    task_meta,
    view_task_ids,
    wait_for,
)

from lsrules.labelstudio.store import SQLiteStore

pytestmark = pytest.mark.labelstudio
RULESET = FIXTURES / "sentiment.yaml"


def decisions_by_annotation(store_path) -> dict[int, list[str]]:
    store = SQLiteStore(store_path)
    try:
        result: dict[int, list[str]] = {}
        for record in store.audit_records():
            if record["kind"] == "decision":
                result.setdefault(record["annotation_id"], []).append(record["status"])
        return result
    finally:
        store.close()


def test_annotations_are_corrected_summarised_and_routed(client, live_environment, start_lsrules,
                                                         capsys):
    project_id = create_project(client, RULESET, "live sentiment")
    server = start_lsrules(RULESET, project_id)
    first = connect(RULESET, project_id, server.hook_url, live_environment.url, capsys)
    second = connect(RULESET, project_id, server.hook_url, live_environment.url, capsys)
    assert "created" in first and "lsrules: review" in first
    assert "already registered" in second and "views created: none" in second
    assert len(client.webhooks.list(project=str(project_id))) == 1
    assert len(client.views.list(project=project_id)) == 2

    labels = {"positive": None, "Negative": None, "Neutral": None, "": None}
    for label in labels:
        task = client.tasks.create(project=project_id, data={"text": f"text {label}"})
        annotation = client.annotations.create(id=task.id, result=choice(label) if label else [],
                                               lead_time=3.0)
        labels[label] = (task.id, annotation.id)
    wait_for(lambda: all("lsrules" in task_meta(client, task_id) for task_id, _ in labels.values())
             and settled(server), what="meta on every task")

    task_id, annotation_id = labels["positive"]
    assert client.annotations.get(annotation_id).result[0]["value"]["choices"] == ["Positive"]
    expected = {"positive": ("fixed", None), "Negative": ("review", "review"),
                "Neutral": ("accept", None), "": ("reject", None)}
    for label, (verdict, route) in expected.items():
        task_id, annotation_id = labels[label]
        meta = task_meta(client, task_id)
        assert meta["lsrules"][str(annotation_id)]["verdict"] == verdict
        assert meta["lsrules_verdict"] == verdict
        assert meta.get("lsrules_route") == route
    assert view_task_ids(client, project_id, "lsrules: review") == {labels["Negative"][0]}
    assert view_task_ids(client, project_id, "lsrules: rejected") == {labels[""][0]}
    # Our correction came back as ANNOTATION_UPDATED and was not evaluated again.
    assert all(len(v) == 1 for v in decisions_by_annotation(server.store).values())
    assert len(decisions_by_annotation(server.store)) == 4

    # A person's edit is evaluated again and the meta follows it.
    task_id, annotation_id = labels["Neutral"]
    client.annotations.update(annotation_id, result=choice("Negative"))
    wait_for(lambda: task_meta(client, task_id).get("lsrules_route") == "review",
             what="route after an edit")
    assert view_task_ids(client, project_id, "lsrules: review") == {
        labels["Negative"][0], task_id}

    # Deleting an annotation removes its entry from meta.
    task_id, annotation_id = labels[""]
    client.annotations.delete(annotation_id)
    wait_for(lambda: "lsrules" not in task_meta(client, task_id), what="meta entry removed")
    assert view_task_ids(client, project_id, "lsrules: rejected") == set()

    # New tasks: predictions written are exactly the ones the store planned.
    imported = client.tasks.create(project=project_id, data={"text": "fresh"})
    wait_for(lambda: settled(server), what="TASKS_CREATED handled")
    store = SQLiteStore(server.store)
    planned = [r for r in store.audit_records(task_id=imported.id)
               if r["kind"] == "writeback:prediction"]
    store.close()
    held = client.predictions.list(task=imported.id)
    assert sorted(p.model_version for p in held) == sorted(
        r["detail"]["body"]["model_version"] for r in planned)


def test_bad_requests_are_refused_and_the_service_keeps_going(client, live_environment,
                                                               start_lsrules, webhook_secret):
    project_id = create_project(client, RULESET, "bad requests")
    server = start_lsrules(RULESET, project_id, "--max-body-bytes", "100000")
    task = client.tasks.create(project=project_id, data={"text": "t"})
    annotation = client.annotations.create(id=task.id, result=choice("Neutral"))
    body = {"action": "ANNOTATION_CREATED", "project": {"id": project_id},
            "task": {"id": task.id, "data": {"text": "t"}, "meta": {}},
            "annotation": client.annotations.get(annotation.id).model_dump(mode="json")}
    good = {"X-Webhook-Secret": webhook_secret}
    cases = [
        ({"X-Webhook-Secret": "wrong"}, json.dumps(body), 401),
        ({}, json.dumps(body), 401),
        (good, "{broken", 400),
        (good, json.dumps({"no": "action"}), 400),
        (good, json.dumps({"action": "ANNOTATION_CREATED", "pad": "x" * 200_000}), 413),
    ]
    for headers, content, status in cases:
        response = httpx.post(server.hook_url, content=content, headers=headers, timeout=5)
        assert response.status_code == status, (status, response.text)
    assert health(server)["status"] == "UP"
    # Duplicate deliveries, then an older version after a newer one: applied once, latest wins.
    newer = json.loads(json.dumps(body))
    newer["action"] = "ANNOTATION_UPDATED"
    newer["annotation"]["result"] = choice("Negative")
    newer["annotation"]["updated_at"] = "2999-01-01T00:00:00.000000Z"
    answers = [httpx.post(server.hook_url, json=payload, headers=good, timeout=5).json()["status"]
               for payload in (body, body, newer, body, newer)]
    assert answers == ["queued", "duplicate", "queued", "duplicate", "duplicate"]
    wait_for(lambda: settled(server), what="events handled")
    assert task_meta(client, task.id)["lsrules"][str(annotation.id)]["verdict"] == "review"
    assert decisions_by_annotation(server.store) == {annotation.id: ["accept", "review"]}
