"""Each example ruleset, live: its inline tests' annotations saved through the SDK into a real
Label Studio, and what Label Studio then holds (corrected results, meta, route views)."""
from __future__ import annotations

import pytest
from tests.labelstudio.conftest import example_rulesets
from tests.labelstudio.live_helpers import (
    connect,
    create_project,
    settled,
    task_meta,
    view_task_ids,
    wait_for,
)

import lsrules
from lsrules.engine.patch import apply_patch

pytestmark = pytest.mark.labelstudio

# per-annotation examples (a ruleset with `streams:` is about sequences, tested elsewhere)
EXAMPLES = [path for path in example_rulesets()
            if not lsrules.load(path).ruleset.streams and lsrules.load(path).ruleset.tests]


def plain(model) -> dict:
    return model.model_dump() if hasattr(model, "model_dump") else dict(model)


@pytest.mark.parametrize("ruleset", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_an_example_ruleset_live(ruleset, client, live_environment, start_lsrules, capsys):
    engine = lsrules.load(ruleset)
    project_id = create_project(client, ruleset, f"live {ruleset.stem}")
    server = start_lsrules(ruleset, project_id)
    connect(ruleset, project_id, server.hook_url, live_environment.url, capsys)

    saved = []  # (inline test, task id, annotation id)
    for case in engine.ruleset.tests:
        task = client.tasks.create(project=project_id, data=case.task.get("data") or {})
        annotation = case.annotation
        created = client.annotations.create(
            id=task.id, result=annotation.get("result") or [],
            lead_time=annotation.get("lead_time", 10.0),
            was_cancelled=bool(annotation.get("was_cancelled", False)))
        saved.append((case, task.id, created.id))
    wait_for(lambda: all("lsrules" in task_meta(client, task_id) for _, task_id, _ in saved)
             and settled(server), timeout=120, what="a decision in every task's meta")

    routed: dict[str, set[int]] = {}
    for case, task_id, annotation_id in saved:
        # What the service saw is what Label Studio holds; evaluate the same here.
        task = plain(client.tasks.get(str(task_id)))
        held = plain(client.annotations.get(annotation_id))
        original = dict(held, result=case.annotation.get("result") or [])
        expected = engine.evaluate(dict(task, meta={}), original)
        entry = task_meta(client, task_id)["lsrules"][str(annotation_id)]
        assert entry["verdict"] == expected.verdict, case.name
        assert entry["verdict"] == case.expect.get("verdict", entry["verdict"]), case.name
        # the corrections the ruleset's fix policy applies are in Label Studio's copy
        corrected = apply_patch(original, expected.patch_to_apply)["result"]
        assert held["result"] == corrected, case.name
        if expected.route is not None:
            routed.setdefault(expected.route["name"], set()).add(task_id)
    for route in engine.routes:
        assert view_task_ids(client, project_id, f"lsrules: {route}") == routed.get(route, set())
