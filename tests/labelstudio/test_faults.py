"""Faults against the real servers: a crashed service, an unreachable Label Studio."""
from __future__ import annotations

import sqlite3
import threading

import httpx
import pytest
from tests.labelstudio.conftest import FIXTURES
from tests.labelstudio.live_helpers import (
    choice,
    connect,
    create_project,
    health,
    task_meta,
    wait_for,
)
from tests.labelstudio.test_live import decisions_by_annotation, settled

pytestmark = pytest.mark.labelstudio
RULESET = FIXTURES / "sentiment.yaml"
LABELS = ["positive", "Negative", "Neutral"]
VERDICTS = {"positive": "fixed", "Negative": "review", "Neutral": "accept"}


def store_value(path, sql):
    connection = sqlite3.connect(path, timeout=10)
    try:
        return connection.execute(sql).fetchone()[0]
    finally:
        connection.close()


def test_killing_serve_while_200_annotations_are_saved_loses_and_repeats_nothing(
        client, live_environment, start_lsrules, capsys):
    project_id = create_project(client, RULESET, "crash")
    client.projects.import_tasks(id=project_id, request=[{"text": f"t{n}"} for n in range(200)])
    task_ids = sorted(task.id for task in client.tasks.list(project=project_id, page_size=100))
    assert len(task_ids) == 200
    server = start_lsrules(RULESET, project_id)
    connect(RULESET, project_id, server.hook_url, live_environment.url, capsys)
    created: dict[int, tuple[int, str]] = {}
    errors: list[BaseException] = []

    def annotate() -> None:
        try:
            for number, task_id in enumerate(task_ids):
                label = LABELS[number % 3]
                annotation = client.annotations.create(id=task_id, result=choice(label))
                created[annotation.id] = (task_id, label)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    saver = threading.Thread(target=annotate)
    saver.start()
    wait_for(lambda: len(created) >= 50 or errors, what="50 annotations saved")
    server.kill()
    wait_for(lambda: len(created) >= 110 or errors or not saver.is_alive(),
             what="annotations saved while serve is down")
    server.start()  # same port, same store; its start-up sync catches up
    saver.join(300)
    assert not errors and len(created) == 200
    wait_for(lambda: settled(server) and len(decisions_by_annotation(server.store)) >= 200,
             timeout=180, what="every annotation evaluated")
    decisions = decisions_by_annotation(server.store)
    assert set(decisions) == set(created)
    assert {annotation_id: len(verdicts) for annotation_id, verdicts in decisions.items()} == {
        annotation_id: 1 for annotation_id in created}
    assert {annotation_id: verdicts[0] for annotation_id, verdicts in decisions.items()} == {
        annotation_id: VERDICTS[label] for annotation_id, (_, label) in created.items()}
    sample = list(created.items())[::17]
    for annotation_id, (task_id, label) in sample:
        assert task_meta(client, task_id)["lsrules"][str(annotation_id)]["verdict"] == \
            VERDICTS[label]


def test_write_backs_pending_while_label_studio_is_down_are_all_applied(
        client, live_environment, start_lsrules, webhook_secret):
    project_id = create_project(client, RULESET, "outage")
    bodies = []
    for number in range(6):
        label = LABELS[number % 3]
        task = client.tasks.create(project=project_id, data={"text": f"t{number}"})
        annotation = client.annotations.create(id=task.id, result=choice(label))
        bodies.append({"action": "ANNOTATION_CREATED", "project": {"id": project_id},
                       "task": client.tasks.get(str(task.id)).model_dump(mode="json"),
                       "annotation": client.annotations.get(annotation.id).model_dump(mode="json"),
                       "label": label})
    server = start_lsrules(RULESET, project_id, "--retry-base", "0.2", "--retry-max", "1")
    live_environment.stop()
    try:
        for body in bodies:
            response = httpx.post(server.hook_url, json=body, timeout=5,
                                  headers={"X-Webhook-Secret": webhook_secret})
            assert response.json()["status"] == "queued"
        wait_for(lambda: (store_value(server.store, "SELECT max(attempts) FROM writebacks "
                                                    "WHERE status = 'pending'") or 0) >= 2,
                 what="write-backs retried while Label Studio is down")
        assert health(server)["writebacks_pending"] >= 6
    finally:
        live_environment.start()
    wait_for(lambda: settled(server), timeout=120, what="pending write-backs applied")
    for body in bodies:
        task_id, annotation_id = body["task"]["id"], body["annotation"]["id"]
        meta = task_meta(client, task_id)
        assert meta["lsrules"][str(annotation_id)]["verdict"] == VERDICTS[body["label"]]
        if body["label"] == "positive":
            assert client.annotations.get(annotation_id).result[0]["value"]["choices"] == [
                "Positive"]
