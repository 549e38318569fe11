"""`defs:`: named expressions the rules share, inlined where used, checked once."""
from __future__ import annotations

import json

import pytest

from lsrules.dsl import nodes
from lsrules.dsl.definitions import MAX_EXPANDED_NODES, Definition, expand
from lsrules.dsl.parser import parse
from lsrules.engine.engine import Engine

from tests.dsl.support import HEADER, load


def box(region_id, label, x=0, width=20):
    return {"id": region_id, "from_name": "label", "to_name": "image",
            "type": "rectanglelabels",
            "value": {"x": x, "y": 0, "width": width, "height": 10, "rectanglelabels": [label]}}


def engine(text: str) -> Engine:
    ruleset, diagnostics = load(HEADER + text)
    assert [str(d) for d in diagnostics] == []
    return Engine(ruleset)


def findings(engine_, result, data=None):
    decision = engine_.evaluate({"id": 1, "data": data or {}}, {"id": 2, "result": result})
    return [(f.rule, f.region_id, f.message) for f in decision.findings]


DEFS = """defs:
  vehicle: region.label in ["Car", "Bus"]
  twin(o): any(x.label == o.label and x.id != o.id for x in regions)
  wide(r): r.width > limit
  limit: 30
  both(a, b): a and b
"""


def test_definitions_are_used_in_every_part_of_a_rule():
    rules = engine(DEFS + """rules:
  - id: twin-vehicle
    for: region where vehicle
    when: twin(region)
    assert: false
    message: "{region.id} has a twin; wide: {wide(region)}, limit {limit}"
  - id: narrow
    for: region where both(vehicle, not wide(region))
    assert: false
    fix: set region.width = limit + 1
""")
    result = [box("a", "Car"), box("b", "Car", width=40), box("c", "Bus"), box("d", "Tree")]
    assert findings(rules, result) == [
        ("twin-vehicle", "a", "a has a twin; wide: false, limit 30"),
        ("twin-vehicle", "b", "b has a twin; wide: true, limit 30"),
        ("narrow", "a", "rule narrow failed"), ("narrow", "c", "rule narrow failed")]
    decision = rules.evaluate({"id": 1, "data": {}}, {"id": 2, "result": result})
    assert [op["value"] for op in decision.patch] == [31, 31]


def test_an_argument_is_never_captured_by_a_loop_variable_of_the_body():
    """`twin(x)` inside `... for x in regions`: the body's own `x` is another variable."""
    rules = engine(DEFS + """rules:
  - id: twins
    assert: count(twin(x) for x in regions) == 0
    message: "{count(twin(x) for x in regions)} {[x.id for x in regions if twin(x)]}"
""")
    result = [box("a", "Car"), box("b", "Car"), box("c", "Bus")]
    assert findings(rules, result) == [("twins", None, '2 ["a", "b"]')]
    written = parse("count(twin(x) for x in regions)")
    inlined = expand(written, {"twin": Definition("twin", ("o",), parse(
        "any(x.label == o.label and x.id != o.id for x in regions)"))})
    inner = inlined.element
    assert isinstance(inner, nodes.Comprehension) and inner.variable != "x"
    mine, argument = inner.element.left.operands  # `x.label == o.label`, renamed
    assert (mine.value.name, argument.value.name) == (inner.variable, "x")


def test_each_use_gets_nodes_of_its_own():
    """The compiler's passes key facts by node identity: a definition used twice is two
    subtrees, not one shared."""
    node = expand(parse("vehicle and not vehicle"),
                  {"vehicle": Definition("vehicle", (), parse('region.label == "Car"'))})
    ids = [id(part) for part in node.walk()]
    assert len(ids) == len(set(ids))


def test_a_fix_that_changes_what_a_definition_reads_runs_its_rule_again():
    """The second pass knows what each rule reads through its definitions."""
    rules = engine(DEFS + """rules:
  - id: no-vehicle-twins
    for: region where vehicle
    assert: not twin(region)
  - id: rename
    for: region where region.label == "Truck"
    assert: false
    fix: set region.label = "Car"
""")
    decision = rules.evaluate({"id": 1, "data": {}},
                              {"id": 2, "result": [box("a", "Car"), box("b", "Truck")]})
    assert [(f.rule, f.region_id, f.introduced_by_fix) for f in decision.findings
            if f.rule == "no-vehicle-twins"] == [("no-vehicle-twins", "a", ["rename"]),
                                                 ("no-vehicle-twins", "b", ["rename"])]


@pytest.mark.parametrize("defs, rule, expected", [
    ("  a: b + 1\n  b: a * 2\n", "    assert: a > 0\n",
     [("LSR129", 7, 6, "definitions may not use themselves: `a` -> `b` -> `a`")]),
    ("  a: a + 1\n", "    assert: a > 0\n",
     [("LSR129", 6, 6, "definitions may not use themselves: `a` -> `a`")]),
    ("  len: 3\n", "    assert: true\n",
     [("LSR129", 6, 3, "`len` is a name of the language; a definition and its parameters "
       "need names of their own")]),
    ("  f(task): task\n", "    assert: true\n",
     [("LSR129", 6, 3, "`task` is a name of the language; a definition and its parameters "
       "need names of their own")]),
    ("  f(x, x): x\n", "    assert: true\n",
     [("LSR129", 6, 3, "parameter `x` of `f` is named twice")]),
    # a mistake inside a definition is reported once, where it is written
    ("  f(x): x.lable + taks.id\n", "    assert: f(task) > 0 and f(annotation) > 0\n",
     [("LSR110", 6, 19, "unknown name `taks`")]),
    ("  same(a, b): a == b\n", "    assert: same(1)\n",
     [("LSR113", 9, 13, "`same` takes 2 arguments, not 1")]),
    ("  same(a, b): a == b\n", "    assert: same\n",
     [("LSR113", 9, 13, "`same` takes 2 arguments: `same(a, b)`")]),
    ("  wide: region.width > 5\n", "    assert: wide\n",
     [("LSR115", 9, 13, "`wide` reads `region`, which exists only in a rule with `for: region`")]),
    ("  wide: region.width > 5\n", "    assert: wid\n", [("LSR110", 9, 13, "unknown name `wid`")]),
    # the definition's type is checked where it is used
    ("  name: '\"x\"'\n", "    assert: name > 3\n",
     [("LSR114", 9, 13, "cannot order a string and a number with `>`")]),
])
def test_definitions_are_checked(defs, rule, expected):
    _, diagnostics = load(HEADER + "defs:\n" + defs + "rules:\n  - id: r\n" + rule)
    assert [(d.code, d.location.line, d.location.column, d.message) for d in diagnostics] == \
        expected


def test_did_you_mean_knows_the_definitions():
    _, diagnostics = load(HEADER + "defs:\n  vehicle: 1\nrules:\n  - id: r\n"
                          "    assert: vehicel > 0\n")
    assert [(d.code, d.suggestion) for d in diagnostics] == [("LSR110", "vehicle")]


def test_definitions_that_double_at_each_step_are_refused():
    defs = "".join(f"  d{n}: d{n - 1} + d{n - 1}\n" for n in range(1, 20))
    _, diagnostics = load(HEADER + "defs:\n  d0: 1\n" + defs + "rules:\n  - id: r\n"
                          "    assert: d19 > 0\n")
    assert [(d.code, d.location.line) for d in diagnostics] == [("LSR129", 28)]
    assert f"more than {MAX_EXPANDED_NODES:,} parts" in diagnostics[0].message


@pytest.mark.parametrize("key", ["f(a b)", " f", "f (a)", "f(a , b)", "f(a,)",
                                 "f" + " " * 20_000 + "!"])
def test_a_definition_key_of_another_shape_is_a_schema_error(key):
    """Spaces only after a comma: the key's pattern has no two optional runs of white space
    side by side, so it stays linear on a hostile key."""
    _, diagnostics = load(HEADER + f"defs:\n  ? {json.dumps(key)}\n  : 1\nrules:\n"
                          "  - id: r\n    assert: true\n")
    assert [d.code for d in diagnostics] == ["LSR001"]


STREAM_DEFS = """defs:
  fast(e): e.annotation.lead_time < 2
  rushed(n): count(fast(e) for e in n) >= 3
  boxes: len(regions)
"""


def test_a_definition_of_its_parameters_serves_stream_rules_too(tmp_path):
    from lsrules.streams.runtime import StreamRuntime
    from tests.streams.helpers import annotation

    path = tmp_path / "streams.yaml"
    path.write_text(HEADER + STREAM_DEFS + "rules:\n  - id: one\n    assert: boxes < 9\n"
                    "streams:\n  - id: rushers\n    when: rushed(window(\"1m\"))\n"
                    "    message: \"{count(fast(e) for e in window('1m'))} fast\"\n")
    ruleset, diagnostics = load(path.read_text(), path)
    assert [str(d) for d in diagnostics] == []
    runtime = StreamRuntime(ruleset)
    found = []
    for task, item in [annotation(n, 7, 10 * n, lead=1) for n in range(3)]:
        found += runtime.feed(task, item, "accept")
    assert [finding.message for finding in found] == ["3 fast"]


def test_a_stream_rule_cannot_use_a_definition_of_the_rules_names():
    _, diagnostics = load(HEADER + STREAM_DEFS + "rules:\n  - id: one\n    assert: true\n"
                          "streams:\n  - id: s\n    when: boxes > 2 and fast(event)\n")
    assert [(d.code, d.location.line, d.location.column) for d in diagnostics] == [
        ("LSR143", 14, 11)]
    assert "`boxes` reads `regions`" in diagnostics[0].message
