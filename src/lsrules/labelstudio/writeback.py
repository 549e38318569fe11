"""Everything lsrules writes into Label Studio, through label-studio-sdk.

With `connect.py` and `sync.py` this is the only place that touches the SDK, which is
imported lazily: the SDK is about 500 MB and lives in the `labelstudio` extra.

Each write-back is a row in the store (see `store.py`), applied here and retried by the
worker while Label Studio is unreachable. Each is safe to apply twice:
- a correction is written only while the annotation still holds the content we evaluated
  (compare, then set), so a person's newer edit is never overwritten;
- the decision summary is merged into the task's current meta, read just before the write,
  since `tasks.update(meta=...)` replaces the whole meta;
- a prediction carries a key in its model version and is not created twice.
"""
from __future__ import annotations

import os
from typing import Any

from lsrules.errors import LsrulesError
from lsrules.labelstudio.payloads import content_hash
from lsrules.labelstudio.store import APPLIED, SUPERSEDED, Writeback

META_KEY = "lsrules"
ROUTE_KEY = "lsrules_route"
VERDICT_KEY = "lsrules_verdict"
OWN_KEYS = (META_KEY, ROUTE_KEY, VERDICT_KEY)
VERDICT_SEVERITY = {"accept": 0, "fixed": 1, "review": 2, "reject": 3}

CORRECTION, SUMMARY, PREDICTION = "correction", "summary", "prediction"


class TransientError(Exception):
    """Label Studio could not be reached or answered 5xx/429: try again later."""


class PermanentError(Exception):
    """Label Studio refused the write for good (e.g. 404: the task is gone)."""


DEFAULT_LABEL_STUDIO_URL = "http://127.0.0.1:8080"


def import_sdk() -> Any:
    try:
        import label_studio_sdk
    except ImportError as error:
        raise LsrulesError(
            "the labelstudio extra is not installed: pip install 'lsrules[labelstudio]'"
        ) from error
    return label_studio_sdk


def plain(model: Any) -> Any:
    """An SDK (pydantic) object as plain JSON values."""
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json")
    if hasattr(model, "dict"):
        return model.dict()
    return model


def api_key_from_environment() -> str:
    key = os.environ.get("LABEL_STUDIO_API_KEY", "")
    if not key:
        raise LsrulesError("set LABEL_STUDIO_API_KEY to a Label Studio access token")
    return key


class LabelStudio:
    """A thin wrapper over the SDK client that speaks plain dicts and two kinds of error."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 10):
        sdk = import_sdk()
        import httpx

        self.base_url = base_url.rstrip("/")
        # Our own HTTP client, so that `close` can release its connections.
        self.http = httpx.Client(timeout=timeout, follow_redirects=True)
        self.client = sdk.LabelStudio(base_url=self.base_url,
                                      api_key=api_key or api_key_from_environment(),
                                      timeout=timeout, httpx_client=self.http)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> LabelStudio:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    def call(self, function: Any, *arguments: Any, **keywords: Any) -> Any:
        """Run one SDK call, mapping its failures onto Transient/PermanentError."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        try:
            return function(*arguments, **keywords)
        except ApiError as error:
            status = error.status_code or 0
            if status >= 500 or status in (408, 429):
                raise TransientError(f"HTTP {status}") from error
            raise PermanentError(f"HTTP {status}: {str(error.body)[:300]}") from error
        except (httpx.TransportError, OSError) as error:
            raise TransientError(f"{type(error).__name__}: {error}") from error

    def project(self, project_id: int) -> dict[str, Any]:
        return plain(self.call(self.client.projects.get, project_id))

    def annotation(self, annotation_id: int) -> dict[str, Any]:
        return plain(self.call(self.client.annotations.get, annotation_id))

    def task(self, task_id: int) -> dict[str, Any]:
        return plain(self.call(self.client.tasks.get, str(task_id)))

    def update_result(self, annotation_id: int, result: list[Any]) -> None:
        self.call(self.client.annotations.update, annotation_id, result=result)

    def update_meta(self, task_id: int, meta: dict[str, Any]) -> None:
        self.call(self.client.tasks.update, str(task_id), meta=meta)

    def predictions(self, task_id: int) -> list[dict[str, Any]]:
        return [plain(item) for item in self.call(self.client.predictions.list, task=task_id)]

    def create_prediction(self, task_id: int, result: list[Any], score: float | None,
                          model_version: str) -> None:
        keywords = {"score": score} if score is not None else {}
        self.call(self.client.predictions.create, task=task_id, result=result,
                  model_version=model_version, **keywords)


def merge_summary(meta: dict[str, Any] | None, annotation_id: int,
                  summary: dict[str, Any] | None) -> dict[str, Any]:
    """`meta` with the annotation's entry set (or removed when `summary` is None), and the
    task-level route and verdict recomputed over all entries, for Data Manager filters."""
    merged = dict(meta or {})
    entries = dict(merged.get(META_KEY) or {})
    if summary is None:
        entries.pop(str(annotation_id), None)
    else:
        entries[str(annotation_id)] = summary
    if not entries:
        for key in (META_KEY, ROUTE_KEY, VERDICT_KEY):
            merged.pop(key, None)
        return merged
    merged[META_KEY] = entries
    verdict = max((entry.get("verdict") or "accept" for entry in entries.values()),
                  key=lambda name: VERDICT_SEVERITY.get(name, 0))
    routes = [entry["route"] for entry in entries.values() if entry.get("route")]
    merged[VERDICT_KEY] = verdict
    if routes:
        best = max(routes, key=lambda route: route.get("priority") or 0)
        merged[ROUTE_KEY] = best["name"]
    else:
        merged.pop(ROUTE_KEY, None)
    return merged


def merge_task_patch(meta: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """`meta` with the rules' `set task.meta...` fixes applied (`/meta/...` add operations),
    creating the objects on the way; lsrules' own keys are left to the summary."""
    import copy

    from lsrules.engine.patch import unescape

    merged = copy.deepcopy(meta)
    for operation in operations:
        keys = [unescape(token) for token in str(operation.get("path", "")).split("/")[2:]]
        if operation.get("op") != "add" or not keys or keys[0] in OWN_KEYS:
            continue
        target = merged
        for key in keys[:-1]:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        target[keys[-1]] = operation.get("value")
    return merged


def apply_writeback(label_studio: LabelStudio, writeback: Writeback) -> tuple[str, str | None]:
    """Apply one write-back; returns (status, note). Raises Transient/PermanentError."""
    body = writeback.body
    if writeback.kind == CORRECTION:
        current = label_studio.annotation(writeback.annotation_id)
        current_hash = content_hash(current)
        if current_hash == body["written_hash"]:
            return APPLIED, "already holds the corrected result"
        if current_hash != body["expected_hash"]:
            return SUPERSEDED, "the annotation changed since it was evaluated"
        label_studio.update_result(writeback.annotation_id, body["result"])
        return APPLIED, None
    if writeback.kind == SUMMARY:
        task = label_studio.task(writeback.task_id)
        meta = merge_summary(task.get("meta"), writeback.annotation_id, body.get("summary"))
        if body.get("task_patch"):
            meta = merge_task_patch(meta, body["task_patch"])
        if meta != (task.get("meta") or {}):
            label_studio.update_meta(writeback.task_id, meta)
        return APPLIED, None
    if writeback.kind == PREDICTION:
        model_version = body["model_version"]
        existing = label_studio.predictions(writeback.task_id)
        if any(item.get("model_version") == model_version for item in existing):
            return APPLIED, "prediction already there"
        label_studio.create_prediction(writeback.task_id, body["result"], body.get("score"),
                                       model_version)
        return APPLIED, None
    raise PermanentError(f"unknown write-back kind {writeback.kind!r}")
