"""A ruleset re-grades pack rules (`overrides:`) and switches them off (`disable:`): the
decision, in both passes, carries the ruleset's severity and none of a disabled rule."""
from __future__ import annotations

from pathlib import Path

import lsrules

ROOT = Path(__file__).resolve().parents[2]

RULESET = """\
ruleset: t
version: "1"
labeling_config: vehicles.xml
extends: [builtin:labeling-config]
{settings}
rules:
  - id: wide
    for: region where region.type == "rectanglelabels"
    when: region.width > 50
    fix: set region.score = 2
"""

# an empty label list (lc-empty-labels, a warning) and a score of 7 (lc-score-out-of-range)
ANNOTATION = {"id": 1, "result": [{
    "id": "a", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
    "score": 7, "value": {"x": 1, "y": 1, "width": 2, "height": 2, "rectanglelabels": []}}]}
TASK = {"id": 1, "data": {"image": "x.jpg"}}


def _engine(tmp_path, settings=""):
    (tmp_path / "vehicles.xml").write_text((ROOT / "rulesets" / "vehicles.xml").read_text())
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.format(settings=settings))
    return lsrules.load(str(path))


def _findings(decision):
    return sorted((f.rule, f.severity) for f in decision.findings)


def test_the_pack_as_it_comes(tmp_path):
    decision = _engine(tmp_path).evaluate(TASK, ANNOTATION)
    assert _findings(decision) == [("lc-empty-labels", "warning"),
                                   ("lc-score-out-of-range", "error")]
    assert decision.verdict == "reject"


def test_overrides_and_disable(tmp_path):
    engine = _engine(tmp_path, "overrides:\n  lc-empty-labels: {severity: error}\n"
                               "disable: [lc-score-out-of-range]")
    decision = engine.evaluate(TASK, ANNOTATION)
    assert _findings(decision) == [("lc-empty-labels", "error")]


def test_a_pack_finding_a_fix_introduces_has_the_overridden_severity(tmp_path):
    """`wide` writes score 2 on a wide box: the second pass finds lc-score-out-of-range."""
    engine = _engine(tmp_path, "overrides:\n  lc-score-out-of-range: {severity: info}")
    wide = {"id": 1, "result": [{**ANNOTATION["result"][0], "score": 0.5, "value": {
        "x": 1, "y": 1, "width": 60, "height": 2, "rectanglelabels": ["Car"]}}]}
    decision = engine.evaluate(TASK, wide)
    introduced = [(f.rule, f.severity) for f in decision.findings if f.introduced_by_fix]
    assert introduced == [("lc-score-out-of-range", "info")]


def test_a_disabled_rule_is_not_found_after_a_fix_either(tmp_path):
    engine = _engine(tmp_path, "disable: [lc-score-out-of-range]")
    wide = {"id": 1, "result": [{**ANNOTATION["result"][0], "score": 0.5, "value": {
        "x": 1, "y": 1, "width": 60, "height": 2, "rectanglelabels": ["Car"]}}]}
    decision = engine.evaluate(TASK, wide)
    assert [f.rule for f in decision.findings if f.rule.startswith("lc-")] == []
