"""lsrules as a Label Studio model (a project's Settings -> Model): `/setup` and `/predict`.

Label Studio calls an ML backend before it asks for predictions: `GET /health`, then
`POST /setup` (whose `model_version` it stores, and uses to skip tasks that already hold a
prediction of that version), then `POST /predict` with a list of tasks, expecting
`{"results": [one prediction per task, in order]}`. "Start training" posts
`{"action": "START_TRAINING", "project": {...}}` to `/webhook`. Every call names the project
as "<id>.<created-at timestamp>" (or, for training, as the project object).

Predictions are made on the worker's thread (`run`), the one that also evaluates events and
teaches the suggester, so a prediction never reads a model halfway through a lesson. The
`access_token` Label Studio sends to `/setup` is never read: lsrules uses its own token.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from lsrules.labelstudio.payloads import identifier
from lsrules.labelstudio.predictions import model_version, predict

logger = logging.getLogger("lsrules.labelstudio")


class ModelUnavailable(Exception):
    """The project has no ruleset here, or its ruleset has no suggester: nothing to predict."""


def project_of(value: Any) -> int | None:
    """The project id in a model call: "12.1700000000", 12, or {"id": 12, ...}."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str) and "." in value:
        value = value.split(".", 1)[0]
    return identifier(value)


class ModelBackend:
    """What `/setup`, `/predict` and START_TRAINING do.

    `engine_for(project_id)`: the engine judging that project, or None when it is not served;
    `run(function)`: run it on the worker's thread, returning a future of its result;
    `train(project_id)`: catch up on the project's annotations (a sync)."""

    def __init__(self, engine_for: Callable[[int | None], Any],
                 run: Callable[[Callable[[], Any]], Future],
                 train: Callable[[int], None]):
        self.engine_for = engine_for
        self.run = run
        self.train_project = train

    def _engine(self, project_id: int | None) -> Any:
        engine = self.engine_for(project_id)
        if engine is None:
            raise ModelUnavailable(f"project {project_id} is bound to no ruleset this service "
                                   "runs")
        if engine.suggester is None:
            raise ModelUnavailable(f"ruleset {engine.name} has no suggester: add a "
                                   "`suggester:` block to predict")
        return engine

    def setup(self, project: Any) -> Future:
        project_id = project_of(project)
        return self.run(lambda: {"model_version": model_version(self._engine(project_id))})

    def predict(self, project: Any, tasks: list[Any]) -> Future:
        """One prediction per task, in order (Label Studio pairs them by position); a task
        that is not an object with an id gets an empty one."""
        project_id = project_of(project)

        def work() -> dict[str, Any]:
            engine = self._engine(project_id)
            version = model_version(engine)
            results: list[dict[str, Any]] = []
            for task in tasks:
                task_id = identifier(task.get("id")) if isinstance(task, dict) else None
                if task_id is None:
                    results.append({"result": [], "score": None, "model_version": version})
                    continue
                results.append(predict(engine, dict(task, id=task_id)).to_dict())
            return {"results": results, "model_version": version}

        return self.run(work)

    def train(self, project: Any) -> int | None:
        project_id = project_of(project)
        if project_id is None or self.engine_for(project_id) is None:
            return None
        self.train_project(project_id)
        return project_id
