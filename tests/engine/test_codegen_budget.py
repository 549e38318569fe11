"""What the optimized code does to pay its budget, against the plain code (a call per loop,
a guard on every `+`): the same findings whatever the data (nulls, wrong types, strings
and lists where numbers are expected), a differential test over random annotations.

- Loops over `regions` that run once per evaluation are paid together at the start of
  `evaluate`; inner loops pay from steps it holds (both forms: `for` statements and
  generator expressions).
- `+` of two fields read as they are (`region.x + region.width`) has no guard: it builds at
  most their size; `+` of a value the rule computed keeps it.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lsrules

RULES = [
    ("region", "region.x + region.width <= 5"),
    ("region", 'region.text + region.text != "AnnAnn"'),
    ("region", "any(o.text + region.text == region.text + o.text for o in regions "
               "if o.id != region.id)"),
    ("region", "count(o.x + o.width > region.x for o in regions if o.type == \"labels\") < 2"),
    ("annotation", "task.data.a + task.data.b != null"),
    ("annotation", "count(any(o.x + r.x > 2 for o in regions) for r in regions) < 3"),
    ("annotation", 'len([t + t for t in [task.data.a + task.data.b]]) == 1'),
]
MESSAGE = "{region.x + region.width} {task.data.a + task.data.b}"


def _ruleset(tmp_path, name):
    lines = [f"ruleset: {name}", 'version: "1"', "rules:"]
    for position, (scope, text) in enumerate(RULES):
        lines += [f"  - id: rule-{position}", "    severity: warning", f"    assert: '{text}'"]
        if scope == "region":
            lines += ["    for: region", f"    message: '{MESSAGE}'"]
    path = tmp_path / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    directory = tmp_path_factory.mktemp("budget")
    optimized = lsrules.load(_ruleset(directory, "optimized"))
    plain = lsrules.load(_ruleset(directory, "plain"), optimize=False)
    source = optimized.source
    assert "_pay(state, len(regions) * _upfront)" in source and "_held -= len(" in source
    assert "(_held := _held - len(" in source  # in a generator expression too
    assert "region.value.get('x')" in source
    assert source.count("_concat(") == 1  # only `t + t`, of a value the rule computed
    assert "_held" not in plain.source and plain.source.count("_concat(") >= 9  # every `+`
    return optimized, plain


_ANY = st.one_of(st.none(), st.integers(-2, 4), st.floats(-1, 6, allow_nan=False),
                 st.sampled_from(["a", "Ann", "", True, False, [1], ["x"], {"k": 1}]))
_ITEMS = st.lists(st.fixed_dictionaries({
    "id": st.sampled_from(["a", "b", "c", 7]),
    "type": st.sampled_from(["labels", "rectanglelabels"]),
    "from_name": st.just("l"),
    "value": st.fixed_dictionaries({"x": _ANY, "width": _ANY, "text": _ANY,
                                    "labels": st.just(["A"])}),
}), max_size=5)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(result=_ITEMS, a=_ANY, b=_ANY)
def test_paying_differently_changes_no_finding(engines, result, a, b):
    optimized, plain = engines
    task, annotation = {"id": 1, "data": {"a": a, "b": b}}, {"id": 2, "result": result}
    first, second = optimized.evaluate(task, annotation), plain.evaluate(task, annotation)
    assert [(f.rule, f.region_id, f.message) for f in first.findings] == \
        [(f.rule, f.region_id, f.message) for f in second.findings]
    assert first.verdict == second.verdict
