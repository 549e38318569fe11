"""Catch up on what was saved while nobody listened: Label Studio never redelivers a webhook.

`sync` lists a project's annotations, and queues every one changed since the project's
checkpoint (by `updated_at`) as an event, exactly like a webhook would have. The worker's
idempotency then skips what was already evaluated with the same content, and the store's
claims keep one annotation's events to one worker at a time, so running sync while `serve`
handles events on the same store evaluates and writes each annotation once.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lsrules.labelstudio.payloads import SYNC_ACTION, content_hash, identifier, summarize
from lsrules.labelstudio.store import Store
from lsrules.labelstudio.writeback import LabelStudio, plain


@dataclass(frozen=True)
class SyncReport:
    project_id: int
    seen: int
    queued: int
    skipped: int  # older than the checkpoint, evaluated before, or already queued
    checkpoint: str | None


def project_annotations(label_studio: LabelStudio, project_id: int
                        ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(task, annotation) for every annotation of the project, task by task."""
    pages = label_studio.call(label_studio.client.tasks.list, project=project_id, fields="all",
                              page_size=100)
    for task_model in pages:
        task = plain(task_model)
        annotations = task.pop("annotations", None)
        task.pop("predictions", None)
        task.pop("drafts", None)
        for annotation in annotations if isinstance(annotations, list) else []:
            if isinstance(annotation, dict):  # Label Studio's answer is data, not a promise
                yield task, annotation


def sync_project(label_studio: LabelStudio, store: Store, project_id: int) -> SyncReport:
    """Queue the project's annotations changed since its checkpoint; advance the checkpoint."""
    since = store.checkpoint(project_id)
    latest = since
    seen = queued = skipped = 0
    for task, annotation in project_annotations(label_studio, project_id):
        seen += 1
        updated_at = str(annotation.get("updated_at") or "")
        annotation_id = identifier(annotation.get("id"))
        if annotation_id is None or (since and updated_at and updated_at < since):
            skipped += 1
            continue
        latest = max(latest or updated_at, updated_at)
        previous = store.processed(annotation_id)
        if previous is not None and content_hash(annotation) in (previous.content_hash,
                                                                 previous.written_hash):
            skipped += 1
            continue
        body = {"action": SYNC_ACTION, "project": {"id": project_id}, "task": task,
                "annotation": annotation}
        raw = json.dumps(body, sort_keys=True)
        summary = summarize(body, raw.encode("utf-8"))
        if store.add_event(summary.action, project_id, summary.task_id, summary.annotation_id,
                           raw, summary.dedupe_key) is not None:
            queued += 1
        else:
            skipped += 1
    if latest:
        store.set_checkpoint(project_id, latest)
    return SyncReport(project_id, seen, queued, skipped, latest)
