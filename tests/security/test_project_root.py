"""The ruleset file itself, and the project root it is held to: a symlink out of the project
or to a device, a FIFO, a directory symlinked in from elsewhere; the explicit way out; and a
project file that tries to turn the way out on."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from lsrules import cli
from lsrules.ruleset.containment import ruleset_root

RULESET = "ruleset: r\nrules: []\n"


def _check(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("make,expected", [
    (lambda path, outside: path.symlink_to("/dev/zero"), "outside the project root"),
    (lambda path, outside: path.symlink_to(outside), "outside the project root"),
    (lambda path, outside: os.mkfifo(path), "not a regular file (a FIFO)"),
])
def test_the_ruleset_file_itself(make, expected, tmp_path, capsys):
    project, outside = tmp_path / "project", tmp_path / "outside.yaml"
    project.mkdir()
    outside.write_text(RULESET)
    make(project / "r.yaml", outside)
    code, said = _check(capsys, str(project / "r.yaml"))
    assert code == 2 and expected in said and "r.yaml" in said


def test_a_directory_symlinked_in_is_held_to_the_project_it_appears_in(tmp_path, capsys):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (project / "rulesets").mkdir(parents=True)
    elsewhere.mkdir()
    (project / "lsrules.toml").write_text("")
    (elsewhere / "r.yaml").write_text(RULESET)
    (project / "rulesets" / "linked").symlink_to(elsewhere)
    assert ruleset_root(project / "rulesets" / "linked" / "r.yaml") == project.resolve()
    code, said = _check(capsys, str(project / "rulesets" / "linked" / "r.yaml"))
    assert code == 2 and "outside the project root" in said


def test_files_anywhere_in_the_project_are_fine(tmp_path, capsys):
    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    (project / "rulesets").mkdir()
    (project / "lsrules.toml").write_text("")
    (project / "configs" / "c.xml").write_text(
        '<View><Text name="t" value="$text"/><Choices name="c" toName="t">'
        '<Choice value="A"/></Choices></View>')
    (project / "rulesets" / "r.yaml").write_text(
        "ruleset: r\nlabeling_config: ../configs/c.xml\nrules: []\n")
    assert _check(capsys, str(project / "rulesets" / "r.yaml"))[0] == 0


def test_allow_outside_root_is_the_way_out(tmp_path, capsys):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "c.xml").write_text(
        '<View><Text name="t" value="$text"/><Choices name="c" toName="t">'
        '<Choice value="A"/></Choices></View>')
    (project / "r.yaml").write_text("ruleset: r\nlabeling_config: ../c.xml\nrules: []\n")
    assert _check(capsys, str(project / "r.yaml"))[0] == 2
    assert _check(capsys, "--allow-outside-root", str(project / "r.yaml"))[0] == 0


def test_a_project_file_cannot_allow_outside_root(tmp_path, capsys, monkeypatch):
    (tmp_path / "lsrules.toml").write_text("[defaults.check]\nallow-outside-root = true\n")
    (tmp_path / "r.yaml").write_text(RULESET)
    monkeypatch.chdir(tmp_path)
    code, said = _check(capsys, str(Path("r.yaml")))
    assert code == 2 and "allow-outside-root" in said
