"""Hoisting: which parts of an expression move out of a loop (analysis over the AST).

Three questions, each a pure function of the AST and the `Frame` the code is written in:

- `loop_invariants`: the parts of a comprehension that are the same on every pass, computed
  once before its loop;
- `rule_invariants`: the parts of a region rule that do not depend on the region, computed
  once before the rule's region loop;
- `column_plan`: for a comprehension over `regions` inside a loop, the parts that depend
  only on its own variable, computed once per rule as a column (n work where a pair loop
  needs n²).

A part moves only if it cannot raise, so moving it never turns a finding into an error or
an error into a finding: the generated code gives the same findings with or without them
(the differential tests compare `optimize=True` and `optimize=False`).
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

from lsrules.dsl import nodes
from lsrules.dsl.compiler.frame import Frame

_OWN_SLOTS = ("id", "type", "from_name", "to_name", "value", "attrs")  # a region's attributes


class ColumnPlan(NamedTuple):
    """How a comprehension reads a per-rule column (see `column_plan`)."""

    filters: list[nodes.Node]  # conjuncts that pick the column's items
    values: list[nodes.Node]  # parts computed once per item, read per pair
    conditions: list[nodes.Node]  # what remains of the condition
    elements: list[nodes.Node] | None  # what remains of the element; None: the whole element


def loop_invariants(node: nodes.Comprehension, frame: Frame) -> list[nodes.Node]:
    """The largest parts of the element and condition that are the same on every pass
    (they name no variable bound by this comprehension or inside it), cost a lookup or
    a call, and cannot raise: computed once before the loop instead of once per item."""
    found: list[nodes.Node] = []

    def visit(part: nodes.Node, bound: frozenset[str]) -> tuple[bool, bool]:
        """(independent of `bound`, safe to evaluate early) for `part`; collects."""
        if id(part) in frame.hoisted:  # already computed before an enclosing loop
            return True, True
        if isinstance(part, nodes.Comprehension):
            inner = bound | {part.variable}
            for child in (part.iterable, part.element, part.condition):
                if child is not None:
                    visit(child, bound if child is part.iterable else inner)
            return False, False
        if isinstance(part, nodes.Name):
            if part.name in bound:
                return False, False
            return True, part.name != "region" or "region" in frame.region_names
        if isinstance(part, nodes.Literal):
            return True, True
        children = list(part.children())
        results = [visit(child, bound) for child in children]
        independent = all(result[0] for result in results)
        safe = all(result[1] for result in results) and isinstance(
            part, (nodes.Attribute, nodes.Call, nodes.MethodCall, nodes.ListDisplay))
        if independent and safe:
            return True, True
        # this part cannot move: its largest movable children can
        for child, (child_independent, child_safe) in zip(children, results):
            if (child_independent and child_safe and _worth_hoisting(child)
                    and id(child) not in frame.hoisted):
                found.append(child)
        return independent, False

    for part in (node.element, node.condition):
        if part is None:
            continue
        independent, safe = visit(part, frozenset({node.variable}))
        if independent and safe and _worth_hoisting(part) and id(part) not in frame.hoisted:
            found.append(part)
    return found


def rule_invariants(parts: Sequence[nodes.Node], frame: Frame) -> list[nodes.Node]:
    """The largest parts of a region rule's where/when/assert that do not name `region`
    (`len(task.data.text)`), cost a lookup or a call and cannot raise."""
    found: list[nodes.Node] = []

    def collect(part: nodes.Node) -> None:
        if isinstance(part, nodes.Comprehension):
            return
        uses, free, safe = _scan(part, "region", frame)
        if not uses and free and safe and _worth_hoisting(part):
            found.append(part)
            return
        for child in part.children():
            collect(child)

    for part in parts:
        collect(part)
    return found


def column_plan(node: nodes.Comprehension, frame: Frame) -> ColumnPlan | None:
    """Per-rule columns: a comprehension over `regions` inside a loop (the rule's region
    loop, or another comprehension) is evaluated once per outer item, n² work where the
    parts that depend only on its own variable need n. Those parts are computed once per
    rule (on first use; the rule has no fix, so regions do not change during its loop):

    - filters: the leading conjuncts of the condition (and, for any/none/count, of the
      element) that cannot raise and name no other loop variable: the column holds only
      the items that pass them. Only leading conjuncts up to the first that may raise
      move: an item they reject was, before, rejected by them too, having evaluated only
      parts that cannot raise (so no error is lost);
    - values: the largest parts of what remains that depend only on the variable and
      cannot raise (`lower(o.text)`, `o.label`): one tuple per item, read per pair.

    None when nothing would be gained. `frame` is the comprehension's own (outside it)."""
    variable = node.variable
    conditions = _conjuncts(node.condition) if node.condition is not None else []
    splittable = node.kind in ("any", "none", "count")
    elements = _conjuncts(node.element) if splittable else []
    filters: list[nodes.Node] = []
    remaining_conditions: list[nodes.Node] = []
    remaining_elements: list[nodes.Node] = []
    prefix_safe = True
    for position, part in enumerate(conditions + elements):
        _uses, free, safe = _scan(part, variable, frame)
        if prefix_safe and free and safe:
            filters.append(part)
            continue
        prefix_safe = prefix_safe and safe
        if position < len(conditions):
            remaining_conditions.append(part)
        else:
            remaining_elements.append(part)
    values: list[nodes.Node] = []

    def collect(part: nodes.Node) -> None:
        if isinstance(part, nodes.Comprehension):
            return
        uses, free, safe = _scan(part, variable, frame)
        if uses and free and safe and _worth_a_column(part, variable):
            values.append(part)
            return
        for child in part.children():
            collect(child)

    for part in remaining_conditions + (remaining_elements if splittable else [node.element]):
        collect(part)
    if not filters and not values:
        return None
    return ColumnPlan(filters, values, remaining_conditions,
                      remaining_elements if splittable else None)


def _scan(part: nodes.Node, variable: str, frame: Frame) -> tuple[bool, bool, bool]:
    """(names `variable`, names no other loop-bound value, cannot raise) for `part`."""
    if id(part) in frame.hoisted:  # a temporary of an enclosing loop
        return False, False, True
    if isinstance(part, nodes.Comprehension):
        return True, False, False
    if isinstance(part, nodes.Name):
        if part.name == variable:
            return True, True, True
        if part.name in frame.local_names or part.name == "region":
            return False, False, True
        return False, True, True
    if isinstance(part, nodes.Literal):
        return False, True, True
    uses, free, safe = False, True, _cannot_raise(part)
    for child in part.children():
        child_uses, child_free, child_safe = _scan(child, variable, frame)
        uses = uses or child_uses
        free = free and child_free
        safe = safe and child_safe
    return uses, free, safe


def _conjuncts(node: nodes.Node) -> list[nodes.Node]:
    """`a and b and c` -> [a, b, c] in evaluation order (its truth is theirs, in order)."""
    if isinstance(node, nodes.Logical) and node.operator == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def cannot_raise(node: nodes.Node) -> bool:
    """Evaluating the whole of `node` never raises on any JSON data: names and literals,
    and operations `_cannot_raise` vouches for (a comprehension may: its items may)."""
    for part in node.walk():
        if isinstance(part, nodes.Comprehension):
            return False
        if not isinstance(part, (nodes.Name, nodes.Literal)) and not _cannot_raise(part):
            return False
    return True


def _cannot_raise(node: nodes.Node) -> bool:
    """This node's own operation never raises on any JSON operands (its children aside).
    Built-ins return null on wrong types; `==` is total; `in` a list literal is `==`;
    `*`, `/`, `%` check their operands. Ordering, `+`, `-` and negation raise on mixed
    types; a region's `suggestion`/`anomaly` calls the suggester."""
    if isinstance(node, nodes.Attribute):
        return node.name not in ("suggestion", "anomaly")
    if isinstance(node, (nodes.Call, nodes.MethodCall, nodes.ListDisplay, nodes.Logical,
                         nodes.Index, nodes.Conditional)):
        return True
    if isinstance(node, nodes.Compare):
        return all(operator in ("==", "!=") or (
            operator in ("in", "not in")
            and isinstance(node.operands[position + 1], nodes.ListDisplay))
            for position, operator in enumerate(node.operators))
    if isinstance(node, nodes.Unary):
        return node.operator == "not"
    if isinstance(node, nodes.Binary):
        return node.operator in ("*", "/", "%")
    return False


def _worth_a_column(node: nodes.Node, variable: str) -> bool:
    """More than reading one of the region's own slots (a tuple read costs as much)."""
    if isinstance(node, (nodes.Name, nodes.Literal)):
        return False
    return not (isinstance(node, nodes.Attribute) and isinstance(node.value, nodes.Name)
                and node.value.name == variable and node.name in _OWN_SLOTS)


def _worth_hoisting(node: nodes.Node) -> bool:
    return isinstance(node, (nodes.Attribute, nodes.Call, nodes.MethodCall))
