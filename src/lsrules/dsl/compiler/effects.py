"""What a rule reads and what its fix writes, as paths: which rules a correction can affect.

When fixes ran, the engine evaluates the ruleset again on the corrected annotation; a rule
that reads nothing a fix wrote would find there exactly what it found the first time, so
only the rules whose reads meet the writes run again. The analysis is conservative: a
path is a tuple of names (`("task", "data", "text")`, `("region", "value", "x")`) and
stands for everything below it, two paths meet when one begins the other, and whatever
the analysis does not understand reads everything (the empty path).

A region's labels are read from whichever value key holds them (the result type's key, or
one of the answer keys), so every value key that could hold labels is also the path
`("region", "label")`; only geometry keys are not. A region whose *type* is a geometry key
(hostile data) could keep its labels there: the evaluation notices a write on such a
region and then runs every rule again (`Evaluation.unsure`).
"""
from __future__ import annotations

from typing import Iterable, Sequence

from lsrules.dsl import nodes
from lsrules.dsl.builtins import GEOMETRY
from lsrules.dsl.regions import VALUE_FIELDS
from lsrules.result_types import ANSWER_VALUE_KEYS

Path = tuple[str, ...]

EVERYTHING: Path = ()
REGION_SET: Path = ("regions",)  # which regions exist (a drop changes it)
_REGION: Path = ("region",)
_LABEL: Path = ("region", "label")
# value keys that never hold labels on a region of a known type
GEOMETRY_KEYS = frozenset(VALUE_FIELDS) - frozenset(ANSWER_VALUE_KEYS)
_ROOT_READS: dict[str, tuple[Path, ...]] = {
    "relations": (("relations",),), "others": (("others",),), "config": (("config",),),
    "annotator": (("annotation", "completed_by"),), "suggestion": (("task",),),
}


def meets(first: Path, second: Path) -> bool:
    """Whether two paths share data: one is the other or lies below it."""
    shorter = min(len(first), len(second))
    return first[:shorter] == second[:shorter]


def any_meets(reads: Iterable[Path], writes: Iterable[Path]) -> bool:
    written = list(writes)
    return any(meets(read, write) for read in reads for write in written)


def own_region_only(reads: frozenset[Path], writes: frozenset[Path]) -> bool:
    """Whether a region rule with these reads meets `writes` only through its own region's
    fields: then a fix changes its findings only on the regions the fix wrote. (Every read
    of another region, through `regions` or the result, also reads `REGION_SET`.)"""
    if REGION_SET in reads or EVERYTHING in reads:
        return False
    return not any_meets([read for read in reads if read[0] != "region"], writes)


def _value_key(key: str) -> tuple[Path, ...]:
    path = ("region", "value", key)
    return (path,) if key in GEOMETRY_KEYS else (path, _LABEL)


def _region_field(names: Sequence[str]) -> tuple[Path, ...]:
    """The paths of `region.<names...>` (the region's own data)."""
    if not names:
        return (_REGION,)
    field = names[0]
    if field in ("label", "labels"):
        return (_LABEL,)
    if field in VALUE_FIELDS:
        return _value_key(field)
    if field == "value":
        return _value_key(names[1]) if len(names) > 1 else (("region", "value"), _LABEL)
    if field in ("suggestion", "anomaly"):  # the suggester reads the region and the task
        return (_REGION, ("task",))
    return (("region", *names),)


def rule_reads(expressions: Iterable[nodes.Node], scope: str) -> frozenset[Path]:
    """The paths a rule's where/when/assert read (iteratively: deep expressions are fine)."""
    found: set[Path] = set()
    Scope = dict[str, str]  # a comprehension variable -> "region" or "local"
    stack: list[tuple[nodes.Node, Scope]] = [(node, {}) for node in expressions]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, nodes.Comprehension):
            inner = dict(bound)
            iterable = node.iterable
            if isinstance(iterable, nodes.Name) and iterable.name == "regions" \
                    and "regions" not in bound:
                found.add(REGION_SET)
                inner[node.variable] = "region"
            else:
                stack.append((iterable, bound))
                inner[node.variable] = "local"  # its parts lie below the iterable's path
            stack.extend((part, inner) for part in (node.element, node.condition)
                         if part is not None)
            continue
        if isinstance(node, nodes.Call) and node.function == "len" and \
                _is_regions(node.arguments, bound):  # how many: not what they hold
            found.add(REGION_SET)
            continue
        if isinstance(node, nodes.Call) and node.function in GEOMETRY:
            for argument in node.arguments:
                if _is_region(argument, bound, scope):
                    found.add(("region", "value"))
                else:
                    stack.append((argument, bound))
            continue
        if isinstance(node, (nodes.Attribute, nodes.Index, nodes.MethodCall, nodes.Name)):
            names: list[str] = []
            current: nodes.Node = node
            while not isinstance(current, nodes.Name):
                if isinstance(current, nodes.Attribute):
                    names.insert(0, current.name)
                elif isinstance(current, nodes.Index):
                    names = []  # what lies below an index lies below the indexed path
                    stack.append((current.index, bound))
                elif isinstance(current, nodes.MethodCall):
                    names = []
                    stack.extend((argument, bound) for argument in current.arguments)
                else:
                    stack.append((current, bound))
                    break
                current = current.value
            else:
                found.update(_name_reads(current.name, names, bound, scope))
            continue
        stack.extend((child, bound) for child in node.children())
    return frozenset(found)


def _is_regions(arguments: Sequence[nodes.Node], bound: dict[str, str]) -> bool:
    return (len(arguments) == 1 and isinstance(arguments[0], nodes.Name)
            and arguments[0].name == "regions" and "regions" not in bound)


def _is_region(node: nodes.Node, bound: dict[str, str], scope: str) -> bool:
    if not isinstance(node, nodes.Name):
        return False
    if node.name in bound:
        return bound[node.name] == "region"
    return node.name == "region" and scope == "region"


def _name_reads(name: str, names: list[str], bound: dict[str, str],
                scope: str) -> tuple[Path, ...]:
    if name in bound:
        return _region_field(names) if bound[name] == "region" else ()
    if name == "region" and scope == "region":
        return _region_field(names)
    if name == "task":
        return (("task", *names),)
    if name == "annotation":
        if not names or names[0] == "result":
            return (_REGION, REGION_SET, ("annotation",))
        return (("annotation", *names),)
    if name == "regions":
        return (_REGION, REGION_SET)
    return _ROOT_READS.get(name, (EVERYTHING,))


def fix_writes(actions: Iterable[nodes.Node]) -> frozenset[Path]:
    """The paths a rule's fix actions can write."""
    found: set[Path] = set()
    for action in actions:
        if isinstance(action, nodes.DropRegion):
            found.add(REGION_SET)
        elif isinstance(action, (nodes.AddLabel, nodes.RemoveLabel)):
            found.add(_LABEL)
        elif isinstance(action, nodes.AddItem):
            # an answer on the region (per region), or a new region (then the evaluation
            # is `unsure`: every rule runs again)
            name = action.control.value if isinstance(action.control, nodes.Literal) else None
            found.update({("region", "attrs", str(name)), _LABEL, REGION_SET})
        elif isinstance(action, nodes.SetAction):
            target = action.target
            if target[0] == "region":
                field = target[1]
                if field in ("label", "labels"):
                    found.add(_LABEL)
                elif field in VALUE_FIELDS:
                    found.update(_value_key(field))
                elif field == "value":
                    found.update(_value_key(target[2]) if len(target) > 2 else (_REGION,))
                elif field == "attrs":  # the region's labels may come from its answers
                    found.update({tuple(target), _LABEL})
                else:
                    found.add(tuple(target))
            else:
                found.add(tuple(target))
        else:
            found.add(EVERYTHING)
    return frozenset(found)
