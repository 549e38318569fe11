"""The second pass on random annotations with random fixes (a differential test).

For every annotation, the decision of the optimized engine is the same as the plain
engine's (`optimize=False`) and as that of an engine whose second pass runs every rule
again, on regions built afresh, instead of only those that read what a fix wrote (the
read/write shortcut) on the first pass's regions, and writes every `set region.x` the
general way; the input is left as it was; and the
findings it leaves standing (not `fixed`) are exactly what a fresh engine with the fixes
taken out finds on the corrected annotation. So no `fixed` verdict leaves an error on the
annotation as it will be stored.
"""
from __future__ import annotations

import copy
import random
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lsrules
from lsrules.engine.evaluation import Evaluation
from lsrules.engine.patch import apply_patch

CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="l" toName="image">
    <Label value="A"/><Label value="B"/>
  </RectangleLabels>
  <Choices name="colour" toName="image" perRegion="true">
    <Choice value="Red"/><Choice value="Blue"/>
  </Choices>
  <Choices name="mood" toName="image" required="true">
    <Choice value="Happy"/><Choice value="Sad"/>
  </Choices>
</View>
"""
# (rule without its fix, its fix or None): the pool a ruleset's rules are drawn from
POOL = [
    ("for: region where region.type == 'rectanglelabels'\n"
     "assert: region.x >= 0 and region.x + region.width <= 100",
     "set region.x = clamp(region.x, 0, 100 - region.width)"),
    ("severity: info\nfor: region where region.label == 'a'\nassert: false",
     "set region.label = upper(region.label)"),
    ("severity: info\nfor: region where region.label == 'B' and region.x > 2\nassert: false",
     "set region.label = region.label + 'x'"),
    ("for: region\nassert: region.width > 0", "drop region"),
    ("severity: warning\nfor: region where region.height < 1\nassert: false",
     "set region.width = region.width + 50"),
    ("severity: info\nfor: region where len(region.labels) == 0\nassert: false",
     "add_label 'A'"),
    ("severity: info\nfor: region where 'a' in region.labels\nassert: false",
     "remove_label 'a'"),
    ("severity: info\nassert: task.meta.seen == true", "set task.meta.seen = true"),
    ("severity: warning\nwhen: task.meta.seen == true\nassert: annotation.lead_time > 3\n"
     "route: review", "set annotation.lead_time = 5"),
    ("for: region\nassert: none(iou(region, o) > 0.9 and o.id != region.id for o in regions)",
     None),
    ("assert: count(r.label == 'A' for r in regions) <= 2", None),
    ("assert: len(regions) < 4", None),
    ("for: region\nassert: region.label in ['A', 'B']", None),
    ("severity: warning\nfor: region\nassert: region.x < 50\nroute: review", None),
    ("for: region where region.type != 'rectanglelabels'\nassert: region.value.text != 'x'",
     None),
    # per-region answers and added items
    ("severity: info\nfor: region where region.type == 'rectanglelabels'\n"
     "assert: region.attrs.colour != null", "set region.attrs.colour.choices = ['Red']"),
    ("severity: info\nfor: region where region.attrs.colour.choices == ['Red']\n"
     "assert: region.x < 40", "set region.attrs.colour.choices = [region.label]"),
    ("severity: info\nfor: region where region.label == 'B'\nassert: false",
     "add_item 'colour' = 'Blue'"),
    ("severity: info\nassert: any(r.from_name == 'mood' for r in regions)",
     "add_item 'mood' = 'Happy' if len(regions) < 3 else lower('Sad')"),
    ("severity: warning\nfor: region\nassert: region.label != 'Blue'\nroute: review", None),
    ("assert: count(r.from_name == 'mood' for r in regions) <= 1", None),
    # writes below the region's value and item, and the names a region keeps from its build
    ("severity: info\nfor: region where region.value.text == 'y'\nassert: false",
     "set region.value.extra.seen = region.x"),
    ("severity: info\nfor: region where region.label == 'B'\nassert: false",
     "set region.from_name = upper(region.from_name)"),
    ("for: region where region.label == 'B'\nassert: region.from_name == 'l'", None),
    # the config's values in a fix, loops over pairs by two `for` clauses
    ("severity: info\nfor: region where region.type == 'rectanglelabels'\n"
     "assert: region.label in config.control('l').labels",
     "set region.label = config.control('l').labels[1]"),
    ("assert: count(a.label == b.label and a.id != b.id for a in regions for b in regions) < 3",
     None),
    # a region typed like a value field keeps its label there: a write to it changes it
    ("severity: info\nfor: region where region.height < 1\nassert: false\n"
     "message: \"label {region.label}\"", None),
]


def _ruleset(path, rules, fixes):
    lines = ["ruleset: t", 'version: "1"', "labeling_config: config.xml",
             "extends: [builtin:labeling-config]", "routes:", "  review: {priority: 1}",
             "rules:"]
    for position, index in enumerate(rules):
        body, fix = POOL[index]
        lines.append(f"  - id: r{position}-{index}")
        lines += [f"    {line}" for line in body.splitlines()]
        if fix and fixes:
            lines.append(f'    fix: "{fix}"')
    path.write_text("\n".join(lines) + "\n")
    return path


RULESETS = 6


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """Per random ruleset: (optimized, plain, every rule again, fixes taken out)."""
    directory = tmp_path_factory.mktemp("second-pass")
    (directory / "config.xml").write_text(CONFIG)
    picker = random.Random(20261202)
    found = []
    # the last: a write to a name a region keeps from its build, and a rule reading it
    picked = [picker.sample(range(len(POOL)), 11) for _ in range(RULESETS)]
    # and one where a write to `width` changes the label of a region typed `width`
    for number, rules in enumerate([*picked, [0, 21, 22, 23, 5, 12], [4, 26, 12]]):
        path = _ruleset(directory / f"r{number}.yaml", rules, fixes=True)
        optimized, plain = lsrules.load(path), lsrules.load(path, optimize=False)
        everything = lsrules.load(path)
        everything.second_pass_shortcut = False
        without = lsrules.load(_ruleset(directory / f"n{number}.yaml", rules, fixes=False))
        found.append((optimized, plain, everything, without))
    drawn = {rule.id.split("-")[1] for engine in found for rule in engine[0].rules}
    assert drawn >= {str(index) for index, (_, fix) in enumerate(POOL) if fix}, \
        "every fix of the pool is in some ruleset"
    return found


_NUMBER = st.one_of(st.none(), st.integers(-5, 120), st.sampled_from([0.5, "w", 60.5]))
_ITEMS = st.lists(st.fixed_dictionaries({
    "id": st.sampled_from(["a", "b", "c", 7, None]),
    "type": st.sampled_from(["rectanglelabels", "rectanglelabels", "labels", "x", "width"]),
    "from_name": st.sampled_from(["l", "l", "other", "colour"]),
    "to_name": st.just("image"),
    "value": st.fixed_dictionaries({
        "x": _NUMBER, "y": st.integers(0, 3), "width": _NUMBER, "height": _NUMBER,
        "text": st.sampled_from(["x", "y", None]),
        "rectanglelabels": st.lists(st.sampled_from(["A", "B", "a"]), max_size=2),
        "choices": st.lists(st.sampled_from(["Red", "Blue", "Happy"]), max_size=1),
    }),
}), max_size=5)


def _general_set_value_field(state, region, field, value, rule_index):
    """`Evaluation._set_value_field`'s shortcut not taken: the general path instead."""
    state._set_value(region, ("region", field), value, rule_index)
    state._writing(region)
    region.changed()


def _record(decision):
    record = decision.to_dict()
    del record["audit"]
    return record, decision.patch_to_apply


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, RULESETS + 1), result=_ITEMS, lead_time=_NUMBER,
       seen=st.sampled_from([None, True, False]))
def test_the_second_pass_judges_the_corrected_annotation(engines, which, result, lead_time,
                                                         seen):
    optimized, plain, everything, without = engines[which]
    task = {"id": 1, "data": {"image": "/i.png"}, "meta": {} if seen is None else {"seen": seen}}
    annotation = {"id": 2, "lead_time": lead_time, "result": result}
    before = copy.deepcopy((task, annotation))
    decision = optimized.evaluate(task, annotation)
    assert (task, annotation) == before  # a fix copies what it writes: the input stays
    assert not any(f.rule.startswith("lsrules-") for f in decision.findings)
    assert _record(decision) == _record(plain.evaluate(task, annotation))
    with mock.patch.object(Evaluation, "_set_value_field", _general_set_value_field):
        assert _record(decision) == _record(everything.evaluate(task, annotation))
    corrected = apply_patch(annotation, decision.patch)
    corrected_task = apply_patch(task, decision.task_patch)
    fresh = without.evaluate(corrected_task, corrected)
    standing = sorted((f.rule, repr(f.region_id)) for f in decision.findings if not f.fixed)
    assert standing == sorted((f.rule, repr(f.region_id)) for f in fresh.findings)
    if decision.verdict == "fixed":
        assert not any(f.severity == "error" for f in fresh.findings)


def test_a_write_to_the_field_a_region_keeps_its_label_in_is_read_at_once(engines):
    """A region typed `width` has its label in value.width: the next rule reads the new one."""
    optimized, plain, everything, _ = engines[-1]
    item = {"id": "a", "type": "width", "from_name": "l", "to_name": "image",
            "value": {"x": 1, "y": 1, "width": 5, "height": 0}}
    annotation = {"id": 2, "result": [item]}
    for engine in (optimized, plain, everything):
        decision = engine.evaluate({"id": 1, "data": {"image": "/i.png"}}, annotation)
        assert [op["value"] for op in decision.patch] == [55]
        assert [f.message for f in decision.findings if f.rule == "r1-26"] == ["label 55"]
