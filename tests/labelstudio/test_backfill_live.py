"""Against a real Label Studio: `sync --predict` writes lsrules' prediction to the tasks
that have none (imported before lsrules listened), `--limit` at a time, once each, and
leaves a task holding another model's prediction alone."""
from __future__ import annotations

import pytest
from tests.labelstudio.live_helpers import create_project
from tests.labelstudio.test_model_backend import topic_items, trained_engine
from tests.labelstudio.test_model_live import trained_ruleset

from lsrules.cli import main

pytestmark = pytest.mark.labelstudio


def sync_predict(ruleset, project_id, store, capsys, *extra) -> str:
    code = main(["sync", str(ruleset), "--project", str(project_id), "--store", str(store),
                 "--predict", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def test_sync_predict_back_fills_tasks_without_a_prediction(client, live_environment,
                                                            tmp_path, capsys):
    ruleset = trained_ruleset(tmp_path)
    project_id = create_project(client, ruleset, "back-fill")
    items = topic_items(5, seed=2)
    tasks = [client.tasks.create(project=project_id, data=task["data"]).id
             for task, _, _ in items]
    vendor = client.predictions.create(task=tasks[0], model_version="vendor-1",
                                       result=[{"from_name": "topic", "to_name": "text",
                                                "type": "choices",
                                                "value": {"choices": ["tech"]}}])
    store = tmp_path / "store.sqlite"
    arguments = ["--ls-url", live_environment.url]

    first = sync_predict(ruleset, project_id, store, capsys, "--limit", "2", *arguments)
    assert f"project {project_id}: 2 tasks without a prediction (--limit) 2 queued" in first
    assert "all written back" in first
    assert sum(bool(client.predictions.list(task=task_id)) for task_id in tasks[1:]) == 2

    rest = sync_predict(ruleset, project_id, store, capsys, *arguments)
    assert f"project {project_id}: 2 tasks without a prediction 2 queued" in rest
    version = trained_engine().suggester.model_version
    for (_, _, label), task_id in zip(items[1:], tasks[1:]):
        (prediction,) = client.predictions.list(task=task_id)
        assert prediction.model_version == version
        assert prediction.result[0]["value"]["choices"] == [label]
    assert [p.id for p in client.predictions.list(task=tasks[0])] == [vendor.id]

    done = sync_predict(ruleset, project_id, store, capsys, *arguments)
    assert f"project {project_id}: 0 tasks without a prediction 0 queued" in done
