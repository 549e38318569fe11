"""Whether an annotation may teach the suggester: one answer for `serve` and `suggest fit`.

An annotation started from lsrules' own prediction and submitted unchanged is the model's
output coming back: learning from it would make the model more sure of whatever it said,
right or wrong. Label Studio records the prediction an annotation started from as its
`parent_prediction` (an id); the prediction's `model_version` says whose it was. A person's
edit of the prediction, or an unchanged prediction of another model, is a person's label.
"""
from __future__ import annotations

from typing import Any

from lsrules.suggest import results

MODEL_VERSION_PREFIX = "lsrules"  # every model_version lsrules writes starts with it


def parent_prediction(annotation: dict, predictions: Any) -> dict | None:
    """The prediction among `predictions` (a task's list) that the annotation started from."""
    parent = annotation.get("parent_prediction")
    if parent is None or isinstance(parent, bool) or not isinstance(predictions, list):
        return None
    for prediction in predictions:
        if isinstance(prediction, dict) and prediction.get("id") == parent:
            return prediction
    return None


def is_lsrules_prediction(prediction: dict) -> bool:
    version = prediction.get("model_version")
    return isinstance(version, str) and version.startswith(MODEL_VERSION_PREFIX)


def teaches(annotation: dict, parent: dict | None) -> bool:
    """False for a cancelled annotation and for lsrules' prediction accepted unchanged."""
    if annotation.get("was_cancelled") is True:
        return False
    if parent is not None and is_lsrules_prediction(parent):
        return not results.same_result(annotation.get("result"), parent.get("result"))
    return True
