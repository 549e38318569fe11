"""serve and the project file: which ruleset it runs, and which projects' webhooks it accepts."""
from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from lsrules.errors import LsrulesError
from lsrules.labelstudio.app import DEFAULT_SECRET_HEADER, WebhookSettings, create_app
from lsrules.labelstudio.bindings import served
from lsrules.labelstudio.store import SQLiteStore
from lsrules.project_file import load_project_file

SECRET = "s3cr3t"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules").mkdir()
    (tmp_path / "lsrules.toml").write_text(
        '[[projects]]\nid = 3\nruleset = "rules/a.yaml"\n\n'
        '[[projects]]\nid = 4\nruleset = "rules/a.yaml"\n\n'
        '[[projects]]\nid = 5\nruleset = "rules/b.yaml"\n')
    return load_project_file()


def test_serve_ruleset_accepts_only_the_projects_bound_to_it(project):
    assert served(["rules/a.yaml"], project) == [(("rules/a.yaml",), frozenset({3, 4}))]
    assert served(["./rules/../rules/b.yaml"], project)[0][1] == frozenset({5})
    # a ruleset the file does not bind, or no project file: any project, as before
    assert served(["rules/c.yaml"], project) == [(("rules/c.yaml",), None)]
    assert served(["rules/a.yaml"], None) == [(("rules/a.yaml",), None)]


def test_serve_without_a_ruleset_serves_every_ruleset_the_file_binds(project, tmp_path):
    assert served([], project) == [(("rules/a.yaml",), frozenset({3, 4})),
                                   (("rules/b.yaml",), frozenset({5}))]
    # the same file however spelt is one ruleset, loaded once
    (tmp_path / "lsrules.toml").write_text(
        '[[projects]]\nid = 3\nruleset = "rules/a.yaml"\n\n'
        '[[projects]]\nid = 8\nruleset = "./rules/../rules/a.yaml"\n')
    assert served([], load_project_file()) == [(("rules/a.yaml",), frozenset({3, 8}))]
    with pytest.raises(LsrulesError, match="no RULESET given"):
        served([], None)


def test_a_webhook_from_an_unbound_project_is_refused_and_not_stored(tmp_path):
    store = SQLiteStore(tmp_path / "store.sqlite")
    refused = []

    def accepts(project_id):
        if project_id == 3:
            return True
        refused.append(project_id)
        return False

    app = create_app(store, WebhookSettings(SECRET), accepts_project=accepts)
    event = {"action": "ANNOTATION_CREATED", "project": {"id": 3},
             "task": {"id": 1, "data": {"text": "x"}},
             "annotation": {"id": 1, "task": 1, "result": [],
                            "updated_at": "2026-01-01T00:00:00Z"}}
    try:
        with TestClient(app) as client:
            other = dict(event, project={"id": 987654},
                         annotation=dict(event["annotation"], id=2))
            answer = client.post("/webhook", json=other, headers={DEFAULT_SECRET_HEADER: SECRET})
            assert answer.status_code == 404
            assert "project 987654 is bound to no ruleset" in answer.json()["error"]
            assert refused == [987654]
            assert store.counts().get("events_pending", 0) == 0
            answer = client.post("/webhook", json=event, headers={DEFAULT_SECRET_HEADER: SECRET})
            assert answer.status_code == 200 and answer.json()["status"] == "queued"
            assert store.counts()["events_pending"] == 1
    finally:
        store.close()




def test_connect_and_sync_targets_come_from_the_arguments_or_the_project_file(project):
    from lsrules.labelstudio.bindings import targets

    assert targets("rules/x.yaml", [7], project) == [(("rules/x.yaml",), 7)]
    assert targets("rules/a.yaml", [], project) == [(("rules/a.yaml",), 3),
                                                            (("rules/a.yaml",), 4)]
    assert targets(None, [], project) == [(("rules/a.yaml",), 3),
                                                  (("rules/a.yaml",), 4),
                                                  (("rules/b.yaml",), 5)]
    assert targets(None, [5], project) == [(("rules/b.yaml",), 5)]
    with pytest.raises(LsrulesError, match="project 6 is bound to no ruleset"):
        targets(None, [6], project)
    with pytest.raises(LsrulesError, match="give --project"):
        targets("rules/x.yaml", [], project)
    with pytest.raises(LsrulesError, match="no RULESET given"):
        targets(None, [3], None)
