"""Per-rule columns (`hoisting.column_plan`): a comprehension over `regions` inside a
loop reads the parts that depend only on its own variable from a list computed once per
rule; geometry of two regions is lowered to their boxes and spans (`lowering.py`) and
tested inline; loop-invariant parts of a comprehension, and region-independent parts of a
region rule, are computed before the loop; a condition that is one any/all/none is a `for`
loop; a message's part that cannot raise is computed without a thunk. Same findings and
messages as the code without any of these (`optimize=False`), whatever the data
(nulls, wrong types, parts that raise): a differential test over random annotations."""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lsrules

RULES = [
    # region-scoped: a filter, two values, the outer parts hoisted
    ('none(lower(o.text) == lower(region.text) and o.label != region.label '
     'for o in regions if o.type == "labels")'),
    # a conjunct that may raise comes first: nothing after it moves
    'any(o.x > region.x and o.label == "A" for o in regions)',
    # a filter, then a conjunct that may raise
    'any(o.label == "A" and o.x > region.x for o in regions)',
    'count(o.x < 1 and o.label == "B" for o in regions if o.id != region.id) > 0',
    'all(o.label == "A" or o.x + 1 > region.x for o in regions if o.label != null)',
    'sum(o.x * 2 for o in regions if o.label in ["A", "B"]) > 3',
    'none(overlaps(region, o) and o.id != region.id for o in regions if o.type == "labels")',
    'any(lower(o.label) == "a" and len(o.text) > len(region.text) for o in regions if o.score > 0.5)',
    'none(contains(o, region) and iou(region, o) > 0.2 for o in regions if o.label == "B")',
    # iou of boxes that do not overlap is 0.0 without the call: also touching, empty and
    # negative-size boxes, and as a value
    'count(iou(region, o) > 0 for o in regions) == count(iou(region, o) >= 0.01 for o in regions)',
    'none(iou(o, region) == 0 and iou(region, o) >= 0 for o in regions if o.id != region.id)',
    'sum(iou(region, o) for o in regions if o.label == "A") < 1.5',
    'area(region) > 1 and sum(area(o) for o in regions if o.id != region.id) != area(region) * 2',
    'min(o.x for o in regions if o.label == region.label and o.id != region.id) != 3',
    # shapes with neither box nor span (polygons, keypoints, ellipses) fall back to the
    # full geometry in the lowered code
    'none(contains(o, region) for o in regions if o.id != region.id)',
    'area(region) != 2 and any(area(o) > 3 for o in regions if o.type != "labels")',
    # region-independent parts of a region rule, once before its loop
    'region.end <= len(task.data.text) and lower(task.data.text) != lower(region.text)',
    'len(task.data.text) > 2 or region.x < len(task.data.text)',
    # several `for` clauses: loops nested inside the outer one, filters at each level
    'none(o.label == p.label and o.id != p.id for o in regions for p in regions if p.x > region.x)',
    ('count(lower(o.text) == lower(t) for o in regions if o.type == "labels" '
     'for t in [p.text for p in regions if p.label == "A"]) > 1'),
    'len([o.x + p.x for o in regions if o.label == "A" for p in regions if p.id != o.id]) != 2',
    # definitions (DEFS), inlined: inside loops, with a loop variable named like the body's
    'none(twin(o) and right_of(o) for o in regions if o.type == "labels")',
    'count(twin(x) for x in regions) != 1 and labelled',
    # dates of whatever the data holds (mostly no date: null)
    ('count(days_between(o.text, task.data.text) == 0 for o in regions) != 1 '
     'or timestamp(region.text) == null'),
]
DEFS = ['  twin(o): any(x.label == o.label and x.id != o.id for x in regions)',
        '  right_of(r): r.x + 1 > region.x', '  labelled: region.label != null']
# messages are lowered too; a part that cannot raise is computed without a thunk
MESSAGE = ('{count(any(overlaps(r, o) and o.id != r.id for o in regions) for r in regions)} '
           '{sum(iou(region, o) for o in regions)} {any(contains(o, region) for o in regions)} '
           '{area(region)} {[area(r) for r in regions]} {region.id} {region.label} '
           '{region.value.text} {region.x * 2} {region.x + 1} {task.data.text} '
           '{region.x == 1 or region.label}')
NESTED = ('count(any(o.label == r.label and o.x > 1 for o in regions) '
          'for r in regions if r.type == "labels") > 1')


def _ruleset(tmp_path, name):
    lines = [f"ruleset: {name}", 'version: "1"', "defs:", *DEFS, "rules:"]
    for position, text in enumerate(RULES):
        lines += [f"  - id: rule-{position}", "    severity: warning", "    for: region",
                  f"    assert: '{text}'", f"    message: '{MESSAGE}'"]
    lines += ["  - id: nested", "    severity: warning", f"    assert: '{NESTED}'"]
    path = tmp_path / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    directory = tmp_path_factory.mktemp("columns")
    with_columns = lsrules.load(_ruleset(directory, "with"))
    assert "is not None else [" in with_columns.source  # columns are in use
    assert ".box()" in with_columns.source  # and lowered geometry
    without = lsrules.load(_ruleset(directory, "without"), optimize=False)
    assert "is not None else [" not in without.source and ".box()" not in without.source
    assert not re.search(r"^ *_t\d+ = ", without.source, re.MULTILINE)  # nothing hoisted
    assert ": continue\n" in with_columns.source.split("for v_o in")[1]  # a loop statement
    assert "any(" in without.source
    messages = [engine.namespace.generator.helper_source(engine.rules[0])
                for engine in (with_columns, without)]
    # a piece that cannot raise is computed as it is, one that can in a try (no thunk)
    assert "_text_of(" in messages[0] and "_to_text(" in messages[0]
    assert "lambda" not in messages[0] and "_text_or_null(lambda" in messages[1]
    assert "_text_of(" not in messages[1]
    return with_columns, without


_ANY = st.one_of(st.none(), st.integers(-1, 4), st.sampled_from([0.5, "a", "A", True, [1]]))
_ITEMS = st.lists(st.fixed_dictionaries({
    "id": st.sampled_from(["a", "b", "c", "d", "e", 7]),
    "type": st.sampled_from(["labels", "rectanglelabels", "polygonlabels",
                             "keypointlabels", "ellipselabels"]),
    "from_name": st.just("l"),
    "score": _ANY,
    "value": st.fixed_dictionaries({
        "x": _ANY, "y": st.integers(0, 3), "width": st.sampled_from([1, 2.5, "w", 0, -1]),
        "height": st.integers(-1, 3), "start": st.integers(0, 4), "end": st.integers(0, 6),
        "text": st.one_of(st.sampled_from(["Ann", "ann", " x", "B"]), _ANY),
        "labels": st.lists(st.sampled_from(["A", "B", "a"]), max_size=2),
        "rectanglelabels": st.lists(st.sampled_from(["A", "B"]), max_size=1),
        "points": st.one_of(_ANY, st.lists(st.lists(st.integers(0, 4), min_size=2,
                                                    max_size=2), max_size=5)),
        "radiusX": st.integers(-1, 3), "radiusY": _ANY,
    }),
}), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(result=_ITEMS, text=st.one_of(st.sampled_from(["Ann b", "ann", "ab"]), _ANY))
def test_columns_change_no_finding(engines, result, text):
    with_columns, without = engines
    task, annotation = {"id": 1, "data": {"text": text}}, {"id": 2, "result": result}
    first = with_columns.evaluate(task, annotation)
    second = without.evaluate(task, annotation)
    assert [(f.rule, f.region_id, f.message) for f in first.findings] == \
        [(f.rule, f.region_id, f.message) for f in second.findings]
    assert first.verdict == second.verdict
