"""The project file: found by walking up, validated with file:line, its defaults and rulesets used."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lsrules.cli import main
from lsrules.project_file import load_project_file
from lsrules.ruleset.project_root import find_project_file, project_root

ROOT = Path(__file__).resolve().parents[2]
VEHICLES = """\
[[projects]]
id = 3
ruleset = "rulesets/vehicles.yaml"
"""


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A repository with the example rulesets, the working directory set to it."""
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    return tmp_path


def test_discovery_walks_up_and_stops_at_the_first_file(project):
    (project / "lsrules.toml").write_text(VEHICLES)
    deep = project / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_file(deep) == project / "lsrules.toml"
    # a pyproject.toml without the table is passed over; with it, it is the nearer file
    (project / "a" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 90\n")
    assert find_project_file(deep) == project / "lsrules.toml"
    (project / "a" / "pyproject.toml").write_text("[tool.lsrules]\nrulesets = []\n")
    assert find_project_file(deep) == project / "a" / "pyproject.toml"
    assert project_root(deep) == project / "a"
    # lsrules.toml wins over pyproject.toml in the same directory
    (project / "a" / "lsrules.toml").write_text("")
    assert find_project_file(deep) == project / "a" / "lsrules.toml"


def test_check_without_arguments_checks_the_bound_rulesets_from_a_subdirectory(
        project, monkeypatch, capsys):
    (project / "lsrules.toml").write_text(VEHICLES + '\n[[projects]]\nid = 4\n'
                                          'ruleset = ["rulesets/ner.yaml"]\n')
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    assert main(["check", "--format", "json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert files == ["../rulesets/vehicles.yaml", "../rulesets/ner.yaml"]


def test_pyproject_table_and_defaults(project, capsys):
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.lsrules]\nrulesets = ["rulesets"]\n\n'
        '[tool.lsrules.defaults.check]\nformat = "github"\nno-tests = true\n')
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Found 0 errors") and "0 tests" in out  # github format, no tests
    assert main(["check", "--format", "json", "rulesets/ner.yaml"]) == 0  # flag wins
    assert json.loads(capsys.readouterr().out)["files"] == ["rulesets/ner.yaml"]


def test_a_directory_argument_checks_the_rulesets_inside(project, capsys):
    assert main(["check", "--format", "json", "--isolated", "rulesets"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert files == sorted(f"rulesets/{p.name}" for p in (ROOT / "rulesets").glob("*.yaml"))
    (project / "empty").mkdir()
    (project / "empty" / "other.yaml").write_text("key: value\n")
    assert main(["check", "empty"]) == 2
    assert "empty: the directory holds no rulesets" in capsys.readouterr().err


def test_no_arguments_and_no_project_file_is_one_line(project, capsys):
    assert main(["test"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no ruleset given" in err


@pytest.mark.parametrize("text, where, message", [
    ('[defaults.check]\nformat = "txt"\n', "lsrules.toml:2:1",
     'defaults.check.format: "txt" is not one of'),
    ('[[projects]]\nid = 1\nruleset = "a.yaml"\n\n[[projects]]\nid = "x"\nruleset = "b.yaml"\n',
     "lsrules.toml:6:1", "projects[1].id: expected an integer"),
    ('[label-studio]\nurl = "localhost"\n', "lsrules.toml:2:1", "label-studio.url"),
    ('[defaults.run]\njbos = 2\n', "lsrules.toml:2:1", 'unknown key "jbos" (did you mean `jobs`?)'),
    ('[[projects]]\nid = 1\nruleset = "../outside.yaml"\n', "lsrules.toml:3:1",
     "outside the project"),
    ('[[projects]]\nid = 1\nruleset = "a.yaml"\n[[projects]]\nid = 1\nruleset = "b.yaml"\n',
     "lsrules.toml:5:1", "project 1 is bound twice"),
    ('[[projects]]\nid = \n', "lsrules.toml:2:6", "not valid TOML"),
])
def test_a_bad_project_file_is_one_line_with_its_place(project, capsys, text, where, message):
    (project / "lsrules.toml").write_text(text)
    assert main(["check", "rulesets/ner.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"lsrules: {where}" in err and message in err, err


def test_pyproject_errors_name_their_line_in_pyproject(project, capsys):
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.lsrules.defaults.run]\nfail-on = "often"\n')
    assert main(["check", "rulesets/ner.yaml"]) == 2
    assert "pyproject.toml:5:1: defaults.run.fail-on" in capsys.readouterr().err


def test_explicit_project_file_and_isolated(project, capsys):
    (project / "team.toml").write_text(VEHICLES)
    (project / "lsrules.toml").write_text('[defaults.check]\nformat = "txt"\n')  # broken
    assert main(["check", "--project-file", "team.toml", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"] == ["rulesets/vehicles.yaml"]
    assert main(["check", "--isolated", "rulesets/ner.yaml"]) == 0
    capsys.readouterr()
    assert main(["check", "--project-file", "missing.toml"]) == 2
    assert "missing.toml: no such project file" in capsys.readouterr().err


def test_label_studio_url_is_the_default_of_ls_url_unless_the_environment_says(
        project, monkeypatch):
    from lsrules.cli import build_parser

    (project / "lsrules.toml").write_text('[label-studio]\nurl = "http://ls.example:8080"\n')
    args = build_parser("sync", ["sync"]).parse_args(["sync", "r.yaml", "--project", "3"])
    assert args.ls_url == "http://ls.example:8080"
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://elsewhere:1")
    args = build_parser("sync", ["sync"]).parse_args(["sync", "r.yaml", "--project", "3"])
    assert args.ls_url == "http://elsewhere:1"


def test_nested_defaults_reach_the_sub_command(project):
    from lsrules.cli import build_parser

    (project / "lsrules.toml").write_text('[defaults.suggest.audit]\ntop = 7\n')
    args = build_parser("suggest", []).parse_args(
        ["suggest", "audit", "r.yaml", "--input", "x.json"])
    assert args.top == 7


def test_bindings_are_read(project):
    (project / "lsrules.toml").write_text(VEHICLES + '[label-studio]\nurl = "http://h:1"\n')
    loaded = load_project_file()
    assert loaded is not None and loaded.url == "http://h:1"
    assert loaded.binding(3).rulesets == ("rulesets/vehicles.yaml",)
    assert loaded.binding(4) is None


def test_the_schema_file_matches_the_commands_options():
    import importlib.util

    spec = importlib.util.spec_from_file_location("project_schema",
                                                  ROOT / "scripts" / "project_schema.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render(module.expected_schema())
    assert (ROOT / "schemas" / "project.schema.json").read_text() == expected, \
        "schemas/project.schema.json is stale: run python scripts/project_schema.py"
