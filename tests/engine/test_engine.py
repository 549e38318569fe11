"""Engine semantics through the public API: verdicts, patches, purity, determinism, safety."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lsrules
from lsrules.engine.patch import apply_patch
from lsrules.errors import LsrulesError


def box(region_id, x, y, width, height, label="Car"):
    return {"id": region_id, "from_name": "label", "to_name": "image", "type": "rectanglelabels",
            "value": {"x": x, "y": y, "width": width, "height": height, "rotation": 0,
                      "rectanglelabels": [label]}}


TASK = {"id": 1, "data": {"image": "/data/1.jpg", "text": "Alice met Bob"}, "meta": {}}


def engine_for(tmp_path: Path, rules: str, extra: str = "") -> lsrules.engine.engine.Engine:
    path = tmp_path / "r.yaml"
    path.write_text("ruleset: t\nversion: \"1\"\nroutes:\n  review: {priority: 10}\n"
                    "  expert: {priority: 20}\n" + extra + "rules:\n" + textwrap.indent(
                        textwrap.dedent(rules), "  "))
    return lsrules.load(path)


@pytest.mark.parametrize("rules, result, verdict, fired", [
    ("- id: a\n  assert: len(regions) > 0\n", [], "reject", ["a"]),
    ("- id: a\n  severity: warning\n  assert: len(regions) > 0\n", [], "accept", ["a"]),
    ("- id: a\n  severity: warning\n  assert: len(regions) > 0\n  route: review\n", [], "review", ["a"]),
    ("- id: a\n  assert: len(regions) > 0\n  route: review\n", [], "reject", ["a"]),
    ("- id: a\n  for: region\n  assert: region.x >= 0\n  fix: set region.x = 0\n",
     [box("r", -3, 0, 5, 5)], "fixed", ["a"]),
    ("- id: a\n  assert: annotation.missing_field > 1\n", [], None, None),  # checker error
    ("- id: a\n  assert: task.data.nothing > 1\n", [], "reject", ["a"]),  # null fails closed
    ("- id: a\n  when: task.data.nothing > 1\n  assert: false\n", [], "accept", []),  # fails open
])
def test_verdicts(tmp_path, rules, result, verdict, fired):
    if verdict is None:
        with pytest.raises(LsrulesError):
            engine_for(tmp_path, rules)
        return
    decision = engine_for(tmp_path, rules).evaluate(TASK, {"id": 2, "result": result})
    assert decision.verdict == verdict
    assert sorted(set(decision.fired)) == fired


def test_highest_priority_route_wins_and_lists_every_rule(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: low
          severity: info
          when: true
          route: review
        - id: high
          severity: info
          when: true
          route: expert
        """)
    route = engine.evaluate(TASK, {"id": 2, "result": []}).route
    assert route == {"name": "expert", "priority": 20, "rules": ["low", "high"]}


def test_fix_patch_applies_to_the_input_and_input_is_not_mutated(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: inside
          for: region where region.type == "rectanglelabels"
          assert: region.x >= 0 and region.x + region.width <= 100
          fix:
            - set region.width = region.width + min(region.x, 0)
            - set region.x = clamp(region.x, 0, 100)
            - set region.width = min(region.width, 100 - region.x)
        - id: alias
          severity: info
          for: region
          when: region.label == "car"
          fix: set region.label = "Car"
        - id: tiny
          for: region
          assert: region.width > 1
          fix: drop region
        """)
    annotation = {"id": 2, "result": [box("a", -5, 0, 20, 10, "car"), box("b", 10, 0, 0.5, 1),
                                      box("c", 95, 0, 10, 10)]}
    before = copy.deepcopy(annotation)
    decision = engine.evaluate(TASK, annotation)
    assert annotation == before
    assert decision.verdict == "fixed"
    assert all(finding.fixed for finding in decision.findings)
    corrected = apply_patch(annotation, decision.patch)
    assert [item["id"] for item in corrected["result"]] == ["a", "c"]
    assert corrected["result"][0]["value"] == {"x": 0, "y": 0, "width": 15, "height": 10,
                                               "rotation": 0, "rectanglelabels": ["Car"]}
    assert corrected["result"][1]["value"]["width"] == 5
    again = engine.evaluate(TASK, corrected)
    assert again.verdict == "accept" and again.patch == []


def test_set_that_changes_nothing_emits_no_operation(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: same
          for: region
          when: true
          fix: set region.x = region.x
        """)
    decision = engine.evaluate(TASK, {"id": 2, "result": [box("a", 1, 1, 1, 1)]})
    assert decision.patch == [] and decision.verdict == "reject"


def record_without_time(decision) -> dict:
    record = decision.to_dict()
    del record["audit"]["time"], record["audit"]["duration_us"]
    return record


def test_deterministic_across_engines_and_processes(tmp_path):
    root = Path(__file__).resolve().parents[2]
    ruleset = root / "rulesets" / "vehicles.yaml"
    annotation = {"id": 9, "lead_time": 1.0, "result": [box("a", -1, 2, 30, 30, "car"),
                                                          box("b", 0, 2, 30, 30)]}
    first = record_without_time(lsrules.load(ruleset).evaluate(TASK, annotation))
    second = record_without_time(lsrules.load(ruleset).evaluate(TASK, annotation))
    script = ("import json, sys, lsrules; r = lsrules.load(sys.argv[1]).evaluate("
              f"{TASK!r}, json.loads(sys.argv[2])).to_dict(); "
              "del r['audit']['time'], r['audit']['duration_us']; print(json.dumps(r))")
    third = json.loads(subprocess.run([sys.executable, "-c", script, str(ruleset),
                                       json.dumps(annotation)], capture_output=True, text=True,
                                      check=True).stdout)
    assert first == second == third
    assert len(first["audit"]["input_sha256"]) == 64


@pytest.mark.parametrize("expression", [
    '__import__("os").system("true")', "region.__class__", "().__class__",
    "task.__class__.__mro__", 'exec("1")', 'eval("1")', "open", "globals()",
])
def test_expressions_cannot_reach_python(tmp_path, expression):
    with pytest.raises(LsrulesError):
        engine_for(tmp_path, f"- id: a\n  for: region\n  assert: '{expression}'\n")


def test_data_keys_that_look_like_python_are_only_data(tmp_path):
    engine = engine_for(tmp_path, '- id: a\n  assert: task.data.x == "__class__"\n')
    assert engine.evaluate({"id": 1, "data": {"x": "__class__"}}, {"id": 2}).verdict == "accept"
    assert engine.evaluate({"id": 1, "data": {"__class__": 1}}, {"id": 2}).verdict == "reject"


def test_wrong_types_in_data_make_the_condition_null_not_a_crash(tmp_path):
    engine = engine_for(tmp_path, "- id: a\n  for: region\n  assert: region.x + 1 > 0\n")
    annotation = {"id": 2, "result": [box("a", "10", 0, 1, 1), {"id": "b", "value": [1]}, 7]}
    decision = engine.evaluate(TASK, annotation)
    assert decision.verdict == "reject"
    assert [finding.region_id for finding in decision.findings] == ["a", "b"]


def test_names_and_types_that_are_lists_or_objects_are_only_data(tmp_path):
    engine = engine_for(tmp_path, "- id: a\n  for: region\n  assert: region.label == \"Car\"\n")
    odd_type = {**box("a", 1, 1, 1, 1), "type": ["rectanglelabels"]}
    odd_from_name = {"id": "a", "from_name": {"x": 1}, "value": {"choices": ["Red"]}}
    decision = engine.evaluate(TASK, {"id": 2, "result": [odd_type, odd_from_name]})
    assert decision.verdict == "accept"  # the label is still found under its key


def test_iou_with_a_region_without_a_box_is_null_in_the_re_check_after_a_fix(tmp_path):
    # the re-check reads the other region's box in a walrus that a null first box skipped
    engine = engine_for(tmp_path, """\
        - id: a
          for: region
          assert: >-
            region.label != "Car"
            and none(iou(region, o) > 0.5 and o.id != region.id for o in regions)
          fix: set region.label = "Other"
        """)
    no_box = {"id": "n", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
              "value": {"rectanglelabels": ["Car"]}}
    decision = engine.evaluate(TASK, {"id": 2, "result": [no_box, box("b", 1, 1, 5, 5)]})
    assert [(f.rule, f.region_id, f.fixed) for f in decision.findings] == [
        ("a", "n", True), ("a", "b", True)]


def test_a_fix_action_reads_the_labels_the_previous_action_wrote(tmp_path):
    # a region's labels are plain slots kept up to date after every write of a fix
    engine = engine_for(tmp_path, """\
        - id: relabel
          severity: info
          for: region
          when: region.label == "car"
          fix:
            - set region.label = "Car"
            - add_label lower(region.label) + "s"
            - remove_label region.labels[0]
        """)
    annotation = {"id": 2, "result": [box("a", 0, 0, 20, 10, "car")]}
    decision = engine.evaluate(TASK, annotation)
    corrected = apply_patch(annotation, decision.patch)
    assert corrected["result"][0]["value"]["rectanglelabels"] == ["cars"]
    assert decision.findings[0].fixed


def test_a_later_rule_of_the_first_pass_reads_the_names_a_fix_wrote(tmp_path):
    # a region's from_name and to_name are slots: a write refreshes them, so the
    # next rule of the same pass sees the corrected item, as the second pass does
    engine = engine_for(tmp_path, """\
        - id: rename-control
          severity: info
          for: region where region.from_name == "lable"
          assert: false
          fix:
            - set region.from_name = "label"
            - set region.to_name = "image"
        - id: sees-the-names
          severity: info
          for: region
          when: region.from_name == "label" and region.to_name == "image"
          route: review
        """)
    item = {**box("a", 1, 1, 5, 5), "from_name": "lable", "to_name": "img"}
    decision = engine.evaluate(TASK, {"id": 2, "result": [item]})
    assert [(f.rule, f.fixed, f.introduced_by_fix) for f in decision.findings] == [
        ("rename-control", True, None), ("sees-the-names", False, None)]
    assert decision.verdict == "review"
