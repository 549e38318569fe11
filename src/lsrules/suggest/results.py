"""Reading what the suggester needs out of Label Studio result items.

Label Studio stores whatever it is sent (it does not validate results against the labeling
config), so every accessor here tolerates missing or mistyped fields by returning None.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lsrules.result_types import LABEL_VALUE_KEYS

# fields of a result item that do not change what was labelled
_PRESENTATION_FIELDS = {"id", "score", "origin", "readonly", "hidden", "parentID",
                        "original_width", "original_height", "image_rotation"}


def items_of(annotation: dict) -> list[dict]:
    result = annotation.get("result")
    if not isinstance(result, list):
        return []
    return [item for item in result if isinstance(item, dict)]


def first_string(values: Any) -> str | None:
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0]
    return None


def choice_item(annotation: dict, from_name: str | None) -> dict | None:
    """The classification item to learn: the first `choices` item (of `from_name`, if set)."""
    for item in items_of(annotation):
        if item.get("type") != "choices":
            continue
        if from_name is not None and item.get("from_name") != from_name:
            continue
        value = item.get("value")
        if isinstance(value, dict) and first_string(value.get("choices")) is not None:
            return item
    return None


def span_labels(task: dict, annotation: dict) -> Iterator[tuple[str, str]]:
    """(surface text, label) for every span region (`labels`, `hypertextlabels`, ...)."""
    for item in items_of(annotation):
        value = item.get("value")
        if not isinstance(value, dict):
            continue
        labels = value.get("labels") or value.get("hypertextlabels")
        if not isinstance(labels, list):
            continue
        surface = span_surface(task, item)
        if surface is None:
            continue
        for label in labels:
            if isinstance(label, str):
                yield surface, label


def span_surface(task: dict, item: dict) -> str | None:
    """A span's text: its `value.text`, else cut from the task data by start/end."""
    value = item.get("value")
    if not isinstance(value, dict):
        return None
    text = value.get("text")
    if isinstance(text, str):
        return text
    start, end = value.get("start"), value.get("end")
    data = task.get("data") if isinstance(task, dict) else None
    source = data.get(item.get("to_name")) if isinstance(data, dict) else None
    if (isinstance(source, str) and isinstance(start, int) and isinstance(end, int)
            and not isinstance(start, bool) and not isinstance(end, bool)
            and 0 <= start <= end <= len(source)):
        return source[start:end]
    return None


def boxes(annotation: dict) -> Iterator[tuple[str, Any, Any, Any, Any]]:
    """(label, x, y, width, height) for every labelled rectangle."""
    for item in items_of(annotation):
        value = item.get("value")
        if not isinstance(value, dict):
            continue
        labels = value.get("rectanglelabels")
        if not isinstance(labels, list):
            continue
        for label in labels:
            if isinstance(label, str):
                yield (label, value.get("x"), value.get("y"), value.get("width"),
                       value.get("height"))


def annotation_label(annotation: dict) -> str | None:
    """One label summing up an annotation, to compare annotators: the first choice, else
    the sorted set of region labels."""
    item = choice_item(annotation, None)
    if item is not None:
        return item["value"]["choices"][0]
    labels: set[str] = set()
    for item in items_of(annotation):
        value = item.get("value")
        if isinstance(value, dict):
            for key, values in value.items():
                if key in LABEL_VALUE_KEYS and isinstance(values, list):
                    labels.update(v for v in values if isinstance(v, str))
    return "|".join(sorted(labels)) if labels else None


def annotator_of(annotation: dict) -> str | None:
    """`completed_by` as a string key (an id, or the id/email inside an expanded user)."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("id", who.get("email"))
    if isinstance(who, bool) or who is None or not isinstance(who, (int, str)):
        return None
    return str(who)


def same_result(result: Any, other: Any) -> bool:
    """Equal as labels, ignoring ids, scores and other presentation fields."""
    return _canonical(result) == _canonical(other)


def _canonical(result: Any) -> Any:
    if not isinstance(result, list):
        return result
    canonical = []
    for item in result:
        if isinstance(item, dict):
            canonical.append({key: value for key, value in item.items()
                              if key not in _PRESENTATION_FIELDS})
        else:
            canonical.append(item)
    return sorted(canonical, key=repr)
