"""Against a real Label Studio and `serve`: tasks imported into a project whose suggester
is sure of them are annotated by lsrules (through the API, as the token's user), leave the
annotators' queue (Label Studio counts them labelled) and carry `meta.lsrules.auto`; the
annotation lsrules wrote teaches nothing, and each auto-accept is written once."""
from __future__ import annotations

import pytest
from tests.labelstudio.live_helpers import connect, create_project, settled, wait_for
from tests.labelstudio.test_auto_accept import auto_ruleset
from tests.labelstudio.test_learning_live import lessons
from tests.labelstudio.test_model_backend import topic_items, trained_engine

pytestmark = pytest.mark.labelstudio


def test_imported_tasks_are_auto_accepted(client, live_environment, start_lsrules, tmp_path,
                                          capsys):
    ruleset = auto_ruleset(tmp_path, explore=0.0, model="auto-model.json")
    trained_engine(ruleset).suggester.save(tmp_path / "auto-model.json")
    project_id = create_project(client, ruleset, "auto-accept")
    server = start_lsrules(ruleset, project_id)
    connect(ruleset, project_id, server.hook_url, live_environment.url, capsys)

    items = topic_items(3, seed=2)
    client.projects.import_tasks(id=project_id, request=[task["data"] for task, _, _ in items])
    tasks = {task.data["text"]: task.id for task in client.tasks.list(project=project_id)}
    wait_for(lambda: all(client.tasks.get(str(task_id)).is_labeled
                         for task_id in tasks.values()), what="tasks auto-accepted")
    wait_for(lambda: settled(server), what="the echoes handled")
    me = client.users.whoami().id
    for task, _, label in items:
        held = client.tasks.get(str(tasks[task["data"]["text"]]))
        (annotation,) = client.annotations.list(id=held.id)
        assert annotation.result[0]["value"]["choices"] == [label]
        assert annotation.completed_by == me and annotation.parent_prediction is not None
        (prediction,) = client.predictions.list(task=held.id)
        assert prediction.id == annotation.parent_prediction
        auto = held.meta["lsrules"]["auto"]
        assert auto["annotation"] == annotation.id and auto["label"] == label
        assert auto["score"] >= auto["threshold"]
        # the echo of lsrules' own annotation was judged by the rules, and taught nothing
        assert held.meta["lsrules"][str(annotation.id)]["verdict"] == "accept"
    assert lessons(server) == {} == lessons(server, "observed")
