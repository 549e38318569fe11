"""The AST of the expression language: small frozen dataclasses, each with its source span.

Spans are character offsets into the expression's text; `lsrules.dsl.source.SourceText`
turns them into `file:line:column` in the YAML. Nodes know nothing of evaluation: the
checker reads them and the code generator turns them into Python source.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

MAX_NUMBER_DIGITS = 40  # the longest number literal the parser reads (and a cache may hold)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Node:
    span: Span = field(compare=False, repr=False)

    def children(self) -> Iterator["Node"]:
        for value in self.__dict__.values():
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                yield from (item for item in value if isinstance(item, Node))

    def walk(self) -> Iterator["Node"]:
        """Every node below and including this one, parents first (iterative: no recursion)."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(list(node.children())))


# -- expressions --------------------------------------------------------------------------

@dataclass(frozen=True)
class Literal(Node):
    """A number, string, true, false or null."""

    value: Any = None


@dataclass(frozen=True)
class ListDisplay(Node):
    """`[a, b, c]`."""

    items: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Name(Node):
    """A top-level name (`task`, `region`, ...) or a comprehension variable."""

    name: str = ""


@dataclass(frozen=True)
class Attribute(Node):
    """`value.name`: a field of an object; missing fields are null."""

    value: Node = None  # type: ignore[assignment]
    name: str = ""
    name_span: Span = field(default=Span(0, 0), compare=False, repr=False)


@dataclass(frozen=True)
class Index(Node):
    """`value[index]`: a list element or an object field; out of range is null."""

    value: Node = None  # type: ignore[assignment]
    index: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Call(Node):
    """`function(arguments...)`: a built-in function."""

    function: str = ""
    arguments: tuple[Node, ...] = ()


@dataclass(frozen=True)
class MethodCall(Node):
    """`value.method(arguments...)`: only `config.labels(from_name)` exists."""

    value: Node = None  # type: ignore[assignment]
    method: str = ""
    arguments: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Comprehension(Node):
    """`kind(element for variable in iterable if condition)`; kind `list` for `[...]`."""

    kind: str = ""
    element: Node = None  # type: ignore[assignment]
    variable: str = ""
    iterable: Node = None  # type: ignore[assignment]
    condition: Node | None = None


@dataclass(frozen=True)
class Flatten(Node):
    """The lists `value` (a list comprehension of lists) holds, one after another: what
    `[e for a in A for b in B]` is made of (`[[e for b in B] for a in A]`, flattened)."""

    value: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Unary(Node):
    """`-x`, `+x`, `not x`."""

    operator: str = ""
    operand: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic: `+ - * / %`."""

    operator: str = ""
    left: Node = None  # type: ignore[assignment]
    right: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Logical(Node):
    """Three-valued `and` / `or`."""

    operator: str = ""
    left: Node = None  # type: ignore[assignment]
    right: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Compare(Node):
    """`a < b`, chained like Python: `0 <= x <= 100` is `0 <= x and x <= 100`."""

    operands: tuple[Node, ...] = ()
    operators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conditional(Node):
    """`body if test else orelse`; a test that is not true (false or null) takes `orelse`."""

    test: Node = None  # type: ignore[assignment]
    body: Node = None  # type: ignore[assignment]
    orelse: Node = None  # type: ignore[assignment]


# -- fix actions --------------------------------------------------------------------------

@dataclass(frozen=True)
class SetAction(Node):
    """`set region.x = expression`."""

    target: tuple[str, ...] = ()
    value: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class DropRegion(Node):
    """`drop region`: removes the region's result items."""


@dataclass(frozen=True)
class AddLabel(Node):
    """`add_label expression`: appends a label to the region's labels."""

    value: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class RemoveLabel(Node):
    """`remove_label expression`: removes a label from the region's labels."""

    value: Node = None  # type: ignore[assignment]


@dataclass(frozen=True)
class AddItem(Node):
    """`add_item "control" = expression`: the control's answer, added where it has none."""

    control: Node = None  # type: ignore[assignment]  # a string Literal: the control's name
    value: Node = None  # type: ignore[assignment]


ACTIONS = (SetAction, DropRegion, AddLabel, RemoveLabel, AddItem)
