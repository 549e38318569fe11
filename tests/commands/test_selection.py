"""--select / --ignore by rule id, tag or (for check) diagnostic code."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lsrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXPORT = ROOT / "rulesets" / "samples" / "vehicles-export.json"

TAGGED = """\
ruleset: tagged
rules:
  - id: short-text
    tags: [style]
    severity: warning
    assert: len(task.data.text) > 3
  - id: typo-field
    tags: [style, fields]
    severity: warning
    assert: annotation.lead_tme > 1
  - id: also-typo
    assert: annotation.lead_tim > 1
"""


def _fired(path: Path) -> set[str]:
    return {finding["rule"] for line in path.read_text().splitlines()
            for finding in json.loads(line)["findings"]}


def test_run_evaluates_only_the_selected_rules(tmp_path, capsys):
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    ruleset = tmp_path / "rulesets" / "vehicles.yaml"
    everything, selected, ignored = (tmp_path / f"{n}.jsonl" for n in ("all", "sel", "ign"))
    arguments = ["run", str(ruleset), "--input", str(EXPORT), "--fail-on", "never", "-j", "1"]
    assert main([*arguments, "-o", str(everything)]) == 0
    assert {"pedestrian-shape", "box-inside-image", "lc-unknown-label"} <= _fired(everything)
    assert main([*arguments, "-o", str(selected), "--select", "pedestrian-shape,lc-unknown-label"]) == 0
    assert _fired(selected) == {"pedestrian-shape", "lc-unknown-label"}
    # the same with worker processes, which load the ruleset again
    assert main([*arguments[:-2], "-j", "2", "-o", str(ignored), "--ignore", "box-inside-image",
                 "--ignore", "lc-unknown-label"]) == 0
    assert _fired(ignored) == _fired(everything) - {"box-inside-image", "lc-unknown-label"}


def test_an_unknown_name_is_an_error_with_a_suggestion(tmp_path, capsys):
    ruleset = ROOT / "rulesets" / "vehicles.yaml"
    assert main(["run", str(ruleset), "--input", str(EXPORT), "-o", str(tmp_path / "d.jsonl"),
                 "--ignore", "box-inside-imag"]) == 2
    err = capsys.readouterr().err
    assert "--ignore 'box-inside-imag' is no rule id or tag" in err
    assert "did you mean `box-inside-image`" in err
    assert not (tmp_path / "d.jsonl").exists()


@pytest.mark.parametrize("options, expected, code", [
    ([], {"typo-field", "also-typo"}, 1),
    (["--ignore", "style"], {"also-typo"}, 1),
    (["--select", "fields"], {"typo-field"}, 1),
    (["--select", "style", "--ignore", "typo-field"], set(), 0),
    (["--ignore", "LSR112"], set(), 0),
])
def test_check_reports_only_what_is_selected(tmp_path, capsys, options, expected, code):
    ruleset = tmp_path / "tagged.yaml"
    ruleset.write_text(TAGGED)
    assert main(["check", "--format", "json", str(ruleset), *options]) == code
    report = json.loads(capsys.readouterr().out)
    assert {d["rule_id"] for d in report["diagnostics"]} == expected


def test_check_keeps_what_makes_a_file_unusable(tmp_path, capsys):
    ruleset = tmp_path / "broken.yaml"
    ruleset.write_text(TAGGED.replace("severity: warning", "severity: loud", 1))
    assert main(["check", str(ruleset), "--select", "also-typo"]) == 2
    assert "LSR001" in capsys.readouterr().out
