"""`lsrules run --format`: the summary for CI (github, junit, markdown) next to the decisions."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from lsrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
RULESET = ROOT / "rulesets" / "vehicles.yaml"
EXPORT = ROOT / "rulesets" / "samples" / "vehicles-export.json"


def _run(tmp_path, *options) -> tuple[int, Path]:
    decisions = tmp_path / "decisions.jsonl"
    code = main(["run", str(RULESET), "--input", str(EXPORT), "-o", str(decisions), *options])
    return code, decisions


def _expected(decisions: Path) -> tuple[dict, dict]:
    """Per rule: its findings, and those of severity error that were not fixed."""
    fired: dict[str, int] = {}
    stayed: dict[str, int] = {}
    for line in decisions.read_text().splitlines():
        findings = json.loads(line)["findings"]
        for finding in findings:
            rule = finding["rule"]
            fired[rule] = fired.get(rule, 0) + 1
            if finding["severity"] == "error" and not finding["fixed"]:
                stayed[rule] = stayed.get(rule, 0) + 1
    return fired, stayed


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_github_annotations_name_each_rule_with_its_count(tmp_path, capsys, jobs):
    code, decisions = _run(tmp_path, "--format", "github", "-j", jobs)
    assert code == 1  # some rejects
    err = capsys.readouterr().err.splitlines()
    fired, stayed = _expected(decisions)
    assert len(err) == len(fired) + 1
    for rule, count in fired.items():
        line = next(line for line in err if f"title=vehicles-bbox%3A {rule}::" in line)
        assert f"::{rule}: {count} finding" in line
        assert line.startswith("::error " if rule in stayed else ("::warning ", "::notice "))
        assert "; first: task " in line
    assert err[-1].startswith("::notice title=lsrules run vehicles-bbox::40 annotations: ")


def test_junit_has_a_case_per_rule_failing_where_errors_stayed(tmp_path):
    summary = tmp_path / "run.xml"
    code, decisions = _run(tmp_path, "--format", "junit", "--summary", str(summary))
    fired, stayed = _expected(decisions)
    suite = ElementTree.parse(summary).getroot().find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(fired) <= set(cases) and "box-inside-image" in cases
    failing = {name for name, case in cases.items() if case.find("failure") is not None}
    assert failing == set(stayed) and failing
    assert suite.get("failures") == str(len(failing))


def test_markdown_summary_for_a_job_page(tmp_path, capsys):
    summary = tmp_path / "summary.md"
    code, decisions = _run(tmp_path, "--format", "markdown", "--summary", str(summary),
                           "--fail-on", "never")
    assert code == 0 and capsys.readouterr().err == ""
    text = summary.read_text()
    assert text.startswith("## lsrules run: vehicles-bbox\n")
    verdicts = {}
    for line in decisions.read_text().splitlines():
        verdict = json.loads(line)["verdict"]
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    for verdict, count in verdicts.items():
        assert f"| {verdict} | {count} |" in text
    fired, stayed = _expected(decisions)
    for rule, count in fired.items():
        assert f"| `{rule}` | {count} | {stayed.get(rule, 0)} |" in text
    assert "result\\[2\\]" in text  # a message's markup is escaped


def test_quiet_says_nothing_and_text_is_the_default(tmp_path, capsys):
    _run(tmp_path, "--quiet", "--fail-on", "never")
    assert capsys.readouterr().err == ""
    _run(tmp_path, "--fail-on", "never")
    err = capsys.readouterr().err
    assert err.startswith("40 annotations: ") and "top rules:" in err and "\x1b[" not in err


def test_input_format_names_the_export_format(tmp_path):
    code, decisions = _run(tmp_path, "--input-format", "json", "--fail-on", "never")
    assert code == 0 and len(decisions.read_text().splitlines()) == 40
