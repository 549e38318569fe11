"""Whether an annotation may teach the suggester: one answer for `serve` and `suggest fit`.

Open-source Label Studio has no review step, so `serve` takes a label as approved when
someone other than the annotator vouched for it, or the rules found nothing to say
(`approval`): a manager marked it ground truth; a reviewer edited it (Label Studio sets
`updated_by` to whoever saved it last, `completed_by` stays its author); or the ruleset
accepted it without a single finding.

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
# why an annotation counts as approved, strongest first
GROUND_TRUTH, REVIEWER_EDIT, RULES_ACCEPTED = "ground-truth", "reviewer-edit", "rules-accepted"


def _user(value: Any) -> Any:
    if isinstance(value, dict):
        value = value.get("id")
    return None if isinstance(value, bool) or not isinstance(value, (int, str)) else value


def reviewer_edit(annotation: dict) -> bool:
    """Saved last by someone other than its author."""
    author, editor = _user(annotation.get("completed_by")), _user(annotation.get("updated_by"))
    return author is not None and editor is not None and str(author) != str(editor)


def approval(annotation: dict, decision: dict | None) -> str | None:
    """Why the annotation's label counts as approved (GROUND_TRUTH, REVIEWER_EDIT or
    RULES_ACCEPTED), or None; `decision` is the ruleset's decision record on it. Ground
    truth and a reviewer's edit stand whatever the rules said; otherwise only an `accept`
    without any finding approves."""
    if annotation.get("was_cancelled") is True:
        return None
    if annotation.get("ground_truth") is True:
        return GROUND_TRUTH
    if reviewer_edit(annotation):
        return REVIEWER_EDIT
    if isinstance(decision, dict) and decision.get("verdict") == "accept" \
            and not decision.get("findings"):
        return RULES_ACCEPTED
    return None


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
