"""Fixes that write a region's per-region answers (`set region.attrs.C.K = ...`) and the
action that adds a missing answer (`add_item "C" = ...`): what they write, that later rules
of the same pass see it, and that the second pass judges what they wrote."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import lsrules
from lsrules.engine.engine import check_and_load
from lsrules.engine.patch import apply_patch
from lsrules.errors import LsrulesError

CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car"/><Label value="Truck"/>
  </RectangleLabels>
  <Choices name="colour" toName="image" perRegion="true">
    <Choice value="Red"/><Choice value="Blue"/>
  </Choices>
  <TextArea name="plate" toName="image" perRegion="true"/>
  <Choices name="quality" toName="image" required="true" choice="single">
    <Choice value="Good"/><Choice value="Blurry"/>
  </Choices>
  <Rating name="stars" toName="image" maxRating="5"/>
  <Taxonomy name="topic" toName="image">
    <Choice value="Road"><Choice value="Highway"/></Choice>
  </Taxonomy>
</View>
"""
TASK = {"id": 1, "data": {"image": "/data/1.jpg"}}


def box(region_id, label="Car"):
    return {"id": region_id, "from_name": "label", "to_name": "image",
            "type": "rectanglelabels", "original_width": 100, "original_height": 100,
            "value": {"x": 10, "y": 10, "width": 5, "height": 5, "rotation": 0,
                      "rectanglelabels": [label]}}


def colour(region_id, choices):
    return {"id": region_id, "from_name": "colour", "to_name": "image", "type": "choices",
            "value": {"choices": choices}}


QUALITY = {"from_name": "quality", "to_name": "image", "type": "choices",
           "value": {"choices": ["Good"]}}


def write(tmp_path: Path, rules: str, config: bool = True, pack: bool = True) -> Path:
    (tmp_path / "config.xml").write_text(CONFIG)
    path = tmp_path / "r.yaml"
    path.write_text("ruleset: t\nversion: \"1\"\n"
                    + ("labeling_config: config.xml\n" if config else "")
                    + ("extends: [builtin:labeling-config]\n" if pack else "")
                    + "routes:\n  review: {priority: 10}\nrules:\n"
                    + textwrap.indent(textwrap.dedent(rules), "  "))
    return path


def evaluate(tmp_path, rules, result, **options):
    engine = lsrules.load(write(tmp_path, rules, **options))
    annotation = {"id": 2, "result": result}
    decision = engine.evaluate(TASK, annotation)
    corrected = apply_patch(annotation, decision.patch)
    return decision, corrected


def summary(decision):
    return [(f.rule, f.region_id, f.fixed, f.introduced_by_fix) for f in decision.findings]


def test_setting_an_answer_the_region_has_replaces_it(tmp_path):
    decision, corrected = evaluate(tmp_path, """\
        - id: trucks-are-red
          severity: info
          for: region where region.label == "Truck"
          assert: region.attrs.colour.choices == ["Red"]
          fix: set region.attrs.colour.choices = ["Red"]
        """, [box("a", "Truck"), colour("a", ["Blue"]), QUALITY])
    assert decision.patch == [{"op": "replace", "path": "/result/1/value/choices",
                               "value": ["Red"]}]
    assert corrected["result"][1]["value"] == {"choices": ["Red"]}
    assert summary(decision) == [("trucks-are-red", "a", True, None)]
    assert decision.verdict == "fixed"


def test_setting_an_answer_the_region_lacks_adds_its_item(tmp_path):
    # the new item has the region's id (Label Studio's per-region answer), the control's
    # type and the region's object; a later rule of the same pass reads it already
    decision, corrected = evaluate(tmp_path, """\
        - id: colour-missing
          severity: info
          for: region where region.type == "rectanglelabels"
          assert: region.attrs.colour != null
          fix: set region.attrs.colour.choices = ["Blue"]
        - id: sees-the-colour
          severity: warning
          for: region where region.attrs.colour.choices == ["Blue"]
          assert: false
        """, [box("a"), box("b"), colour("b", ["Red"]), QUALITY])
    added = {"id": "a", "from_name": "colour", "to_name": "image", "type": "choices",
             "value": {"choices": ["Blue"]}}
    assert decision.patch == [{"op": "add", "path": "/result/-", "value": added}]
    assert corrected["result"][-1] == added
    assert summary(decision) == [("colour-missing", "a", True, None),
                                 ("sees-the-colour", "a", False, None)]
    assert decision.verdict == "fixed"


def test_an_answer_key_says_the_type_when_there_is_no_config(tmp_path):
    decision, corrected = evaluate(tmp_path, """\
        - id: note
          severity: info
          for: region
          assert: region.attrs.plate != null
          fix: set region.attrs.plate.text = ["unknown"]
        """, [box("a")], config=False, pack=False)
    assert corrected["result"][-1] == {"id": "a", "from_name": "plate", "to_name": "image",
                                       "type": "textarea", "value": {"text": ["unknown"]}}
    assert decision.verdict == "fixed"


def test_an_answer_the_config_lacks_is_introduced_by_the_fix(tmp_path):
    # the label is computed, so check cannot see it: the second pass does
    decision, _ = evaluate(tmp_path, """\
        - id: shout
          severity: info
          for: region where region.attrs.colour.choices == ["Red"]
          assert: false
          fix: set region.attrs.colour.choices = [upper(region.attrs.colour.choices[0])]
        """, [box("a"), colour("a", ["Red"]), QUALITY])
    assert summary(decision) == [("shout", "a", True, None),
                                 ("lc-unknown-label", "a", False, ["shout"])]
    assert decision.verdict == "reject"


def test_a_region_without_an_id_gets_no_answer(tmp_path):
    # an item without an id joins no region: nothing to attach the answer to
    item = box("x")
    del item["id"]
    decision, corrected = evaluate(tmp_path, """\
        - id: colour-missing
          severity: info
          for: region where region.type == "rectanglelabels"
          assert: region.attrs.colour != null
          fix: set region.attrs.colour.choices = ["Blue"]
        """, [item, QUALITY], pack=False)
    assert decision.patch == []
    assert summary(decision) == [("colour-missing", None, False, None)]


def test_per_region_meta_is_set_on_the_region_item(tmp_path):
    decision, corrected = evaluate(tmp_path, """\
        - id: note-small
          severity: info
          for: region where region.width < 10
          assert: region.meta.text != null
          fix: set region.meta.text = ["small, check it"]
        """, [box("a"), QUALITY])
    assert decision.patch == [{"op": "add", "path": "/result/0/meta", "value": {}},
                              {"op": "add", "path": "/result/0/meta/text",
                               "value": ["small, check it"]}]
    assert corrected["result"][0]["meta"] == {"text": ["small, check it"]}
    assert decision.verdict == "fixed"


def test_add_item_adds_a_missing_answer_once(tmp_path):
    # the pack's `required` finding is fixed too: the corrected annotation has the answer
    rules = """\
        - id: quality-missing
          severity: info
          when: annotation.was_cancelled != true
          assert: any(r.from_name == "quality" for r in regions)
          fix: add_item "quality" = "Good"
        - id: sees-the-answer
          severity: warning
          assert: count(r.from_name == "quality" for r in regions) == 0
        """
    decision, corrected = evaluate(tmp_path, rules, [box("a")])
    added = {"from_name": "quality", "to_name": "image", "type": "choices",
             "value": {"choices": ["Good"]}}
    assert decision.patch == [{"op": "add", "path": "/result/-", "value": added}]
    assert corrected["result"] == [box("a"), added]
    assert summary(decision) == [("lc-required-missing", None, True, None),
                                 ("quality-missing", None, True, None),
                                 ("sees-the-answer", None, False, None)]
    assert decision.verdict == "fixed"
    (tmp_path / "again").mkdir()
    decision, corrected = evaluate(tmp_path / "again", rules.rstrip(" ") + """\
        - id: twice
          severity: info
          assert: false
          fix: add_item "quality" = "Blurry"
        """, [box("a")])
    assert [item["from_name"] for item in corrected["result"]] == ["label", "quality"]


@pytest.mark.parametrize("control, value, expected", [
    ("stars", "4", {"rating": 4}),
    ("topic", '["Road", "Highway"]', {"taxonomy": [["Road", "Highway"]]}),
    ("quality", '["Blurry"]', {"choices": ["Blurry"]}),
])
def test_add_item_writes_under_the_controls_key(tmp_path, control, value, expected):
    decision, corrected = evaluate(tmp_path, f"""\
        - id: add
          severity: info
          assert: false
          fix: add_item "{control}" = {value}
        """, [QUALITY] if control != "quality" else [])
    assert [item["value"] for item in corrected["result"] if item["from_name"] == control] \
        == [expected]
    assert decision.verdict == "fixed"


def test_add_item_on_a_per_region_control_joins_the_region(tmp_path):
    decision, corrected = evaluate(tmp_path, """\
        - id: plate-missing
          severity: info
          for: region where region.type == "rectanglelabels"
          assert: region.attrs.plate != null
          fix: add_item "plate" = "unreadable"
        """, [box("a"), box("b"), {"id": "b", "from_name": "plate", "to_name": "image",
                                   "type": "textarea", "value": {"text": ["AB 12"]}}, QUALITY])
    assert corrected["result"][-1] == {"id": "a", "from_name": "plate", "to_name": "image",
                                       "type": "textarea", "value": {"text": ["unreadable"]}}
    assert summary(decision) == [("plate-missing", "a", True, None)]


def test_add_item_with_a_computed_label_the_config_lacks_rejects(tmp_path):
    decision, _ = evaluate(tmp_path, """\
        - id: quality-missing
          severity: info
          assert: any(r.from_name == "quality" for r in regions)
          fix: add_item "quality" = lower("Good")
        """, [box("a")])
    assert ("lc-unknown-label", None, False, ["quality-missing"]) in summary(decision)
    assert decision.verdict == "reject"


@pytest.mark.parametrize("action, scope, code, part", [
    ('add_item "label" = "Car"', "", "LSR119", "is a RectangleLabels"),
    ('add_item "colour" = "Red"', "", "LSR119", "answers per region"),
    ('add_item "qualty" = "Good"', "", "LSR130", 'no control named "qualty" (quality)'),
    ('add_item "quality" = "Sharp"', "", "LSR132", '"Sharp" is not a label of "quality"'),
    ("set region.attrs.colour.choices = ['Green']", "for: region", "LSR132",
     '"Green" is not a label of "colour"'),
    ("set region.attrs.color.choices = ['Red']", "for: region", "LSR130",
     'no control named "color" (colour)'),
    ("set region.attrs.colour.choice = ['Red']", "for: region", "LSR133",
     'a "choices" value has no key `choice` (choices)'),
    ("set region.attrs.colour = 1", "for: region", "LSR119", "region.attrs.CONTROL.KEY"),
])
def test_check_names_what_an_answer_fix_gets_wrong(tmp_path, action, scope, code, part):
    rule = "- id: a\n" + (f"  {scope}\n" if scope else "") + f"  assert: false\n  fix: {action!r}\n"
    _, diagnostics = check_and_load(write(tmp_path, rule))
    found = [f"{d.message} ({d.suggestion})" if d.suggestion else d.message
             for d in diagnostics if d.code == code]
    assert any(part in message for message in found), [str(d) for d in diagnostics]


def test_add_item_without_a_config_is_an_error(tmp_path):
    path = write(tmp_path, "- id: a\n  assert: false\n  fix: add_item \"quality\" = \"Good\"\n",
                 config=False, pack=False)
    with pytest.raises(LsrulesError, match="LSR119: `add_item` needs `labeling_config:`"):
        lsrules.load(path)
