"""`lsrules init --project ID` against a real Label Studio: the project's labeling config is
read through the API, a starter ruleset written beside it, and the project bound to it in
the project file, after which `lsrules check` with no arguments checks it."""
from __future__ import annotations

from pathlib import Path

import pytest

from lsrules.cli import main
from lsrules.ruleset.project_root import toml_module

tomllib = toml_module()

pytestmark = pytest.mark.labelstudio
ROOT = Path(__file__).resolve().parents[2]


def test_init_writes_the_ruleset_and_the_binding(client, live_environment, tmp_path,
                                                  monkeypatch, capsys):
    xml = (ROOT / "rulesets" / "vehicles.xml").read_text()
    project_id = client.projects.create(title="Street Vehicles", label_config=xml).id
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)

    assert main(["init", "--project", str(project_id), "--ls-url", live_environment.url]) == 0
    assert "street-vehicles.yaml" in capsys.readouterr().err
    ruleset = tmp_path / "rulesets" / "street-vehicles.yaml"
    config = tmp_path / "rulesets" / "street-vehicles.xml"
    assert 'name="label"' in config.read_text()  # the config as Label Studio holds it
    assert "labeling_config: street-vehicles.xml" in ruleset.read_text()
    written = tomllib.loads((tmp_path / "lsrules.toml").read_text())
    assert written == {"label-studio": {"url": live_environment.url},
                       "projects": [{"id": project_id,
                                     "ruleset": "rulesets/street-vehicles.yaml"}]}

    assert main(["check"]) == 0, capsys.readouterr().out  # the starter passes its own test
    capsys.readouterr()

    # a second project, found through the file's URL, appended to the same file
    other = client.projects.create(title="Reviews", label_config=(
        ROOT / "rulesets" / "sentiment.xml").read_text()).id
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert main(["init", "--project", str(other)]) == 0, capsys.readouterr().err
    written = tomllib.loads((tmp_path / "lsrules.toml").read_text())
    assert [p["id"] for p in written["projects"]] == [project_id, other]
    assert (tmp_path / "rulesets" / "reviews.yaml").is_file()
    assert main(["check", "--format", "json"]) == 0
    capsys.readouterr()

    # binding a project twice is refused before anything is written or fetched
    before = (tmp_path / "lsrules.toml").read_text()
    assert main(["init", "--project", str(other)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"project {other} is bound already" in err
    assert (tmp_path / "lsrules.toml").read_text() == before


def test_a_project_that_does_not_exist_is_one_line(live_environment, tmp_path, monkeypatch,
                                                    capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--project", "987654", "--ls-url", live_environment.url]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "refused to read project 987654: HTTP 404" in err
    assert list(tmp_path.iterdir()) == []
