"""Inline tests: a failing test says what the decision holds (each finding: rule, severity,
region, message), and `expect: {findings: [...]}` asserts findings by rule, region, message."""
from __future__ import annotations

from pathlib import Path

import lsrules
from lsrules.engine.testing import run_inline_tests

ROOT = Path(__file__).resolve().parents[2]

WIDE = ("{id: 1, result: [{id: a, from_name: label, to_name: image, type: rectanglelabels, "
        "value: {x: 1, y: 1, width: 60, height: 2, rectanglelabels: [Car]}}]}")
RULESET = """\
ruleset: t
version: "1"
labeling_config: vehicles.xml
rules:
  - id: wide
    for: region where region.type == "rectanglelabels"
    assert: region.width <= 50
    message: "box {region.id} is {region.width} wide"
tests:
  - name: t
    task: {id: 1, data: {image: x}}
    annotation: ANNOTATION
    expect: EXPECT
"""


def _results(tmp_path, expect, annotation=WIDE):
    (tmp_path / "vehicles.xml").write_text((ROOT / "rulesets" / "vehicles.xml").read_text())
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.replace("ANNOTATION", annotation).replace("EXPECT", expect))
    return run_inline_tests(lsrules.load(str(path)))


def test_a_failing_verdict_names_the_findings(tmp_path):
    [result] = _results(tmp_path, "{verdict: accept}")
    assert result.status == "failed"
    assert result.failures == ["verdict 'reject', expected 'accept'",
                               "found wide (error) on region 'a': 'box a is 60 wide'"]


def test_a_failure_without_findings_says_so(tmp_path):
    [result] = _results(tmp_path, "{verdict: reject}", annotation="{id: 1, result: []}")
    assert result.failures == ["verdict 'accept', expected 'reject'",
                               "the decision has no findings (no rule fired)"]


def test_findings_by_rule_region_and_message(tmp_path):
    [result] = _results(tmp_path, '{findings: [{rule: wide, region_id: a, '
                                  'message: "box a is 60 wide", severity: error}]}')
    assert (result.status, result.failures) == ("passed", [])


def test_a_finding_that_differs_is_named_with_the_one_there(tmp_path):
    [result] = _results(tmp_path, '{findings: [{rule: wide, message: "box a is wide"}]}')
    assert result.failures == [
        "no finding {rule: 'wide', message: 'box a is wide'}",
        "unexpected finding wide (error) on region 'a': 'box a is 60 wide'"]


def test_findings_listed_are_all_the_findings(tmp_path):
    [result] = _results(tmp_path, "{findings: []}")
    assert result.failures == [
        "unexpected finding wide (error) on region 'a': 'box a is 60 wide'"]


def test_a_count_of_findings_still_works(tmp_path):
    [result] = _results(tmp_path, "{findings: 1}")
    assert result.status == "passed"
