"""An in-memory stand-in for `writeback.LabelStudio`, for unit tests of the worker."""
from __future__ import annotations

import copy
from typing import Any

from lsrules.labelstudio.writeback import PermanentError, TransientError


class FakeLabelStudio:
    def __init__(self) -> None:
        self.annotations: dict[int, dict[str, Any]] = {}
        self.tasks: dict[int, dict[str, Any]] = {}
        self.prediction_rows: dict[int, list[dict[str, Any]]] = {}
        self.down = False
        self.calls: list[str] = []

    def _check(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise TransientError("ConnectError: connection refused")

    def annotation(self, annotation_id):
        self._check("annotation")
        if annotation_id not in self.annotations:
            raise PermanentError("HTTP 404", 404)
        return copy.deepcopy(self.annotations[annotation_id])

    def task(self, task_id):
        """As Label Studio answers: the task with its annotations (unless a test set them)."""
        self._check("task")
        task = copy.deepcopy(self.tasks.setdefault(task_id, {"id": task_id, "meta": {}}))
        task.setdefault("annotations", [copy.deepcopy(annotation)
                                        for annotation in self.annotations.values()
                                        if annotation.get("task") == task_id])
        return task

    def update_result(self, annotation_id, result):
        self._check("update_result")
        self.annotations[annotation_id]["result"] = copy.deepcopy(result)

    def update_meta(self, task_id, meta):
        self._check("update_meta")
        self.tasks.setdefault(task_id, {"id": task_id})["meta"] = copy.deepcopy(meta)

    def predictions(self, task_id):
        self._check("predictions")
        return copy.deepcopy(self.prediction_rows.get(task_id, []))

    def create_prediction(self, task_id, result, score, model_version):
        self._check("create_prediction")
        prediction_id = 1 + sum(len(rows) for rows in self.prediction_rows.values())
        self.prediction_rows.setdefault(task_id, []).append(
            {"id": prediction_id, "result": result, "score": score,
             "model_version": model_version})
        return prediction_id

    def create_annotation(self, task_id, result, parent_prediction):
        self._check("create_annotation")
        annotation_id = max(self.annotations, default=1000) + 1
        self.annotations[annotation_id] = {"id": annotation_id, "task": task_id,
                                           "result": copy.deepcopy(result),
                                           "parent_prediction": parent_prediction}
        return annotation_id
