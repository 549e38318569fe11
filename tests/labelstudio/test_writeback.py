"""Merging the decision summary into task meta, and applying the engine's patch."""
from __future__ import annotations

import pytest

from lsrules.engine.patch import apply_patch
from lsrules.errors import LsrulesError
from lsrules.labelstudio.writeback import merge_summary, merge_task_patch

REVIEW = {"name": "review", "priority": 10}
URGENT = {"name": "urgent", "priority": 50}


@pytest.mark.parametrize("meta, annotation_id, summary, expected", [
    ({"source": "s"}, 1, {"verdict": "accept", "route": None},
     {"source": "s", "lsrules": {"1": {"verdict": "accept", "route": None}},
      "lsrules_verdict": "accept"}),
    ({"lsrules": {"1": {"verdict": "review", "route": REVIEW}}}, 2,
     {"verdict": "reject", "route": URGENT},
     {"lsrules": {"1": {"verdict": "review", "route": REVIEW},
                  "2": {"verdict": "reject", "route": URGENT}},
      "lsrules_verdict": "reject", "lsrules_route": "urgent"}),
    ({"x": 1, "lsrules": {"1": {"verdict": "review", "route": REVIEW}},
      "lsrules_route": "review", "lsrules_verdict": "review"}, 1, None, {"x": 1}),
    (None, 3, {"verdict": "fixed", "route": None},
     {"lsrules": {"3": {"verdict": "fixed", "route": None}}, "lsrules_verdict": "fixed"}),
])
def test_merge_summary(meta, annotation_id, summary, expected):
    before = repr(meta)
    assert merge_summary(meta, annotation_id, summary) == expected
    assert repr(meta) == before


def test_merge_task_patch_sets_nested_meta_and_leaves_our_own_keys_alone():
    meta = {"source": "s", "review": {"by": "a"}}
    merged = merge_task_patch(meta, [
        {"op": "add", "path": "/meta/review/reason", "value": "blurry"},
        {"op": "add", "path": "/meta/a~1b/c", "value": 1},
        {"op": "add", "path": "/meta/lsrules_route", "value": "hijack"},
    ])
    assert merged == {"source": "s", "review": {"by": "a", "reason": "blurry"},
                      "a/b": {"c": 1}}
    assert meta == {"source": "s", "review": {"by": "a"}}  # not mutated


DOCUMENT = {"result": [{"value": {"x": -5, "choices": ["a"]}}]}


@pytest.mark.parametrize("operations, expected", [
    ([{"op": "replace", "path": "/result/0/value/x", "value": 0}],
     {"result": [{"value": {"x": 0, "choices": ["a"]}}]}),
    ([{"op": "add", "path": "/result/0/value/choices/-", "value": "b"}],
     {"result": [{"value": {"x": -5, "choices": ["a", "b"]}}]}),
    ([{"op": "remove", "path": "/result/0"}], {"result": []}),
    ([{"op": "copy", "from": "/result/0/value/x", "path": "/result/0/value/y"}],
     {"result": [{"value": {"x": -5, "y": -5, "choices": ["a"]}}]}),
])
def test_apply_patch(operations, expected):
    assert apply_patch(DOCUMENT, operations) == expected
    assert DOCUMENT["result"][0]["value"]["x"] == -5


@pytest.mark.parametrize("operations", [
    [{"op": "replace", "path": "/result/3/value", "value": 0}],
    [{"op": "jump", "path": "/result"}],
    [{"op": "test", "path": "/result/0/value/x", "value": 1}],
    [{"op": "replace", "path": "result", "value": 1}],
    [{"op": "replace", "path": "/result/0/value/missing", "value": 1}],
    [{"op": "add", "path": "/result/5", "value": 1}],
])
def test_bad_patches_raise(operations):
    with pytest.raises(LsrulesError):
        apply_patch(DOCUMENT, operations)
