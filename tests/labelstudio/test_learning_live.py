"""Against a real Label Studio and a real `serve`: what teaches the suggester live (each
case of docs/suggest.md's "approved"), journalled in the store, and a `serve` killed with
SIGKILL and started again predicts with exactly the model it had learnt."""
from __future__ import annotations

import httpx
import pytest
from tests.labelstudio.conftest import FIXTURES
from tests.labelstudio.live_helpers import connect, create_project, settled, wait_for
from tests.labelstudio.test_model_backend import topic_items

from lsrules.labelstudio.store import SQLiteStore

pytestmark = pytest.mark.labelstudio
RULESET = FIXTURES / "topics.yaml"
MODEL_KEY = "ruleset:lsrules-live-topics"


def topic(label: str) -> list[dict]:
    return [{"id": "t1", "from_name": "topic", "to_name": "text", "type": "choices",
             "value": {"choices": [label]}}]


def lessons(server, kept: str = "approved") -> dict[int, str]:
    """annotation id -> why it was approved, for every lesson the store holds (`kept`
    "observed": the labels only observed for annotator reliability instead)."""
    store = SQLiteStore(server.store)
    try:
        return {lesson["annotation"]["id"]: lesson["approved_by"]
                for _, lesson in store.model_state(MODEL_KEY).lessons
                if (lesson["approved_by"] == "observed") == (kept == "observed")}
    finally:
        store.close()


def predict(server, project_id: int, tasks: list[dict]) -> dict:
    answer = httpx.post(f"{server.url}/predict", timeout=30,
                        headers={"X-Webhook-Secret": server.secret},
                        json={"project": f"{project_id}.1", "tasks": tasks})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_what_teaches_live_and_survives_a_kill(client, live_environment, start_lsrules, capsys):
    project_id = create_project(client, RULESET, "what teaches")
    server = start_lsrules(RULESET, project_id)
    connect(RULESET, project_id, server.hook_url, live_environment.url, capsys)

    def annotate(text: str, result: list[dict], **fields) -> int:
        task = client.tasks.create(project=project_id, data={"text": text})
        return client.annotations.create(id=task.id, result=result, **fields).id

    taught = {annotate(task["data"]["text"], topic(label)): "rules-accepted"
              for task, _, label in topic_items(6, seed=1)}
    rejected = annotate("goal team", [])  # no topic: rejected, not approved
    own_task = client.tasks.create(project=project_id, data={"text": "chip code"})
    own = client.predictions.create(task=own_task.id, result=topic("tech"),
                                    model_version="lsrules-suggest-0.3")
    unchanged = client.annotations.create(id=own_task.id, result=topic("tech"),
                                          parent_prediction=own.id).id
    other_task = client.tasks.create(project=project_id, data={"text": "vote law"})
    other = client.predictions.create(task=other_task.id, result=topic("politics"),
                                      model_version="vendor-model-2")
    taught[client.annotations.create(id=other_task.id, result=topic("politics"),
                                     parent_prediction=other.id).id] = "rules-accepted"
    fixed = annotate("match season cup", topic("Sport"))  # fixed: not approved as given
    wait_for(lambda: client.annotations.get(fixed).result[0]["value"]["choices"] == ["sport"],
             what="the correction")
    wait_for(lambda: settled(server), what="the events handled")
    assert lessons(server) == taught
    client.annotations.update(fixed, ground_truth=True)  # a manager vouches for it
    taught[fixed] = "ground-truth"
    wait_for(lambda: lessons(server) == taught, what="the ground truth learnt")
    # not approved, a person's label all the same: observed for annotator reliability; the
    # empty one and lsrules' own prediction are not even that
    assert lessons(server, "observed") == {fixed: "observed"}
    assert {rejected, unchanged}.isdisjoint(lessons(server))

    probe = [{"id": task["id"], "data": task["data"]} for task, _, _ in topic_items(5, seed=7)]
    before = predict(server, project_id, probe)
    assert before["model_version"] == f"lsrules-suggest-0.{len(taught)}"
    server.kill()  # SIGKILL: no snapshot, nothing flushed by lsrules
    server.start()
    assert predict(server, project_id, probe) == before


def test_a_reviewers_edit_teaches_live(client, label_studio, live_environment, start_lsrules,
                                       capsys):
    """A second user of the organization edits an annotation the rules rejected: Label
    Studio records them as `updated_by`, and the edit teaches as a reviewer's."""
    import httpx
    from label_studio_sdk import LabelStudio

    project_id = create_project(client, RULESET, "a reviewer's edit")
    server = start_lsrules(RULESET, project_id)
    connect(RULESET, project_id, server.hook_url, live_environment.url, capsys)
    # Label Studio sends a user's webhooks to their active organization's hooks
    organization = client.users.whoami().active_organization
    reviewer = client.users.create(username="reviewer", email="reviewer@example.com",
                                   active_organization=organization)
    token = label_studio.user_token("reviewer@example.com")
    task = client.tasks.create(project=project_id, data={"text": "vote law election"})
    rejected = client.annotations.create(id=task.id, result=[]).id  # no topic: rejected
    wait_for(lambda: settled(server), what="the rejection judged")
    assert lessons(server) == {}
    with httpx.Client(timeout=30) as http:
        as_reviewer = LabelStudio(base_url=label_studio.url, api_key=token, timeout=30,
                                  httpx_client=http)
        as_reviewer.annotations.update(rejected, result=topic("politics"))
    edited = client.annotations.get(rejected)
    assert edited.updated_by == reviewer.id != edited.completed_by
    wait_for(lambda: lessons(server) == {rejected: "reviewer-edit"}, what="the edit learnt")
