"""Stream events: one evaluated annotation, reduced to what stream rules may read.

An event keeps the annotation without its `result` and the task without its data (both
can be large and a window may hold thousands of events), plus what the rules decided and
the labels the annotation gave. Its `time` is the annotation's `created_at`; stream time
never goes backwards, so an event older than one already seen counts as happening then.
"""
from __future__ import annotations

from datetime import datetime, timezone

from lsrules.result_types import LABEL_VALUE_KEYS

_TASK_DROPPED = ("data", "annotations", "predictions", "drafts")

def parse_time(value) -> float | None:
    """ISO 8601 (`2024-05-01T10:00:00.123Z`, as Label Studio writes) -> seconds; None if not."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def format_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


def make_event(task: dict, annotation: dict, verdict: str | None, rules, route) -> dict:
    """The event for one evaluated annotation; `time` is filled in by the runtime."""
    labels = labels_of(annotation)
    task_id = task.get("id") if task.get("id") is not None else annotation.get("task")
    slim_task = {key: value for key, value in task.items() if key not in _TASK_DROPPED}
    slim_task["id"] = task_id
    if slim_task.get("project") is None and annotation.get("project") is not None:
        slim_task["project"] = annotation.get("project")
    return {
        "annotation": {key: value for key, value in annotation.items() if key != "result"},
        "task": slim_task,
        "verdict": verdict,
        "annotator": annotator_of(annotation),
        "labels": labels,
        "label": labels[0] if labels else None,
        "rules": list(rules or []),
        "route": route,
        "time": None,
    }


def key_of(event: dict, kind: str):
    """The value an event is grouped by for a rule's `key:`; None when it has none."""
    if kind == "annotator":
        value = event["annotator"]
    elif kind == "task":
        value = event["task"].get("id")
    else:
        value = event["task"].get("project")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return value


def summary(event: dict) -> dict:
    """How an event is listed in a decision's `stream.events`."""
    return {"annotation_id": event["annotation"].get("id"), "task_id": event["task"].get("id"),
            "annotator": event["annotator"], "time": format_time(event["time"]),
            "verdict": event["verdict"], "labels": event["labels"]}
