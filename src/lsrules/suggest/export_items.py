"""Labelled items out of a Label Studio export, for `suggest fit/eval/audit`.

Uses the project's streaming export reader (`lsrules.exports.reader`: JSON, JSON_MIN,
JSONL); a small reader of JSON (a list of tasks with `annotations`) and JSONL (one task
per line) stands in should that module be missing. Either way each task yields at most one item: its
ground-truth annotation if it has one, else its first annotation that was not cancelled,
which is how an export says what a person decided.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass


from lsrules.errors import InputError, LsrulesError
from lsrules.suggest import results


@dataclass(frozen=True)
class LabelledItem:
    index: int
    task: dict
    annotation: dict
    label: str | None  # the first choice, None for annotations without one (spans, boxes)


def read_suggester_settings(ruleset_path: str, allow_outside_root: bool = False) -> dict:
    """The ruleset's `suggester:` mapping (empty when absent), read by the ruleset's own
    reader (so a bad file is the same located one-line error as for `check`); its `model`
    is the model file's path, inside the ruleset's project root unless allowed not to be."""
    from lsrules.ruleset.containment import named_path
    from lsrules.ruleset.loader import read_text
    from lsrules.ruleset.yaml_source import load_yaml

    loaded = load_yaml(read_text(ruleset_path, allow_outside_root), ruleset_path)
    document = loaded.data
    if not isinstance(document, dict):
        raise LsrulesError("a ruleset must be a YAML mapping", ruleset_path)
    settings = document.get("suggester") or {}
    if not isinstance(settings, dict):
        raise LsrulesError("`suggester:` must be a mapping", ruleset_path)
    if isinstance(settings.get("model"), str) and settings["model"]:
        settings = dict(settings, model=str(named_path(
            ruleset_path, settings["model"], "suggester.model",
            loaded.locate(("suggester", "model")), allow_outside_root)))
    return settings


def labelled_items(path: str, from_name: str | None = None,
                   require_label: bool = True) -> Iterator[LabelledItem]:
    """One item per task with a decisive annotation (and, if `require_label`, a `choices`
    label), in export order. The task keeps its `predictions`, where learning finds the
    prediction an annotation started from."""
    for index, task, task_annotations in _tasks(path):
        annotation = _decisive(task_annotations)
        if annotation is None:
            continue
        item = results.choice_item(annotation, from_name)
        if item is None and require_label:
            continue
        yield LabelledItem(index, task, annotation,
                           item["value"]["choices"][0] if item is not None else None)


@dataclass(frozen=True)
class TaskVotes:
    index: int
    task_id: object
    votes: dict[str, str]  # annotator -> the first choice of their latest annotation


def task_votes(path: str, from_name: str | None = None) -> Iterator[TaskVotes]:
    """Every task's classification labels, one per annotator (their last annotation in
    the export that was not cancelled and has a `choices` label), in export order."""
    for index, task, task_annotations in _tasks(path):
        votes: dict[str, str] = {}
        for annotation in task_annotations:
            if not isinstance(annotation, dict) or annotation.get("was_cancelled") is True:
                continue
            annotator = results.annotator_of(annotation)
            item = results.choice_item(annotation, from_name)
            if annotator is not None and item is not None:
                votes.pop(annotator, None)
                votes[annotator] = item["value"]["choices"][0]
        if votes:
            yield TaskVotes(index, task.get("id"), votes)


def _decisive(annotations: list) -> dict | None:
    usable = [a for a in annotations if isinstance(a, dict) and a.get("was_cancelled") is not True]
    for annotation in usable:
        if annotation.get("ground_truth") is True:
            return annotation
    return usable[0] if usable else None


def _tasks(path: str) -> Iterator[tuple[int, dict, list]]:
    try:
        from lsrules.exports.reader import iter_tasks
    except ImportError:  # a partial install without the export reader
        yield from _local_tasks(path)
        return
    # strict_items=False: a malformed result item (Label Studio stores anything) is skipped
    # by the suggester's own tolerant accessors instead of stopping a whole fit
    for record in iter_tasks(path, strict_items=False):
        yield record.index, record.task, record.annotations


def _local_tasks(path: str) -> Iterator[tuple[int, dict, list]]:
    if not os.path.exists(path):
        raise InputError("no such file", path)
    with open(path, encoding="utf-8") as stream:
        head = stream.read(1)
        while head.isspace():
            head = stream.read(1)
        stream.seek(0)
        if head == "[":
            try:
                tasks = json.load(stream)
            except json.JSONDecodeError as error:
                raise InputError(f"not valid JSON ({error.msg}) at line {error.lineno}",
                                 path) from None
            for index, task in enumerate(tasks):
                yield _checked(task, index, path)
        else:
            for index, line in enumerate(stream):
                if not line.strip():
                    continue
                try:
                    task = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(f"not valid JSON ({error.msg})", path,
                                     task_index=index) from None
                yield _checked(task, index, path)


def _checked(task: object, index: int, path: str) -> tuple[int, dict, list]:
    if not isinstance(task, dict):
        raise InputError("a task must be a JSON object", path, task_index=index)
    if "annotations" not in task and "data" not in task:
        raise InputError("not a Label Studio JSON export task (no `data`/`annotations`; "
                         "JSON_MIN exports carry no results to learn from)", path,
                         task_index=index)
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        raise InputError("`annotations` must be an array", path, task_index=index,
                         json_path="annotations")
    return index, task, annotations
