"""builtin:labeling-config: one case per rule, including those of Label Studio's validation table."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from lsrules.packs.builtin import LabelingConfigPack, PackFinding
from lsrules.ruleset.labeling_config import parse_labeling_config, read_labeling_config

CONFIGS = Path(__file__).parent.parent / "fixtures" / "labeling_configs"
RULES_DOC = Path(__file__).parent.parent.parent / "docs" / "rules.md"

SENTIMENT = """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text" choice="single" showInline="true">
    <Choice value="Positive"/><Choice value="Negative"/><Choice value="Neutral"/>
  </Choices>
</View>"""
BOXES = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car"/><Label value="Person"/>
  </RectangleLabels>
</View>"""
NER = """<View>
  <Labels name="ner" toName="text">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""

PACKS = {
    "textcls": LabelingConfigPack(parse_labeling_config(SENTIMENT)),
    "bbox": LabelingConfigPack(parse_labeling_config(BOXES)),
    "ner": LabelingConfigPack(parse_labeling_config(NER)),
}
for _path in CONFIGS.glob("*.xml"):
    PACKS[_path.stem] = LabelingConfigPack(read_labeling_config(_path))

PACKS["per_region_and_global"] = LabelingConfigPack(parse_labeling_config(
    (CONFIGS / "per_region.xml").read_text().replace(
        "</View>\n</View>",
        '</View>\n  <Choices name="weather" toName="image"><Choice value="Sunny"/></Choices>\n'
        "</View>")))

PACKS["ner_relations"] = LabelingConfigPack(parse_labeling_config(NER.replace(
    "</View>", '<Relations><Relation value="works at"/><Relation value="lives in"/></Relations></View>')))

TASKS = {
    "textcls": {"id": 1, "data": {"text": "I love this product"}},
    "bbox": {"id": 4, "data": {"image": "/data/upload/3/cars.jpg"}},
    "ner": {"id": 6, "data": {"text": "Alice works at Acme Corp in Paris."}},
}


def choice(*values, **overrides):
    item = {"id": "c1", "from_name": "sentiment", "to_name": "text", "type": "choices",
            "value": {"choices": list(values)}}
    item.update(overrides)
    return item


def box(label="Car", from_name="label", **value):
    geometry = {"x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0,
                "rectanglelabels": [label]}
    geometry.update(value)
    return {"id": "r1", "from_name": from_name, "to_name": "image", "type": "rectanglelabels",
            "original_width": 640, "original_height": 480, "value": geometry}


def span(start=0, end=5, text="Alice", labels=("PER",), region="n1"):
    value = {"start": start, "end": end, "labels": list(labels)}
    if text is not None:
        value["text"] = text
    return {"id": region, "from_name": "ner", "to_name": "text", "type": "labels", "value": value}


def without(item, *keys, inside="value"):
    item = dict(item)
    if inside:
        item[inside] = {k: v for k, v in item[inside].items() if k not in keys}
    else:
        item = {k: v for k, v in item.items() if k not in keys}
    return item


# (project, case, result or annotation, expected rule ids in order)
# The first cases are those of Label Studio's own validation table (ls-samples), by name.
CASES = [
    ("textcls", "valid choices", [choice("Positive")], []),
    ("textcls", "invalid label Dog", [choice("Dog")], ["lc-unknown-label"]),
    ("textcls", "2 choices on choice=single", [choice("Positive", "Negative")],
     ["lc-single-choice-violated"]),
    ("textcls", "empty choices list", [choice()], ["lc-empty-labels"]),
    ("textcls", "unknown from_name", [choice("Positive", from_name="nope")],
     ["lc-unknown-from-name"]),
    ("textcls", "wrong to_name", [choice("Positive", to_name="img")], ["lc-unknown-to-name"]),
    ("textcls", "wrong type 'labels'", [choice("Positive", type="labels")], ["lc-type-mismatch"]),
    ("textcls", "missing value", [without(choice("Positive"), "value", inside=None)],
     ["lc-value-not-object"]),
    ("textcls", "value w/o choices key", [choice(value={"labels": ["Positive"]})],
     ["lc-value-key-missing"]),
    ("textcls", "score 1.5 (prediction)", {"result": [choice("Positive")], "score": 1.5},
     ["lc-score-out-of-range"]),
    ("textcls", "result not a list", {"result": {"choices": ["Positive"]}}, ["lc-result-not-list"]),
    # any JSON may stand where Label Studio writes a name or an id: never a TypeError
    ("textcls", "to_name a list", [choice("Positive", to_name=[])], ["lc-unknown-to-name"]),
    ("textcls", "type an object", [choice("Positive", type={})], ["lc-type-mismatch"]),
    ("per_region", "region id a list", [dict(box(from_name="box"), id=["r1"]),
                                        choice("Red", id=["r1"], from_name="colour",
                                               to_name="image")], ["lc-per-region-orphan"]),
    ("per_region", "region to_name a list", [dict(box(from_name="box"), to_name=["image"])],
     ["lc-unknown-to-name"]),
    ("ner_relations", "relation labels a list and an object",  # no TypeError: unknown labels
     [span(), span(15, 24, "Acme Corp", ("ORG",), "n2"),
      {"type": "relation", "from_id": "n1", "to_id": "n2", "labels": [["works at"], {"a": 1}]}],
     ["lc-unknown-label"]),
    ("ner_relations", "relation ids a list and an object",
     [span(), {"type": "relation", "from_id": [], "to_id": {"a": 1}, "labels": ["works at"]}],
     ["lc-relation-unknown-region", "lc-relation-unknown-region"]),
    ("bbox", "valid rect", [box()], []),
    ("bbox", "x=150", [box(x=150)], ["lc-geometry-out-of-bounds"]),
    ("bbox", "x=-5 (negative)", [box(x=-5)], ["lc-geometry-out-of-bounds"]),
    ("bbox", "x=90,width=30 (overflows 100)", [box(x=90, width=30)],
     ["lc-geometry-out-of-bounds"]),
    ("bbox", "width=-10", [box(width=-10)], ["lc-negative-size"]),
    ("bbox", "label Dog", [box("Dog")], ["lc-unknown-label"]),
    ("bbox", "missing height", [without(box(), "height", "rotation")], ["lc-value-key-missing"]),
    ("bbox", "x as string '10'", [box(x="10")], ["lc-number-as-string"]),
    ("ner", "valid span", [span(), span(15, 24, "Acme Corp", ("ORG",), "n2")], []),
    ("ner", "label Dog", [span(labels=("Dog",))], ["lc-unknown-label"]),
    ("ner", "start>end", [span(5, 0, None)], ["lc-span-reversed"]),
    ("ner", "text mismatch", [span(0, 5, "Alicia")], ["lc-span-text-mismatch"]),
    ("ner", "missing start", [without(span(), "start", "text")], ["lc-value-key-missing"]),
    ("ner", "relation to unknown id",
     [span(), {"from_id": "n1", "to_id": "zz", "type": "relation", "direction": "right"}],
     ["lc-relation-unknown-region"]),
    # Beyond the table.
    ("textcls", "annotation is not an object", ["not", "an", "annotation"], None),
    ("textcls", "item not an object", [choice("Positive"), "oops"], ["lc-item-not-object"]),
    ("textcls", "the server stores this", [{"foo": "bar"}], ["lc-unknown-from-name"]),
    ("textcls", "choices not a list", [choice(value={"choices": "Positive"})],
     ["lc-value-wrong-type"]),
    ("textcls", "choices not strings", [choice(1)], ["lc-value-wrong-type"]),
    ("textcls", "item score as text", [choice("Positive", score="high")], ["lc-value-wrong-type"]),
    ("bbox", "y + height overflows", [box(y=70, height=40)], ["lc-geometry-out-of-bounds"]),
    ("bbox", "rotated box may pass 100 at its corner", [box(x=90, width=30, rotation=45)], []),
    ("bbox", "rounding noise at the edge", [box(x=70.0000000001, width=30)], []),
    ("bbox", "x null", [box(x=None)], ["lc-value-wrong-type"]),
    ("bbox", "negative height also out", [box(height=-10, y=-1)],
     ["lc-negative-size", "lc-geometry-out-of-bounds"]),
    ("ner", "span past the text end", [span(30, 40, None)], ["lc-span-out-of-bounds"]),
    ("ner", "span start negative", [span(-1, 5, None)], ["lc-span-out-of-bounds"]),
    ("ner", "end as string", [span(0, "5", None)], ["lc-number-as-string"]),
    ("ner", "span without text is fine", [span(0, 5, None)], []),
    ("ner", "relation between known regions",
     [span(), span(15, 24, "Acme Corp", ("ORG",), "n2"),
      {"from_id": "n1", "to_id": "n2", "type": "relation", "direction": "right"}], []),
    ("polygons", "valid polygon",
     [{"id": "p1", "from_name": "outline", "to_name": "img", "type": "polygonlabels",
       "value": {"points": [[1, 1], [50, 1], [50, 50]], "polygonlabels": ["Road"]}}], []),
    ("polygons", "polygon point outside",
     [{"id": "p1", "from_name": "outline", "to_name": "img", "type": "polygonlabels",
       "value": {"points": [[1, 1], [150, 1], [50, 50]], "polygonlabels": ["Road"]}}],
     ["lc-geometry-out-of-bounds"]),
    ("polygons", "polygon points malformed",
     [{"id": "p1", "from_name": "free", "to_name": "img", "type": "polygon",
       "value": {"points": [[1, 1], [2]]}}], ["lc-value-wrong-type"]),
    ("polygons", "maxUsages of a label exceeded",
     [{"id": f"p{i}", "from_name": "outline", "to_name": "img", "type": "polygonlabels",
       "value": {"points": [[1, 1], [5, 1], [5, 5]], "polygonlabels": ["Building"]}}
      for i in range(3)], ["lc-max-usages-exceeded"]),
    ("keypoints", "keypoint alias is the label written",
     [{"id": "k1", "from_name": "joints", "to_name": "photo", "type": "keypointlabels",
       "value": {"x": 5, "y": 5, "width": 0.5, "keypointlabels": ["left_eye"]}}], []),
    ("keypoints", "keypoint outside",
     [{"id": "k1", "from_name": "joints", "to_name": "photo", "type": "keypointlabels",
       "value": {"x": 101, "y": 5, "keypointlabels": ["Nose"]}}], ["lc-geometry-out-of-bounds"]),
    ("text_multiple", "required choices missing", [], ["lc-required-missing"]),
    ("text_multiple", "required choices empty",
     [{"from_name": "topics", "to_name": "review", "type": "choices", "value": {"choices": []}}],
     ["lc-empty-labels", "lc-required-missing"]),
    ("text_multiple", "skipped annotation need not answer",
     {"result": [], "was_cancelled": True}, []),
    ("text_multiple", "several choices allowed",
     [{"from_name": "topics", "to_name": "review", "type": "choices",
       "value": {"choices": ["Price", "Quality"]}}], []),
    ("taxonomy", "valid taxonomy paths",
     [{"from_name": "category", "to_name": "text", "type": "taxonomy",
       "value": {"taxonomy": [["Animal", "Mammal", "Cat"], ["Plant"]]}}], []),
    ("taxonomy", "taxonomy path not in the tree",
     [{"from_name": "category", "to_name": "text", "type": "taxonomy",
       "value": {"taxonomy": [["Animal", "Cat"]]}}], ["lc-unknown-label"]),
    ("taxonomy", "taxonomy entry not a list",
     [{"from_name": "category", "to_name": "text", "type": "taxonomy",
       "value": {"taxonomy": ["Plant"]}}], ["lc-value-wrong-type"]),
    ("textarea", "required transcript given",
     [{"from_name": "transcript", "to_name": "audio", "type": "textarea",
       "value": {"text": ["hello"]}}], []),
    ("textarea", "required transcript missing", [], ["lc-required-missing"]),
    ("rating", "rating in range",
     [{"from_name": "quality", "to_name": "answer", "type": "rating", "value": {"rating": 9}}], []),
    ("rating", "rating above maxRating",
     [{"from_name": "quality", "to_name": "answer", "type": "rating", "value": {"rating": 11}}],
     ["lc-value-out-of-range"]),
    ("rating", "number below min",
     [{"from_name": "quality", "to_name": "answer", "type": "rating", "value": {"rating": 3}},
      {"from_name": "tokens", "to_name": "answer", "type": "number", "value": {"number": -1}}],
     ["lc-value-out-of-range"]),
    ("per_region", "per-region choice on its box",
     [box(from_name="box"), {"id": "r1", "from_name": "colour", "to_name": "image", "type": "choices",
              "value": {"x": 10, "y": 20, "width": 30, "height": 40, "choices": ["Red"]}}], []),
    ("per_region", "required per-region choice missing", [box(from_name="box")], ["lc-required-missing"]),
    ("per_region", "per-region choice without a region",
     [box(from_name="box"), {"id": "r1", "from_name": "colour", "to_name": "image", "type": "choices",
              "value": {"choices": ["Red"]}},
      {"id": "zz", "from_name": "colour", "to_name": "image", "type": "choices",
       "value": {"choices": ["Blue"]}}], ["lc-per-region-orphan"]),
    ("ner_relations", "relation label defined",
     [span(), span(15, 24, "Acme Corp", ("ORG",), "n2"),
      {"from_id": "n1", "to_id": "n2", "type": "relation", "labels": ["works at"]}], []),
    ("ner_relations", "relation label unknown",
     [span(), span(15, 24, "Acme Corp", ("ORG",), "n2"),
      {"from_id": "n1", "to_id": "n2", "type": "relation", "labels": ["owns"]}],
     ["lc-unknown-label"]),
    ("per_region_and_global", "a whole-image choice with an id is no region",
     [{"id": "g1", "from_name": "weather", "to_name": "image", "type": "choices",
       "value": {"choices": ["Sunny"]}}], []),
    ("image_tools", "labels merged with a rectangle",
     [{"id": "m1", "from_name": "tissue", "to_name": "scan", "type": "rectanglelabels",
       "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["Tumour"]}}], []),
    ("image_tools", "ellipse with a negative radius",
     [{"id": "e1", "from_name": "cells", "to_name": "scan", "type": "ellipselabels",
       "value": {"x": 50, "y": 50, "radiusX": -1, "radiusY": 2, "ellipselabels": ["Cell"]}}],
     ["lc-negative-size"]),
]


def _annotation(result):
    return result if isinstance(result, dict) else {"id": 1, "result": result}


@pytest.mark.parametrize("project, case, result, expected", CASES,
                         ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_pack_findings(project, case, result, expected):
    task = TASKS.get(project.split("_")[0], {"id": 1, "data": {}})
    annotation = result if expected is None else _annotation(result)
    findings = PACKS[project].check(task, annotation)
    expected = ["lc-result-not-list"] if expected is None else expected
    assert [finding.rule_id for finding in findings] == expected
    for finding in findings:
        assert isinstance(finding, PackFinding)
        assert finding.severity == LabelingConfigPack.RULES[finding.rule_id].severity
        assert finding.message


@pytest.mark.parametrize("text, start, end, span_text", [
    ("I 👍 Paris", 2, 4, "👍"),  # Label Studio's offsets, in UTF-16 units
    ("I 👍 Paris", 2, 3, "👍"),  # code points, as a Python exporter would write them
    ("I 👍 Paris", 5, 10, "Paris"),  # UTF-16 offsets past the emoji
])
def test_span_text_accepts_javascript_and_python_offsets(text, start, end, span_text):
    findings = PACKS["ner"].check({"data": {"text": text}},
                                  {"result": [span(start, end, span_text)]})
    assert findings == []


def test_findings_name_their_region():
    findings = PACKS["bbox"].check(TASKS["bbox"], {"result": [box("Dog")]})
    assert [(f.rule_id, f.region_id) for f in findings] == [("lc-unknown-label", "r1")]
    assert "'Dog'" in findings[0].message


def test_check_does_not_mutate_its_input():
    annotation = {"result": [box(x="10"), span()], "was_cancelled": False}
    before = repr(annotation)
    PACKS["bbox"].check(TASKS["bbox"], annotation)
    assert repr(annotation) == before


@pytest.mark.parametrize("task", [None, {}, {"data": None}, {"data": {"text": 5}}, "task"])
def test_malformed_task_never_raises(task):
    findings = PACKS["ner"].check(task, {"result": [span(0, 5, "Alice")]})
    assert findings == []


def test_dynamic_choices_accept_any_label():
    config = parse_labeling_config(
        '<View><Text name="t" value="$t"/><Choices name="c" toName="t" value="$options"/></View>')
    pack = LabelingConfigPack(config)
    result = [{"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": ["Any"]}}]
    assert pack.check({"data": {}}, {"result": result}) == []


@pytest.mark.parametrize("bounds, number, out_of_range", [
    ('min="nan" max="nan"', 5, False), ('min="nan" max="3"', 5, True),
    ('min="1" max="NaN"', 0, True), ('min="junk"', -1e9, False)])
def test_number_bounds_that_are_not_numbers_are_no_bounds(bounds, number, out_of_range):
    config = parse_labeling_config(
        f'<View><Text name="t" value="$t"/><Number name="n" toName="t" {bounds}/></View>')
    result = [{"from_name": "n", "to_name": "t", "type": "number", "value": {"number": number}}]
    findings = LabelingConfigPack(config).check({"data": {"t": "x"}}, {"result": result})
    assert bool(findings) is out_of_range, findings


@pytest.mark.parametrize("rule_id, severity", [
    (rule_id, rule.severity) for rule_id, rule in LabelingConfigPack.RULES.items()
])
def test_every_rule_is_documented_and_stable(rule_id, severity):
    assert re.fullmatch(r"lc-[a-z0-9]+(-[a-z0-9]+)*", rule_id)
    assert severity in ("error", "warning", "info")
    headings = re.findall(r"^#+ `?([a-z0-9-]+)`?", RULES_DOC.read_text(), flags=re.MULTILINE)
    assert rule_id in headings


def test_every_rule_has_a_case():
    """Here or in the per-tag cases (test_tags.py)."""
    from .test_tags import CASES as TAG_CASES

    covered = {rule for case in CASES for rule in (case[3] or ["lc-result-not-list"])}
    covered |= {rule for case in TAG_CASES.values() for rule in case["expect"]}
    assert covered == set(LabelingConfigPack.RULES)
