"""Against a real Label Studio: `connect --model` adds lsrules as the project's model, and
Label Studio's "Retrieve predictions" asks `serve` for them (`/health`, `/setup`,
`/predict`) and stores one per task with lsrules' model version."""
from __future__ import annotations

import shutil

import pytest
from tests.labelstudio.conftest import FIXTURES
from tests.labelstudio.live_helpers import create_project, wait_for
from tests.labelstudio.test_model_backend import topic_items, trained_engine

from lsrules.cli import main

pytestmark = pytest.mark.labelstudio


def trained_ruleset(directory):
    """The topics ruleset with a model file that has learnt enough to open its gate."""
    shutil.copy(FIXTURES / "topics.xml", directory / "topics.xml")
    ruleset = directory / "topics.yaml"
    ruleset.write_text((FIXTURES / "topics.yaml").read_text().replace(
        "suggester:\n", "suggester:\n  model: topics-model.json\n"))
    trained_engine(ruleset).suggester.save(directory / "topics-model.json")
    return ruleset


def connect_model(ruleset, project_id, hook_url, ls_url, capsys) -> str:
    code = main(["connect", str(ruleset), "--project", str(project_id), "--hook-url", hook_url,
                 "--ls-url", ls_url, "--model"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def test_label_studio_retrieves_predictions_from_lsrules(client, live_environment,
                                                        start_lsrules, tmp_path, capsys):
    ruleset = trained_ruleset(tmp_path)
    project_id = create_project(client, ruleset, "lsrules as the model")
    items = topic_items(4, seed=2)
    # created before the webhook exists: no TASKS_CREATED reaches lsrules for them
    tasks = [client.tasks.create(project=project_id, data=task["data"]).id
             for task, _, _ in items]
    server = start_lsrules(ruleset, project_id)
    output = connect_model(ruleset, project_id, server.hook_url, live_environment.url, capsys)
    assert "; model " in output and output.rstrip().endswith("created")
    (backend,) = client.ml.list(project=project_id)
    assert backend.url.rstrip("/") == server.url and backend.auth_method == "BASIC_AUTH"
    # Label Studio made no webhook of its own (without the secret) beside ours
    hooks = [hook for hook in client.webhooks.list(project=str(project_id))
             if hook.url == server.hook_url]
    assert len(hooks) == 1 and hooks[0].headers == {"X-Webhook-Secret": server.secret}

    client.actions.create(id="retrieve_tasks_predictions", project=project_id,
                          selected_items={"all": False, "included": tasks})
    stored = {task_id: wait_for(lambda task_id=task_id: client.predictions.list(task=task_id),
                                what=f"a prediction on task {task_id}")
              for task_id in tasks}
    version = trained_engine().suggester.model_version
    for (_, _, label), task_id in zip(items, tasks):
        (prediction,) = stored[task_id]
        assert prediction.model_version == version
        assert [item["value"]["choices"] for item in prediction.result] == [[label]]
        assert 0.4 <= prediction.score <= 1
    assert client.ml.get(backend.id).model_version == version

    # asked again, Label Studio skips tasks holding this version; connect changes nothing
    client.actions.create(id="retrieve_tasks_predictions", project=project_id,
                          selected_items={"all": False, "included": tasks})
    assert all(len(client.predictions.list(task=task_id)) == 1 for task_id in tasks)
    again = connect_model(ruleset, project_id, server.hook_url, live_environment.url, capsys)
    assert again.rstrip().endswith(f"model {backend.id} already registered")
    assert len(client.ml.list(project=project_id)) == 1
