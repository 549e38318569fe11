"""Expression text -> AST, with syntax errors a person can read.

The LALR parser runs the transformer while it reduces (`transformer=` on the Lark object),
so no parse tree is built and nothing recurses: 10,000 nested parentheses cannot overflow
the stack. Lark's exceptions never leave this module: they become `ExpressionError`s with
a caret under the offending character and, where a table of typical mistakes matches
(Lark's `match_examples`), a hint.
"""
from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path
from typing import Any, cast

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from lsrules.dsl import nodes
from lsrules.errors import ExpressionError

__all__ = ["ExpressionError", "parse", "parse_action"]

MAX_EXPRESSION_LENGTH = 20_000
MAX_NESTING = 64
MAX_NUMBER_DIGITS = nodes.MAX_NUMBER_DIGITS


def _cover(*parts: object) -> nodes.Span:
    """The span from the first to the last token or node among `parts`."""
    starts: list[int] = []
    ends: list[int] = []
    for part in parts:
        if isinstance(part, Token) and part.start_pos is not None and part.end_pos is not None:
            starts.append(part.start_pos)
            ends.append(part.end_pos)
        elif isinstance(part, nodes.Node):
            starts.append(part.span.start)
            ends.append(part.span.end)
        elif isinstance(part, tuple):
            starts.extend(p.span.start for p in part if isinstance(p, nodes.Node))
            ends.extend(p.span.end for p in part if isinstance(p, nodes.Node))
    if not starts:
        return nodes.Span(0, 0)
    return nodes.Span(min(starts), max(ends))


def _token_span(token: Token) -> nodes.Span:
    return nodes.Span(token.start_pos or 0, token.end_pos or 0)  # the lexer sets both


_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r",
            "b": "\b", "f": "\f"}


def decode_string(token: Token) -> str:
    """JSON-style escapes; any other backslash (as in the regex `\\d`) is kept as written."""
    body = token[1:-1]
    if "\\" not in body:
        return body
    out: list[str] = []
    position = 0
    while position < len(body):
        char = body[position]
        if char != "\\" or position + 1 >= len(body):
            out.append(char)
            position += 1
            continue
        following = body[position + 1]
        if following in _ESCAPES and (following not in "\"'" or following == token[0]):
            out.append(_ESCAPES[following])
            position += 2
        elif following == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[position + 2: position + 6]):
            out.append(chr(int(body[position + 2: position + 6], 16)))
            position += 6
        else:
            out.append(char)
            position += 1
    return "".join(out)


_Loop = tuple[Token, nodes.Node, nodes.Node | None]  # `for variable in iterable if ...`

# Several `for` clauses nest as Python's do, the first outermost. kind -> the kinds of the
# outermost loop, of those in between and of the innermost: `count(e for a in A for b in
# B)` is `sum(count(e for b in B) for a in A)`; `none` is no `any`; a list is flattened.
_NESTED_KINDS = {"any": ("any", "any", "any"), "all": ("all", "all", "all"),
                 "none": ("none", "any", "any"), "count": ("sum", "sum", "count"),
                 "sum": ("sum", "sum", "sum"), "min": ("min", "min", "min"),
                 "max": ("max", "max", "max"), "list": ("list", "list", "list")}


def _nest(kind: str, element: nodes.Node, loops: tuple[_Loop, ...],
          start: nodes.Node | Token) -> nodes.Node:
    """The comprehension `kind(element <loops>)`: one Comprehension per `for` clause, the
    first outermost; `start` (the function's name or the element) begins the outer span."""
    if len(loops) == 1:
        outer = middle = innermost = kind
    else:  # an unknown kind stays outermost, for the checker's LSR111
        outer, middle, innermost = _NESTED_KINDS.get(kind, (kind, "any", "any"))
    node = element
    for depth in range(len(loops) - 1, -1, -1):
        variable, iterable, condition = loops[depth]
        level = outer if depth == 0 else innermost if depth == len(loops) - 1 else middle
        parts = [part for loop in loops[depth:] for part in loop[1:] if part is not None]
        span = _cover(start if depth == 0 else element, *parts)
        node = nodes.Comprehension(span, level, node, str(variable), iterable, condition)
        if level == "list" and depth < len(loops) - 1:
            node = nodes.Flatten(span, node)
    return node


@v_args(inline=True)
class _ToAst(Transformer[Token, Any]):
    """One method per grammar rule (same names); each returns a node."""

    def number(self, token: Token) -> nodes.Literal:
        text = str(token)
        if len(text) > MAX_NUMBER_DIGITS:
            raise ExpressionError(f"number literal too long ({len(text)} characters)",
                                  token.start_pos or 0, "LSR102")
        value = float(text) if any(c in text for c in ".eE") else int(text)
        if value == float("inf"):
            raise ExpressionError("number literal too large", token.start_pos or 0, "LSR102")
        return nodes.Literal(_token_span(token), value)

    def string(self, token: Token) -> nodes.Literal:
        return nodes.Literal(_token_span(token), decode_string(token))

    def true(self, token: Token) -> nodes.Literal:
        return nodes.Literal(_token_span(token), True)

    def false(self, token: Token) -> nodes.Literal:
        return nodes.Literal(_token_span(token), False)

    def null(self, token: Token) -> nodes.Literal:
        return nodes.Literal(_token_span(token), None)

    def name(self, token: Token) -> nodes.Name:
        return nodes.Name(_token_span(token), str(token))

    def list_(self, *items: nodes.Node | None) -> nodes.ListDisplay:
        present = tuple(item for item in items if item is not None)
        return nodes.ListDisplay(_cover(present), present)

    def list_comprehension(self, element: nodes.Node, *loops: _Loop) -> nodes.Node:
        return _nest("list", element, loops, element)

    def comprehension_for(self, variable: Token, iterable: nodes.Node,
                          *conditions: nodes.Node) -> _Loop:
        if not conditions:
            return (variable, iterable, None)
        condition = conditions[0]
        for following in conditions[1:]:  # `if a if b`: both
            condition = nodes.Logical(_cover(condition, following), "and", condition,
                                      following)
        return (variable, iterable, condition)

    def call(self, function: Token, *arguments: nodes.Node | None) -> nodes.Call:
        present = tuple(argument for argument in arguments if argument is not None)
        return nodes.Call(_cover(function, present), str(function), present)

    def comprehension(self, function: Token, element: nodes.Node, *loops: _Loop) -> nodes.Node:
        return _nest(str(function), element, loops, function)

    def method_call(self, value: nodes.Node, method: Token,
                    *arguments: nodes.Node | None) -> nodes.MethodCall:
        present = tuple(argument for argument in arguments if argument is not None)
        return nodes.MethodCall(_cover(value, method, present), value, str(method), present)

    def attribute(self, value: nodes.Node, name: Token) -> nodes.Attribute:
        return nodes.Attribute(_cover(value, name), value, str(name), _token_span(name))

    def index(self, value: nodes.Node, index: nodes.Node) -> nodes.Index:
        return nodes.Index(_cover(value, index), value, index)

    def negative(self, operand: nodes.Node) -> nodes.Literal | nodes.Unary:
        if isinstance(operand, nodes.Literal) and type(operand.value) in (int, float):
            return nodes.Literal(operand.span, -operand.value)
        return nodes.Unary(operand.span, "-", operand)

    def positive(self, operand: nodes.Node) -> nodes.Unary:
        return nodes.Unary(operand.span, "+", operand)

    def not_(self, operand: nodes.Node) -> nodes.Unary:
        return nodes.Unary(operand.span, "not", operand)

    def binary(self, left: nodes.Node, operator: Token, right: nodes.Node) -> nodes.Binary:
        return nodes.Binary(_cover(left, right), str(operator), left, right)

    def and_(self, left: nodes.Node, right: nodes.Node) -> nodes.Logical:
        return nodes.Logical(_cover(left, right), "and", left, right)

    def or_(self, left: nodes.Node, right: nodes.Node) -> nodes.Logical:
        return nodes.Logical(_cover(left, right), "or", left, right)

    def comparison_operator(self, *tokens: Token) -> str:
        return " ".join(str(token) for token in tokens)

    def compare(self, *parts: Any) -> nodes.Compare:
        operands = tuple(parts[0::2])
        return nodes.Compare(_cover(operands), operands, tuple(parts[1::2]))

    def conditional(self, body: nodes.Node, test: nodes.Node,
                    orelse: nodes.Node) -> nodes.Conditional:
        return nodes.Conditional(_cover(body, orelse), test, body, orelse)

    # actions
    def set_(self, target: tuple[tuple[str, ...], tuple[Token, ...]],
             value: nodes.Node) -> nodes.SetAction:
        names, span = target
        return nodes.SetAction(_cover(value, *span), names, value)

    def target(self, *names: Token) -> tuple[tuple[str, ...], tuple[Token, ...]]:
        return tuple(str(name) for name in names), names

    def drop(self, what: Token) -> nodes.DropRegion:
        if str(what) != "region":
            raise ExpressionError(f"only `drop region` exists, not `drop {what}`",
                                  what.start_pos or 0, "LSR101")
        return nodes.DropRegion(_token_span(what))

    def add_label(self, value: nodes.Node) -> nodes.AddLabel:
        return nodes.AddLabel(value.span, value)

    def remove_label(self, value: nodes.Node) -> nodes.RemoveLabel:
        return nodes.RemoveLabel(value.span, value)

    def add_item(self, control: Token, value: nodes.Node) -> nodes.AddItem:
        name = self.string(control)
        return nodes.AddItem(_cover(name, value), name, value)


GRAMMAR = Path(__file__).with_name("grammar.lark")
_OPTIONS: dict[str, Any] = dict(parser="lalr", start=["expression", "action"],
                                maybe_placeholders=True)


def grammar_sha256() -> str:
    return hashlib.sha256(GRAMMAR.read_bytes()).hexdigest()


def build_parser(transformer: Transformer[Token, Any] | None = None) -> Lark:
    """Lark's LALR parser built from grammar.lark (what `lalr_tables.py` is generated from)."""
    return Lark(GRAMMAR.read_text(encoding="utf-8"), transformer=transformer, **_OPTIONS)


@functools.cache
def _parser() -> Lark:
    """The parser, from the tables generated into the package (`lalr_tables.py`, plain
    data: nothing is read from a temp dir or unpickled), or built from the grammar when
    those were made from another grammar or by another Lark (building takes ~0.1 s)."""
    from lsrules.dsl import lalr_tables

    if (lalr_tables.LARK_VERSION == lark.__version__
            and lalr_tables.GRAMMAR_SHA256 == grammar_sha256()):
        loaded = Lark._load_from_dict(  # type: ignore[no-untyped-call]  # Lark's standalone's call
            lalr_tables.DATA, lalr_tables.MEMO, transformer=_ToAst())
        return cast(Lark, loaded)
    return build_parser(_ToAst())


# Typical mistakes and what to say about them (Lark's match_examples picks the closest).
FRIENDLY_ERRORS: dict[str, list[str]] = {
    "`=` compares nothing: use `==` to compare (or `set x = ...` in a fix)": [
        "region.label = 'Car'", "a = 1", "task.id = 3 and true"],
    "unbalanced parentheses or brackets": ["(a", "((a)", "[1, 2", "len(regions", "f(a, b"],
    "an operator needs a value on both sides": ["a ==", "1 +", "a and", "a or", "not", "a <"],
    "use `and`, `or`, `not` (not `&&`, `||`, `!`)": ["a && b", "a || b", "!a", "a & b"],
    "two values without an operator between them": ["a b", "1 2", "region.x region.y"],
    "a comprehension is written `any(P for r in regions)`": [
        "any(for r in regions)", "any(r in regions)", "count(r for r regions)"],
    "`**` (power) is not part of the language": ["2 ** 3", "a ** b"],
}


ACTION_HINT = ("a fix action is `set PATH = EXPRESSION`, `drop region`, `add_label EXPRESSION`, "
               "`remove_label EXPRESSION` or `add_item \"CONTROL\" = EXPRESSION`")


def _check_limits(text: str) -> None:
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression too long ({len(text)} characters; at most {MAX_EXPRESSION_LENGTH})",
            0, "LSR102")
    depth = 0
    quote = ""
    escaped = False
    for offset, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
            if depth > MAX_NESTING:
                raise ExpressionError(f"expression nested too deeply (more than {MAX_NESTING} "
                                      "levels of parentheses or brackets)", offset, "LSR102")
        elif char in ")]":
            depth -= 1


def _friendly(error: UnexpectedInput, text: str, start: str) -> ExpressionError:
    offset = getattr(error, "pos_in_stream", None)
    if offset is None:
        token = getattr(error, "token", None)
        offset = getattr(token, "start_pos", None)
    token = getattr(error, "token", None)
    if offset is None or isinstance(error, UnexpectedEOF) or getattr(token, "type", "") == "$END":
        offset = len(text)
    hint = None
    if isinstance(error, UnexpectedCharacters):
        return _unexpected_character(text, offset)
    if start == "action" and not text[:offset].strip():
        # the first word is not an action; the expression hints (`=` vs `==`) would mislead
        word = str(getattr(error, "token", ""))
        return ExpressionError(f"unexpected {word!r}: {ACTION_HINT}", offset, "LSR100")
    try:
        hint = error.match_examples(functools.partial(_parser().parse, start=start),
                                    FRIENDLY_ERRORS, use_accepts=True)
    except Exception:  # match_examples re-parses samples; a failure there is not the user's
        hint = None
    if isinstance(error, UnexpectedEOF) or offset >= len(text):
        what = "unexpected end of expression"
    else:
        token = getattr(error, "token", None)
        what = f"unexpected {str(token)!r}" if token is not None else "syntax error"
    expected = sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or [])
    message = f"{what}: {hint}" if hint else what
    if not hint and expected and len(expected) <= 6:
        message += f" (expected {', '.join(_describe_terminal(name) for name in expected)})"
    return ExpressionError(message, offset, "LSR100")


_CHARACTER_HINTS = {
    "&": "use `and` (not `&&` or `&`)", "|": "use `or` (not `||` or `|`)",
    "!": "use `not` and `!=` (not `!`)", '"': "a string is not closed (strings end on the same line)",
    "'": "a string is not closed (strings end on the same line)",
    "=": "`=` compares nothing: use `==` to compare",
    "{": "objects are not literals in expressions; use a list `[...]`",
    "$": "names start with a letter or `_`", "`": "backticks are not part of the language",
}


def _unexpected_character(text: str, offset: int) -> ExpressionError:
    char = text[offset: offset + 1]
    hint = _CHARACTER_HINTS.get(char)
    message = f"unexpected character {char!r}" + (f": {hint}" if hint else "")
    return ExpressionError(message, offset, "LSR100")


_TERMINAL_NAMES = {"RPAR": "`)`", "LPAR": "`(`", "RSQB": "`]`", "LSQB": "`[`", "COMMA": "`,`",
                   "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "DOT": "`.`",
                   "EQUAL": "`=`", "ELSE": "`else`", "IN": "`in`", "FOR": "`for`"}


def _describe_terminal(name: str) -> str:
    return _TERMINAL_NAMES.get(name, f"`{name.lower()}`" if name.isalpha() else name)


def parse(text: str, start: str = "expression") -> nodes.Node:
    """Parse an expression (or, with start="action", a fix action) into an AST node."""
    if not isinstance(text, str):
        raise ExpressionError("an expression must be text", 0, "LSR100")
    if not text.strip():
        raise ExpressionError("empty expression", 0, "LSR100")
    _check_limits(text)
    try:
        # the transformer runs while parsing: the result is the AST, not Lark's tree
        return cast(nodes.Node, _parser().parse(text, start=start))
    except ExpressionError:
        raise
    except VisitError as error:
        if isinstance(error.orig_exc, ExpressionError):
            raise error.orig_exc from None
        raise ExpressionError(f"cannot read expression: {error.orig_exc}", 0) from None
    except UnexpectedInput as error:
        raise _friendly(error, text, start) from None
    except RecursionError:
        raise ExpressionError("expression nested too deeply", 0, "LSR102") from None


def parse_action(text: str) -> nodes.Node:
    return parse(text, start="action")
