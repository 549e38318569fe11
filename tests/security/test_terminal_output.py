"""Control characters from rulesets and data are escaped in what lsrules prints for people
(`check`'s text, `test`, `explain`, `run`'s summary, `audit --format table`): no escape
sequence reaches the terminal or a CI log, and a lone surrogate does not stop the output."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lsrules import cli
from lsrules.terminal import visible

DATA = Path(__file__).parent / "output"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@pytest.mark.parametrize("argv,code", [
    (["check", "{ruleset}"], 1),
    (["test", "{ruleset}"], 1),
    (["explain", "{ruleset}", "--input", "{export}", "--task", "1"], 0),
    (["run", "{ruleset}", "--input", "{export}", "--output", "{directory}/out.jsonl",
      "--fail-on", "never"], 0),
])
def test_printed_text_has_no_raw_control_characters(argv, code, tmp_path, capsys):
    for name in ("control-characters.yaml", "export.json"):
        shutil.copyfile(DATA / name, tmp_path / name)
    values = dict(ruleset=tmp_path / "control-characters.yaml", export=tmp_path / "export.json",
                  directory=tmp_path)
    assert cli.main([part.format(**values) for part in argv]) == code
    out, err = capsys.readouterr()
    assert RAW.search(out + err) is None, repr(out + err)
    assert "\\x1b" in out + err  # escaped, not dropped


def test_audit_table_lines_escape_data():
    from lsrules.labelstudio.commands import table_line

    line = table_line({"time": "2024-05-01T00:00:00Z", "kind": "stream:x\x1b[2J",
                       "task_id": "1\x9b31m", "annotation_id": 7, "status": "done\u202e"})
    assert RAW.search(line) is None and "\\x1b[2J" in line and "\\u202e" in line


def test_visible_escapes_only_what_is_unsafe():
    assert visible("Car, café, 車 ✓") == "Car, café, 車 ✓"
    assert visible("a\nb\x1b\x9b\x7f\u202e\ud800") == "a\\x0ab\\x1b\\x9b\\x7f\\u202e\\ud800"
