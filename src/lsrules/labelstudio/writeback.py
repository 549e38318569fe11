"""Everything lsrules writes into Label Studio, through label-studio-sdk.

With `connect.py` and `sync.py` this is the only place that touches the SDK, which is
imported lazily: the SDK is about 500 MB and lives in the `labelstudio` extra.

Each write-back is a row in the store (see `store.py`), applied here and retried by the
worker while Label Studio is unreachable. Each is safe to apply twice:
- a correction is written only while the annotation still holds the content we evaluated
  (compare, then set), so a person's newer edit is never overwritten;
- the decision summary is merged into the task's current meta, read just before the write,
  since `tasks.update(meta=...)` replaces the whole meta;
- a prediction carries a key in its model version and is not created twice;
- an auto-accept creates its annotation only on a task nobody annotated, naming its
  prediction as the annotation's `parent_prediction`: a retry recognises its own annotation
  by that and only completes the task's meta (`meta.lsrules.auto`).

What an event claims is checked with Label Studio before anything is written or erased: the
annotation belongs to the task (and the task to the project) the write-back names, and an
annotation whose entry is to be removed is really gone; otherwise the write-back is
`refused`. What Label Studio holds in a task's meta is data anyone with access may have
written: a shape we do not expect is ignored or replaced with a logged reason.
"""
from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import quote

from lsrules.errors import LsrulesError
from lsrules.labelstudio.payloads import content_hash, identifier
from lsrules.labelstudio.store import APPLIED, REFUSED, SUPERSEDED, Writeback

logger = logging.getLogger("lsrules.labelstudio")

META_KEY = "lsrules"
ROUTE_KEY = "lsrules_route"
VERDICT_KEY = "lsrules_verdict"
OWN_KEYS = (META_KEY, ROUTE_KEY, VERDICT_KEY)
VERDICT_SEVERITY = {"accept": 0, "fixed": 1, "review": 2, "reject": 3}

CORRECTION, SUMMARY, PREDICTION = "correction", "summary", "prediction"
AUTO_ACCEPT = "auto_accept"
AUTO_KEY = "auto"  # meta.lsrules.auto: the auto-accept and the gate's numbers then


class TransientError(Exception):
    """Label Studio could not be reached or answered 5xx/429: try again later."""


class PermanentError(Exception):
    """Label Studio refused the write for good (e.g. 404: the task is gone)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def path_id(value: Any) -> str:
    """An id for a URL path: a positive integer, percent-encoded (a no-op for digits, and
    the rule for anything that ever reaches a path); anything else fails this write alone."""
    number = identifier(value)
    if number is None:
        text = repr(value)
        raise PermanentError(f"not a Label Studio id: {text[:60]}")
    return quote(str(number), safe="")


def query_id(value: Any) -> int:
    number = identifier(value)
    if number is None:
        raise PermanentError(f"not a Label Studio id: {repr(value)[:60]}")
    return number


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
    """A thin wrapper over the SDK client that speaks plain dicts and two kinds of error.
    Ids are taken as they come: `path_id`/`query_id` refuse any that is not a Label
    Studio id (that write fails alone)."""

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
            raise PermanentError(f"HTTP {status}: {str(error.body)[:300]}", status) from error
        except (httpx.TransportError, OSError) as error:
            raise TransientError(f"{type(error).__name__}: {error}") from error

    def project(self, project_id: int) -> dict[str, Any]:
        return plain(self.call(self.client.projects.get, project_id))

    def annotation(self, annotation_id: object) -> dict[str, Any]:
        return plain(self.call(self.client.annotations.get, path_id(annotation_id)))

    def task(self, task_id: object) -> dict[str, Any]:
        return plain(self.call(self.client.tasks.get, path_id(task_id)))

    def update_result(self, annotation_id: object, result: list[Any]) -> None:
        self.call(self.client.annotations.update, path_id(annotation_id), result=result)

    def update_meta(self, task_id: object, meta: dict[str, Any]) -> None:
        self.call(self.client.tasks.update, path_id(task_id), meta=meta)

    def predictions(self, task_id: object) -> list[dict[str, Any]]:
        return [plain(item) for item in self.call(self.client.predictions.list,
                                                  task=query_id(task_id))]

    def create_prediction(self, task_id: object, result: list[Any], score: float | None,
                          model_version: str) -> int | None:
        keywords = {"score": score} if score is not None else {}
        created = self.call(self.client.predictions.create, task=query_id(task_id),
                            result=result, model_version=model_version, **keywords)
        return identifier(plain(created).get("id")) if created is not None else None

    def create_annotation(self, task_id: object, result: list[Any],
                          parent_prediction: int | None) -> int | None:
        """An annotation by the token's user, started from `parent_prediction`."""
        created = self.call(self.client.annotations.create, path_id(task_id), result=result,
                            parent_prediction=parent_prediction)
        return identifier(plain(created).get("id"))


def merge_summary(meta: dict[str, Any] | None, annotation_id: int | str | None,
                  summary: dict[str, Any] | None) -> dict[str, Any]:
    """`meta` with the annotation's entry set (or removed when `summary` is None), and the
    task-level route and verdict recomputed over all entries, for Data Manager filters."""
    merged = dict(meta or {})
    entries = _our_entries(merged.get(META_KEY))
    if summary is None:
        entries.pop(str(annotation_id), None)
    else:
        entries[str(annotation_id)] = summary
    if not entries:
        for key in (META_KEY, ROUTE_KEY, VERDICT_KEY):
            merged.pop(key, None)
        return merged
    merged[META_KEY] = entries
    verdict = max((entry["verdict"] for entry in entries.values()
                   if entry.get("verdict") in VERDICT_SEVERITY),
                  key=VERDICT_SEVERITY.__getitem__, default="accept")
    routes = [entry["route"] for entry in entries.values()
              if isinstance(entry.get("route"), dict)
              and isinstance(entry["route"].get("name"), str)]
    merged[VERDICT_KEY] = verdict
    if routes:
        best = max(routes, key=lambda route: _priority(route.get("priority")))
        merged[ROUTE_KEY] = best["name"]
    else:
        merged.pop(ROUTE_KEY, None)
    return merged


def _our_entries(value: Any) -> dict[str, dict[str, Any]]:
    """`meta.lsrules` as read from Label Studio: entries that are objects; the rest is
    dropped (and said in the log), since lsrules owns that key and rewrites it."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        logger.warning("meta.%s is a %s, not an object: replaced", META_KEY,
                       type(value).__name__)
        return {}
    entries = {key: entry for key, entry in value.items() if isinstance(entry, dict)}
    if len(entries) != len(value):
        logger.warning("meta.%s: %s entries that are not objects dropped", META_KEY,
                       len(value) - len(entries))
    return entries


def _priority(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return value


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
        contradiction = _contradiction(current, writeback)
        if contradiction:
            return REFUSED, contradiction
        current_hash = content_hash(current)
        if current_hash == body["written_hash"]:
            return APPLIED, "already holds the corrected result"
        if current_hash != body["expected_hash"]:
            return SUPERSEDED, "the annotation changed since it was evaluated"
        label_studio.update_result(writeback.annotation_id, body["result"])
        return APPLIED, None
    if writeback.kind == SUMMARY:
        summary = body.get("summary")
        task = label_studio.task(writeback.task_id)
        contradiction = _project_contradiction(task, writeback, "task")
        if contradiction:
            return REFUSED, contradiction
        if identifier(writeback.annotation_id) is not None:  # else a stream rule's entry
            verdict = _check_annotation(label_studio, writeback, task, removing=summary is None)
            if verdict is not None:
                return verdict
        held = task.get("meta")
        if held is not None and not isinstance(held, dict):
            logger.warning("task %s: meta is a %s, not an object: left as it is",
                           writeback.task_id, type(held).__name__)
            return REFUSED, f"the task's meta is a {type(held).__name__}, not an object"
        meta = merge_summary(held, writeback.annotation_id, summary)
        if body.get("task_patch"):
            meta = merge_task_patch(meta, body["task_patch"])
        if meta != (held or {}):
            label_studio.update_meta(writeback.task_id, meta)
        return APPLIED, None
    if writeback.kind == PREDICTION:
        task = label_studio.task(writeback.task_id)
        contradiction = _project_contradiction(task, writeback, "task")
        if contradiction:
            return REFUSED, contradiction
        model_version = body["model_version"]
        existing = label_studio.predictions(writeback.task_id)
        if any(item.get("model_version") == model_version for item in existing):
            return APPLIED, "prediction already there"
        label_studio.create_prediction(writeback.task_id, body["result"], body.get("score"),
                                       model_version)
        return APPLIED, None
    if writeback.kind == AUTO_ACCEPT:
        return _auto_accept(label_studio, writeback)
    raise PermanentError(f"unknown write-back kind {writeback.kind!r}")


def _auto_accept(label_studio: LabelStudio, writeback: Writeback) -> tuple[str, str | None]:
    """The suggestion as the task's annotation, and `meta.lsrules.auto` saying so."""
    body = writeback.body
    task = label_studio.task(writeback.task_id)
    contradiction = _project_contradiction(task, writeback, "task")
    if contradiction:
        return REFUSED, contradiction
    held = task.get("meta")
    if held is not None and not isinstance(held, dict):
        return REFUSED, f"the task's meta is a {type(held).__name__}, not an object"
    model_version = body["model_version"]
    ours = [identifier(item.get("id")) for item in label_studio.predictions(writeback.task_id)
            if item.get("model_version") == model_version]
    annotations = [item for item in task.get("annotations") or [] if isinstance(item, dict)]
    mine = next((item for item in annotations
                 if identifier(item.get("parent_prediction")) in ours), None)
    if mine is not None:  # a retry after the annotation was written
        annotation_id = identifier(mine.get("id"))
    elif annotations:
        return SUPERSEDED, "the task was annotated before lsrules could"
    else:
        prediction_id = next((found for found in ours if found is not None), None)
        if prediction_id is None:
            prediction_id = label_studio.create_prediction(
                writeback.task_id, body["result"], body.get("score"), model_version)
        annotation_id = label_studio.create_annotation(writeback.task_id, body["result"],
                                                       prediction_id)
    meta = dict(held or {})
    entries = _our_entries(meta.get(META_KEY))
    entries[AUTO_KEY] = {"annotation": annotation_id, **body["gate"]}
    meta[META_KEY] = entries
    if meta != (held or {}):
        label_studio.update_meta(writeback.task_id, meta)
    return APPLIED, f"annotation {annotation_id}"


def _check_annotation(label_studio: LabelStudio, writeback: Writeback, task: dict[str, Any],
                      removing: bool) -> tuple[str, str] | None:
    """What Label Studio says of the annotation a summary is about: None to go ahead, else
    the (status, note) to finish with. An entry is written only for an annotation of that
    task, and removed only for one the task no longer holds. The task as read lists its
    annotations; the annotation itself is asked for only when it is not among them."""
    listed = task.get("annotations")
    if isinstance(listed, list):
        held = writeback.annotation_id in {identifier(item.get("id")) for item in listed
                                           if isinstance(item, dict)}
        if removing:
            return (REFUSED, f"annotation {writeback.annotation_id} still exists: its entry "
                             "is kept") if held else None
        if held:
            return None
    try:
        current = label_studio.annotation(writeback.annotation_id)
    except PermanentError as error:
        if error.status != 404:
            raise
        return None if removing else (SUPERSEDED, "the annotation no longer exists")
    contradiction = _contradiction(current, writeback)
    if contradiction:
        return REFUSED, contradiction
    if removing:
        return REFUSED, f"annotation {writeback.annotation_id} still exists: its entry is kept"
    return None


def _contradiction(annotation: dict[str, Any], writeback: Writeback) -> str | None:
    """Why Label Studio's annotation is not the one the write-back names, or None."""
    task_id = identifier(annotation.get("task"))
    if task_id != writeback.task_id:
        return (f"annotation {writeback.annotation_id} belongs to task {task_id}, not "
                f"{writeback.task_id}")
    return _project_contradiction(annotation, writeback, "annotation")


def _project_contradiction(record: dict[str, Any], writeback: Writeback,
                           what: str) -> str | None:
    project_id = identifier(record.get("project"))
    if writeback.project_id is not None and project_id is not None \
            and project_id != writeback.project_id:
        return f"the {what} belongs to project {project_id}, not {writeback.project_id}"
    return None
