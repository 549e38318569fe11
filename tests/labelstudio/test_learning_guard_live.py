"""Against a real Label Studio: the annotation Label Studio stores from a prediction names
its `parent_prediction`, the worker finds that prediction through the API (a webhook's task
lists none), and lsrules' prediction accepted unchanged teaches nothing."""
from __future__ import annotations

import pytest
from tests.labelstudio.conftest import FIXTURES
from tests.labelstudio.live_helpers import choice, create_project
from tests.labelstudio.stand_in_engine import StandInEngine

import lsrules
from lsrules.labelstudio.store import SQLiteStore
from lsrules.labelstudio.worker import Worker, learn_from
from lsrules.labelstudio.writeback import LabelStudio as Api

pytestmark = pytest.mark.labelstudio
RULESET = FIXTURES / "sentiment.yaml"


@pytest.mark.parametrize("model_version, label, teaches", [
    ("lsrules-suggest-0.3", "Neutral", False),  # lsrules' pre-annotation submitted unchanged
    ("lsrules-suggest-0.3", "Positive", True),  # a person changed it
    ("vendor-model-2", "Neutral", True),        # another model's, accepted by a person
])
def test_the_parent_prediction_decides_live(client, label_studio, tmp_path, model_version,
                                            label, teaches):
    project_id = create_project(client, RULESET, f"learning guard {model_version} {label}")
    task = client.tasks.create(project=project_id, data={"text": "t"})
    prediction = client.predictions.create(task=task.id, result=choice("Neutral"),
                                           model_version=model_version)
    created = client.annotations.create(id=task.id, result=choice(label),
                                        parent_prediction=prediction.id)
    annotation = client.annotations.get(created.id).model_dump(mode="json")
    assert annotation["parent_prediction"] == prediction.id
    store = SQLiteStore(tmp_path / "s.sqlite")
    engine = lsrules.load(RULESET)
    with Api(label_studio.url, api_key=label_studio.token) as api:
        worker = Worker(engine, store, api)
        webhook_task = {"id": task.id, "data": {"text": "t"}}  # as a webhook sends it
        parent = worker._parent_prediction(webhook_task, annotation)
    store.close()
    assert parent is not None and parent["id"] == prediction.id
    learner = StandInEngine()  # records what it is taught
    assert learn_from(learner, webhook_task, annotation, {"verdict": "accept", "findings": []},
                      parent) is teaches
    assert learner.learned == ([annotation["id"]] if teaches else [])
