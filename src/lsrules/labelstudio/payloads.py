"""What the service reads out of a Label Studio webhook body, and how it tells contents apart.

Kept apart from the web app so that the worker, `sync` and the tests agree on one meaning
of "the same annotation content" (the content hash) and "the same event" (the dedupe key).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

HANDLED_ACTIONS = frozenset({
    "ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED",
    "ANNOTATIONS_DELETED", "TASKS_CREATED",
})
# Not a Label Studio action: an annotation found by `sync`, queued like a webhook event.
SYNC_ACTION = "SYNC_ANNOTATION"
# Not a Label Studio action: a task without a prediction that `sync --predict` found.
PREDICT_ACTION = "SYNC_PREDICT"
ANNOTATION_ACTIONS = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED", SYNC_ACTION})


class PayloadError(ValueError):
    """A body that is not a Label Studio webhook event."""


@dataclass(frozen=True)
class EventSummary:
    action: str
    project_id: int | None
    task_id: int | None
    annotation_id: int | None
    dedupe_key: str


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(text: str) -> str:
    # `surrogatepass`: a lone surrogate (valid JSON: "\ud800") hashes instead of raising, so
    # such an event is queued and judged like any other
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def content_hash(annotation: dict[str, Any], result: list[Any] | None = None) -> str:
    """What makes two versions of an annotation the same for the rules: the result and the flags
    rules and the feedback loop look at. `result` replaces the annotation's own (to hash what
    we are about to write)."""
    return sha256_text(canonical_json({
        "result": annotation.get("result") if result is None else result,
        "was_cancelled": bool(annotation.get("was_cancelled")),
        "ground_truth": bool(annotation.get("ground_truth")),
    }))


MAX_IDENTIFIER = 2**63 - 1  # SQLite's INTEGER; Label Studio's ids are positive bigints
_DIGITS = re.compile(r"[0-9]{1,19}")


def identifier(value: Any) -> int | None:
    """A Label Studio id as an int, or None for anything else.

    Ids come from request bodies and from Label Studio's answers, and go into SQL and URL
    paths: only a positive integer (or a string of ASCII digits) in SQLite's range passes;
    floats, booleans, `"7/../x"`, control characters and 20-digit numbers do not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and 0 < value <= MAX_IDENTIFIER:
        return value
    return None


def _identifier(value: Any) -> int | None:
    if isinstance(value, dict):
        value = value.get("id")
    return identifier(value)


def summarize(body: Any, raw: bytes) -> EventSummary:
    """The fields the queue indexes; raises `PayloadError` when the body has no `action`."""
    if not isinstance(body, dict):
        raise PayloadError("the body is not a JSON object")
    action = body.get("action")
    if not isinstance(action, str) or not action:
        raise PayloadError("the body has no 'action'")
    project_id = _identifier(body.get("project"))
    annotation = body.get("annotation") if isinstance(body.get("annotation"), dict) else None
    task_id = _identifier(body.get("task"))
    annotation_id = None
    if annotation is not None:
        annotation_id = _identifier(annotation)
        task_id = task_id if task_id is not None else _identifier(annotation.get("task"))
        if project_id is None:
            project_id = _identifier(annotation.get("project"))
    if action in ANNOTATION_ACTIONS and annotation is not None and annotation_id is not None:
        # Same annotation, same version, same content: the same event, however delivered.
        key = ":".join([action, str(annotation_id), str(annotation.get("updated_at")),
                        content_hash(annotation)])
    else:
        key = f"{action}:{hashlib.sha256(raw).hexdigest()}"
    return EventSummary(action, project_id, task_id, annotation_id, key)
