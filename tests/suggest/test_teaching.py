"""`teaches`: the one answer to "may this annotation teach the suggester" (serve and fit)."""
from __future__ import annotations

import pytest

from lsrules.suggest.teaching import (
    GROUND_TRUTH,
    REVIEWER_EDIT,
    RULES_ACCEPTED,
    approval,
    parent_prediction,
    teaches,
)

RESULT = [{"id": "a", "from_name": "topic", "to_name": "text", "type": "choices",
           "value": {"choices": ["sport"]}}]
SAME = [dict(RESULT[0], id="b", score=0.93)]  # ids and scores do not change a label
OTHER = [dict(RESULT[0], value={"choices": ["tech"]})]


@pytest.mark.parametrize("annotation, parent, expected", [
    ({"result": RESULT}, None, True),
    ({"result": RESULT}, {"model_version": "lsrules-suggest-0.7", "result": SAME}, False),
    ({"result": RESULT}, {"model_version": "lsrules", "result": SAME}, False),
    ({"result": RESULT}, {"model_version": "lsrules-suggest-0.7", "result": OTHER}, True),
    ({"result": RESULT}, {"model_version": "vendor", "result": SAME}, True),
    ({"result": RESULT}, {"model_version": None, "result": SAME}, True),
    ({"result": RESULT, "was_cancelled": True}, None, False),
])
def test_teaches(annotation, parent, expected):
    assert teaches(annotation, parent) is expected


def test_the_parent_is_found_by_id_and_hostile_shapes_find_nothing():
    predictions = [{"id": 1, "result": []}, "junk", {"id": 2, "result": SAME}]
    assert parent_prediction({"parent_prediction": 2}, predictions) == predictions[2]
    assert parent_prediction({"parent_prediction": 3}, predictions) is None
    assert parent_prediction({"parent_prediction": True}, [{"id": 1}]) is None
    assert parent_prediction({"parent_prediction": 1}, {"id": 1}) is None
    assert parent_prediction({}, predictions) is None


ACCEPTED = {"verdict": "accept", "findings": []}
ROUTED = {"verdict": "review", "findings": [{"rule": "negative-review"}]}


@pytest.mark.parametrize("annotation, decision, expected", [
    ({"completed_by": 1, "updated_by": 1}, ACCEPTED, RULES_ACCEPTED),
    ({"completed_by": 1, "updated_by": 1}, ROUTED, None),
    ({"completed_by": 1, "updated_by": 1}, {"verdict": "accept", "findings": [{}]}, None),
    ({"completed_by": 1, "updated_by": 1}, {"verdict": "fixed", "findings": []}, None),
    ({"completed_by": 1, "updated_by": 1}, None, None),
    ({"completed_by": 1, "updated_by": 1, "ground_truth": True}, ROUTED, GROUND_TRUTH),
    ({"completed_by": 1, "updated_by": 2}, ROUTED, REVIEWER_EDIT),       # a reviewer's edit
    ({"completed_by": {"id": 1}, "updated_by": 2}, ROUTED, REVIEWER_EDIT),  # an expanded user
    ({"completed_by": 1, "updated_by": "1"}, ROUTED, None),             # the same person
    ({"completed_by": 1, "updated_by": None}, ROUTED, None),
    ({"completed_by": 1}, ROUTED, None),
    ({"completed_by": True, "updated_by": 2}, ROUTED, None),            # junk is nobody
    ({"completed_by": 1, "updated_by": 2, "was_cancelled": True}, ACCEPTED, None),
    ({"ground_truth": "yes"}, ROUTED, None),                            # only true is true
])
def test_approval(annotation, decision, expected):
    assert approval(annotation, decision) == expected
