"""Fixes are validated: the verdict judges the corrected annotation (the second pass)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema

import lsrules
from lsrules.dsl.compiler.effects import fix_writes, rule_reads
from lsrules.dsl.parser import parse, parse_action

ROOT = Path(__file__).resolve().parents[2]
DECISION_SCHEMA = json.loads((ROOT / "schemas" / "decision.schema.json").read_text())
CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car"/><Label value="Truck"/>
  </RectangleLabels>
</View>
"""
TASK = {"id": 1, "data": {"image": "/data/1.jpg"}, "meta": {}}


def box(region_id, x, y, width, height, label="Car"):
    return {"id": region_id, "from_name": "label", "to_name": "image",
            "type": "rectanglelabels", "original_width": 100, "original_height": 100,
            "value": {"x": x, "y": y, "width": width, "height": height, "rotation": 0,
                      "rectanglelabels": [label]}}


def engine_for(tmp_path: Path, rules: str, pack: bool = False) -> lsrules.engine.engine.Engine:
    (tmp_path / "config.xml").write_text(CONFIG)
    extends = "extends: [builtin:labeling-config]\n" if pack else ""
    path = tmp_path / "r.yaml"
    path.write_text("ruleset: t\nversion: \"1\"\nlabeling_config: config.xml\n"
                    "routes:\n  review: {priority: 10}\n" + extends + "rules:\n"
                    + textwrap.indent(textwrap.dedent(rules), "  "))
    return lsrules.load(path)


def summary(decision):
    return [(f.rule, f.region_id, f.fixed, f.introduced_by_fix) for f in decision.findings]


def test_a_fix_that_writes_a_label_the_config_lacks_rejects(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: rename
          severity: info
          for: region where region.label == "Car"
          assert: false
          fix: set region.label = region.label + "s"
        """, pack=True)
    decision = engine.evaluate(TASK, {"id": 2, "result": [box("a", 10, 10, 5, 5)]})
    assert decision.verdict == "reject"
    assert [(f.rule, f.fixed, f.introduced_by_fix) for f in decision.findings] == [
        ("rename", True, None), ("lc-unknown-label", False, ["rename"])]
    record = decision.to_dict()
    jsonschema.validate(record, DECISION_SCHEMA)
    assert record["findings"][1]["introduced_by_fix"] == ["rename"]
    assert "introduced_by_fix" not in record["findings"][0]


def test_a_fix_that_moves_a_box_out_of_the_image_rejects(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: inside
          for: region
          assert: region.x + region.width <= 100
        - id: shift
          severity: info
          for: region where region.x < 5
          assert: false
          fix: set region.x = region.x + 99
        """)
    decision = engine.evaluate(TASK, {"id": 2, "result": [box("a", 1, 1, 5, 5)]})
    assert decision.verdict == "reject"
    assert summary(decision) == [("shift", "a", True, None), ("inside", "a", False, ["shift"])]


def test_a_finding_on_a_region_a_later_rule_drops_no_longer_rejects(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: wide
          for: region
          assert: region.width < 50
        - id: tiny
          severity: info
          for: region
          assert: region.height > 1
          fix: drop region
        """)
    decision = engine.evaluate(TASK, {"id": 2, "result": [box("a", 1, 1, 60, 0.5),
                                                          box("b", 1, 1, 10, 10)]})
    assert decision.verdict == "fixed"
    assert summary(decision) == [("wide", "a", True, None), ("tiny", "a", True, None)]


def test_another_rules_fix_can_fix_a_finding(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: known
          for: region
          assert: region.label in ["Car", "Truck"]
        - id: alias
          severity: info
          for: region where region.label == "auto"
          assert: false
          fix: set region.label = "Car"
        """)
    decision = engine.evaluate(TASK, {"id": 2, "result": [box("a", 1, 1, 5, 5, "auto")]})
    assert decision.verdict == "fixed"
    assert summary(decision) == [("known", "a", True, None), ("alias", "a", True, None)]


def test_a_fix_that_does_not_repair_its_own_finding_leaves_it(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: positive
          for: region
          assert: region.x > 0
          fix: set region.x = -1
        """)
    decision = engine.evaluate(TASK, {"id": 2, "result": [box("a", -5, 1, 5, 5)]})
    assert decision.verdict == "reject"
    assert summary(decision) == [("positive", "a", False, None)]


def test_an_introduced_finding_requests_its_route(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: small
          severity: warning
          for: region
          assert: region.width < 50
          route: review
        - id: grow
          severity: info
          for: region where region.width < 10
          assert: false
          fix: set region.width = 80
        """)
    decision = engine.evaluate(TASK, {"id": 2, "result": [box("a", 1, 1, 5, 5)]})
    assert decision.verdict == "review"
    assert decision.route["rules"] == ["small"]
    assert summary(decision) == [("grow", "a", True, None), ("small", "a", False, ["grow"])]


def test_task_meta_writes_are_seen_by_the_second_pass(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: flagged
          when: task.meta.flag == "bad"
          assert: false
        - id: flag
          severity: info
          assert: task.meta.flag == "bad"
          fix: set task.meta.flag = "bad"
        """)
    decision = engine.evaluate(TASK, {"id": 2, "result": []})
    assert decision.verdict == "reject"
    assert summary(decision) == [("flag", None, True, None), ("flagged", None, False, ["flag"])]


def test_the_shortcut_runs_again_only_the_rules_that_read_what_fixes_write(tmp_path):
    engine = engine_for(tmp_path, """\
        - id: reads-x
          for: region
          assert: region.x >= 0
          fix: set region.x = 0
        - id: reads-label
          for: region
          assert: region.label != "x"
        - id: reads-count
          assert: len(regions) < 100
        - id: reads-others
          for: region
          assert: none(o.x == region.x and o.id != region.id for o in regions)
        - id: reads-all
          for: region
          assert: region.value.score != 2
        - id: drops
          for: region
          assert: region.width > 0
          fix: drop region
        - id: relabels
          for: region
          assert: region.height > 0
          fix: set region.label = "Car"
        """)
    ids = [rule.id for rule in engine.rules]
    named = {ids[index]: ([ids[other] for other in every], [ids[other] for other in written])
             for index, (every, written) in enumerate(engine.affected)}
    # (again on every region, again only on the regions a fix wrote)
    assert named["reads-x"] == (["reads-others"], ["reads-x"])
    assert named["drops"] == (["reads-count", "reads-others"], [])
    assert named["relabels"] == ([], ["reads-label", "reads-all"])
    assert named["reads-label"] == ([], [])


def test_reads_and_writes():
    assert rule_reads([parse("any(o.label == 'Car' and overlaps(o, region) for o in regions)")],
                      "region") == {("regions",), ("region", "label"), ("region", "value")}
    assert rule_reads([parse("task.data.items[0].x > annotation.lead_time")], "annotation") == {
        ("task", "data", "items"), ("annotation", "lead_time")}
    assert rule_reads([parse("all(t != '' for t in region.value.text)")], "region") == {
        ("region", "value", "text"), ("region", "label")}
    assert rule_reads([parse("unknown_name > 1")], "annotation") == {()}
    assert fix_writes([parse_action("set region.x = 1"), parse_action("add_label 'Car'"),
                       parse_action("set task.meta.seen = true")]) == {
        ("region", "value", "x"), ("region", "label"), ("task", "meta", "seen")}
    assert fix_writes([parse_action("set region.value.choices = ['a']")]) == {
        ("region", "value", "choices"), ("region", "label")}
    assert fix_writes([parse_action("drop region")]) == {("regions",)}
