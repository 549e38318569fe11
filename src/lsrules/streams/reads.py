"""What of an event the stream rules read: the fields an event keeps.

A window may hold an event for a day, per key, for tens of thousands of keys, so an event
keeps only what some stream rule reads (`e.annotation.lead_time` keeps the annotation's
`lead_time`, `e.rules` the fired rules) and what every finding lists (`summary`: the ids,
annotator, time, verdict and labels) or groups by (`key_of`: the task's id and project).
An event used whole (`[e for e in events]`, `events[0]`, `e.annotation` as a value) keeps
everything, as before this existed: a rule never sees a field go missing.

Scopes follow the code generator's (`StreamCodeGenerator.visit_Comprehension`): `event`,
and a comprehension's variable over `events`, `window(...)` or `last(...)`, name events.
"""
from __future__ import annotations

from dataclasses import dataclass

from lsrules.dsl import nodes
from lsrules.dsl.compiler.expressions import path_of

# what `summary` and `key_of` read, whatever the rules do
ALWAYS = frozenset({"annotation", "task", "verdict", "annotator", "labels", "time"})
ANNOTATION_ALWAYS = frozenset({"id"})
TASK_ALWAYS = frozenset({"id", "project"})
_EVENT_LISTS = ("window", "last")


@dataclass(frozen=True)
class EventFields:
    """The fields an event keeps; None: all of them (an event used whole)."""

    event: frozenset[str] | None = None
    annotation: frozenset[str] | None = None
    task: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.event is None and self.annotation is None and self.task is None


EVERYTHING = EventFields()


def event_fields(rules) -> EventFields:
    """The fields the stream rules `rules` (checked) read, with what every event keeps."""
    reads = _Reads()
    try:
        for rule in rules:
            for expression in ([rule.when] if rule.when is not None else []) + (
                    [part for part in rule.message.parts if not isinstance(part, str)]
                    if rule.message is not None else []):
                reads.visit(expression.node, frozenset({"event"}))
    except RecursionError:  # nested deeper than this walk goes: keep everything
        return EVERYTHING
    if reads.whole:
        return EVERYTHING
    return EventFields(
        event=ALWAYS | reads.event,
        annotation=None if "annotation" in reads.whole_parts else ANNOTATION_ALWAYS | reads.annotation,
        task=None if "task" in reads.whole_parts else TASK_ALWAYS | reads.task)


class _Reads:
    def __init__(self) -> None:
        self.whole = False  # an event used as a value: keep everything
        self.whole_parts: set[str] = set()  # `e.annotation` / `e.task` used as a value
        self.event: set[str] = set()
        self.annotation: set[str] = set()
        self.task: set[str] = set()

    def visit(self, node: nodes.Node, names: frozenset[str], iterated: bool = False) -> None:
        """`iterated`: `node` is a comprehension's iterable or `len`'s argument, where a
        list of events is only counted or walked, not used as a value."""
        if isinstance(node, nodes.Attribute):
            root, keys = path_of(node)
            if isinstance(root, nodes.Name) and root.name in names:
                self._read(keys)
                return
            self.visit(root, names)
            return
        if isinstance(node, nodes.Name):
            if node.name in names or (node.name == "events" and not iterated):
                self.whole = True
            return
        if isinstance(node, nodes.Call) and node.function in _EVENT_LISTS:
            if not iterated:
                self.whole = True
            return  # its argument is a literal
        if isinstance(node, nodes.Call) and node.function == "len" and len(node.arguments) == 1:
            self.visit(node.arguments[0], names, iterated=True)
            return
        if isinstance(node, nodes.Comprehension):
            self.visit(node.iterable, names, iterated=True)
            over_events = (isinstance(node.iterable, nodes.Call)
                           and node.iterable.function in _EVENT_LISTS) or (
                isinstance(node.iterable, nodes.Name) and node.iterable.name == "events")
            inner = names | {node.variable} if over_events else names - {node.variable}
            self.visit(node.element, inner)
            if node.condition is not None:
                self.visit(node.condition, inner)
            return
        for child in node.children():
            self.visit(child, names)

    def _read(self, keys: tuple[str, ...]) -> None:
        first = keys[0]
        self.event.add(first)
        if first in ("annotation", "task"):
            if len(keys) == 1:
                self.whole_parts.add(first)
            else:
                (self.annotation if first == "annotation" else self.task).add(keys[1])
