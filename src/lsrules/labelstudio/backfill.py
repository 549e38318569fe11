"""Predictions for tasks that have none: those imported before lsrules listened, or before
the suggester had learnt enough (`sync --predict`).

Each such task is queued as an event, as TASKS_CREATED would have been, and the worker
writes its prediction through the write-back queue: claimed, retried, and never twice for
one model version, also with a `serve` on the same store. A task the suggester abstains
on gets nothing, so a later run (with a model that learnt more) tries it again. It never
auto-accepts: that is for new tasks.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lsrules.labelstudio.payloads import PREDICT_ACTION, identifier
from lsrules.labelstudio.predictions import model_version
from lsrules.labelstudio.store import Store
from lsrules.labelstudio.writeback import LabelStudio, plain


@dataclass(frozen=True)
class BackfillReport:
    project_id: int
    without: int  # tasks seen without any prediction
    queued: int


def tasks_without_predictions(label_studio: LabelStudio,
                              project_id: int) -> Iterator[dict[str, Any]]:
    """The project's tasks that hold no prediction, as {id, data}, page by page."""
    pages = label_studio.call(label_studio.client.tasks.list, project=project_id, fields="all",
                              page_size=100)
    for task_model in pages:
        task = plain(task_model)
        if not isinstance(task, dict) or identifier(task.get("id")) is None:
            continue
        if task.get("predictions") or task.get("total_predictions"):
            continue
        yield {"id": identifier(task.get("id")), "data": task.get("data")}


def queue_predictions(label_studio: LabelStudio, store: Store, project_id: int, engine: Any,
                      limit: int | None = None) -> BackfillReport:
    """Queue up to `limit` tasks without a prediction (`engine`: the project's
    `lsrules.engine.Engine`); a task already queued for this model version is not again."""
    version = model_version(engine)
    without = queued = 0
    for task in tasks_without_predictions(label_studio, project_id):
        if limit is not None and without >= limit:
            break
        without += 1
        body = {"action": PREDICT_ACTION, "project": {"id": project_id}, "tasks": [task]}
        key = f"{PREDICT_ACTION}:{project_id}:{task['id']}:{version}"
        if store.add_event(PREDICT_ACTION, project_id, task["id"], None,
                           json.dumps(body, sort_keys=True), key) is not None:
            queued += 1
    return BackfillReport(project_id, without, queued)
