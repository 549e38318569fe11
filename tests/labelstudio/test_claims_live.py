"""Against the real Label Studio: `sync` run while `serve` works on the same store writes
each correction once, and a poisoned event does not hold up the ones behind it."""
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
    settled,
    task_meta,
    wait_for,
)
from tests.labelstudio.test_live import decisions_by_annotation

from lsrules.cli import main

pytestmark = pytest.mark.labelstudio
RULESET = FIXTURES / "sentiment.yaml"
ANNOTATIONS = 30


def per_annotation(store_path, sql: str) -> dict[int, int]:
    connection = sqlite3.connect(store_path, timeout=30)
    try:
        return dict(connection.execute(sql).fetchall())
    finally:
        connection.close()


def test_sync_while_serve_runs_writes_each_correction_exactly_once(
        client, live_environment, start_lsrules, capsys):
    project_id = create_project(client, RULESET, "sync during serve")
    client.projects.import_tasks(id=project_id,
                                 request=[{"text": f"t{n}"} for n in range(ANNOTATIONS)])
    task_ids = sorted(task.id for task in client.tasks.list(project=project_id, page_size=100))
    server = start_lsrules(RULESET, project_id)
    connect(RULESET, project_id, server.hook_url, live_environment.url, capsys)
    created: list[int] = []
    errors: list[BaseException] = []

    def annotate() -> None:
        try:
            for task_id in task_ids:  # "positive" is corrected to "Positive"
                created.append(client.annotations.create(id=task_id, result=choice("positive")).id)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    saver = threading.Thread(target=annotate)
    saver.start()
    outputs, codes = [], []
    arguments = ["sync", str(RULESET), "--project", str(project_id), "--store",
                 str(server.store), "--ls-url", live_environment.url, "--timeout", "120"]
    while saver.is_alive():  # sync again and again while serve handles the webhooks
        codes.append(main(arguments))
        outputs.append(capsys.readouterr().out)
    saver.join()
    assert not errors and len(created) == ANNOTATIONS
    wait_for(lambda: settled(server) and len(decisions_by_annotation(server.store)) >= ANNOTATIONS,
             timeout=120, what="every annotation evaluated and written back")
    codes.append(main(arguments))
    outputs.append(capsys.readouterr().out)

    # Our store's record of the writes: one correction that wrote, per annotation.
    writes = per_annotation(server.store, "SELECT annotation_id, count(*) FROM writebacks "
                            "WHERE kind = 'correction' AND status = 'applied' "
                            "AND last_error IS NULL GROUP BY annotation_id")
    assert writes == {annotation_id: 1 for annotation_id in created}
    # Label Studio's: each write comes back as one ANNOTATION_UPDATED webhook.
    echoes = per_annotation(server.store, "SELECT annotation_id, count(*) FROM events "
                            "WHERE action = 'ANNOTATION_UPDATED' GROUP BY annotation_id")
    assert echoes == {annotation_id: 1 for annotation_id in created}
    assert {annotation_id: len(verdicts) for annotation_id, verdicts in
            decisions_by_annotation(server.store).items()} == {
        annotation_id: 1 for annotation_id in created}
    for annotation_id in created[::10]:
        assert client.annotations.get(annotation_id).result[0]["value"]["choices"] == [
            "Positive"]
    assert codes == [0] * len(codes)
    # sync says what it did: queued, skipped (evaluated before), evaluated by this run
    assert all("queued" in output and "skipped" in output and "evaluated" in output
               for output in outputs)
    assert f"{ANNOTATIONS} annotations seen, 0 queued, {ANNOTATIONS} skipped" in outputs[-1]


def test_a_poisoned_event_fails_alone_and_the_next_ones_are_written(
        client, live_environment, start_lsrules, webhook_secret):
    project_id = create_project(client, RULESET, "poison")
    server = start_lsrules(RULESET, project_id, "--retry-base", "0.1", "--retry-max", "0.2")
    tasks = [client.tasks.create(project=project_id, data={"text": f"t{n}"}) for n in range(3)]
    client.tasks.update(str(tasks[0].id), meta={"lsrules": "not an object", "team": "a"})
    good = [client.annotations.create(id=task.id, result=choice("positive")) for task in tasks]
    headers = {"X-Webhook-Secret": webhook_secret}
    poison = [
        # the task id reaches Label Studio's URL path; the text has a lone surrogate
        b'{"action": "ANNOTATION_CREATED", "project": {"id": %d}, "task": {"id": "1\\r\\nX: y",'
        b' "data": {"text": "\\ud800"}}, "annotation": {"id": 999999, "task": "1\\r\\nX: y",'
        b' "result": []}}' % project_id,
        # an annotation of this project, claimed to be in another task
        b'{"action": "ANNOTATION_CREATED", "project": {"id": %d}, "task": {"id": %d, "data":'
        b' {"text": "x"}}, "annotation": {"id": %d, "task": %d, "result": []}}'
        % (project_id, tasks[2].id, good[1].id, tasks[2].id),
        # deleted, says the event; Label Studio still holds it
        b'{"action": "ANNOTATIONS_DELETED", "project": {"id": %d}, "annotations": [{"id": %d,'
        b' "task": %d}]}' % (project_id, good[2].id, tasks[2].id),
        # a lone surrogate in the text and the label
        b'{"action": "ANNOTATION_CREATED", "project": {"id": %d}, "task": {"id": %d, "data":'
        b' {"text": "\\ud800"}}, "annotation": {"id": 999998, "task": %d, "result": [{"id":'
        b' "r", "from_name": "sentiment", "to_name": "text", "type": "choices", "value":'
        b' {"choices": ["\\udc00"]}}]}}' % (project_id, tasks[0].id, tasks[0].id),
    ]
    for body in poison:
        response = httpx.post(server.hook_url, content=body, headers=headers, timeout=5)
        assert response.json()["status"] == "queued", response.text
    for annotation, task in zip(good, tasks):
        body = {"action": "ANNOTATION_CREATED", "project": {"id": project_id},
                "task": client.tasks.get(str(task.id)).model_dump(mode="json"),
                "annotation": client.annotations.get(annotation.id).model_dump(mode="json")}
        httpx.post(server.hook_url, json=body, headers=headers, timeout=5).raise_for_status()
    wait_for(lambda: settled(server), what="queue drained")
    for annotation, task in zip(good, tasks):
        assert client.annotations.get(annotation.id).result[0]["value"]["choices"] == [
            "Positive"]
        assert task_meta(client, task.id)["lsrules"][str(annotation.id)]["verdict"] == "fixed"
    assert task_meta(client, tasks[0].id)["team"] == "a"
    assert str(good[1].id) not in task_meta(client, tasks[2].id)["lsrules"]
    refused = per_annotation(server.store, "SELECT annotation_id, count(*) FROM writebacks "
                             "WHERE status = 'refused' GROUP BY annotation_id")
    assert refused == {good[1].id: 1, good[2].id: 1}
    counters = health(server)
    assert counters["status"] == "UP" and "writebacks_refused" in counters
    assert httpx.get(f"{server.url}/health", timeout=5).json() == {"status": "UP"}
