"""AST nodes <-> plain JSON values, so parsed expressions can be cached as data, never pickled.

A node is `[ClassName, start, end, field...]` in the order of its dataclass fields (spans
are `[start, end]`). Decoding trusts nothing, since the code generator writes operators and
names into Python source: an unknown class, a field of the wrong type, an operator the
grammar does not have or a name that is not an identifier raises `ValueError`, and the
caller parses the text again. `decode_tree` also holds a whole tree to what the grammar
makes of a text of that length (an action only at the top, spans inside the text, chains
of comparisons well formed, numbers no longer than the parser reads). Strings may hold any
character: the code generator writes them only as `repr`s.
"""
from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from lsrules.dsl import nodes
from lsrules.dsl.visitor import NodeVisitor

_CLASSES: dict[str, type[nodes.Node]] = {
    cls.__name__: cls for cls in vars(nodes).values()
    if isinstance(cls, type) and issubclass(cls, nodes.Node) and cls is not nodes.Node
}
# the fields after `span` of each class, with how each is stored
_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {}
for _name, _cls in _CLASSES.items():
    _kinds = []
    for _field in dataclasses.fields(_cls)[1:]:
        _hint = str(_field.type)
        if _field.name == "value" and _cls is nodes.Literal:
            _kind = "literal"
        elif _hint == "Span":
            _kind = "span"
        elif _hint.startswith("tuple[Node"):
            _kind = "nodes"
        elif _hint.startswith("tuple[str"):
            _kind = "strings"
        elif _hint.startswith("Node"):
            _kind = "node?" if "None" in _hint else "node"
        elif _hint == "str":
            _kind = "str"
        else:  # a new kind of field: teach this module how to store it
            raise TypeError(f"ast_json cannot store {_name}.{_field.name}: {_hint}")
        _kinds.append((_field.name, _kind))
    _FIELDS[_name] = tuple(_kinds)

_JSON_SCALARS = (str, int, float, bool, type(None))
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# the text fields that are not identifiers: exactly what the grammar can produce
_OPERATORS = {
    ("Unary", "operator"): {"-", "+", "not"},
    ("Binary", "operator"): {"+", "-", "*", "/", "%"},
    ("Logical", "operator"): {"and", "or"},
    ("Compare", "operators"): {"==", "!=", "<", "<=", ">", ">=", "in", "not in"},
}


def _allowed(class_name: str, field_name: str, text: Any) -> bool:
    if type(text) is not str:
        return False
    operators = _OPERATORS.get((class_name, field_name))
    if operators is not None:
        return text in operators
    return _IDENTIFIER.fullmatch(text) is not None


MAX_DEPTH = 200  # deeper trees (a long `a + a + ...` chain) are simply not cached


def encode(node: nodes.Node) -> list[Any]:
    """A JSON-able list for `node` and everything below it; `ValueError` past `MAX_DEPTH`."""
    result: list[Any] = _Encoder().visit(node, 0)
    return result


class _Encoder(NodeVisitor):
    """Every class is stored the same way, from its fields (see `_FIELDS`)."""

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> list[Any]:
        depth: int = args[0]
        if depth > MAX_DEPTH:
            raise ValueError("nested too deeply to store")
        name = type(node).__name__
        out: list[Any] = [name, node.span.start, node.span.end]
        for field_name, kind in _FIELDS[name]:
            value = getattr(node, field_name)
            if kind in ("node", "node?"):
                out.append(None if value is None else self.visit(value, depth + 1))
            elif kind == "nodes":
                out.append([self.visit(item, depth + 1) for item in value])
            elif kind == "span":
                out.append([value.start, value.end])
            elif kind == "strings":
                out.append(list(value))
            else:
                out.append(value)
        return out


def decode(data: Any, depth: int = 0) -> nodes.Node:
    """The node `encode` wrote; `ValueError` for anything `encode` could not have written."""
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if not isinstance(data, list) or len(data) < 3 or data[0] not in _FIELDS:
        raise ValueError("not an encoded node")
    fields = _FIELDS[data[0]]
    if len(data) != 3 + len(fields):
        raise ValueError(f"{data[0]}: wrong number of fields")
    values = {"span": _span(data[1:3])}
    for (field_name, kind), value in zip(fields, data[3:]):
        if kind == "node" or (kind == "node?" and value is not None):
            value = decode(value, depth + 1)
        elif kind == "nodes":
            if not isinstance(value, list):
                raise ValueError("expected a list of nodes")
            value = tuple(decode(item, depth + 1) for item in value)
        elif kind == "span":
            value = _span(value)
        elif kind == "strings":
            if not isinstance(value, list) or not all(
                    _allowed(data[0], field_name, item) for item in value):
                raise ValueError(f"{data[0]}.{field_name}: not what the grammar writes")
            value = tuple(value)
        elif kind == "str" and not _allowed(data[0], field_name, value):
            raise ValueError(f"{data[0]}.{field_name}: not what the grammar writes")
        elif kind == "literal" and (type(value) not in _JSON_SCALARS or (
                type(value) is float and not math.isfinite(value))):
            raise ValueError("a literal is a string, a finite number, a boolean or null")
        values[field_name] = value
    return _CLASSES[data[0]](**values)


def decode_tree(data: Any, start: str, length: int) -> nodes.Node:
    """`decode`, for the text of `length` characters parsed from `start` ("expression" or
    "action"); `ValueError` for a tree the parser could not have produced from it."""
    node = decode(data)
    if isinstance(node, nodes.ACTIONS) != (start == "action"):
        raise ValueError(f"not what parsing from {start!r} makes")
    for part in node.walk():
        if part is not node and isinstance(part, nodes.ACTIONS):
            raise ValueError("a fix action inside an expression")
        spans = [part.span] + ([part.name_span] if isinstance(part, nodes.Attribute) else [])
        if any(span.start > span.end or span.end > length for span in spans):
            raise ValueError("a span outside the text")
        if isinstance(part, nodes.Compare) and (
                len(part.operands) < 2 or len(part.operators) != len(part.operands) - 1):
            raise ValueError("a comparison needs one operator between each two operands")
        if isinstance(part, nodes.Flatten) and not (
                isinstance(part.value, nodes.Comprehension) and part.value.kind == "list"):
            raise ValueError("only a list comprehension of several `for` is flattened")
        if isinstance(part, nodes.SetAction) and not part.target:
            raise ValueError("`set` needs a target")
        if isinstance(part, nodes.AddItem) and not (
                isinstance(part.control, nodes.Literal) and type(part.control.value) is str):
            raise ValueError("`add_item` names its control with a string")
        if (isinstance(part, nodes.Literal) and type(part.value) is int
                and len(str(abs(part.value))) > nodes.MAX_NUMBER_DIGITS):
            raise ValueError("a number longer than the parser reads")
    return node


def _span(value: Any) -> nodes.Span:
    if (not isinstance(value, list) or len(value) != 2
            or not all(type(item) is int and item >= 0 for item in value)):
        raise ValueError("a span is two offsets")
    return nodes.Span(value[0], value[1])
