"""Comprehensions with several `for` clauses: Python's meaning, each loop paid for."""
from __future__ import annotations

import itertools

import pytest

from lsrules.dsl import nodes
from lsrules.dsl.parser import parse

from .support import HEADER, evaluate, load, value

XS = [1, 2, 3]
YS = [2, 3, 5]


def pairs(condition=lambda a, b: True):
    return [(a, b) for a, b in itertools.product(XS, YS) if condition(a, b)]


@pytest.mark.parametrize("expression, expected", [
    ("[a * 10 + b for a in [1, 2, 3] for b in [2, 3, 5]]", [a * 10 + b for a, b in pairs()]),
    ("[a + b for a in [1, 2, 3] if a > 1 for b in [2, 3, 5] if b != a]",
     [a + b for a, b in pairs(lambda a, b: a > 1 and b != a)]),
    ("[a + b for a in [1, 2, 3] for b in [2, 3, 5] if b > 2 if a < 3]",  # `if` twice: both
     [a + b for a, b in pairs(lambda a, b: b > 2 and a < 3)]),
    ("count(a < b for a in [1, 2, 3] for b in [2, 3, 5])", len(pairs(lambda a, b: a < b))),
    ("count(a < b for a in [1, 2, 3] for b in [2, 3, 5] if b != 5)",
     len(pairs(lambda a, b: a < b and b != 5))),
    ("any(a + b == 8 for a in [1, 2, 3] for b in [2, 3, 5])", True),
    ("any(a + b == 9 for a in [1, 2, 3] for b in [2, 3, 5])", False),
    ("all(a < b + 1 for a in [1, 2, 3] for b in [2, 3, 5])", False),
    ("all(a < b + 2 for a in [1, 2, 3] for b in [2, 3, 5])", True),
    ("none(a == b for a in [1, 2, 3] for b in [2, 3, 5])", False),
    ("none(a == b for a in [1] for b in [2, 3, 5])", True),
    ("sum(a * b for a in [1, 2, 3] for b in [2, 3, 5])", sum(a * b for a, b in pairs())),
    ("min(a - b for a in [1, 2, 3] for b in [2, 3, 5])", -4),
    ("max(a - b for a in [1, 2, 3] for b in [2, 3, 5] if b > 9)", None),
    # the inner list may come from the outer item; a null or a number has no items
    ("[c for a in [[1, 2], null, [3], 4] for c in a]", [1, 2, 3]),
    ("[[x, y, z] for x in [1] for y in [2, 3] for z in [4, 5]]",
     [[1, y, z] for y in (2, 3) for z in (4, 5)]),
    ("count(c > 1 for a in [[1, 2], [3]] for c in a)", 2),
])
def test_several_for_clauses_mean_what_they_mean_in_python(expression, expected):
    assert value(expression) == expected


def test_the_loops_nest_first_outermost_with_spans_in_the_text():
    text = "count(a < b for a in x if a for b in y)"
    node = parse(text)
    assert isinstance(node, nodes.Comprehension) and (node.kind, node.variable) == ("sum", "a")
    inner = node.element
    assert isinstance(inner, nodes.Comprehension) and (inner.kind, inner.variable) == (
        "count", "b")
    assert text[node.span.start:node.span.end] == text[:-1]
    assert text[inner.span.start:inner.span.end] == "a < b for a in x if a for b in y"
    listed = parse("[a for a in x for b in y]")
    assert isinstance(listed, nodes.Flatten) and listed.value.kind == "list"


def test_regions_pairs_and_their_texts():
    result = [{"id": str(n), "from_name": "ner", "to_name": "text", "type": "labels",
               "value": {"start": n, "end": n + 1, "text": [t], "labels": ["PER"]}}
              for n, t in enumerate(["Alice", "Bob"])]
    assert value("[t for r in regions for t in r.value.text]", result=result) == ["Alice", "Bob"]
    assert value('any(t == "Bob" for c in regions for t in c.value.text)', result=result)


def test_each_loop_is_paid_for():
    """Outer items, and the inner list once per outer item: 10 + 10 x 10 steps here."""
    rules = ("  - id: pairs\n    assert: "
             "count(a == b for a in task.data.xs for b in task.data.xs) < 0\n")
    header = HEADER + "limits:\n  steps: 100\n"
    decision = evaluate(rules, task={"id": 1, "data": {"xs": list(range(10))}}, header=header)
    assert decision.verdict == "review" and decision.fired == ["lsrules-budget"]
    decision = evaluate(rules, task={"id": 1, "data": {"xs": list(range(9))}}, header=header)
    assert decision.fired == ["pairs"]  # 9 + 81 steps


@pytest.mark.parametrize("expression, code", [
    ("any(a for a in [1] for b in [2] for c in [3] for d in [4])", "LSR117"),  # 4 levels
    ("avg(a for a in [1] for b in [2])", "LSR111"),
    ("sum(a for a in [1] for b in 3)", "LSR114"),
    ("count(a for a in [1, 2] for b in [1, 2] for c in [1, 2]) > 0", "LSR124"),
])
def test_several_clauses_are_checked_like_nested_loops(expression, code):
    _, diagnostics = load(HEADER + "rules:\n  - id: a\n    assert: " + repr(expression)
                          .replace("'", '"') + "\nlimits:\n  loop_product: 4\n")
    assert [d.code for d in diagnostics] == [code]
