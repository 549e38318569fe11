"""No path from user text to Python: names, attributes and calls in expressions never become
Python names; cost is bounded (no power, no repetition, limits on size and nesting); and
regexes that can backtrack catastrophically are refused before anything runs."""
from __future__ import annotations

import io
import re
import tokenize

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsrules.dsl.regex_safety import check_pattern, compile_pattern
from lsrules.engine.engine import Engine

from .support import HEADER, compile_rules, load, quoted, value

DANGEROUS_NAMES = ["eval", "exec", "open", "compile", "__import__", "getattr", "globals",
                   "locals", "vars", "breakpoint", "input", "print", "type", "object",
                   "__builtins__", "os", "sys", "lambda_"]


def diagnostics_of(expression: str, scope: str = "region") -> list[str]:
    _, diagnostics = load(HEADER + f"rules:\n  - id: a\n    for: {scope}\n"
                          f"    assert: {quoted(expression)}\n")
    return [d.code for d in diagnostics if d.severity == "error"]


@pytest.mark.parametrize("expression, code", [
    ('__import__("os")', "LSR111"), ('eval("1")', "LSR111"), ('exec("x = 1")', "LSR111"),
    ('open("/etc/passwd")', "LSR111"), ('getattr(task, "id")', "LSR111"),
    ("globals()", "LSR111"), ("open", "LSR110"), ("__builtins__", "LSR110"),
    ("os", "LSR110"), ("region.__class__", "LSR112"), ("task.__class__", "LSR112"),
    ("task.data.__class__.__mro__", "LSR112"), ("regions.__len__", "LSR112"),
    ("region.value.__dict__", "LSR112"), ("config.__init__", "LSR112"),
    ("regions.pop()", "LSR111"), ("task.data.keys()", "LSR111"),
    ('config.labels.__globals__', "LSR112"), ("[].__class__", "LSR112"),
    ("lambda_ == 1", "LSR110"),
])
def test_python_names_are_unknown_to_the_checker(expression, code):
    assert code in diagnostics_of(expression)


@pytest.mark.parametrize("expression", [
    "lambda: 1", "().__class__", "import os", "x := 1", "f(*a)", "f(**a)",
    "a.b = 1", "a; b", "yield 1", "{}.keys()", "1 ** 1000000", "'a' * * 3",
])
def test_python_syntax_is_not_the_language(expression):
    assert diagnostics_of(expression) == ["LSR100"]


# attributes the generated code reads on its own objects (regions, dicts, values)
OWN_ATTRIBUTES = {"get", "field", "value", "item", "id", "type", "from_name", "to_name",
                  "attrs", "label", "labels", "__class__", "task", "annotation", "regions",
                  "relations", "others", "config", "fire", "state", "set_value", "drop_region",
                  "add_label", "remove_label", "annotator", "suggestion", "box"}


def _python_names(source: str) -> set[str]:
    """Bare names in generated source; attribute names must be the generator's own."""
    names, previous = set(), None
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.NAME:
            if previous == ".":
                assert token.string in OWN_ATTRIBUTES, token.string
            else:
                names.add(token.string)
        previous = token.string
    return names


@pytest.mark.parametrize("name", DANGEROUS_NAMES)
def test_user_names_never_become_python_names(name):
    """Even compiled without the checker, a user's name is a prefixed local (`v_open`), a
    table entry (`_builtin_open`) or a string (`'open'`), never Python's own object."""
    expression = (f"{name}(1) or {name} or task.{name}.{name} or region.{name} or "
                  f"any({name} for {name} in regions) or regions[0][{name!r}]")
    text = HEADER + f"rules:\n  - id: a\n    for: region\n    assert: {quoted(expression)}\n"
    ruleset, _ = load(text)
    engine = Engine(ruleset)  # deliberately compiled despite the checker's errors
    assert name not in _python_names(engine.source)
    assert set(engine.namespace["__builtins__"]) <= {"any", "all", "sum", "len", "bool", "True",
                                                       "False", "None"}


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True))
def test_fields_are_data_not_attributes(field):
    """`task.data.X` and `region.X` read dict keys or a region's field table, whatever X is."""
    if field in ("true", "false", "null", "and", "or", "not", "in", "if", "else", "for"):
        return
    text = HEADER + (f"rules:\n  - id: a\n    for: region\n    assert: "
                     f"{quoted(f'task.data.{field} == region.{field}')}\n")
    ruleset, _ = load(text)
    source = Engine(ruleset).source
    python_names = _python_names(source)
    assert field not in python_names or field in {
        "id", "type", "from_name", "to_name", "value", "attrs", "label", "labels", "get",
        "field", "task", "region", "regions", "state", "item"}, source


@pytest.mark.parametrize("expression", [
    "regions[0]['__class__']", "task['__class__']", "task.data['__init__']",
    "regions[0]['__slots__']", "regions[0]['field']", "regions[0]['item']",
])
def test_string_keys_reach_data_only(expression):
    result = [{"id": "a", "type": "labels", "value": {"labels": ["X"]}}]
    assert value(expression, result=result) is None


# -- bounded cost ----------------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "task.data.text * 1000000000", "task.data.items * 1000000000",
    "1000000000 * task.data.text", "task.data.text * task.data.big",
])
def test_no_repetition_of_strings_or_lists(expression):
    assert value(expression) is None  # not a billion-fold string or list


def test_huge_numbers_stay_bounded():
    """No `**`: the largest number is a product of literals no longer than the text."""
    product = " * ".join(["9" * 40] * 20)
    assert value(product) == int("9" * 40) ** 20
    assert value("1e308 * 1e308 > 1") is True  # inf, not an error
    assert diagnostics_of("2 ** 1000000") == ["LSR100"]


def test_comprehensions_nest_at_most_three_deep():
    three = "any(any(any(true for c in regions) for b in regions) for a in regions)"
    assert diagnostics_of(three) == []
    four = "any(" + three + " for d in regions)"
    assert "LSR117" in diagnostics_of(four)


def test_expression_length_and_depth_are_limited():
    assert diagnostics_of("1 + " * 6000 + "1 > 0") == ["LSR102"]
    assert diagnostics_of("(" * 1000 + "1" + ")" * 1000) == ["LSR102"]
    assert diagnostics_of("not " * 300 + "true") == ["LSR102"]


# -- regular expressions ---------------------------------------------------------------------

CATASTROPHIC = [
    "(a+)+$", "(a*)*b", "(a|aa)*c", "(a|ab)*", r"(\w+\s?)*$", "(x+x+)+y", "(.*a)+b",
    r"(\d+)*\.", "^(a+)+$", "(a|a)*", r"(\1)", r"(a)\1", "(?:a+){2,}b",
    # counted repeats: each of these backtracks for seconds on a few dozen characters
    "(.*a){12}b", "(a?){25}a{25}", "(?:a+){5}b", "(a{1,2})*b", "(a|ab){20}",
]
SAFE = [
    "^[A-Z]", "!!", r"^\d{4}-\d{2}-\d{2}$", r"^(\d{1,3}\.){3}\d{1,3}$", "(ab){50}",
    r"^\s*\w+\s*$", "(^| )(not|never|no longer) (good|great|happy|recommend)", "[a-z]+@[a-z]+",
    "colou?r", "^(Mr|Ms|Dr)\\. [A-Z]", "a{2,5}b",
]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused(pattern):
    assert check_pattern(pattern) is not None
    assert "LSR116" in diagnostics_of(f"matches(region.text, {pattern!r})")


@pytest.mark.parametrize("pattern", SAFE)
def test_ordinary_patterns_are_accepted_and_agree_with_python_re(pattern):
    assert check_pattern(pattern) is None
    compiled = compile_pattern(pattern)
    for text in ("a" * 500 + "!", "1." * 200, " " * 500 + "x", "ab" * 250, "Dr. Who",
                 "colour", "2026-11-28", "it was not good", "me@example"):
        assert (compiled.search(text) is None) == (re.search(pattern, text) is None), text


def test_patterns_run_on_re2_so_polynomial_backtracking_cannot_stall_a_rule():
    # accepted by the structural check, yet O(n^4) on Python's `re` (50 s for 300 characters);
    # RE2 runs in time linear in the text
    pattern = "a.*a.*a.*a.*b"
    assert check_pattern(pattern) is None
    engine = compile_rules("  - id: r\n    assert: not matches(task.data.text, \"" + pattern
                           + "\")\n")
    constants = list(engine.namespace.values())
    assert any(type(constant).__module__.startswith("re2") for constant in constants)
    assert not any(isinstance(constant, re.Pattern) for constant in constants)
    decision = engine.evaluate({"id": 1, "data": {"text": "a" * 300}}, {"id": 2, "result": []})
    assert decision.findings == []


def test_patterns_re2_cannot_run_are_refused_with_a_reason():
    assert "not supported by RE2" in check_pattern("(?=a)b")
    assert "LSR116" in diagnostics_of("matches(region.text, '(?<=a)b')")


@pytest.mark.parametrize("pattern, words", [
    ("(", "invalid regular expression"), ("a**", "invalid regular expression"),
    ("x" * 1001, "longer than 1000"),
])
def test_invalid_or_long_patterns_are_refused(pattern, words):
    assert words in check_pattern(pattern)


def test_the_pattern_must_be_a_literal():
    assert "LSR116" in diagnostics_of("matches(region.text, region.label)")
    assert "LSR116" in diagnostics_of("matches(region.text, '(a' + '+)+')")
