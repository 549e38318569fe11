"""Semantics through the compiled code: null, three-valued logic, arithmetic, comprehensions,
every built-in, messages and fixes. `value` reads an expression's value as `explain` shows
it; `truth` reads what a `when:` condition makes of it (see support.py)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lsrules
from lsrules.dsl.builtins import BUILTINS

from .support import (CONFIG, box, ellipse, evaluate, keypoint, polygon, quoted, span, truth,
                      value, video_box)

BOXES = [box("a", 10, 10, 20, 20, "Car"), box("b", 20, 20, 20, 20, "Bus"),
         box("c", 60, 60, 10, 10, "Car")]


# -- null ------------------------------------------------------------------------------------

NULL_SEMANTICS = [
    # (expression, value): a missing field is null and spreads through arithmetic,
    # ordering and membership; equality compares it like any value
    ("task.data.missing", None),
    ("task.data.missing.deeper.still", None),
    ("task.data.missing + 1", None), ("1 - null", None), ("null * 2", None),
    ("null / 2", None), ("2 % null", None), ("-task.data.missing", None),
    ("null < 1", None), ("1 >= null", None), ("null in [null]", None),
    ("1 in task.data.missing", None), ("task.data.missing not in [1]", None),
    ("null == null", True), ("task.data.missing == null", True), ("null != 1", True),
    ("0 == null", False), ('"" == null', False), ("false == null", False),
    ("1 / 0", None), ("1 % 0", None), ("0.0 / 0", None),
    ("task.data.items[10]", None), ("task.data.items[-4]", None), ("task.data.items[-1]", 3),
    ("task.data.text[0]", "A"), ("task.data.nested['a'].b", 1), ("task.data.items['x']", None),
    ("task.data.missing < task.data.zero < 2", None),  # chained, with a null first operand
    ("0 <= task.data.missing <= 100", None),
    ("5 < 1 < task.data.missing", False),  # one false pair makes the chain false
    ("task.data.price + 1", None),  # "12" + 1: a wrong type at run time is null
]


@pytest.mark.parametrize("expression, expected", NULL_SEMANTICS)
def test_null_semantics(expression, expected):
    assert value(expression) == expected


KLEENE = [
    ("true and null", None), ("false and null", False), ("null and false", False),
    ("true or null", True), ("null or true", True), ("false or null", None),
    ("not null", None), ("not true", False), ("not false", True),
    ("null and null", None), ("null or null", None),
    ("task.data.missing > 1 or task.data.zero == 0", True),
    ("task.data.missing > 1 and task.data.zero == 1", False),
    ("true if null else false", False), ("null if true else false", None),
]


@pytest.mark.parametrize("expression, expected", KLEENE)
def test_three_valued_logic_in_values_and_in_conditions(expression, expected):
    assert value(expression) is expected
    assert truth(expression) is expected


def test_assert_fails_closed_and_when_fails_open():
    decision = evaluate("""\
  - id: assert-null
    assert: task.data.missing > 1
  - id: when-null
    when: task.data.missing > 1
    assert: false
  - id: where-null
    for: region where region.score > 1
    assert: false
  - id: assert-true
    assert: task.data.zero == 0
""", result=BOXES)
    assert decision.fired == ["assert-null"]
    assert decision.verdict == "reject"


def test_a_data_error_in_a_condition_makes_it_null():
    decision = evaluate("""\
  - id: assert-type-error
    assert: task.data.text + 1 > 0
  - id: when-type-error
    when: task.data.text + 1 > 0
    assert: false
""")
    assert decision.fired == ["assert-type-error"]


# -- arithmetic: hypothesis against a reference evaluator -------------------------------------

def _reference(tree):
    """Null-safe arithmetic as docs/language.md states it, written independently."""
    if not isinstance(tree, tuple):
        return tree
    operator, left, right = tree
    a, b = _reference(left), _reference(right)
    if a is None or b is None:
        return None
    if operator in ("/", "%") and b == 0:
        return None
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None,
            "%": a % b if b else None}[operator]


def _text(tree) -> str:
    if tree is None:
        return "task.data.missing"
    if not isinstance(tree, tuple):
        return f"({tree})" if tree < 0 else str(tree)
    operator, left, right = tree
    return f"({_text(left)} {operator} {_text(right)})"


_ARITHMETIC = st.recursive(
    st.one_of(st.integers(-20, 20), st.sampled_from([0.5, 2.25, -1.5]), st.none()),
    lambda inner: st.tuples(st.sampled_from(["+", "-", "*", "/", "%"]), inner, inner),
    max_leaves=8,
)


@settings(max_examples=80, deadline=None)
@given(_ARITHMETIC)
def test_arithmetic_matches_a_reference_evaluator(tree):
    expected = _reference(tree)
    actual = value(_text(tree))
    if expected is None:
        assert actual is None
    else:
        assert actual is not None and math.isclose(actual, expected, rel_tol=1e-12,
                                                   abs_tol=1e-12), (_text(tree), actual)


_LOGIC = st.recursive(
    st.sampled_from(["true", "false", "null", "task.data.missing > 0", "task.data.zero == 0"]),
    lambda inner: st.one_of(st.tuples(st.sampled_from(["and", "or"]), inner, inner),
                            st.tuples(st.just("not"), inner)),
    max_leaves=6,
)
_LEAF_VALUES = {"true": True, "false": False, "null": None, "task.data.missing > 0": None,
                "task.data.zero == 0": True}


def _kleene(tree):
    if isinstance(tree, str):
        return _LEAF_VALUES[tree]
    if tree[0] == "not":
        inner = _kleene(tree[1])
        return None if inner is None else not inner
    left, right = _kleene(tree[1]), _kleene(tree[2])
    if tree[0] == "and":
        return False if False in (left, right) else True if left is right is True else None
    return True if True in (left, right) else False if left is right is False else None


def _logic_text(tree) -> str:
    if isinstance(tree, str):
        return tree
    if tree[0] == "not":
        return f"(not {_logic_text(tree[1])})"
    return f"({_logic_text(tree[1])} {tree[0]} {_logic_text(tree[2])})"


@settings(max_examples=60, deadline=None)
@given(_LOGIC)
def test_logic_matches_kleene_tables_as_value_and_as_condition(tree):
    text = _logic_text(tree)
    assert value(text) is _kleene(tree), text
    assert truth(text) is _kleene(tree), text


@pytest.mark.parametrize("expression, expected", [
    ("1 if null else 2", 2), ("1 if true else 2", 1), ("1 if false else null", None),
    ("7 / 2", 3.5), ("7 % 3", 1), ("-7 % 3", 2), ("2 - 3 - 4", -5), ("2 * 3 + 4", 10),
    ("1e3 + 1", 1001.0), ('"a" + "b"', "ab"), ("[1] + [2, 3]", [1, 2, 3]),
    ("-(2 + 3)", -5), ("1 < 2 < 3", True), ("3 > 2 > 2", False), ("1 == 1.0", True),
    ('"a" in "cat"', True), ('"x" in task.data', False), ('"text" in task.data', True),
    ("2 in task.data.items", True), ("4 not in task.data.items", True),
    ('"A" < "B"', True),
])
def test_operators(expression, expected):
    assert value(expression) == expected


# -- booleans are not numbers, `not` is Kleene, loop variables shadow `region` --

@pytest.mark.parametrize("expression", ["task.data.flag + 1", "-task.data.flag"])
def test_booleans_are_not_numbers_in_arithmetic(expression):
    assert value(expression) is None


@pytest.mark.parametrize("expression", ["task.data.flag == 1", "task.data.flag in [1]",
                                        "task.data.zero == false"])
def test_booleans_are_never_equal_to_numbers(expression):
    assert value(expression) is False


def test_not_of_a_number_is_null():
    assert value("not task.data.zero") is None


def test_a_loop_variable_named_region_is_the_loop_variable():
    assert value("count(region.x > 15 for region in regions)", result=BOXES) == 2


# -- comprehensions --------------------------------------------------------------------------

COMPREHENSIONS = [
    ("any(r.label == 'Bus' for r in regions)", True),
    ("any(r.label == 'Truck' for r in regions)", False),
    ("all(r.x >= 10 for r in regions)", True),
    ("all(r.score > 1 for r in regions)", False),  # a null element counts as false
    ("none(r.x > 100 for r in regions)", True),
    ("count(r.label == 'Car' for r in regions)", 2),
    ("count(r.score for r in regions)", 0),
    ("count(true for r in regions if r.x > 15)", 2),
    ("sum(r.width for r in regions)", 50),
    ("sum(r.score for r in regions)", 0),
    ("min(r.x for r in regions)", 10), ("max(r.x + r.width for r in regions)", 70),
    ("min(r.score for r in regions)", None),
    ("[r.id for r in regions if r.label == 'Car']", ["a", "c"]),
    ("[r.x * 2 for r in regions]", [20, 40, 120]),
    ("any(any(overlaps(r, o) and r.id != o.id for o in regions) for r in regions)", True),
    ("count(any(overlaps(r, o) and r.id != o.id for o in regions) for r in regions)", 2),
    ("[r.id for r in regions if none(contains(o, r) and o.id != r.id for o in regions)]",
     ["a", "b", "c"]),
    ("sum(count(o.x > r.x for o in regions) for r in regions)", 3),
    ("all(x > 0 for x in [r.x for r in regions])", True),
    ("count(x > 1 for x in task.data.items)", 2),
    ("any(x for x in task.data.missing)", False),  # a null list is empty
    ("all(x for x in task.data.text)", True),  # a string is not a list: nothing to iterate
    ("len(regions)", 3), ("regions[1].label", "Bus"), ("regions[5].label", None),
]


@pytest.mark.parametrize("expression, expected", COMPREHENSIONS)
def test_comprehensions_over_regions(expression, expected):
    assert value(expression, result=BOXES) == expected


@pytest.mark.parametrize("expression, expected", [
    ("any(true for r in regions)", False), ("all(false for r in regions)", True),
    ("none(true for r in regions)", True), ("count(true for r in regions)", 0),
    ("sum(r.x for r in regions)", 0), ("max(r.x for r in regions)", None),
    ("[r for r in regions]", []),
])
def test_comprehensions_over_no_regions(expression, expected):
    assert value(expression, result=[]) == expected


def test_items_sharing_an_id_are_one_region_and_relations_are_apart():
    result = [box("a", 1, 1, 5, 5),
              {"id": "a", "from_name": "quality", "to_name": "image", "type": "choices",
               "value": {"choices": ["Blurry"]}},
              box("b", 50, 50, 5, 5),
              {"type": "relation", "from_id": "a", "to_id": "b", "direction": "right"}]
    assert value("len(regions)", result=result) == 2
    assert value("regions[0].attrs.quality.choices[0]", result=result) == "Blurry"
    assert value("len(relations)", result=result) == 1
    assert value("relations[0].to_id", result=result) == "b"


def test_region_scope_sees_each_region():
    decision = evaluate("""\
  - id: small
    for: region where region.label == "Car"
    assert: region.width > 15
    message: "{region.id} is {region.width} wide"
""", result=BOXES)
    assert [(f.region_id, f.message) for f in decision.findings] == [("c", "c is 10 wide")]


def test_span_shorthands():
    result = [span("s", 0, 5, "PER", "Alice"), span("t", 4, 9, "PER", "e met")]
    assert value("region.text", result=result, region=0) == "Alice"
    assert value("overlaps(regions[0], regions[1])", result=result) is True
    assert value("region.end - region.start", result=result, region=1) == 5


# -- built-ins -------------------------------------------------------------------------------

BUILTIN_CASES = {
    "len": [("len(task.data.items)", 3), ("len('héllo')", 5), ("len(task.data.nested)", 1),
            ("len([])", 0), ("len(task.data.zero)", None), ("len(null)", None)],
    "lower": [("lower('CaR')", "car"), ("lower('')", ""), ("lower(task.data.zero)", None),
              ("lower(null)", None)],
    "upper": [("upper('ß')", "SS"), ("upper('a1')", "A1"), ("upper(null)", None)],
    "trim": [("trim('  a b \\n')", "a b"), ("trim('')", ""), ("trim(null)", None),
             ("trim(task.data.items)", None)],
    "matches": [("matches(task.data.text, '^[A-Z]')", True), ("matches('abc', 'b')", True),
                ("matches('abc', '^b')", False), ("matches('a1', '\\d$')", True),
                ("matches('', '^$')", True), ("matches(task.data.zero, 'a')", None),
                ("matches(null, 'a')", None)],
    "startswith": [("startswith(task.data.image, 's3://')", True),
                   ("startswith('abc', '')", True), ("startswith('abc', 'b')", False),
                   ("startswith(null, 'a')", None), ("startswith('a', null)", None)],
    "endswith": [("endswith(task.data.image, '.jpg')", True), ("endswith('abc', 'ab')", False),
                 ("endswith(null, 'a')", None), ("endswith('a', task.data.zero)", None)],
    "abs": [("abs(-2.5)", 2.5), ("abs(3)", 3), ("abs(0)", 0), ("abs(null)", None),
            ("abs(task.data.flag)", None), ("abs(task.data.price)", None)],
    "min": [("min(3, 1, 2)", 1), ("min(1)", 1), ("min(task.data.items)", 1),
            ("min([2, null, 1.5])", 1.5), ("min([])", None), ("min([null])", None),
            ("min(1, null)", None), ("min(['a', 'b'])", None), ("min(1, task.data.flag)", None)],
    "max": [("max(3, 1, 2)", 3), ("max(task.data.items)", 3), ("max([null, -1])", -1),
            ("max([])", None), ("max(null, 1)", None)],
    "round": [("round(2.567, 2)", 2.57), ("round(2.4)", 2), ("round(-2.6)", -3),
              ("round(1234, -2)", 1200), ("round(1.5, 16)", None), ("round(null)", None),
              ("round(2.5, null)", None), ("round(task.data.flag)", None)],
    "clamp": [("clamp(150, 0, 100)", 100), ("clamp(-1, 0, 100)", 0), ("clamp(5, 0, 100)", 5),
              ("clamp(null, 0, 1)", None), ("clamp(5, null, 10)", None),
              ("clamp(0.5, 0, 1)", 0.5)],
    "number": [("number(task.data.price)", 12), ("number('1.5')", 1.5), ("number(' 7 ')", 7),
               ("number('1e2')", 100.0), ("number(3)", 3), ("number('abc')", None),
               ("number('nan')", None), ("number('inf')", None), ("number('')", None),
               ("number(task.data.flag)", None), ("number(null)", None),
               ("number(task.data.items)", None), ("number('1_000')", None),
               ("number('0x10')", None)],
    "string": [("string(12)", "12"), ("string(2.0)", "2"), ("string(1.5)", "1.5"),
               ("string(true)", "true"), ("string('x')", "x"),
               ("string([1, 'a', null])", '[1, "a", null]'),
               ("string(task.data.nested)", '{"a": {"b": 1}}'), ("string(null)", None)],
    "unique": [("unique([1, 2, 1, 3, 2])", [1, 2, 3]), ("unique([])", []),
               ("unique(['b', 'a', 'b'])", ["b", "a"]), ("unique(null)", None),
               ("unique(task.data.text)", None), ("unique([[1], [1]])", [[1]]),
               ("unique([1, true, 1.0, false, 0])", [1, True, False, 0])],  # true is not 1
    "area": [("area(regions[0])", 400), ("area(regions[2])", 100), ("area(regions[9])", None),
             ("area(task.data.nested)", None), ("area(regions[5])", 400.0),
             ("area(regions[7])", math.pi * 50), ("area(regions[6])", None),
             ("area(regions[10])", 1600.0 - 600), ("area(regions[14])", 950.0)],
    "bbox": [("bbox(regions[0])", [10, 10, 30, 30]), ("bbox(regions[5])", [50, 50, 70, 70]),
             ("bbox(regions[7])", [10, 75, 30, 85]), ("bbox(regions[6])", [60, 55, 60, 55]),
             ("bbox(regions[14])", [15.0, 20.0, 80.0, 80.0]), ("bbox(null)", None)],
    "contains_point": [("contains_point(regions[5], 60, 60)", True),
                       ("contains_point(regions[5], 70, 60)", True),  # the edge counts
                       ("contains_point(regions[5], 71, 60)", False),
                       ("contains_point(regions[10], 20, 30)", False),  # in the notch
                       ("contains_point(regions[7], 29, 80)", True),
                       ("contains_point(regions[7], 29, 84)", False),
                       ("contains_point(regions[0], 10, 10)", True),
                       ("contains_point(regions[5], task.data.text, 60)", None)],
    "self_intersects": [("self_intersects(regions[5])", False),
                        ("self_intersects(regions[10])", False),
                        ("self_intersects(regions[8])", True),
                        ("self_intersects(regions[0])", None)],
    "box_at": [("box_at(regions[9], 1)", [10, 10, 30, 30]),
               ("box_at(regions[9], 6)", [20, 10, 40, 30]),  # half way
               ("box_at(regions[9], 11)", [30, 10, 50, 30]),
               ("box_at(regions[9], 12)", None),  # after the last keyframe
               ("box_at(regions[9], 0)", None), ("box_at(regions[0], 1)", None)],
    # dates (more in test_dates.py): ISO 8601 text, UTC, no clock; anything else is null
    "timestamp": [('timestamp("1970-01-01T00:01Z")', 60), ("timestamp(task.data.text)", None)],
    "date": [('date("2024-05-01T23:00-01:00")', "2024-05-02"), ("date(task.data.zero)", None)],
    "seconds_between": [('seconds_between("2024-05-01", "2024-05-01T00:00:01.5Z")', 1.5)],
    "days_between": [('days_between("2024-05-01", "2024-04-30")', -1)],
    "year": [('year("1999-12-31")', 1999)],
    "month": [('month("1999-12-31")', 12)],
    "day": [('day("1999-12-31")', 31)],
    "hour": [('hour("1999-12-31T23:59Z")', 23)],
    "weekday": [('weekday("1999-12-31")', 5)],
    "iou": [("iou(regions[0], regions[0])", 1.0),
            ("iou(regions[0], regions[1])", 100 / 700), ("iou(regions[0], regions[2])", 0.0),
            ("iou(regions[0], null)", None)],
    "overlaps": [("overlaps(regions[0], regions[1])", True),
                 ("overlaps(regions[0], regions[2])", False),
                 ("overlaps(regions[0], regions[3])", False),  # edges touching: no overlap
                 ("overlaps(regions[0], null)", None)],
    "contains": [("contains(regions[0], regions[4])", True),
                 ("contains(regions[0], regions[0])", True),  # edges included
                 ("contains(regions[4], regions[0])", False),
                 ("contains(regions[0], regions[1])", False), ("contains(null, regions[0])", None),
                 ("contains(regions[5], regions[6])", True),  # a keypoint in a polygon
                 ("contains(regions[10], regions[11])", False),  # ... in its notch
                 ("contains(regions[5], regions[13])", True),  # a box in a polygon
                 ("contains(regions[10], regions[12])", False),  # corners in, edges out
                 ("contains(regions[2], regions[5])", False),
                 ("contains(regions[5], regions[5])", True),
                 ("contains(regions[7], regions[7])", None),  # an ellipse in an ellipse
                 ("contains(regions[0], regions[7])", False),
                 ("contains(regions[6], regions[5])", None)],  # a point holds nothing
    "has": [("has(task.data.text)", True), ("has(task.data.nested.a.b)", True),
            ("has(task.data.nested.a.c)", False), ("has(task.data.missing.x)", False),
            ("has(task.meta)", True), ("has(annotation.lead_time)", False)],
}
SQUARE = [[50, 50], [70, 50], [70, 70], [50, 70]]
# A 20 x 10 mask with rows 2-4, columns 3-8 painted and the pixel (15, 7), encoded by Label
# Studio's own encoder (label_studio_sdk.converter.brush.mask2rle): 19 of 200 pixels
BRUSH = {"id": "m", "from_name": "paint", "to_name": "image", "type": "brushlabels",
         "original_width": 20, "original_height": 10,
         "value": {"format": "rle", "brushlabels": ["Sky"], "rle": [
             0, 0, 3, 32, 57, 27, 254, 171, 0, 194, 255, 248, 220, 3, 11, 255, 227, 112, 12,
             47, 255, 192, 65, 192, 35, 255, 213, 224, 0]}}
NOTCHED = [[0, 0], [40, 0], [40, 40], [20, 10], [0, 40]]  # a V cut up from the bottom
GEOMETRY = BOXES + [
    box("d", 30, 0, 10, 10), box("e", 15, 15, 5, 5),
    polygon("p", SQUARE),  # 5
    keypoint("k", 60, 55),  # 6
    ellipse("o", 20, 80, 10, 5),  # 7
    polygon("bow", [[0, 0], [10, 10], [10, 0], [0, 10]]),  # 8: a bow tie
    video_box("v", [{"frame": 1, "enabled": True, "x": 10, "y": 10, "width": 20,
                     "height": 20, "rotation": 0, "time": 0.04},
                    {"frame": 11, "enabled": False, "x": 30, "y": 10, "width": 20,
                     "height": 20, "rotation": 0, "time": 0.44}]),  # 9
    polygon("n", NOTCHED),  # 10
    keypoint("k2", 20, 30),  # 11: in the notch, outside polygon n
    box("f", 5, 25, 30, 2),  # 12: corners inside n, crossing the notch
    box("g", 55, 55, 5, 5),  # 13: inside the square polygon
    BRUSH,  # 14
]


def test_every_builtin_has_cases():
    assert set(BUILTIN_CASES) == set(BUILTINS)


@pytest.mark.parametrize("expression, expected", [
    case for cases in BUILTIN_CASES.values() for case in cases])
def test_builtins(expression, expected):
    actual = value(expression, result=GEOMETRY)
    if isinstance(expected, float):
        assert actual == pytest.approx(expected)
    else:
        assert actual == expected and type(actual) is type(expected), actual


def test_has_sees_a_present_null():
    task = {"id": 1, "data": {"image": None}}
    assert value("has(task.data.image)", task=task) is True
    assert value("task.data.image == null", task=task) is True


def test_spans_are_half_open():
    touching = [span("s", 0, 5), span("t", 5, 9), span("u", 4, 5)]
    assert value("overlaps(regions[0], regions[1])", result=touching) is False
    assert value("overlaps(regions[0], regions[2])", result=touching) is True
    assert value("contains(regions[0], regions[2])", result=touching) is True


def test_config_labels(tmp_path):
    (tmp_path / "c.xml").write_text(CONFIG)
    path = tmp_path / "r.yaml"
    path.write_text('ruleset: t\nversion: "1"\nlabeling_config: c.xml\nrules:\n'
                    '  - id: a\n    for: region\n'
                    '    assert: region.label in config.labels("label")\n'
                    '    message: "{config.labels(\'label\')}"\n')
    result = [box("a", 1, 1, 1, 1, "Car"), box("b", 1, 1, 1, 1, "Van")]
    decision = lsrules.load(path).evaluate({"id": 1, "data": {}}, {"id": 2, "result": result})
    assert [(f.region_id, f.message) for f in decision.findings] == [("b", '["Car", "Bus"]')]


# -- messages --------------------------------------------------------------------------------

@pytest.mark.parametrize("message, expected", [
    ("box {region.id} at {region.x}", "box a at 10"),
    ("{region.score}", "null"),
    ("{region.x > 5} {region.x < 5}", "true false"),
    ("{region.x / 4}", "2.5"),
    ("{region.x / 2}", "5"),  # 5.0 prints as 5
    ("{region.labels}", '["Car"]'),
    ("{{literal}} {region.label}", "{literal} Car"),
    ("{'}' + region.label}", "}Car"),
    ("{region.label + 1}", "null"),  # a data error prints as null
    ("no placeholders", "no placeholders"),
])
def test_message_formatting(message, expected):
    decision = evaluate("  - id: m\n    for: region\n    when: true\n"
                        f"    message: {quoted(message)}\n", result=BOXES[:1])
    assert [f.message for f in decision.findings] == [expected]


def test_default_message_is_the_description_or_the_rule_id():
    decision = evaluate("""\
  - id: described
    description: Something is off.
    when: true
  - id: bare
    when: true
""")
    assert [f.message for f in decision.findings] == ["Something is off.", "rule bare failed"]


# -- fixes -----------------------------------------------------------------------------------

def test_fix_actions_run_in_order_and_see_each_other():
    decision = evaluate("""\
  - id: f
    for: region where region.id == "a"
    when: true
    fix:
      - set region.x = region.x + 1
      - set region.x = region.x * 2
      - add_label "Occluded"
      - remove_label "Car"
      - set task.meta.checked = string(region.x)
""", result=BOXES[:1])
    value_patch = {op["path"]: op.get("value") for op in decision.patch}
    assert value_patch["/result/0/value/x"] == 22
    assert decision.task_patch and decision.task_patch[-1]["value"] == "22"
    assert {"op": "add", "path": "/result/0/value/rectanglelabels/-",
            "value": "Occluded"} in decision.patch
    assert {"op": "remove", "path": "/result/0/value/rectanglelabels/0"} in decision.patch


def test_a_set_to_null_emits_nothing():
    decision = evaluate("""\
  - id: f
    for: region
    when: true
    fix: set region.x = region.score
""", result=BOXES[:1])
    assert decision.patch == []
