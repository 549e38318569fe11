"""`config.control(name)` and `region.attrs.<from_name>.<key>`: values and types from the
labeling config."""
from __future__ import annotations

import pytest

from lsrules.dsl.config_values import ControlView
from lsrules.engine.engine import Engine

from .support import HEADER, load, quoted

CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car"/><Label value="Bus"/>
  </RectangleLabels>
  <Choices name="severity" toName="image" perRegion="true" required="true">
    <Choice value="Low"/><Choice value="High"/>
  </Choices>
  <Number name="count" toName="image" perRegion="true" min="0" max="20"/>
  <Rating name="urgency" toName="image" maxRating="10"/>
  <Rating name="stars" toName="image"/>
</View>
"""


def engine_for(tmp_path, rules: str):
    (tmp_path / "c.xml").write_text(CONFIG)
    ruleset, diagnostics = load(HEADER + "labeling_config: c.xml\nrules:\n" + rules,
                                tmp_path / "r.yaml")
    errors = [str(d) for d in diagnostics if d.severity == "error"]
    assert not errors, errors
    return Engine(ruleset), diagnostics


def diagnostics_of(tmp_path, rules: str):
    (tmp_path / "c.xml").write_text(CONFIG)
    _, diagnostics = load(HEADER + "labeling_config: c.xml\nrules:\n" + rules,
                          tmp_path / "r.yaml")
    return [(d.code, d.severity, d.location.column, d.suggestion) for d in diagnostics]


def box(region_id="a", severity=None, count=None):
    items = [{"id": region_id, "from_name": "label", "to_name": "image",
              "type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 5, "height": 5,
                                                   "rectanglelabels": ["Car"]}}]
    if severity is not None:
        items.append({"id": region_id, "from_name": "severity", "to_name": "image",
                      "type": "choices", "value": {"x": 1, "y": 1, "width": 5, "height": 5,
                                                   "choices": [severity]}})
    if count is not None:
        items.append({"id": region_id, "from_name": "count", "to_name": "image",
                      "type": "number", "value": {"number": count}})
    return items


def rating(value, name="urgency"):
    return [{"id": "r", "from_name": name, "to_name": "image", "type": "rating",
             "value": {"rating": value}}]


def message_of(engine, result):
    decision = engine.evaluate({"id": 1, "data": {"image": "x"}}, {"id": 2, "result": result})
    return [finding.message for finding in decision.findings]


@pytest.mark.parametrize("expression, expected", [
    ('config.control("urgency").maxRating', "10"),
    ('config.control("stars").maxRating', "5"),  # Label Studio's default
    ('config.control("severity").choices', '["Low", "High"]'),
    ('config.control("label").labels', '["Car", "Bus"]'),
    ('config.control("severity").required', "true"),
    ('config.control("severity").perRegion', "true"),
    ('config.control("count").max - config.control("count").min', "20"),
    ('config.control("severity").toName', "image"),
    ('config.control("severity").to_names', '["image"]'),
    ('config.control("urgency").tag', "Rating"),
    ('config.control("urgency").type', "rating"),
    ('config.control("urgency").MAXRATING', "10"),  # attribute names, like Label Studio's
    ('config.control("stars").min', "null"),  # not set, no default
    ('config.control(task.data.which).maxRating', "10"),  # a name known at run time
    ('config.control(task.data.missing)', "null"),
])
def test_control_values(tmp_path, expression, expected):
    engine, _ = engine_for(tmp_path, "  - id: a\n    assert: false\n    message: " + quoted("{" + expression + "}") + "\n")
    decision = engine.evaluate({"id": 1, "data": {"image": "x", "which": "urgency"}},
                               {"id": 2, "result": []})
    assert [finding.message for finding in decision.findings] == [expected]


def test_a_rule_reads_the_bound_from_the_config(tmp_path):
    engine, _ = engine_for(tmp_path, (
        "  - id: too-urgent\n    for: region where region.from_name == 'urgency'\n"
        "    assert: region.value.rating <= config.control('urgency').maxRating\n"))
    assert message_of(engine, rating(10)) == []
    assert message_of(engine, rating(11)) == ["rule too-urgent failed"]


def test_the_views_are_built_once_per_ruleset(tmp_path):
    """A literal name is resolved when compiling: the generated code reads a constant."""
    engine, _ = engine_for(tmp_path, (
        "  - id: a\n    for: region\n"
        "    assert: region.label in config.control('label').labels\n"))
    source = engine.namespace["__source__"]
    views = {name: value for name, value in engine.namespace.items()
             if name.startswith("_c") and isinstance(value, ControlView)}
    assert "_config_control(" not in source
    assert any(name in source for name in views)
    assert len({id(view) for view in views.values()}) == 1  # one view, whoever reads it
    assert message_of(engine, box()) == []


def test_a_fix_that_stores_a_config_list_cannot_change_the_config(tmp_path):
    """`set` keeps the value it is given; later edits of the annotation's list must not
    reach the next annotation's `config.control(...).labels`."""
    engine, _ = engine_for(tmp_path, (
        "  - id: reset\n    for: region where region.type == 'rectanglelabels'\n"
        "    assert: false\n    fix:\n      - set region.labels = config.control('label').labels\n"
        "      - add_label 'Car'\n      - remove_label 'Bus'\n"
        "  - id: still\n    assert: config.control('label').labels == ['Car', 'Bus']\n"))
    for _ in range(2):
        decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": box()})
        assert "still" not in decision.fired


def test_attrs_values_are_read(tmp_path):
    engine, _ = engine_for(tmp_path, (
        "  - id: high\n    for: region where region.type == 'rectanglelabels'\n"
        "    when: '\"High\" in region.attrs.severity.choices'\n    assert: false\n"
        "  - id: many\n    for: region where region.type == 'rectanglelabels'\n"
        "    when: region.attrs.count.number > config.control('count').max\n"
        "    assert: false\n"))
    assert message_of(engine, box(severity="High")) == ["rule high failed"]
    assert message_of(engine, box(severity="Low", count=21)) == ["rule many failed"]
    assert message_of(engine, box(count=3)) == []


@pytest.mark.parametrize("rules, expected", [
    # a control attribute that is neither set nor defaulted: null at run time
    ("    assert: config.control('urgency').maxRatin > 0\n",
     [("LSR133", "warning", 39, "maxrating")]),
    ("    assert: config.control('urgncy').maxRating > 0\n",
     [("LSR130", "error", 28, "urgency")]),
    # typed from the attribute's text: a number is not ordered with a string
    ("    assert: config.control('urgency').maxRating > '3'\n",
     [("LSR114", "warning", 13, None)]),
    ("    assert: config.control('severity').choices == 'Low'\n",
     [("LSR114", "warning", 13, "'Low' in config.control('severity').choices")]),
    ("    assert: config.labels('label') != []\n", []),
    ("    assert: config.controls('label') != []\n", [("LSR111", "error", 13, "control")]),
    ("    assert: config.control('label', 'x') != null\n", [("LSR113", "error", 13, None)]),
    ("    assert: config.maxRating > 0\n", [("LSR112", "error", 20, None)]),
    # attrs: the control must exist, and its key too
    ("    for: region\n    assert: region.attrs.sevrity != null\n",
     [("LSR133", "warning", 26, "severity")]),
    ("    for: region\n    assert: region.attrs.severity.choises != null\n",
     [("LSR133", "warning", 35, "choices")]),
    ("    for: region\n    assert: region.attrs.count.number < '3'\n",
     [("LSR114", "warning", 13, None)]),
    ("    for: region\n    assert: any('High' in r.attrs.severity.choices for r in regions)\n",
     []),
    # a comprehension's `if`, or the left of an `and`, fixes its variable's types
    ("    assert: any(r.value.x > 3 for r in regions if r.type == 'rating')\n",
     [("LSR133", "warning", 25, None)]),
    ("    assert: any(r.type == 'rating' and r.value.ratng > 3 for r in regions)\n",
     [("LSR133", "warning", 48, "rating")]),
    ("    assert: any(r.value.rating > 3 for r in regions if r.from_name == 'urgency')\n", []),
    ("    assert: any(r.value.x > 3 for r in regions)\n", []),  # a box has x
    # a per-region answer's item carries its region's geometry
    ("    assert: any(r.value.x > 3 for r in regions if r.type == 'choices')\n", []),
    # an inner loop's variable of the same name is not narrowed by the outer `if`
    ("    assert: any(any(r.value.x > 3 for r in regions) for r in regions "
     "if r.type == 'rating')\n", []),
])
def test_config_values_are_checked(tmp_path, rules, expected):
    assert diagnostics_of(tmp_path, "  - id: a\n" + rules) == expected


def test_without_a_config_control_is_null_and_unchecked(tmp_path):
    ruleset, diagnostics = load(HEADER + "rules:\n  - id: a\n    assert: false\n"
                                "    message: \"{config.control('x').whatever}\"\n")
    assert [d.code for d in diagnostics] == []
    decision = Engine(ruleset).evaluate({"id": 1, "data": {}}, {"id": 2, "result": []})
    assert [finding.message for finding in decision.findings] == ["null"]
