"""`lsrules serve` as a subprocess running every ruleset the project file binds: each
project's webhook judged by its own ruleset, an unbound project refused, SIGHUP reloading
the rulesets and the bindings.
No Label Studio is needed for this (its write-backs wait for it); the tests against a real
one are in test_serve_projects_live.py."""
from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import httpx
from tests.labelstudio.live_helpers import health, wait_for
from tests.labelstudio.server import LsrulesServer
from tests.labelstudio.test_rulesets import FIXTURES, SECOND

from lsrules.labelstudio.store import SQLiteStore

SECRET = "s3cr3t"


def project_directory(tmp_path: Path) -> Path:
    for name in ("sentiment.yaml", "sentiment.xml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "second.yaml").write_text(SECOND)
    project_file = tmp_path / "lsrules.toml"
    project_file.write_text('[[projects]]\nid = 1\nruleset = "sentiment.yaml"\n\n'
                            '[[projects]]\nid = 2\nruleset = "second.yaml"\n')
    return project_file


def event(project: int, annotation_id: int) -> dict:
    return {"action": "ANNOTATION_CREATED", "project": {"id": project},
            "task": {"id": annotation_id, "data": {"text": "t"}},
            "annotation": {"id": annotation_id, "task": annotation_id,
                           "updated_at": "2026-01-01T00:00:00Z",
                           "result": [{"id": "r1", "from_name": "sentiment", "to_name": "text",
                                       "type": "choices", "value": {"choices": ["positive"]}}]}}


def judged(store_path: Path) -> dict[int, str]:
    """annotation id -> the ruleset that judged it, from the audit store."""
    store = SQLiteStore(store_path)
    try:
        return {record["annotation_id"]: record["detail"]["audit"]["ruleset"]
                for record in store.audit_records() if record["kind"] == "decision"}
    finally:
        store.close()


def test_one_serve_runs_each_bound_projects_ruleset_and_reloads_on_sighup(tmp_path):
    """SIGHUP reloads every ruleset, and the project file's bindings."""
    project_file = project_directory(tmp_path)
    server = LsrulesServer([], "http://127.0.0.1:9", "token", SECRET, tmp_path / "store.sqlite",
                           [], extra_arguments=["--project-file", str(project_file),
                                                "--reload-interval", "0"])
    try:
        server.start()
        counts = health(server)
        assert [(entry["ruleset"], entry["projects"]) for entry in counts["rulesets"]] == [
            ("lsrules-live-sentiment@1", [1]), ("second@1", [2])]
        headers = {"X-Webhook-Secret": SECRET}
        answers = [httpx.post(server.hook_url, json=event(project, 10 + project),
                              headers=headers, timeout=10) for project in (1, 2, 3)]
        assert [answer.status_code for answer in answers] == [200, 200, 404]
        assert answers[2].json() == {"error": "project 3 is bound to no ruleset this service "
                                              "runs"}
        wait_for(lambda: len(judged(server.store)) == 2, what="both annotations judged")
        assert judged(server.store) == {11: "lsrules-live-sentiment", 12: "second"}
        assert health(server)["refused_unbound_project"] == 1

        (tmp_path / "second.yaml").write_text(SECOND.replace('version: "1"', 'version: "2"'))
        os.kill(server.process.pid, signal.SIGHUP)
        wait_for(lambda: health(server)["reloads"] == 2, what="both rulesets reloaded")
        counts = health(server)
        assert [entry["ruleset"] for entry in counts["rulesets"]] == [
            "lsrules-live-sentiment@1", "second@2"]
        assert counts["status"] == "UP" and counts["reload_failures"] == 0
        answer = httpx.post(server.hook_url, json=event(2, 20), headers=headers, timeout=10)
        assert answer.status_code == 200
        wait_for(lambda: 20 in judged(server.store), what="the next annotation judged")
        store = SQLiteStore(server.store)
        try:
            versions = {record["annotation_id"]: record["detail"]["audit"]["version"]
                        for record in store.audit_records() if record["kind"] == "decision"}
        finally:
            store.close()
        assert versions == {11: "1", 12: "1", 20: "2"}

        # SIGHUP reads the project file again: project 3, bound since, is served
        project_file.write_text(project_file.read_text()
                                + '\n[[projects]]\nid = 3\nruleset = "second.yaml"\n')
        os.kill(server.process.pid, signal.SIGHUP)
        wait_for(lambda: [entry["projects"] for entry in health(server)["rulesets"]]
                 == [[1], [2, 3]], what="the new binding served")
        answer = httpx.post(server.hook_url, json=event(3, 30), headers=headers, timeout=10)
        assert answer.status_code == 200
        wait_for(lambda: 30 in judged(server.store), what="the newly bound project judged")
        assert judged(server.store)[30] == "second"
    finally:
        server.stop()
    log = server.store.with_suffix(".log").read_text()
    assert "second.yaml for projects 2" in log, log
