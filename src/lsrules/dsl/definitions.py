"""Named definitions (`defs:`): written once, inlined into every expression that uses them.

A definition is a name for an expression (`vehicle: region.label in [...]`) or, with
parameters, for a predicate (`same_label(a, b): a.label == b.label`). It is inlined before
compiling, not called: every pass (geometry lowering, hoisting, per-rule columns, what a
fix can affect) sees one plain expression, and a rule costs what it would cost written
out. Inlining is hygienic: an argument is never captured by a loop variable of the body
(the body's variable is renamed), and each use gets nodes of its own (the passes key
facts by node identity). Definitions may use each other; a cycle is left as written (the
ruleset checks report it) and an expansion past `MAX_EXPANDED_NODES` is refused, so
`b: a + a`, `c: b + b`, ... cannot blow up.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from lsrules.dsl import nodes

MAX_EXPANDED_NODES = 20_000  # nodes in one expression once its definitions are inlined
# `name` or `name(a, b)`, as a key of `defs:` (and in the schema): no other white space,
# so no two optional runs of it meet and the pattern stays linear on any key
HEAD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\(((?:[A-Za-z_][A-Za-z0-9_]*"
                  r"(?:, ?[A-Za-z_][A-Za-z0-9_]*)*)?)\))?")


@dataclass(frozen=True)
class Definition:
    name: str
    parameters: tuple[str, ...]
    body: nodes.Node


class ExpansionError(Exception):
    """An expression whose definitions, inlined, make it too large."""


def read_head(key: str) -> tuple[str, tuple[str, ...]] | None:
    """`"same(a, b)"` -> ("same", ("a", "b")); None for a key of another shape."""
    match = HEAD.fullmatch(key)
    if match is None:
        return None
    parameters = tuple(part.strip() for part in (match.group(2) or "").split(",")
                       if part.strip())
    return match.group(1), parameters


def _scoped(node: nodes.Node, bound: frozenset[str]
            ) -> Iterator[tuple[nodes.Node, frozenset[str]]]:
    """Every part of `node` with the names bound where it stands (`bound`, and the
    variables of the comprehensions around it); iterative."""
    stack: list[tuple[nodes.Node, frozenset[str]]] = [(node, bound)]
    while stack:
        part, names = stack.pop()
        yield part, names
        if isinstance(part, nodes.Comprehension):
            stack.append((part.iterable, names))
            stack.extend((child, names | {part.variable}) for child in (
                part.element, part.condition) if child is not None)
        else:
            stack.extend((child, names) for child in part.children())


def references(node: nodes.Node, names: Mapping[str, object],
               bound: frozenset[str] = frozenset()) -> Iterator[nodes.Node]:
    """The `Name`s and `Call`s in `node` that use one of `names` (a loop variable or a
    parameter of the same name, in `bound`, hides a definition used as a value, not as a
    function)."""
    for part, hidden in _scoped(node, bound):
        if (isinstance(part, nodes.Name) and part.name in names and part.name not in hidden
                or isinstance(part, nodes.Call) and part.function in names):
            yield part


def free_names(node: nodes.Node, bound: frozenset[str] = frozenset()) -> set[str]:
    """The names `node` reads that no loop of its own (nor `bound`) binds."""
    return {part.name for part, hidden in _scoped(node, bound)
            if isinstance(part, nodes.Name) and part.name not in hidden}


def used_name(reference: nodes.Node) -> str:
    """The definition a node of `references` uses."""
    return reference.name if isinstance(reference, nodes.Name) else getattr(
        reference, "function", "")


def expand(node: nodes.Node, definitions: Mapping[str, Definition],
           bound: frozenset[str] = frozenset()) -> nodes.Node:
    """`node` with every use of a definition replaced by its body (arguments substituted);
    raises ExpansionError past MAX_EXPANDED_NODES (or nested too deeply to inline)."""
    if not definitions:
        return node
    try:
        return _Inliner(definitions, node).walk(node, bound, ())
    except RecursionError:
        raise ExpansionError("nested too deeply to inline its definitions") from None


class _Inliner:
    def __init__(self, definitions: Mapping[str, Definition], root: nodes.Node) -> None:
        self.definitions = definitions
        self.size = 0
        self.taken = {name for part in root.walk() for name in _names(part)}
        for definition in definitions.values():  # names a renamed variable must not take
            self.taken |= {name for part in definition.body.walk() for name in _names(part)}
            self.taken |= set(definition.parameters)

    def count(self, amount: int = 1) -> None:
        self.size += amount
        if self.size > MAX_EXPANDED_NODES:
            raise ExpansionError(f"with its definitions inlined, the expression has more "
                                 f"than {MAX_EXPANDED_NODES:,} parts")

    def walk(self, node: nodes.Node, bound: frozenset[str],
             active: tuple[str, ...]) -> nodes.Node:
        """A copy of `node` with the definitions it uses inlined; `bound`: the loop
        variables (and parameters) in scope, `active`: the definitions being inlined."""
        self.count()
        if (isinstance(node, nodes.Name) and node.name not in bound
                and node.name in self.definitions and node.name not in active
                and not self.definitions[node.name].parameters):
            return self.inline(self.definitions[node.name], (), active)
        if isinstance(node, nodes.Call) and node.function in self.definitions \
                and node.function not in active:
            definition = self.definitions[node.function]
            if len(node.arguments) == len(definition.parameters):
                arguments = tuple(self.walk(argument, bound, active)
                                  for argument in node.arguments)
                return self.inline(definition, arguments, active)
        if isinstance(node, nodes.Comprehension):
            inner = bound | {node.variable}
            return dataclasses.replace(
                node, iterable=self.walk(node.iterable, bound, active),
                element=self.walk(node.element, inner, active),
                condition=None if node.condition is None
                else self.walk(node.condition, inner, active))
        return _rebuild(node, lambda child: self.walk(child, bound, active))

    def inline(self, definition: Definition, arguments: tuple[nodes.Node, ...],
               active: tuple[str, ...]) -> nodes.Node:
        body = self.walk(definition.body, frozenset(definition.parameters),
                         active + (definition.name,))
        if not arguments:
            return body
        free = {part.name for argument in arguments for part in argument.walk()
                if isinstance(part, nodes.Name)}
        return self.substitute(body, dict(zip(definition.parameters, arguments)), free)

    def substitute(self, node: nodes.Node, replacements: Mapping[str, nodes.Node],
                   free: set[str]) -> nodes.Node:
        """`node` with each name in `replacements` replaced (by a copy of its node); a loop
        variable named like a free name of an argument is renamed, so it captures none."""
        if isinstance(node, nodes.Name) and node.name in replacements:
            replacement = replacements[node.name]
            self.count(sum(1 for _ in replacement.walk()))
            return _rebuild(replacement, None)
        if isinstance(node, nodes.Comprehension):
            iterable = self.substitute(node.iterable, replacements, free)
            inner = {name: value for name, value in replacements.items()
                     if name != node.variable}
            variable = node.variable
            if variable in free:
                variable = self.fresh(variable)
                inner[node.variable] = nodes.Name(node.span, variable)
            return dataclasses.replace(
                node, variable=variable, iterable=iterable,
                element=self.substitute(node.element, inner, free),
                condition=None if node.condition is None
                else self.substitute(node.condition, inner, free))
        return _rebuild(node, lambda child: self.substitute(child, replacements, free))

    def fresh(self, name: str) -> str:
        number = 1
        while f"{name}_{number}" in self.taken:
            number += 1
        self.taken.add(f"{name}_{number}")
        return f"{name}_{number}"


def _names(node: nodes.Node) -> tuple[str, ...]:
    if isinstance(node, nodes.Name):
        return (node.name,)
    if isinstance(node, nodes.Comprehension):
        return (node.variable,)
    return ()


def _rebuild(node: nodes.Node, change: Callable[[nodes.Node], nodes.Node] | None
             ) -> nodes.Node:
    """A new node like `node`, each child passed through `change` (None: copied as is)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, nodes.Node):
            values[field.name] = change(value) if change else _rebuild(value, None)
        elif isinstance(value, tuple) and value and isinstance(value[0], nodes.Node):
            values[field.name] = tuple(change(item) if change else _rebuild(item, None)
                                       for item in value)
    return dataclasses.replace(node, **values)
