"""One `serve` for two projects with different rulesets, against a real Label Studio: each
annotation is judged by its own project's ruleset and lands in its own project's views, an
unbound project's webhook is refused, a ruleset edited while annotations arrive judges the
next annotation with nothing lost or judged twice, and `sync` catches up every bound
project."""
from __future__ import annotations

import shutil
import threading

import pytest
from tests.labelstudio.conftest import FIXTURES
from tests.labelstudio.live_helpers import (
    choice,
    connect,
    create_project,
    health,
    settled,
    task_meta,
    view_task_ids,
    wait_for,
)
from tests.labelstudio.server import LsrulesServer
from tests.labelstudio.test_rulesets import SECOND
from tests.labelstudio.test_serve_projects import judged

from lsrules.cli import main
from lsrules.labelstudio.store import SQLiteStore

pytestmark = pytest.mark.labelstudio
BURST = 12  # annotations saved in the second project while its ruleset is edited


def decision_versions(store_path) -> dict[int, list[str]]:
    """annotation id -> the `ruleset@version` of each of its decisions."""
    store = SQLiteStore(store_path)
    try:
        found: dict[int, list[str]] = {}
        for record in store.audit_records():
            if record["kind"] == "decision":
                audit = record["detail"]["audit"]
                found.setdefault(record["annotation_id"], []).append(
                    f"{audit['ruleset']}@{audit['version']}")
        return found
    finally:
        store.close()


def test_one_serve_judges_two_projects_by_their_own_rulesets_and_reloads_one(
        client, live_environment, webhook_secret, tmp_path, capsys):
    for name in ("sentiment.yaml", "sentiment.xml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    second = tmp_path / "second.yaml"
    second.write_text(SECOND)
    first_project = create_project(client, FIXTURES / "sentiment.yaml", "first ruleset")
    second_project = create_project(client, FIXTURES / "sentiment.yaml", "second ruleset")
    unbound = create_project(client, FIXTURES / "sentiment.yaml", "unbound")
    project_file = tmp_path / "lsrules.toml"
    project_file.write_text(f'[[projects]]\nid = {first_project}\nruleset = "sentiment.yaml"\n\n'
                            f'[[projects]]\nid = {second_project}\nruleset = "second.yaml"\n')
    with_file = ["--project-file", str(project_file), "--ls-url", live_environment.url]
    server = LsrulesServer([], live_environment.url, live_environment.token,
                           webhook_secret, tmp_path / "store.sqlite",
                           [], extra_arguments=["--project-file", str(project_file),
                                                "--reload-interval", "0.5"])
    try:
        server.start()
        assert main(["connect", "--hook-url", server.hook_url, *with_file]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert [line.split(":")[0] for line in lines] == [f"project {first_project}",
                                                          f"project {second_project}"]
        assert "lsrules: review" in lines[0] and "lsrules: second" in lines[1]
        connect(FIXTURES / "sentiment.yaml", unbound, server.hook_url, live_environment.url,
                capsys)  # its webhook reaches the same service

        stray = client.tasks.create(project=unbound, data={"text": "elsewhere"})
        client.annotations.create(id=stray.id, result=choice("positive"), lead_time=3.0)
        first_task = client.tasks.create(project=first_project, data={"text": "one"})
        first = client.annotations.create(id=first_task.id, result=choice("positive"))
        second_task = client.tasks.create(project=second_project, data={"text": "two"})
        before = client.annotations.create(id=second_task.id, result=choice("positive"))
        wait_for(lambda: {first.id, before.id} <= set(judged(server.store)) and settled(server),
                 timeout=120, what="both projects' annotations judged and written")
        assert judged(server.store) == {first.id: "lsrules-live-sentiment",
                                        before.id: "second"}
        assert health(server)["refused_unbound_project"] >= 1
        assert "lsrules" not in task_meta(client, stray.id)
        # the first ruleset corrects the label; the second routes it and corrects nothing
        assert client.annotations.get(first.id).result[0]["value"]["choices"] == ["Positive"]
        assert client.annotations.get(before.id).result[0]["value"]["choices"] == ["positive"]
        assert task_meta(client, second_task.id)["lsrules_route"] == "second"
        assert view_task_ids(client, second_project, "lsrules: second") == {second_task.id}

        # edit the second ruleset while its project's annotations keep arriving
        tasks = [client.tasks.create(project=second_project, data={"text": f"t{n}"})
                 for n in range(BURST)]
        saved: list[int] = []
        errors: list[BaseException] = []

        def annotate() -> None:
            try:
                for task in tasks:
                    saved.append(client.annotations.create(id=task.id,
                                                           result=choice("Negative")).id)
            except BaseException as error:  # reported by the main thread
                errors.append(error)

        saver = threading.Thread(target=annotate)
        saver.start()
        wait_for(lambda: len(saved) >= BURST // 3, what="some annotations saved")
        second.write_text(SECOND.replace('version: "1"', 'version: "2"'))
        saver.join()
        assert not errors and len(saved) == BURST
        wait_for(lambda: health(server)["reloads"] >= 1, what="the edited ruleset reloaded")
        after_task = client.tasks.create(project=second_project, data={"text": "after"})
        after = client.annotations.create(id=after_task.id, result=choice("Negative"))
        wait_for(lambda: set(saved) | {after.id} <= set(judged(server.store))
                 and settled(server), timeout=120, what="every annotation judged and written")
        counts = health(server)
        assert counts["reload_failures"] == 0
        assert [entry["ruleset"] for entry in counts["rulesets"]] == [
            "lsrules-live-sentiment@1", "second@2"]
        versions = decision_versions(server.store)
        # nothing lost, nothing judged twice, each by the ruleset running when it was taken
        assert all(len(versions[annotation_id]) == 1 for annotation_id in saved)
        assert {versions[annotation_id][0] for annotation_id in saved} <= {"second@1",
                                                                          "second@2"}
        assert versions[after.id] == ["second@2"]
        assert task_meta(client, after_task.id)["lsrules"][str(after.id)]["ruleset"] == \
            "second@2"
        for task in tasks:
            assert task_meta(client, task.id)["lsrules_route"] == "second"

        # sync catches up every bound project, each with its own ruleset: nothing new
        assert main(["sync", *with_file, "--store", str(server.store), "--timeout", "120"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith(f"project {first_project}: 1 annotations seen, 0 queued")
        assert out[1].startswith(f"project {second_project}: {BURST + 2} annotations seen, "
                                 "0 queued")
        assert out[2].startswith("this run evaluated 0,") and out[2].endswith("all written back")
    finally:
        server.stop()

