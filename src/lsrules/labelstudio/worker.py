"""The worker: turns stored events into decisions and write-backs, then applies write-backs.

One thread, so events are handled in arrival order and write-backs in the order they were
planned. Idempotency rests on the `processed` table (annotation id -> content hash of what
was evaluated and of what we wrote):
- a redelivered or replayed event, or one `sync` also found, has a content already
  evaluated: skipped;
- the ANNOTATION_UPDATED that our own correction causes carries exactly the result we
  wrote: skipped, so a fix is never applied twice and never loops;
- an event older (by `updated_at`) than what was already evaluated is stale: skipped, so
  out-of-order deliveries end with the latest version.
The decision, the processed mark, the write-backs and the event's status are committed in
one transaction: a crash anywhere before it re-evaluates the event once, after it never.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lsrules.engine.patch import apply_patch
from lsrules.errors import LsrulesError
from lsrules.labelstudio.payloads import ANNOTATION_ACTIONS, content_hash
from lsrules.labelstudio.store import (
    DONE,
    FAILED,
    SKIPPED,
    Event,
    NewWriteback,
    Outcome,
    Processed,
    Store,
    next_retry_time,
)
from lsrules.labelstudio.writeback import (
    CORRECTION,
    PREDICTION,
    SUMMARY,
    PermanentError,
    TransientError,
    apply_writeback,
)

logger = logging.getLogger("lsrules.labelstudio")
MAX_EVENT_ATTEMPTS = 3


class Engine(Protocol):
    """The part of `lsrules.engine.Engine` the worker uses (see docs/architecture.md)."""

    name: str
    version: str

    def evaluate(self, task: dict, annotation: dict, others: list[dict] | None = None) -> Any: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff for write-backs while Label Studio is unreachable."""

    base_seconds: float = 0.5
    maximum_seconds: float = 60.0
    maximum_attempts: int = 1000


def decision_summary(decision: dict[str, Any], engine: Engine) -> dict[str, Any]:
    """The entry written under `meta.lsrules.<annotation_id>`: enough to filter and to explain."""
    route = decision.get("route")
    return {
        "verdict": decision.get("verdict"),
        "route": {"name": route["name"], "priority": route.get("priority")} if route else None,
        "findings": len(decision.get("findings") or []),
        "rules": sorted({finding["rule"] for finding in decision.get("findings") or []}),
        "ruleset": f"{getattr(engine, 'name', '')}@{getattr(engine, 'version', '')}",
        "time": (decision.get("audit") or {}).get("time"),
    }


def suggestion_results(suggestions: list[dict[str, Any]],
                       parsed_config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Annotation-level suggestions as Label Studio `choices` results, using the project's
    parsed config to find the control that offers each label."""
    results = []
    for suggestion in suggestions:
        label = suggestion.get("label")
        if label is None or suggestion.get("region_id") is not None:
            continue
        for name, control in (parsed_config or {}).items():
            if control.get("type") == "Choices" and label in (control.get("labels") or []):
                results.append({"from_name": name, "to_name": (control.get("to_name") or [""])[0],
                                "type": "choices", "value": {"choices": [label]}})
                break
    return results


class EventProcessor:
    """Decides what one event means; pure apart from reading the `processed` marks."""

    def __init__(self, engine: Engine, store: Store,
                 others_of: Callable[[Any, Any], list | None] | None = None):
        self.engine = engine
        self.store = store
        # (task id, annotation id) -> the task's other annotations, for rules that read
        # `others`; the webhook payload does not carry them
        self.others_of = others_of

    def process(self, event: Event) -> list[Outcome]:
        payload = event.payload
        if event.action in ANNOTATION_ACTIONS:
            return [self._annotation(event.id, event.project_id, payload.get("task") or {},
                                     payload.get("annotation") or {})]
        if event.action == "ANNOTATIONS_CREATED":
            tasks = {task.get("id"): task for task in _as_list(payload.get("task"))}
            outcomes = [self._annotation(event.id, event.project_id,
                                         tasks.get(annotation.get("task"), {}), annotation)
                        for annotation in _as_list(payload.get("annotation"))]
            return _merge(event.id, outcomes, event.project_id)
        if event.action == "ANNOTATIONS_DELETED":
            return [self._deleted(event, payload)]
        if event.action == "TASKS_CREATED":
            return [self._tasks_created(event, payload)]
        return [Outcome(event.id, None, None, [], SKIPPED, "action not handled")]

    def _annotation(self, event_id: int, project_id: int | None, task: dict,
                    annotation: dict) -> Outcome:
        annotation_id = annotation.get("id")
        if annotation_id is None:
            return Outcome(event_id, None, None, [], SKIPPED, "no annotation id")
        task_id = task.get("id") or annotation.get("task")
        task = dict(task, id=task_id)
        updated_at = str(annotation.get("updated_at") or "")
        this_hash = content_hash(annotation)
        previous = self.store.processed(annotation_id)
        if previous is not None:
            if updated_at and previous.updated_at and updated_at < previous.updated_at:
                return Outcome(event_id, None, None, [], SKIPPED,
                               f"stale: older than {previous.updated_at}")
            if this_hash in (previous.content_hash, previous.written_hash):
                seen = Processed(annotation_id, previous.task_id, previous.content_hash,
                                 previous.written_hash, max(updated_at, previous.updated_at),
                                 previous.decision_id)
                why = "our own correction" if this_hash == previous.written_hash else "same content"
                return Outcome(event_id, None, seen, [], SKIPPED, f"already evaluated: {why}")
        others = None
        if self.others_of is not None and getattr(self.engine, "uses_others", False):
            others = self.others_of(task_id, annotation_id)
        evaluated = self.engine.evaluate(task, annotation, others)
        decision = evaluated.to_dict()
        writebacks: list[NewWriteback] = []
        written_hash = None
        patch = list(getattr(evaluated, "patch_to_apply", None) or [])
        if patch:
            try:
                corrected = apply_patch(annotation, patch)["result"]
            except LsrulesError as error:
                logger.warning("annotation %s: cannot apply the patch: %s", annotation_id, error)
                corrected = annotation.get("result")
            if corrected != annotation.get("result"):
                written_hash = content_hash(annotation, corrected)
                writebacks.append(NewWriteback(
                    CORRECTION, f"correction:{annotation_id}", project_id, task_id,
                    annotation_id, {"result": corrected, "expected_hash": this_hash,
                                    "written_hash": written_hash}))
        summary = {"summary": decision_summary(decision, self.engine)}
        task_patch = list(getattr(evaluated, "task_patch_to_apply", None) or [])
        if task_patch:  # `set task.meta.x = ...` fixes, written with the summary
            summary["task_patch"] = task_patch
        writebacks.append(NewWriteback(
            SUMMARY, f"summary:{annotation_id}", project_id, task_id, annotation_id, summary))
        mark = Processed(annotation_id, task_id, this_hash, written_hash, updated_at, None)
        return Outcome(event_id, decision, mark, writebacks, DONE, None, project_id)

    def _deleted(self, event: Event, payload: dict) -> Outcome:
        writebacks = []
        for item in _as_list(payload.get("annotations")):
            annotation_id = item.get("id") if isinstance(item, dict) else item
            previous = self.store.processed(annotation_id) if annotation_id is not None else None
            task_id = (item.get("task") if isinstance(item, dict) else None) or (
                previous.task_id if previous else None)
            if task_id is None:
                continue
            writebacks.append(NewWriteback(SUMMARY, f"summary:{annotation_id}", event.project_id,
                                           task_id, annotation_id, {"summary": None}))
        return Outcome(event.id, None, None, writebacks, DONE,
                       f"{len(writebacks)} meta entries to remove", event.project_id)

    def _tasks_created(self, event: Event, payload: dict) -> Outcome:
        parsed_config = (payload.get("project") or {}).get("parsed_label_config")
        writebacks = []
        for task in _as_list(payload.get("tasks")):
            decision = self.engine.evaluate(task, {"id": None, "task": task.get("id"),
                                                   "result": []}).to_dict()
            suggestions = decision.get("suggestions") or []
            results = suggestion_results(suggestions, parsed_config)
            if not results:
                continue
            score = min(suggestion.get("confidence") or 0.0 for suggestion in suggestions
                        if suggestion.get("label") is not None)
            model_version = next((s.get("model_version") for s in suggestions
                                  if s.get("model_version")), None) or "lsrules"
            writebacks.append(NewWriteback(
                PREDICTION, f"prediction:{task.get('id')}:{model_version}", event.project_id,
                task.get("id"), None,
                {"result": results, "score": score, "model_version": model_version}))
        return Outcome(event.id, None, None, writebacks, DONE,
                       f"{len(writebacks)} predictions to write", event.project_id)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _merge(event_id: int, outcomes: list[Outcome], project_id: int | None) -> list[Outcome]:
    """Several annotations in one event: one outcome each; the event is finished by the last."""
    if not outcomes:
        return [Outcome(event_id, None, None, [], SKIPPED, "no annotations", project_id)]
    return outcomes


def learn_from(engine: Engine, task: dict, annotation: dict, decision: dict | None) -> bool:
    """The feedback loop: a person's label the process approved teaches the suggester.

    Approved means marked ground truth, or accepted by the rules with no finding at all.
    A no-op for an engine without `learn` (the suggester is optional)."""
    learn = getattr(engine, "learn", None)
    if learn is None or decision is None:
        return False
    approved = bool(annotation.get("ground_truth")) or (
        decision.get("verdict") == "accept" and not decision.get("findings"))
    if approved and not annotation.get("was_cancelled"):
        learn(task, annotation)
        return True
    return False


class Worker:
    """The background thread of `serve` (and the loop `sync` drains the queue with)."""

    def __init__(self, engine: Engine, store: Store, label_studio: Any,
                 retry: RetryPolicy = RetryPolicy(), clock: Callable[[], float] = time.time):
        self.engine = engine
        self.store = store
        self.label_studio = label_studio
        self.retry = retry
        self.clock = clock
        self.processor = EventProcessor(engine, store, self.others_of)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def others_of(self, task_id: Any, annotation_id: Any) -> list | None:
        """The task's other annotations as Label Studio holds them now; None (rules see
        `others` as null) when it cannot be reached: the event is not held up."""
        try:
            task = self.label_studio.task(task_id)
        except Exception as error:  # Label Studio down or the task gone
            logger.warning("task %s: other annotations unavailable: %s", task_id, error)
            return None
        annotations = task.get("annotations") if isinstance(task, dict) else None
        if not isinstance(annotations, list):
            return None
        return [item for item in annotations
                if isinstance(item, dict) and item.get("id") != annotation_id]

    def wake(self) -> None:
        self._wake.set()

    def run_events(self, limit: int = 100) -> int:
        """Handle pending events in order; returns how many were handled."""
        events = self.store.pending_events(limit)
        for event in events:
            self._handle(event)
        return len(events)

    def _handle(self, event: Event) -> None:
        try:
            outcomes = self.processor.process(event)
        except Exception as error:  # an engine bug must not stop the queue
            give_up = event.attempts + 1 >= MAX_EVENT_ATTEMPTS
            logger.exception("event %s (%s) failed", event.id, event.action)
            self.store.fail_event(event.id, f"{type(error).__name__}: {error}", give_up)
            return
        for outcome in outcomes:
            self.store.finish_event(outcome)
            if outcome.decision is not None:
                self._feedback(event, outcome)

    def _feedback(self, event: Event, outcome: Outcome) -> None:
        payload = event.payload
        annotation = payload.get("annotation")
        task = payload.get("task")
        if isinstance(annotation, list):  # ANNOTATIONS_CREATED
            wanted = outcome.decision.get("annotation_id")
            annotation = next((item for item in annotation if item.get("id") == wanted), {})
            task = next((item for item in _as_list(task)
                         if item.get("id") == annotation.get("task")), {})
        try:
            learn_from(self.engine, task or {}, annotation or {}, outcome.decision)
        except Exception:
            logger.exception("the suggester could not learn from event %s", event.id)

    def run_writebacks(self, limit: int = 100) -> int:
        """Apply the write-backs that are due; returns how many were tried."""
        writebacks = self.store.due_writebacks(self.clock(), limit)
        for writeback in writebacks:
            try:
                status, note = apply_writeback(self.label_studio, writeback)
                self.store.finish_writeback(writeback.id, status, note)
            except TransientError as error:
                if writeback.attempts + 1 >= self.retry.maximum_attempts:
                    self.store.finish_writeback(writeback.id, FAILED, str(error))
                    continue
                self.store.retry_writeback(writeback.id, str(error), next_retry_time(
                    writeback.attempts, self.retry.base_seconds, self.retry.maximum_seconds,
                    self.clock()))
                # Label Studio is down: the rest would fail the same way; try again later.
                break
            except PermanentError as error:
                logger.warning("write-back %s failed for good: %s", writeback.id, error)
                self.store.finish_writeback(writeback.id, FAILED, str(error))
        return len(writebacks)

    def run_until_idle(self, timeout: float = 60) -> bool:
        """Drain events and due write-backs (used by `sync` and the tests)."""
        deadline = self.clock() + timeout
        while self.clock() < deadline:
            handled = self.run_events()
            tried = self.run_writebacks()
            if not handled and not tried and self.store.pending_writeback_count() == 0:
                return True
            if not handled and not tried:
                time.sleep(0.05)
        return False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="lsrules-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.run_events()
                self.run_writebacks()
            except Exception:
                logger.exception("worker loop")
                handled = 0
            if not handled:
                self._wake.wait(0.2)
                self._wake.clear()
