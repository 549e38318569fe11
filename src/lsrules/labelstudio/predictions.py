"""lsrules' prediction for a task: one answer for every path that makes one.

New tasks (TASKS_CREATED), Label Studio asking its model (`POST /predict`) and the back-fill
of tasks without a prediction all evaluate the task with an empty annotation and turn the
suggester's annotation-level suggestion into Label Studio's prediction shape: `result` (a
`choices` item of the control that offers the label), `score` and `model_version`.

A suggestion below the calibrated threshold is an abstention: its prediction has an empty
`result` and the candidate's score, so a person labels the task without being anchored on a
guess, and the Data Manager can still sort by how unsure the model is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsrules.suggest.teaching import MODEL_VERSION_PREFIX


@dataclass(frozen=True)
class Prediction:
    result: list[dict[str, Any]]
    score: float | None
    model_version: str
    label: str | None  # the suggested label; None when the suggester abstains
    threshold: float | None = None  # the calibrated gate the score was held to

    def to_dict(self) -> dict[str, Any]:
        return {"result": self.result, "score": self.score, "model_version": self.model_version}


def model_version(engine: Any) -> str:
    """The version a prediction made now carries (`engine`: `lsrules.engine.Engine`): the
    suggester's, which changes with every lesson; a ruleset without one never predicts."""
    suggester = engine.suggester
    return suggester.model_version if suggester is not None else MODEL_VERSION_PREFIX


def choice_controls(engine: Any, parsed_config: Any = None) -> dict[str, Any]:
    """The `Choices` controls a suggestion may fill, as Label Studio's parsed config spells
    them (`{name: {"type", "to_name", "labels"}}`): from the ruleset's labeling config when it
    has one, else from the project's config that came with the event (any shape)."""
    config = engine.config
    if config is not None:
        return {name: {"type": "Choices", "to_name": list(control.to_names),
                       "labels": list(control.labels)}
                for name, control in config.controls.items() if control.type == "choices"}
    return parsed_config if isinstance(parsed_config, dict) else {}


def suggestion_results(suggestions: list[dict[str, Any]],
                       parsed_config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Annotation-level suggestions as Label Studio `choices` results, using the project's
    parsed config (any shape) to find the control that offers each label."""
    results = []
    for suggestion in suggestions:
        label = suggestion.get("label")
        if not isinstance(label, str) or suggestion.get("region_id") is not None:
            continue
        for name, control in (parsed_config or {}).items():
            if not isinstance(control, dict) or control.get("type") != "Choices":
                continue
            labels, to_names = control.get("labels"), control.get("to_name")
            if isinstance(labels, list) and label in labels:
                to_name = to_names[0] if isinstance(to_names, list) and to_names else ""
                results.append({"from_name": name, "to_name": to_name,
                                "type": "choices", "value": {"choices": [label]}})
                break
    return results


def predict(engine: Any, task: dict[str, Any], parsed_config: Any = None) -> Prediction:
    """The prediction for `task` (a Label Studio task with an `id`; `engine`:
    `lsrules.engine.Engine`)."""
    decision = engine.evaluate(task, {"id": None, "task": task.get("id"),
                                      "result": []}).to_dict()
    suggestions = [suggestion for suggestion in decision.get("suggestions") or []
                   if isinstance(suggestion, dict) and suggestion.get("region_id") is None]
    results = suggestion_results(suggestions, choice_controls(engine, parsed_config))
    scores = [float(suggestion["confidence"]) for suggestion in suggestions
              if isinstance(suggestion.get("confidence"), (int, float))]
    version = next((suggestion.get("model_version") for suggestion in suggestions
                    if suggestion.get("model_version")), None) or model_version(engine)
    label = results[0]["value"]["choices"][0] if results else None
    threshold = engine.suggester.suggest(task).threshold if engine.suggester is not None \
        else None
    return Prediction(results, min(scores) if scores else None, version, label, threshold)
