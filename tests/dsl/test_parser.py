"""The parser (`lsrules.dsl.parser`): precedence, literals, comprehensions, fix actions,
friendly syntax errors with their positions, and the limits on size and nesting."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsrules.dsl import nodes
from lsrules.dsl.parser import (
    _CHARACTER_HINTS,
    FRIENDLY_ERRORS,
    MAX_EXPRESSION_LENGTH,
    MAX_NESTING,
    MAX_NUMBER_DIGITS,
    ExpressionError,
    parse,
    parse_action,
)

from .support import HEADER, load


def show(node: nodes.Node) -> str:
    """The AST as a fully parenthesized prefix form, so that trees compare as text."""
    if isinstance(node, nodes.Literal):
        return repr(node.value)
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.ListDisplay):
        return "[" + " ".join(show(item) for item in node.items) + "]"
    if isinstance(node, nodes.Attribute):
        return f"(. {show(node.value)} {node.name})"
    if isinstance(node, nodes.Index):
        return f"([] {show(node.value)} {show(node.index)})"
    if isinstance(node, nodes.Call):
        return f"({node.function}" + "".join(" " + show(a) for a in node.arguments) + ")"
    if isinstance(node, nodes.MethodCall):
        return (f"(.{node.method} {show(node.value)}"
                + "".join(" " + show(a) for a in node.arguments) + ")")
    if isinstance(node, nodes.Comprehension):
        condition = f" if {show(node.condition)}" if node.condition is not None else ""
        return (f"({node.kind} {show(node.element)} for {node.variable} in "
                f"{show(node.iterable)}{condition})")
    if isinstance(node, nodes.Unary):
        return f"({node.operator} {show(node.operand)})"
    if isinstance(node, (nodes.Binary, nodes.Logical)):
        return f"({node.operator} {show(node.left)} {show(node.right)})"
    if isinstance(node, nodes.Compare):
        parts = [show(node.operands[0])]
        for operator, operand in zip(node.operators, node.operands[1:]):
            parts += [operator, show(operand)]
        return "(cmp " + " ".join(parts) + ")"
    if isinstance(node, nodes.Conditional):
        return f"(if {show(node.test)} {show(node.body)} {show(node.orelse)})"
    if isinstance(node, nodes.SetAction):
        return f"(set {'.'.join(node.target)} {show(node.value)})"
    if isinstance(node, nodes.DropRegion):
        return "(drop region)"
    if isinstance(node, (nodes.AddLabel, nodes.RemoveLabel)):
        kind = "add_label" if isinstance(node, nodes.AddLabel) else "remove_label"
        return f"({kind} {show(node.value)})"
    raise AssertionError(f"unknown node {node!r}")


# -- precedence and associativity ------------------------------------------------------------

PRECEDENCE = [
    # or < and < not < comparison < + - < * / % < unary < postfix
    ("a or b and c", "(or a (and b c))"),
    ("a and b or c", "(or (and a b) c)"),
    ("a or b or c", "(or (or a b) c)"),
    ("a and b and c", "(and (and a b) c)"),
    ("not a and b", "(and (not a) b)"),
    ("not a or not b", "(or (not a) (not b))"),
    ("not not a", "(not (not a))"),
    ("not a == b", "(not (cmp a == b))"),
    ("not a in b", "(not (cmp a in b))"),
    ("a == b and c != d", "(and (cmp a == b) (cmp c != d))"),
    ("a < b + c", "(cmp a < (+ b c))"),
    ("a + b < c * d", "(cmp (+ a b) < (* c d))"),
    ("a + b * c", "(+ a (* b c))"),
    ("a * b + c", "(+ (* a b) c)"),
    ("a - b - c", "(- (- a b) c)"),
    ("a - b + c", "(+ (- a b) c)"),
    ("a / b / c", "(/ (/ a b) c)"),
    ("a / b * c", "(* (/ a b) c)"),
    ("a % b * c", "(* (% a b) c)"),
    ("a * b % c", "(% (* a b) c)"),
    ("a + b % c", "(+ a (% b c))"),
    ("-a * b", "(* (- a) b)"),
    ("-a.b", "(- (. a b))"),
    ("- -a", "(- (- a))"),
    ("+a - b", "(- (+ a) b)"),
    ("2 - -1", "(- 2 -1)"),
    ("-2", "-2"),
    ("-2.5", "-2.5"),
    ("-a[0]", "(- ([] a 0))"),
    ("(a + b) * c", "(* (+ a b) c)"),
    ("(a or b) and c", "(and (or a b) c)"),
    ("a.b.c", "(. (. a b) c)"),
    ("a[0].b", "(. ([] a 0) b)"),
    ("a.b[0][1]", "([] ([] (. a b) 0) 1)"),
    ("len(a)[0]", "([] (len a) 0)"),
    ("config.labels('label')", "(.labels config 'label')"),
    ("a < b < c", "(cmp a < b < c)"),
    ("0 <= a <= 100", "(cmp 0 <= a <= 100)"),
    ("a == b == c", "(cmp a == b == c)"),
    ("a in b", "(cmp a in b)"),
    ("a not in b", "(cmp a not in b)"),
    ("a not in b and c", "(and (cmp a not in b) c)"),
    ("a in b == c", "(cmp a in b == c)"),
    ("a if b else c", "(if b a c)"),
    ("a if b else c if d else e", "(if b a (if d c e))"),
    ("a or b if c or d else e and f", "(if (or c d) (or a b) (and e f))"),
    ("(a if b else c) + 1", "(+ (if b a c) 1)"),
    ("not a if b else c", "(if b (not a) c)"),
]


@pytest.mark.parametrize("text, tree", PRECEDENCE)
def test_precedence_and_associativity(text, tree):
    assert show(parse(text)) == tree


def test_whitespace_and_newlines_do_not_matter():
    folded = "region.x >= 0\n  and region.x + region.width <= 100"
    assert show(parse(folded)) == show(parse("region.x>=0 and region.x+region.width<=100"))


_LEAVES = st.sampled_from(["a", "b", "1", "2.5", "null", "true", '"s"', "x.y", "f(a)", "l[0]"])
_BINARY = ["or", "and", "==", "<", "in", "not in", "+", "-", "*", "/", "%"]
_LEVEL = {"or": 1, "and": 2, "==": 4, "<": 4, "in": 4, "not in": 4, "+": 5, "-": 5,
          "*": 6, "/": 6, "%": 6}


def _trees(depth: int = 3):
    """(minimal text, fully parenthesized text) of random binary/unary expressions."""
    if depth == 0:
        return _LEAVES.map(lambda leaf: (leaf, leaf, 9))

    def combine(operator, left, right):
        level = _LEVEL[operator]
        left_text = left[0] if left[2] >= level and not (level == 4 and left[2] == 4) else f"({left[0]})"
        right_text = right[0] if right[2] > level else f"({right[0]})"
        return (f"{left_text} {operator} {right_text}", f"({left[1]} {operator} {right[1]})",
                level)

    def negate(operand, operator):
        if operator == "not":
            text = operand[0] if operand[2] >= 3 else f"({operand[0]})"
            return (f"not {text}", f"(not {operand[1]})", 3)
        text = operand[0] if operand[2] >= 7 else f"({operand[0]})"
        return (f"-{text}", f"(-{operand[1]})", 7)

    smaller = _trees(depth - 1)
    return st.one_of(
        smaller,
        st.builds(combine, st.sampled_from(_BINARY), smaller, smaller),
        st.builds(negate, smaller, st.sampled_from(["not", "-"])),
    )


@settings(max_examples=150, deadline=None)
@given(_trees())
def test_minimal_parentheses_parse_like_full_parentheses(texts):
    """The grammar's precedence agrees with a precedence table written independently."""
    minimal, full, _ = texts
    assert show(parse(minimal)) == show(parse(full)), (minimal, full)


# -- literals ---------------------------------------------------------------------------------

LITERALS = [
    ("0", 0), ("42", 42), ("1.5", 1.5), (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0),
    ("1E-2", 0.01), ("2.5e+2", 250.0), ("-7", -7), ("true", True), ("false", False),
    ("null", None),
    ('"a"', "a"), ("'a'", "a"), ('""', ""), ("''", ""),
    (r'"say \"hi\""', 'say "hi"'), (r"'it\'s'", "it's"), (r'"back\\slash"', "back\\slash"),
    (r'"a\nb"', "a\nb"), (r'"a\tb"', "a\tb"), (r'"\u00e9t\u00E9"', "été"), (r'"\/"', "/"),
    (r'"\r\b\f"', "\r\b\f"),
    # any other backslash is kept as written (regexes)
    (r'"\d+\.\w"', r"\d+\.\w"), (r'"\u12"', r"\u12"), (r'"\uZZZZ"', r"\uZZZZ"),
    # the other quote's escape is kept: `\'` means nothing special inside "..."
    (r'"\'"', r"\'"), (r"'\"'", r"\""),
    ('"😀 ünï"', "😀 ünï"), ("'a \"b\" c'", 'a "b" c'),
]


@pytest.mark.parametrize("text, expected", LITERALS)
def test_literals(text, expected):
    node = parse(text)
    assert isinstance(node, nodes.Literal)
    assert node.value == expected and type(node.value) is type(expected)


def test_integers_stay_integers_and_floats_floats():
    assert type(parse("10").value) is int
    assert type(parse("10.0").value) is float
    assert parse("123456789012345678901234567890").value == 123456789012345678901234567890


@pytest.mark.parametrize("text, tree", [
    ("[]", "[]"),
    ("[1]", "[1]"),
    ("[1, 2,]", "[1 2]"),
    ("[1, 'a', null, [true, []]]", "[1 'a' None [True []]]"),
    ("[a + 1, f(b)]", "[(+ a 1) (f b)]"),
    ("[1, 2][0]", "([] [1 2] 0)"),
    ("'a' in ['a', 'b']", "(cmp 'a' in ['a' 'b'])"),
])
def test_lists(text, tree):
    assert show(parse(text)) == tree


@pytest.mark.parametrize("text, tree", [
    ("f()", "(f)"),
    ("f(a,)", "(f a)"),
    ("clamp(x, 0, 100)", "(clamp x 0 100)"),
    ("any(r.x > 0 for r in regions)", "(any (cmp (. r x) > 0) for r in regions)"),
    ("count(r for r in regions if r.score > 0.5)",
     "(count r for r in regions if (cmp (. r score) > 0.5))"),
    ("[r.label for r in regions]", "(list (. r label) for r in regions)"),
    ("[r.id for r in regions if r.x > 1 or r.y > 1]",
     "(list (. r id) for r in regions if (or (cmp (. r x) > 1) (cmp (. r y) > 1)))"),
    ("any(any(overlaps(r, o) and r.id != o.id for o in regions) for r in regions)",
     ("(any (any (and (overlaps r o) (cmp (. r id) != (. o id))) for o in regions) "
     "for r in regions)")),
    ("sum(count(o.x > r.x for o in regions) for r in regions if r.x > 0)",
     ("(sum (count (cmp (. o x) > (. r x)) for o in regions) for r in regions "
     "if (cmp (. r x) > 0))")),
    ("all(x > 0 for x in [r.x for r in regions])",
     "(all (cmp x > 0) for x in (list (. r x) for r in regions))"),
    ("min(r.x for r in regions)", "(min (. r x) for r in regions)"),
    ("max(a, b)", "(max a b)"),
])
def test_calls_and_comprehensions(text, tree):
    assert show(parse(text)) == tree


def test_comprehension_iterable_may_be_any_list_expression_but_not_a_conditional():
    """`for r in a if b` reads `if b` as the filter, as in Python."""
    node = parse("any(r for r in a if b)")
    assert show(node) == "(any r for r in a if b)"


# -- fix actions -----------------------------------------------------------------------------

ACTIONS = [
    ("set region.x = 0", "(set region.x 0)"),
    ("set region.width = min(region.width, 100 - region.x)",
     "(set region.width (min (. region width) (- 100 (. region x))))"),
    ("set region.value.rectanglelabels = ['Car']", "(set region.value.rectanglelabels ['Car'])"),
    ("set annotation.ground_truth = true", "(set annotation.ground_truth True)"),
    ("set task.meta.reviewed = 'yes'", "(set task.meta.reviewed 'yes')"),
    ('set region.label = "Car" if region.label == "car" else region.label',
     "(set region.label (if (cmp (. region label) == 'car') 'Car' (. region label)))"),
    ("drop region", "(drop region)"),
    ("add_label 'Occluded'", "(add_label 'Occluded')"),
    ("remove_label region.labels[1]", "(remove_label ([] (. region labels) 1))"),
]


@pytest.mark.parametrize("text, tree", ACTIONS)
def test_actions(text, tree):
    assert show(parse_action(text)) == tree


@pytest.mark.parametrize("text, code, offset, words", [
    ("drop task", "LSR101", 5, "only `drop region` exists"),
    ("set region.x == 1", "LSR100", 14, "unexpected '='"),
    ("set region.x", "LSR100", 12, "end of expression"),
    ("set 1 = 2", "LSR100", 4, "expected a name"),
    ("drop", "LSR100", 4, "expected a name"),
    ("region.x = 1", "LSR100", 0, "a fix action is"),
    ("delete region", "LSR100", 0, "a fix action is"),
])
def test_bad_actions(text, code, offset, words):
    with pytest.raises(ExpressionError) as raised:
        parse_action(text)
    assert (raised.value.code, raised.value.offset) == (code, offset)
    assert words in raised.value.message


def test_an_action_is_not_an_expression():
    with pytest.raises(ExpressionError):
        parse("set region.x = 1")
    with pytest.raises(ExpressionError):
        parse("drop region")


# -- spans -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, start, end", [
    ("  region.lable", nodes.Attribute, 2, 14),
    ("a + bb", nodes.Binary, 0, 6),
    ("f(x, y)", nodes.Call, 0, 6),  # from the name to the last argument
    ("x < 1 and 'abc'", nodes.Logical, 0, 15),
])
def test_spans_cover_the_source(text, kind, start, end):
    node = parse(text)
    assert isinstance(node, kind)
    assert (node.span.start, node.span.end) == (start, end)


def test_attribute_name_span_points_at_the_field():
    node = parse("annotation.lead_tme")
    assert (node.name_span.start, node.name_span.end) == (11, 19)


# -- syntax errors ---------------------------------------------------------------------------

SYNTAX_ERRORS = [
    # (text, offset, words in the message)
    ("region.label = 'Car'", 13, "use `==` to compare"),
    ("a && b", 2, "use `and`"),
    ("a || b", 2, "use `or`"),
    ("!a", 0, "use `not`"),
    ("(a", 2, "unbalanced parentheses"),
    ("[1, 2", 5, "unbalanced parentheses"),
    ("f(a, b", 6, "unbalanced parentheses"),
    ("2 ** 3", 3, "`**` (power) is not part of the language"),
    ('"abc', 0, "a string is not closed"),
    ("'abc", 0, "a string is not closed"),
    ('"a\nb"', 0, "strings end on the same line"),
    ("a b", 2, "two values without an operator"),
    ("region.x region.y", 9, "two values without an operator"),
    ("a ==", 4, "an operator needs a value on both sides"),
    ("not", 3, "an operator needs a value on both sides"),
    ("any(for r in regions)", 8, "a comprehension is written"),
    ("x.", 2, "expected a name"),
    ("a if b", 6, "expected `else`"),
    ("{a: 1}", 0, "objects are not literals"),
    ("$x", 0, "names start with a letter"),
    ("`a`", 0, "backticks"),
    ("", 0, "empty expression"),
    ("  \n ", 0, "empty expression"),
    ("a)", 1, "unexpected ')'"),
]


@pytest.mark.parametrize("text, offset, words", SYNTAX_ERRORS)
def test_syntax_errors_point_at_the_problem_and_say_why(text, offset, words):
    with pytest.raises(ExpressionError) as raised:
        parse(text)
    error = raised.value
    assert error.code == "LSR100"
    assert error.offset == offset, error.message
    assert words in error.message
    assert "Token" not in error.message and "Lark" not in error.message


def test_every_friendly_example_gets_a_hint():
    """The table of typical mistakes is itself tested: each sample yields its hint, or the
    hint for its first bad character (`&&` never reaches the parser: the lexer stops it)."""
    for hint, samples in FRIENDLY_ERRORS.items():
        errors = 0
        for sample in samples:
            try:
                parse(sample)
            except ExpressionError as error:
                errors += 1
                character_hint = _CHARACTER_HINTS.get(sample[error.offset:][:1], "")
                assert hint in error.message or (
                    character_hint and character_hint in error.message), (sample, error.message)
        assert errors, f"no sample of {hint!r} is a syntax error"  # `any(r in regions)` is one


def test_not_text_is_an_error():
    with pytest.raises(ExpressionError, match="must be text"):
        parse(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("scalar, line, column", [
    # the column of the offending character in the YAML file, also inside block scalars
    ("assert: region.x >= 0 &&& true", 5, 27),
    ("assert: >-\n      region.x >= 0\n      and (region.y", 7, 20),  # just past the end
    ("assert: '\"car\" = region.label'", 5, 20),
])
def test_syntax_error_location_in_the_file(scalar, line, column):
    text = HEADER + f"rules:\n  - id: a\n    for: region\n    {scalar}\n"
    # HEADER is 4 lines; `rules:` 5... the scalar sits on line 8 (or 8+)
    _, diagnostics = load(text)
    errors = [d for d in diagnostics if d.code == "LSR100"]
    assert len(errors) == 1, diagnostics
    assert (errors[0].location.line, errors[0].location.column) == (line + 3, column)


# -- limits ----------------------------------------------------------------------------------

def test_length_limit():
    at_limit = '"' + "x" * (MAX_EXPRESSION_LENGTH - 2) + '"'
    assert len(parse(at_limit).value) == MAX_EXPRESSION_LENGTH - 2
    with pytest.raises(ExpressionError) as raised:
        parse(at_limit + " ")
    assert raised.value.code == "LSR102" and "too long" in raised.value.message


def test_nesting_limit_counts_parentheses_and_brackets_but_not_strings():
    assert show(parse("(" * MAX_NESTING + "1" + ")" * MAX_NESTING)) == "1"
    assert show(parse("[" * MAX_NESTING + "]" * MAX_NESTING)).count("[") == MAX_NESTING
    assert parse('"' + "(" * 1000 + '"').value == "(" * 1000
    # an escaped quote does not end the string, so the parentheses stay inside it
    assert parse("'\\'" + "(" * 100 + "'").value == "'" + "(" * 100
    too_deep = "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1)
    with pytest.raises(ExpressionError) as raised:
        parse(too_deep)
    assert raised.value.code == "LSR102" and raised.value.offset == MAX_NESTING
    mixed = "f(" + "[" * MAX_NESTING + "]" * MAX_NESTING + ")"
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse(mixed)


def test_deep_nesting_far_beyond_the_limit_is_an_error_not_a_crash():
    with pytest.raises(ExpressionError) as raised:
        parse("(" * 100_000 + "1" + ")" * 100_000)
    assert raised.value.code == "LSR102"


def test_long_flat_expressions_parse_without_recursion():
    text = " + ".join(["1"] * 4000)
    node = parse(text)
    assert isinstance(node, nodes.Binary) and show(node.right) == "1"


@pytest.mark.parametrize("text, words", [
    ("9" * (MAX_NUMBER_DIGITS + 1), "number literal too long"),
    ("1e999", "number literal too large"),
    ("1" + "0" * 30 + "e300", "number literal too large"),
])
def test_number_literal_limits(text, words):
    with pytest.raises(ExpressionError) as raised:
        parse(text)
    assert raised.value.code == "LSR102" and words in raised.value.message


def test_number_literal_at_the_digit_limit_is_fine():
    assert parse("9" * MAX_NUMBER_DIGITS).value == int("9" * MAX_NUMBER_DIGITS)
    assert parse("1e-999").value == 0.0
