"""Conditions compile to plain booleans (`ExpressionGenerator.truth` / `falsity`); they must
agree with the three-valued value of the same expression (`visit(node) is True` / `is False`).

The value form is the reference: it is what `explain` shows and what messages print. The
condition form is what `when`, `assert`, scope filters and comprehension predicates run.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lsrules.dsl import runtime
from lsrules.dsl.builtins import length
from lsrules.dsl.compiler.expressions import ExpressionGenerator
from lsrules.dsl.compiler.frame import Frame
from lsrules.dsl.compiler.module import module_globals
from lsrules.dsl.parser import parse

OPERANDS = ["1", "2", "2.5", "null", '"a"', '"b"', "true", "false", "[1, 2]",
            "annotation.a", "annotation.b", "annotation.c", "annotation.s", "annotation.items"]
COMPARISONS = ["==", "!=", "<", "<=", ">", ">=", "in", "not in"]


def _expressions():
    leaf = st.sampled_from(OPERANDS)
    compare = st.builds(lambda a, op, b: f"{a} {op} {b}", leaf, st.sampled_from(COMPARISONS), leaf)
    chain = st.builds(lambda a, b, c: f"{a} < {b} <= {c}", leaf, leaf, leaf)
    count = st.builds(lambda op, b: f"count(x {op} {b} for x in annotation.items)",
                      st.sampled_from(COMPARISONS[:6]), leaf)
    any_ = st.builds(lambda op, b: f"any(x {op} {b} for x in annotation.items if x != null)",
                     st.sampled_from(COMPARISONS[:6]), leaf)
    base = st.one_of(leaf, compare, chain, count, any_)
    return st.recursive(
        base,
        lambda inner: st.one_of(
            st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
            st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
            st.builds(lambda a: f"not ({a})", inner),
            st.builds(lambda a, b, c: f"({a}) if ({b}) else ({c})", inner, inner, inner),
        ),
        max_leaves=6,
    )


_VALUES = st.one_of(st.none(), st.integers(-2, 3), st.sampled_from(["a", "b", 1.5, True]))
_ANNOTATIONS = st.fixed_dictionaries({
    "a": _VALUES, "b": _VALUES, "c": _VALUES, "s": _VALUES,
    "items": st.lists(_VALUES, max_size=4),
})


def _compile(text: str):
    node = parse(text)
    generator, frame = ExpressionGenerator(), Frame()
    generator.budget = None  # a bare expression: no evaluation to pay for its loops
    sources = {"value": generator.visit(node, frame), "truth": generator.truth(node, frame),
               "falsity": generator.falsity(node, frame)}
    return {kind: eval(compile(f"lambda annotation: {source}", text, "eval"),
                       module_globals()) for kind, source in sources.items()}


def _run(function, annotation):
    try:
        return function(annotation)
    except runtime.DATA_ERRORS:
        return "error"


@settings(max_examples=600, deadline=None)
@given(_expressions(), _ANNOTATIONS)
def test_conditions_agree_with_three_valued_values(text, annotation):
    compiled = _compile(text)
    value = _run(compiled["value"], annotation)
    truth = _run(compiled["truth"], annotation)
    falsity = _run(compiled["falsity"], annotation)
    if value == "error":
        # a type error somewhere: the value form evaluates every operand of a Kleene
        # `and`/`or` whose left side is null; the condition form stops once the outcome is
        # settled ("not true" already), so it may never reach the bad operand. Either way
        # the rule sees a definite outcome or null, never a crash.
        assert truth in (True, False, "error") and falsity in (True, False, "error"), text
        return
    assert truth is (value is True), text
    assert falsity is (value is False), text


_JSON = st.one_of(_VALUES, st.sampled_from(["", "abc", [], [1, True], {"k": 1}, False, 0, 2.0,
                                           -1, -4, 7]))


@settings(max_examples=600, deadline=None)
@given(_JSON, _JSON)
def test_inlined_index_len_and_number_equality_agree_with_the_runtime(first, second):
    # `a[b]`, `len(a)` and `a == <number>` are inlined for the common types; the runtime
    # helpers (`index`, `length`, `equal`) are the reference for every value
    annotation = {"a": first, "b": second}
    found = _compile("annotation.a[annotation.b]")["value"](annotation)
    expected = runtime.index(first, second)
    assert found == expected and found.__class__ is expected.__class__
    assert _compile("len(annotation.a)")["value"](annotation) == length(first)
    for literal in ("1", "0", "2.0", "-1"):
        number = float(literal) if "." in literal else int(literal)
        for operator, expected in (("==", runtime.equal(first, number)),
                                   ("!=", not runtime.equal(first, number))):
            compiled = _compile(f"annotation.a {operator} {literal}")
            assert compiled["value"](annotation) is expected, (first, operator, literal)
            assert compiled["truth"](annotation) is expected, (first, operator, literal)
            assert compiled["falsity"](annotation) is (not expected), (first, operator, literal)


def test_conditions_are_plain_booleans_without_three_valued_temporaries():
    source = ExpressionGenerator().truth(parse("annotation.a > 1 and not annotation.b"), Frame())
    assert "None if" not in source and "is True" not in source


def test_a_chain_with_a_null_first_operand_is_null_not_a_crash():
    # the value form once skipped binding the middle operand when the first was null, and
    # the next pair read an unbound temporary (UnboundLocalError, not a data error)
    compiled = _compile("annotation.c < 1 <= annotation.s")
    assert compiled["value"]({"c": None, "s": 2}) is None
    assert compiled["truth"]({"c": None, "s": 2}) is False
    assert compiled["value"]({"c": 0, "s": 2}) is True


def test_a_comprehension_over_a_filtered_comprehension_compiles_and_runs(tmp_path):
    # Python forbids `:=` inside a comprehension's iterable; the generator binds the
    # iterable (and the loop's invariant parts) before the loop instead
    import lsrules

    ruleset = tmp_path / "nested.yaml"
    ruleset.write_text(
        'ruleset: nested\nversion: "1"\nrules:\n  - id: a-big-car\n    severity: warning\n'
        '    when: any(l == "Car" for l in [r.label for r in regions if r.x > 1 and r.y < 5])\n'
        '  - id: same-label-twice\n    severity: warning\n    for: region\n'
        '    when: count(lower(o.label) == lower(region.label) for o in regions) > 1\n')
    engine = lsrules.load(ruleset)
    box = {"from_name": "l", "to_name": "i", "type": "rectanglelabels"}
    result = [dict(box, id="a", value={"x": 2, "y": 1, "width": 1, "height": 1,
                                       "rectanglelabels": ["Car"]}),
              dict(box, id="b", value={"x": 0, "y": 1, "width": 1, "height": 1,
                                       "rectanglelabels": ["car"]})]
    fired = [f.rule for f in engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": result})
             .findings]
    assert fired == ["a-big-car", "same-label-twice", "same-label-twice"]
    import re

    # lower(region.label) is computed once per region, before the loop over `o`
    assert re.search(r"\(\(_t\d+ := \(_t\d+\.lower\(\) if \(_t\d+ := region\.label\)"
                     r"\.__class__ is _str else None\)\), ", engine.source), engine.source
