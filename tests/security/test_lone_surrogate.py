"""A lone surrogate is valid JSON ("\\ud800") and so can be in any annotation: `run` still
gives that annotation a decision and writes every output as UTF-8, the surrogate kept as
an escape, never an encoding error that stops the whole export."""
from __future__ import annotations

import json

import pytest

from lsrules.cli import main

RULESET = """\
ruleset: surrogates
version: "1"
rules:
  - id: short-text
    assert: len(task.data.text) > 5
    message: "short: {task.data.text}"
  - id: trim-label
    for: region
    when: region.label != trim(region.label)
    fix: set region.label = trim(region.label)
"""
TASK = ('{"id": 1, "data": {"text": "a\\ud800"}, "annotations": [{"id": 2, "result": '
        '[{"id": "r1", "type": "choices", "from_name": "c", "to_name": "t", '
        '"value": {"choices": [" \\udfff "]}}]}]}')


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_keeps_a_lone_surrogate_as_an_escape(tmp_path, jobs):
    ruleset = tmp_path / "surrogates.yaml"
    ruleset.write_text(RULESET, encoding="utf-8")
    export = tmp_path / "export.jsonl"
    export.write_text(TASK + "\n", encoding="utf-8")
    decisions, fixed = tmp_path / "decisions.jsonl", tmp_path / "fixed.jsonl"

    code = main(["run", str(ruleset), "--input", str(export), "--output", str(decisions),
                 "--fixed", str(fixed), "--jobs", jobs, "--fail-on", "never"])

    assert code == 0
    raw = decisions.read_text(encoding="utf-8")
    assert "\\ud800" in raw
    (decision,) = [json.loads(line) for line in raw.splitlines()]
    assert decision["verdict"] == "reject"
    assert [finding["rule"] for finding in decision["findings"]] == ["short-text", "trim-label"]
    assert decision["findings"][0]["message"] == "short: a\ud800"
    (task,) = [json.loads(line) for line in fixed.read_text(encoding="utf-8").splitlines()]
    assert task["annotations"][0]["result"][0]["value"]["choices"] == ["\udfff"]
