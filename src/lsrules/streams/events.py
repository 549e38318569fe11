"""Stream events: one evaluated annotation, reduced to what stream rules may read.

An event keeps the annotation without its `result` and the task without its data (both
can be large and a window may hold thousands of events), plus what the rules decided and
the labels the annotation gave; of those, only the fields some stream rule reads
(`lsrules.streams.reads`). Its `time` is the annotation's `created_at`; stream time
never goes backwards, so an event older than one already seen counts as happening then.
"""
from __future__ import annotations

from typing import Any

from lsrules.result_types import LABEL_VALUE_KEYS
from lsrules.streams.reads import EVERYTHING, EventFields
from lsrules.timestamps import format_time

_TASK_DROPPED = ("data", "annotations", "predictions", "drafts")


def annotator_of(annotation: dict):
    """`completed_by` as a plain id: a number, or the id or email of a user object."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("id") if who.get("id") is not None else who.get("email")
    if isinstance(who, bool) or not isinstance(who, (int, str)):
        return None
    return who


def labels_of(annotation: dict) -> list:
    labels: list = []
    result = annotation.get("result")
    for item in result if isinstance(result, list) else ():
        if not isinstance(item, dict) or item.get("type") == "relation":
            continue
        value = item.get("value")
        if not isinstance(value, dict):
            continue
        for key in LABEL_VALUE_KEYS:
            found = value.get(key)
            if isinstance(found, list):
                for label in found:
                    if isinstance(label, list) and label:  # a taxonomy path: its leaf
                        label = label[-1]
                    if isinstance(label, str):
                        labels.append(label)
                break
    return labels


_LABELS: dict[tuple, tuple] = {}
MAX_SHARED_LABELS = 10_000  # distinct label lists shared; beyond, each event has its own


def shared_labels(labels: list) -> tuple:
    """The labels as a tuple shared by every event with the same labels (a project has a few
    labels, and a window may hold an event for each of a million annotations)."""
    key = tuple(labels)
    found = _LABELS.get(key)
    if found is None:
        if len(_LABELS) >= MAX_SHARED_LABELS:
            return key
        found = _LABELS[key] = key
    return found


def first_label(labels: tuple):
    """`e.label`: the first of the event's labels, or null."""
    return labels[0] if labels else None


class EventShape:
    """The slots of the events of one set of stream rules (`EventFields`): one slot per kept
    field of the annotation (`a0`, `a1`, ... in field-name order) and of the task (`t0`,
    ...), or `annotation` / `task` holding the whole part when a rule uses it as a value;
    then the top-level fields kept. Slot names are ours, never a field's name."""

    FIELDS = ("verdict", "annotator", "labels", "label", "rules", "route", "time")
    TOP = tuple(name for name in FIELDS if name != "label")  # `label` is the first of `labels`

    def __init__(self, fields: EventFields):
        self.fields = fields
        self.annotation_fields = None if fields.annotation is None else tuple(
            sorted(fields.annotation))
        self.task_fields = None if fields.task is None else tuple(sorted(fields.task))
        self.shown = tuple(name for name in self.FIELDS  # the fields `as_dict` gives
                           if fields.event is None or name in fields.event)
        self.top = tuple(name for name in self.shown if name != "label")  # their slots
        slots = (["annotation"] if self.annotation_fields is None
                 else [f"a{index}" for index in range(len(self.annotation_fields))])
        slots += (["task"] if self.task_fields is None
                  else [f"t{index}" for index in range(len(self.task_fields))])
        self.slots = tuple(slots) + self.top
        self.event_class = type("Event", (Event,), {"__slots__": self.slots, "shape": self})

    def annotation_slot(self, name: str) -> str | None:
        """The slot holding the annotation's field `name`; None: the whole part's slot."""
        if self.annotation_fields is None:
            return None
        return f"a{self.annotation_fields.index(name)}"

    def task_slot(self, name: str) -> str | None:
        if self.task_fields is None:
            return None
        return f"t{self.task_fields.index(name)}"

    def make(self, task: dict, annotation: dict, verdict: str | None, rules, route) -> "Event":
        labels = shared_labels(labels_of(annotation))
        task_id = task.get("id") if task.get("id") is not None else annotation.get("task")
        event = self.event_class()
        slim_task = {key: value for key, value in task.items() if key not in _TASK_DROPPED} \
            if self.task_fields is None else {key: task.get(key) for key in self.task_fields
                                              if key not in _TASK_DROPPED}
        slim_task["id"] = task_id
        if slim_task.get("project") is None and annotation.get("project") is not None:
            slim_task["project"] = annotation.get("project")
        if self.task_fields is None:
            event.task = slim_task
        else:
            for index, key in enumerate(self.task_fields):
                setattr(event, f"t{index}", slim_task.get(key))
        if self.annotation_fields is None:
            event.annotation = {key: value for key, value in annotation.items()
                                if key != "result"}
        else:
            for index, key in enumerate(self.annotation_fields):
                setattr(event, f"a{index}", annotation.get(key) if key != "result" else None)
        values = {"verdict": verdict, "annotator": annotator_of(annotation),
                  "labels": labels, "rules": list(rules or []), "route": route, "time": None}
        for name in self.top:
            setattr(event, name, values[name])
        return event

    def from_dict(self, found: dict) -> "Event":
        """An event from `Event.as_dict` (saved state), perhaps of another shape: what this
        shape keeps and the dict lacks is null."""
        event = self.event_class()
        for name, fields, prefix in (("annotation", self.annotation_fields, "a"),
                                     ("task", self.task_fields, "t")):
            saved = found.get(name)
            part: dict = saved if isinstance(saved, dict) else {}
            if fields is None:
                setattr(event, name, dict(part))
            else:
                for index, key in enumerate(fields):
                    setattr(event, f"{prefix}{index}", part.get(key))
        labels = shared_labels(list(found.get("labels") or ()))
        values = {"verdict": found.get("verdict"), "annotator": found.get("annotator"),
                  "labels": labels,
                  "rules": list(found.get("rules") or []), "route": found.get("route"),
                  "time": float(found["time"])}
        for name in self.top:
            setattr(event, name, values[name])
        return event

    def part(self, event: "Event", name: str) -> dict:
        """The annotation or task part of an event as a dict (of the fields kept)."""
        names = self.annotation_fields if name == "annotation" else self.task_fields
        if names is None:
            return getattr(event, name)
        prefix = name[0]
        return {key: getattr(event, f"{prefix}{index}") for index, key in enumerate(names)}


class Event:
    """One evaluated annotation as the stream rules see it: an object with slots, since a
    window may hold an event for a day for each of tens of thousands of keys. Its class
    comes from its `EventShape`; it pickles as (its fields, its values)."""

    __slots__ = ()
    shape: EventShape
    # the slots every shape has (`EventShape.TOP` less those no rule reads), for the checker
    verdict: str | None
    annotator: Any
    labels: tuple
    rules: list
    route: str | None
    time: float
    annotation: dict
    task: dict

    def as_dict(self) -> dict:
        """The event as a value of the language (an event used whole, `[e for e in events]`):
        annotation and task as dicts, the top-level fields kept, labels a list."""
        shape = self.shape
        found: dict[str, Any] = {"annotation": shape.part(self, "annotation"),
                                 "task": shape.part(self, "task")}
        for name in shape.shown:
            if name == "label":
                found[name] = first_label(self.labels)
            elif name == "labels":
                found[name] = list(self.labels)
            else:
                found[name] = getattr(self, name)
        return found

    def with_time(self, moment: float) -> "Event":
        copy = self.shape.event_class()
        for name in self.shape.slots:
            setattr(copy, name, getattr(self, name))
        copy.time = moment
        return copy

    def __reduce__(self):
        return (_rebuild, (self.shape.fields, tuple(getattr(self, name)
                                                    for name in self.shape.slots)))


_SHAPES: dict[EventFields, EventShape] = {}


def shape_for(fields: EventFields) -> EventShape:
    """One shape (and one event class) per set of fields in a process."""
    shape = _SHAPES.get(fields)
    if shape is None:
        shape = _SHAPES[fields] = EventShape(fields)
    return shape


def _rebuild(fields: EventFields, values: tuple) -> Event:
    shape = shape_for(fields)
    event = shape.event_class()
    for name, value in zip(shape.slots, values):
        setattr(event, name, value)
    return event


def make_event(task: dict, annotation: dict, verdict: str | None, rules, route,
               fields: EventFields = EVERYTHING) -> Event:
    """The event for one evaluated annotation, with only the `fields` the stream rules read
    (`lsrules.streams.reads`); `time` is filled in by the runtime."""
    return shape_for(fields).make(task, annotation, verdict, rules, route)


def annotation_id(event: Event):
    shape = event.shape
    slot = shape.annotation_slot("id")
    return event.annotation.get("id") if slot is None else getattr(event, slot)


def task_id(event: Event):
    shape = event.shape
    slot = shape.task_slot("id")
    return event.task.get("id") if slot is None else getattr(event, slot)


def project_of(event: Event):
    shape = event.shape
    slot = shape.task_slot("project")
    return event.task.get("project") if slot is None else getattr(event, slot)


def key_of(event: Event, kind: str):
    """The value an event is grouped by for a rule's `key:`; None when it has none."""
    if kind == "annotator":
        value = event.annotator
    elif kind == "task":
        value = task_id(event)
    else:
        value = project_of(event)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return value


def summary(event: Event) -> dict:
    """How an event is listed in a decision's `stream.events`."""
    return {"annotation_id": annotation_id(event), "task_id": task_id(event),
            "annotator": event.annotator, "time": format_time(event.time),
            "verdict": event.verdict, "labels": list(event.labels)}
