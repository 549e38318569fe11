"""docs/tags.md stays true: a section for every control tag of tests/fixtures/tags and every
result type of `lsrules.result_types`, each table and geometry line what the code says, and
each section's ruleset example behaving on the tag's valid and invalid case as stated."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lsrules.dsl.geometry import CONTAINMENT, SHAPE_OF_TYPE, SUPPORTED
from lsrules.dsl.regions import VALUE_FIELDS
from lsrules.result_types import RESULT_TYPES, ResultType
from lsrules.ruleset.packs import PACKS

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "tags.md").read_text()
TAGS = {path.stem: json.loads(path.read_text())
        for path in sorted((ROOT / "tests" / "fixtures" / "tags").glob("*.json"))}
SECTIONS = {match.group(1): match.group(2) for match in
            re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", PAGE, re.MULTILINE | re.DOTALL)}
PACK_RULES = {rule.id for rule in PACKS["builtin:labeling-config"]}
EVERY_ITEM = set(re.findall(r"`(lc-[a-z-]+)`", re.search(r"^Every item: (.*?)\n\n", PAGE,
                                                           re.MULTILINE | re.DOTALL).group(1)))


def shape_line(result_type: str) -> str:
    """What the page says about a result type's geometry, from the geometry module."""
    if result_type == "relation":
        return "Geometry: none (a relation is no region; rules read it through `relations`)."
    shape = SHAPE_OF_TYPE.get(result_type)
    if shape is None:
        return ("Geometry: no shape of its own (`check` reports no LSR126; compare the "
                "value's keys instead).")
    outer = {first for first, _ in CONTAINMENT}
    takes = [f"`{name}`" + (" (as the inner shape)" if name == "contains" and shape not in outer
                            else "") for name, shapes in SUPPORTED.items() if shape in shapes]
    refused = [f"`{name}`" for name, shapes in SUPPORTED.items() if shape not in shapes]
    return f"Geometry ({shape}): {', '.join(takes)}; LSR126: {', '.join(refused)}."


def shorthand(kind: ResultType, key: str) -> list[str]:
    """The shortest names a rule reads a value key by (regions.VALUE_FIELDS, the label)."""
    found = [f"region.{key}"] if key in VALUE_FIELDS else []
    if key in (kind.label_key, kind.answer_key):
        found += ["region.label", "region.labels"]
    return found or [f"region.value.{key}"]


def _result_type(section: str) -> str:
    return re.search(r"^Result type `(\w+)`", section, re.MULTILINE).group(1)


def test_every_tag_and_result_type_has_a_section():
    assert set(TAGS) <= set(SECTIONS), set(TAGS) - set(SECTIONS)
    named = {_result_type(text) for text in SECTIONS.values() if "Result type" in text}
    assert set(RESULT_TYPES) <= named, set(RESULT_TYPES) - named


@pytest.mark.parametrize("tag", sorted(TAGS))
def test_the_section_names_the_type_the_tag_writes(tag):
    assert _result_type(SECTIONS[tag]) in {item["type"] for item in TAGS[tag]["valid"]}


@pytest.mark.parametrize("title", sorted(title for title, text in SECTIONS.items()
                                         if "Result type" in text))
def test_the_table_and_geometry_are_what_the_code_says(title):
    section = SECTIONS[title]
    result_type = _result_type(section)
    assert shape_line(result_type) in section.splitlines()
    kind = RESULT_TYPES.get(result_type)
    rows = re.findall(r"^\| `(\w+)` \| (.+?) \| (.+?) \|$", section, re.MULTILINE)
    if kind is None:
        assert result_type == "relation" and not rows
        return
    assert [key for key, _, _ in rows] == list(dict.fromkeys(
        kind.value_keys + kind.number_keys + kind.optional_keys))
    for key, holds, read_as in rows:
        assert holds.startswith("number") == (key in kind.number_keys), key
        assert holds.startswith(("list of labels", "list of paths")) == (key == kind.label_key), key
        assert holds.endswith(", optional") == (key not in kind.value_keys), key
        assert read_as == ", ".join(f"`{name}`" for name in shorthand(kind, key)), key


@pytest.mark.parametrize("tag", sorted(TAGS))
def test_the_pack_line_names_pack_rules_and_the_cases_findings(tag):
    line = re.search(r"^Pack: (.*)$", SECTIONS[tag], re.MULTILINE).group(1)
    named = set(re.findall(r"`(lc-[a-z-]+)`", line))
    assert named <= PACK_RULES
    assert set(TAGS[tag]["expect"]) <= named | EVERY_ITEM


def test_the_page_places_every_pack_rule():
    named = {rule for text in SECTIONS.values() for rule in re.findall(
        r"`(lc-[a-z-]+)`", (re.search(r"^Pack: (.*)$", text, re.MULTILINE) or [""])[0])}
    assert named | EVERY_ITEM == PACK_RULES


@pytest.mark.parametrize("tag", sorted(TAGS))
def test_the_example_behaves_as_stated_on_the_tags_cases(tmp_path, tag):
    import lsrules
    from lsrules.commands.check import build_report

    section, case = SECTIONS[tag], TAGS[tag]
    assert re.search(r"```xml\n(.*?)\n```", section, re.DOTALL).group(1) == case["config"]
    rules = re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)
    valid, invalid, rule_id = re.search(
        r"^Valid case: `(\w+)`; invalid case: `(\w+)` \(`([\w-]+)`\)\.$", section,
        re.MULTILINE).groups()
    (tmp_path / "config.xml").write_text(case["config"])
    path = tmp_path / "tag.yaml"
    path.write_text('ruleset: t\nversion: "1"\nlabeling_config: config.xml\nrules:\n'
                    + re.sub(r"^", "  ", rules, flags=re.MULTILINE))
    report, _ = build_report([str(path)])
    assert [str(d) for d in report.diagnostics] == []
    engine = lsrules.load(str(path))
    task = {"id": 1, "data": case["data"]}
    accepted = engine.evaluate(task, {"id": 2, "result": case["valid"]})
    assert (accepted.verdict, [f.rule for f in accepted.findings]) == (valid, [])
    rejected = engine.evaluate(task, {"id": 3, "result": case["invalid"]})
    assert rejected.verdict == invalid
    assert rule_id in {f.rule for f in rejected.findings}


REPLACEMENTS = (None, "7", -5, 150, 0.5, True, [], ["zz"], [["zz"]], {"zz": 1}, "zz")


def _mutants(value):
    """Each way of breaking one spot of a value: a key dropped, or a key, list item or
    nested key replaced by another JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield {k: v for k, v in value.items() if k != key}
            for broken in (*REPLACEMENTS, *_mutants(inner)):
                yield {**value, key: broken}
    elif isinstance(value, list) and value:
        for broken in (*REPLACEMENTS, *_mutants(value[0])):
            yield [broken, *value[1:]]
        yield value + value  # twice: choice="single", maxUsages


@pytest.mark.parametrize("tag", sorted(TAGS))
def test_no_pack_rule_fires_on_the_tag_that_its_section_leaves_out(tag):
    """The valid case broken at one spot at a time: every rule that then fires is on the
    tag's Pack line or among the checks of every item."""
    from lsrules.packs.builtin import LabelingConfigPack
    from lsrules.ruleset.labeling_config import parse_labeling_config

    case = TAGS[tag]
    pack = LabelingConfigPack(parse_labeling_config(case["config"]))
    line = re.search(r"^Pack: (.*)$", SECTIONS[tag], re.MULTILINE).group(1)
    named = set(re.findall(r"`(lc-[a-z-]+)`", line)) | EVERY_ITEM
    fired = set()
    for index, item in enumerate(case["valid"]):
        if tag == "Relations" and item["type"] != "relation":
            continue  # the spans it relates are the Labels section's
        for broken in _mutants(item.get("value", item)):
            changed = {**item, "value": broken} if "value" in item else broken
            result = [*case["valid"][:index], changed, *case["valid"][index + 1:]]
            fired |= {f.rule_id for f in pack.check({"data": case["data"]}, {"result": result})}
    assert fired, "the mutations found nothing: they no longer reach the value"
    assert fired <= named, fired - named


def test_rotation_is_ignored_as_the_page_says():
    """The intro's limits: a rotated box or ellipse is measured unrotated, and the pack skips
    the right and bottom edges of a rotated box."""
    from lsrules.dsl import geometry
    from lsrules.packs.builtin import LabelingConfigPack
    from lsrules.ruleset.labeling_config import parse_labeling_config

    assert "Rotation is ignored" in PAGE
    for value in ({"x": 10, "y": 10, "width": 20, "height": 10},
                  {"x": 50, "y": 50, "radiusX": 10, "radiusY": 5}):
        kind = "rectangle" if "width" in value else "ellipse"
        plain = {"type": kind, "value": value}
        turned = {"type": kind, "value": {**value, "rotation": 45}}
        assert geometry.bbox(turned) == geometry.bbox(plain)
        assert geometry.area(turned) == geometry.area(plain)
    case = TAGS["RectangleLabels"]
    pack = LabelingConfigPack(parse_labeling_config(case["config"]))
    item = case["invalid"][0]  # crosses the right edge
    turned = {**item, "value": {**item["value"], "rotation": 30}}
    assert [f.rule_id for f in pack.check({"data": case["data"]}, {"result": [item]})] == [
        "lc-geometry-out-of-bounds"]
    assert pack.check({"data": case["data"]}, {"result": [turned]}) == []
