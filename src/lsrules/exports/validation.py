"""Structural checks of one Label Studio JSON task, before the engine sees it.

A task whose shape is wrong (annotations not a list, an annotation not an object, ...)
cannot be evaluated at all, so the reader stops there with the JSON path of the problem
instead of letting the engine fail later with a Python error.
"""
from __future__ import annotations

from typing import Any

from lsrules.json_types import json_type


class MalformedTask(Exception):
    """A problem inside one task; the reader adds the file and the task's position."""

    def __init__(self, message: str, json_path: str = ""):
        super().__init__(message)
        self.message = message
        self.json_path = json_path


def split_task(task: Any, strict_items: bool = True) -> tuple[dict, list[dict]]:
    """Check a task and return it without its annotations, and the annotations.

    Old exports call the annotations `completions`; both are accepted. A task without
    either key has no annotations (a task as imported, never labelled).
    With `strict_items`, a result item that is not an object, or has no `value` (other
    than a relation, which has none), is an error too; without it such items are passed
    through for the rules to report.
    """
    if not isinstance(task, dict):
        raise MalformedTask(f"a task must be a JSON object, found {json_type(task)}")
    key = "annotations" if "annotations" in task or "completions" not in task else "completions"
    if not isinstance(task.get("data"), dict):
        found = "no `data`" if "data" not in task else f"`data` is {json_type(task['data'])}"
        raise MalformedTask(f"a task needs a `data` object; {found}"
                            + _json_min_hint(task), "data" if "data" in task else "")
    meta = task.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise MalformedTask(f"`meta` must be an object, found {json_type(meta)}", "meta")
    if key not in task:
        return task, []
    annotations = task[key]
    if annotations is None:
        annotations = []
    if not isinstance(annotations, list):
        raise MalformedTask(f"`{key}` must be an array, found {json_type(annotations)}", key)
    for position, annotation in enumerate(annotations):
        problem = annotation_problem(annotation, strict_items)
        if problem is not None:
            message, relative_path = problem
            raise MalformedTask(message, f"{key}[{position}]{relative_path}")
    rest = dict(task)
    del rest[key]
    return rest, annotations


def check_annotation(annotation: Any, json_path: str, strict_items: bool = True) -> None:
    """Raise `MalformedTask` unless `annotation` is an object with a usable `result` list."""
    problem = annotation_problem(annotation, strict_items)
    if problem is not None:
        raise MalformedTask(problem[0], json_path + problem[1])


def annotation_problem(annotation: Any, strict_items: bool = True) -> tuple[str, str] | None:
    """What is wrong with an annotation and where (a path relative to it), or None.

    Called for every annotation of an export: the paths are built only for a problem.
    """
    if not isinstance(annotation, dict):
        return f"an annotation must be a JSON object, found {json_type(annotation)}", ""
    result = annotation.get("result")
    if not isinstance(result, list):
        if "result" not in annotation:
            return "an annotation needs a `result` array", ""
        return f"`result` must be an array, found {json_type(result)}", ".result"
    if not strict_items:
        return None
    for position, item in enumerate(result):
        if isinstance(item, dict):
            value = item.get("value")
            if isinstance(value, dict) or ("value" not in item and item.get("type") == "relation"):
                continue
            if "value" not in item:
                return "a result item needs a `value` object", f".result[{position}]"
            return (f"`value` must be an object, found {json_type(value)}",
                    f".result[{position}].value")
        return (f"a result item must be a JSON object, found {json_type(item)}",
                f".result[{position}]")
    return None


def _json_min_hint(task: dict) -> str:
    if "annotation_id" in task or "annotator" in task:
        return " (this looks like a JSON_MIN export: read it with format json_min)"
    return ""
