"""One `serve` and the project file, against a real Label Studio: `connect` registers the
bound project's webhook and views, the bound project's annotations are judged, an unbound project's webhooks are refused with 404 (nothing
evaluated or written) and counted in /health."""
from __future__ import annotations

import shutil

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
from tests.labelstudio.server import LsrulesServer

from lsrules.cli import main

pytestmark = pytest.mark.labelstudio
RULESET = FIXTURES / "sentiment.yaml"


def test_serve_judges_the_bound_project_and_refuses_another(client, live_environment, tmp_path,
                                                            webhook_secret, capsys):
    for name in ("sentiment.yaml", "sentiment.xml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    bound = create_project(client, RULESET, "bound project")
    unbound = create_project(client, RULESET, "unbound project")
    project_file = tmp_path / "lsrules.toml"
    project_file.write_text(f'[[projects]]\nid = {bound}\nruleset = "sentiment.yaml"\n')
    server = LsrulesServer([], live_environment.url, live_environment.token, webhook_secret,
                           tmp_path / "store.sqlite", [],
                           extra_arguments=["--project-file", str(project_file)])
    try:
        server.start()
        # connect without RULESET or --project: every project the file binds
        assert main(["connect", "--hook-url", server.hook_url, "--ls-url",
                     live_environment.url, "--project-file", str(project_file)]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"project {bound}: webhook ") and out.count("\n") == 1
        assert "lsrules: review" in out  # the views of the bound ruleset's routes
        # the unbound project's webhook points at the same service
        connect(RULESET, unbound, server.hook_url, live_environment.url, capsys)
        other_task = client.tasks.create(project=unbound, data={"text": "elsewhere"})
        client.annotations.create(id=other_task.id, result=choice("positive"), lead_time=3.0)
        wait_for(lambda: health(server).get("refused_unbound_project", 0) >= 1,
                 what="the unbound project's webhook refused")
        task = client.tasks.create(project=bound, data={"text": "here"})
        annotation = client.annotations.create(id=task.id, result=choice("positive"),
                                               lead_time=3.0)
        wait_for(lambda: "lsrules" in task_meta(client, task.id) and settled(server),
                 what="the bound project's annotation judged")
        assert task_meta(client, task.id)["lsrules"][str(annotation.id)]["verdict"] == "fixed"
        assert "lsrules" not in task_meta(client, other_task.id)
        counts = health(server)
        assert counts["refused_unbound_project"] >= 1
        assert counts.get("events_done", 0) >= 1
    finally:
        server.stop()
