"""Hostile rulesets, as a pull request could bring them: every file in `rulesets/` is
refused by each command its header names, with one located line and exit 2, and without
side effects (no `PWNED` file, no traceback) -- also when the parse cache was forged to say
that the text passed the schema before.

Each file's header says what to run and what the error must name, and may ask for special
files beside it (a symlink, a FIFO), which a repository can hold but these data files not:

    # setup: symlink zero.xml /dev/zero
    # commands: check run
    # expect: rules[0].id

The ruleset is copied into `project/` of a temporary directory: nothing may appear beside
`project/` either (a model written outside the project, say).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from lsrules import cli
from lsrules.ruleset.cache import fingerprint

CASES = sorted((Path(__file__).parent / "rulesets").glob("*.yaml"))
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
EXPORT = [{"id": 1, "data": {"text": "a"}, "annotations": [{"id": 7, "result": []}]}]


def _setup(case: Path, directory: Path) -> None:
    for line in re.findall(r"^# setup: (.*)$", case.read_text(encoding="utf-8"), re.MULTILINE):
        kind, name, *target = line.split()
        if kind == "symlink":
            (directory / name).symlink_to(target[0])
        elif kind == "fifo":
            os.mkfifo(directory / name)
        else:
            raise AssertionError(f"{case.name}: unknown setup {line!r}")


def _header(path: Path, key: str) -> str:
    match = re.search(rf"^# {key}: (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path.name} has no `# {key}:` line"
    return match.group(1).strip()


def _argv(command: str, ruleset: Path, directory: Path) -> list[str]:
    if command in ("check", "test"):
        return [command, str(ruleset)]
    export = directory / "export.json"
    export.write_text(json.dumps(EXPORT))
    if command == "run":
        return ["run", str(ruleset), "--input", str(export), "--output",
                str(directory / "out.jsonl")]
    if command == "explain":
        return ["explain", str(ruleset), "--input", str(export), "--task", "1"]
    if command == "suggest-fit":
        return ["suggest", "fit", str(ruleset), "--input", str(export)]
    raise AssertionError(f"unknown command in a case header: {command}")


def _forge_schema_verdict(cache: Path, ruleset: Path) -> None:
    """What anyone who can write the cache directory can do: say this text passed."""
    entries = list((cache / "rulesets").glob("*.json"))
    assert entries, "the first check wrote no cache entry to forge"
    sha256 = hashlib.sha256(ruleset.read_text(encoding="utf-8").encode()).hexdigest()
    for entry in entries:
        data = json.loads(entry.read_text())
        data.update(fingerprint=fingerprint(), schema_clean=sha256)
        entry.write_text(json.dumps(data))


def test_there_are_cases():
    assert len(CASES) >= 5


@pytest.mark.parametrize("forged", [False, True], ids=["plain", "forged-cache"])
@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_hostile_ruleset_is_refused(case, forged, tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    project.mkdir()
    ruleset = project / case.name
    shutil.copyfile(case, ruleset)
    _setup(case, project)
    cache = tmp_path / "cache"
    monkeypatch.setenv("LSRULES_CACHE_DIR", str(cache))
    monkeypatch.delenv("LSRULES_NO_CACHE", raising=False)
    monkeypatch.chdir(project)
    expect = _header(case, "expect")
    for command in _header(case, "commands").split():
        if forged:
            cli.main(["check", str(ruleset)])
            _forge_schema_verdict(cache, ruleset)
            capsys.readouterr()
        code = cli.main(_argv(command, ruleset, project))
        out, err = capsys.readouterr()
        said = out + err
        assert code == 2, f"{command}: exit {code}\n{said}"
        assert expect in said, f"{command}: the error does not name {expect!r}\n{said}"
        assert "Traceback" not in said and "internal error" not in said, said
        assert not (project / "PWNED").exists(), f"{command} ran code from the ruleset"
        assert {path.name for path in tmp_path.iterdir()} - {"cache"} == {"project"}, \
            f"{command} wrote outside the project"
        assert f"{ruleset.name}:" in said, f"{command}: no file:line:col\n{said}"
        assert RAW.search(said) is None, f"{command} printed a control character: {said!r}"
