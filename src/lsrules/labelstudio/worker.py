"""The worker: turns stored events into decisions and write-backs, then applies write-backs.

One thread per worker; each event and write-back is claimed in the store before it is
worked on, so `serve` and a `sync` beside it never handle the same row, and one
annotation's events are handled one at a time, in arrival order. Idempotency rests on the
`processed` table (annotation id -> content hash of what was evaluated and of what we wrote):
- a redelivered or replayed event, or one `sync` also found, has a content already
  evaluated: skipped;
- the ANNOTATION_UPDATED that our own correction causes carries exactly the result we
  wrote: skipped, so a fix is never applied twice and never loops;
- an event older (by `updated_at`) than what was already evaluated is stale: skipped, so
  out-of-order deliveries end with the latest version.
The decision, the processed mark, the write-backs and the event's status are committed in
one transaction: a crash anywhere before it re-evaluates the event once, after it never.

Whatever an event or a write-back holds, a failure is that row's alone: it is retried with
backoff up to an attempt cap, then marked failed (counted in `/health`, listed by `lsrules
audit`), and the queue moves on. Payloads are untrusted: ids are checked before they reach
SQL or a URL, and shapes before they are read.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from lsrules.engine.patch import apply_patch
from lsrules.errors import LsrulesError
from lsrules.labelstudio.model_state import OBSERVED, ModelKeeper
from lsrules.labelstudio.payloads import (
    ANNOTATION_ACTIONS,
    PREDICT_ACTION,
    content_hash,
    identifier,
)
from lsrules.labelstudio.predictions import Prediction, predict
from lsrules.labelstudio.rulesets import Rulesets
from lsrules.labelstudio.store import (
    DONE,
    FAILED,
    SKIPPED,
    ClaimLost,
    Event,
    NewWriteback,
    Outcome,
    Processed,
    Store,
    Writeback,
    new_claim_token,
    next_retry_time,
    safe_note,
    utc_now,
)
from lsrules.labelstudio.streams import StreamConsumer, stream_name, streams_of
from lsrules.labelstudio.writeback import (
    AUTO_ACCEPT,
    CORRECTION,
    PREDICTION,
    SUMMARY,
    PermanentError,
    TransientError,
    apply_writeback,
)
from lsrules.suggest.teaching import approval, parent_prediction, teaches

logger = logging.getLogger("lsrules.labelstudio")


class Engine(Protocol):
    """The part of `lsrules.engine.Engine` the worker uses (see docs/architecture.md)."""

    name: str
    version: str
    uses_others: bool  # read the task's other annotations from Label Studio for `others`

    config: Any  # the ruleset's LabelingConfig, or None
    suggester: Any  # lsrules.suggest.Suggester, or None

    def evaluate(self, task: dict, annotation: dict, others: list[dict] | None = None) -> Any: ...

    def learn(self, task: dict, annotation: dict, approved_by: str = ...,
              prediction: dict | None = None) -> Any: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Retries: backoff (base, doubled per attempt, capped) and attempt caps.

    A write-back waits out an unreachable Label Studio for up to `maximum_attempts` tries;
    an event, or a write-back failing for any other reason, gets `failure_attempts` tries.
    A claim lasts `lease_seconds`: longer than handling one row takes (HTTP calls time out
    after 10 s), short enough that a killed worker's row comes back soon."""

    base_seconds: float = 0.5
    maximum_seconds: float = 60.0
    maximum_attempts: int = 1000
    failure_attempts: int = 5
    lease_seconds: float = 60.0


def decision_summary(decision: dict[str, Any], engine: Engine) -> dict[str, Any]:
    """The entry written under `meta.lsrules.<annotation_id>`: enough to filter and to explain."""
    route = decision.get("route")
    return {
        "verdict": decision.get("verdict"),
        "route": {"name": route["name"], "priority": route.get("priority")} if route else None,
        "findings": len(decision.get("findings") or []),
        "rules": sorted({finding["rule"] for finding in decision.get("findings") or []}),
        "ruleset": f"{engine.name}@{engine.version}",
        "time": (decision.get("audit") or {}).get("time"),
    }


def prediction_writeback(project_id: int | None, task_id: int,
                         prediction: Prediction) -> NewWriteback:
    """The write-back creating `prediction` on the task, once per model version."""
    return NewWriteback(PREDICTION, f"prediction:{task_id}:{prediction.model_version}",
                        project_id, task_id, None, prediction.to_dict())


def auto_accept_writeback(project_id: int | None, task_id: int, prediction: Prediction,
                          suggester: Any) -> NewWriteback:
    """The write-back accepting `prediction` as the task's annotation, with the gate's numbers
    at this moment (`suggester`: `lsrules.suggest.Suggester`), which the audit store and the
    task's `meta.lsrules.auto` keep."""
    accuracy, explored = suggester.live_accuracy()
    gate = {"label": prediction.label, "score": prediction.score,
            "threshold": prediction.threshold, "model_version": prediction.model_version,
            "target_accuracy": suggester.settings.target_accuracy,
            "live_accuracy": accuracy, "explored": explored, "time": utc_now()}
    return NewWriteback(AUTO_ACCEPT, f"auto:{task_id}", project_id, task_id, None,
                        dict(prediction.to_dict(), gate=gate))


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
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.action in ANNOTATION_ACTIONS:
            return [self._annotation(event.id, event.project_id, payload.get("task"),
                                     payload.get("annotation"))]
        if event.action == "ANNOTATIONS_CREATED":
            tasks = {}
            for task in _as_list(payload.get("task")):
                if isinstance(task, dict) and identifier(task.get("id")) is not None:
                    tasks[identifier(task.get("id"))] = task
            outcomes = []
            for annotation in _as_list(payload.get("annotation")):
                task_id = identifier(annotation.get("task")) if isinstance(annotation, dict) \
                    else None
                outcomes.append(self._annotation(event.id, event.project_id,
                                                 tasks.get(task_id), annotation))
            return _merge(event.id, outcomes, event.project_id)
        if event.action == "ANNOTATIONS_DELETED":
            return [self._deleted(event, payload)]
        if event.action == "TASKS_CREATED":
            return [self._tasks_created(event, payload)]
        if event.action == PREDICT_ACTION:  # back-fill: a prediction, never an auto-accept
            return [self._tasks_created(event, payload, auto_accept=False)]
        return [Outcome(event.id, None, None, [], SKIPPED, "action not handled")]

    def _annotation(self, event_id: int, project_id: int | None, task: Any,
                    annotation: Any) -> Outcome:
        if not isinstance(annotation, dict):
            return Outcome(event_id, None, None, [], SKIPPED, "the annotation is not an object")
        task = task if isinstance(task, dict) else {}
        annotation_id = identifier(annotation.get("id"))
        if annotation_id is None:
            return Outcome(event_id, None, None, [], SKIPPED,
                           f"annotation id {_shown(annotation.get('id'))} is not a positive "
                           "integer")
        task_id = identifier(task.get("id"))
        claimed_task = annotation.get("task")
        if task_id is None:
            task_id = identifier(claimed_task)
        elif claimed_task is not None and identifier(claimed_task) != task_id:
            return Outcome(event_id, None, None, [], SKIPPED,
                           f"annotation {annotation_id} names task {_shown(claimed_task)}, "
                           f"the event task {task_id}")
        if task_id is None:
            return Outcome(event_id, None, None, [], SKIPPED,
                           f"annotation {annotation_id}: no valid task id")
        task = dict(task, id=task_id)
        annotation = dict(annotation, id=annotation_id)
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
        if self.others_of is not None and self.engine.uses_others:
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
        summary: dict[str, Any] = {"summary": decision_summary(decision, self.engine)}
        task_patch = list(getattr(evaluated, "task_patch_to_apply", None) or [])
        if task_patch:  # `set task.meta.x = ...` fixes, written with the summary
            summary["task_patch"] = task_patch
        writebacks.append(NewWriteback(
            SUMMARY, f"summary:{annotation_id}", project_id, task_id, annotation_id, summary))
        mark = Processed(annotation_id, task_id, this_hash, written_hash, updated_at, None)
        return Outcome(event_id, decision, mark, writebacks, DONE, None, project_id)

    def _deleted(self, event: Event, payload: dict) -> Outcome:
        """Meta entries to remove. Where the entry lives comes from our own record of the
        annotation, else from the payload; the write-back checks with Label Studio that the
        annotation is really gone before it erases anything."""
        writebacks = []
        ignored = 0
        for item in _as_list(payload.get("annotations")):
            annotation_id = identifier(item.get("id") if isinstance(item, dict) else item)
            if annotation_id is None:
                ignored += 1
                continue
            previous = self.store.processed(annotation_id)
            task_id = previous.task_id if previous is not None else None
            if task_id is None and isinstance(item, dict):
                task_id = identifier(item.get("task"))
            if task_id is None:
                continue
            writebacks.append(NewWriteback(SUMMARY, f"summary:{annotation_id}", event.project_id,
                                           task_id, annotation_id, {"summary": None}))
        note = f"{len(writebacks)} meta entries to remove"
        if ignored:
            note += f"; {ignored} entries without a valid annotation id ignored"
        return Outcome(event.id, None, None, writebacks, DONE, note, event.project_id)

    def _tasks_created(self, event: Event, payload: dict, auto_accept: bool = True) -> Outcome:
        project = payload.get("project")
        parsed_config = project.get("parsed_label_config") if isinstance(project, dict) else None
        if not isinstance(parsed_config, dict):
            parsed_config = None
        writebacks = []
        for task in _as_list(payload.get("tasks")):
            task_id = identifier(task.get("id")) if isinstance(task, dict) else None
            if task_id is None:
                continue
            prediction = predict(self.engine, dict(task, id=task_id), parsed_config)
            if not prediction.result:  # an abstention is not written to a new task
                continue
            suggester = self.engine.suggester
            if suggester is None or not (auto_accept and suggester.settings.auto_accept):
                writebacks.append(prediction_writeback(event.project_id, task_id, prediction))
            elif not suggester.should_explore(task_id):
                writebacks.append(auto_accept_writeback(event.project_id, task_id, prediction,
                                                        suggester))
            # else: the explore share goes to a person, without a pre-annotation to anchor
            # on, so that their label measures the gate
        auto = sum(writeback.kind == AUTO_ACCEPT for writeback in writebacks)
        note = f"{len(writebacks) - auto} predictions to write"
        if auto:
            note += f", {auto} tasks auto-accepted"
        return Outcome(event.id, None, None, writebacks, DONE, note, event.project_id)


def _shown(value: Any) -> str:
    """A value from a payload, quoted short for a note."""
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _merge(event_id: int, outcomes: list[Outcome], project_id: int | None) -> list[Outcome]:
    """Several annotations in one event: one outcome each; the event is finished by the last."""
    if not outcomes:
        return [Outcome(event_id, None, None, [], SKIPPED, "no annotations", project_id)]
    return outcomes


def learn_from(engine: Engine, task: dict, annotation: dict, decision: dict | None,
               prediction: dict | None = None) -> bool:
    """The feedback loop: a person's label the process approved teaches the suggester.

    Approved (`teaching.approval`): marked ground truth, edited by a reviewer, or accepted
    by the rules with no finding at all; lsrules' own prediction accepted unchanged
    (`prediction`, the annotation's parent) teaches nothing, as in `suggest fit`.
    True when the suggester learnt something (never for a ruleset without one)."""
    if decision is None:
        return False
    approved_by = approval(annotation, decision)
    if prediction is None:
        prediction = parent_prediction(annotation, task.get("predictions"))
    if approved_by is not None and teaches(annotation, prediction):
        return bool(engine.learn(task, annotation, approved_by=approved_by,
                                 prediction=prediction))
    return False


class Worker:
    """The background thread of `serve` (and the loop `sync` drains the queue with).

    Each event is judged by its project's ruleset (`Rulesets`; one engine given alone
    judges every project); rulesets are reloaded between events, on this thread."""

    def __init__(self, engine: Engine | Rulesets, store: Store, label_studio: Any,
                 retry: RetryPolicy = RetryPolicy(), clock: Callable[[], float] = time.time):
        self.rulesets = engine if isinstance(engine, Rulesets) else Rulesets.of(engine)
        self.store = store
        self.label_studio = label_studio
        self.retry = retry
        self.clock = clock
        self.token = new_claim_token()
        # engine -> its event processor, while it runs
        self._processors: dict[int, tuple[Engine, Any]] = {}
        # stream name -> the consumer of a served ruleset's stream rules
        self._streams: dict[str, StreamConsumer] = {}
        # what this worker did, by outcome: `sync` reports it
        self.tally: Counter[str] = Counter()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # work other threads hand to this one (predictions for `/predict`): the engine and
        # its suggester are only ever used from this thread
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        # what the suggesters learn, kept in the store; each starts where the store left it
        self.models = ModelKeeper(store)
        for served in self.rulesets.served:
            self.models.restore(served.engine)

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

    def processor_for(self, engine: Engine) -> Any:
        """The event processor of an engine, made once."""
        known = self._processors.get(id(engine))
        if known is None or known[0] is not engine:
            processor = EventProcessor(engine, self.store, self.others_of)
            known = self._processors[id(engine)] = (engine, processor)
        return known[1]

    def process(self, event: Event) -> list[Outcome]:
        """The outcomes of one event, judged by its project's ruleset."""
        engine = self.rulesets.engine_for(event.project_id)
        if engine is None:  # queued before the project file changed, or by hand
            return [Outcome(event.id, None, None, [], SKIPPED,
                            f"project {event.project_id} is bound to no ruleset this service "
                            "runs", event.project_id)]
        return self.processor_for(engine).process(event)

    def refresh_rulesets(self) -> None:
        """Reload changed rulesets between two events; a reloaded ruleset's processor starts
        afresh (its stream rules continue from their saved windows: `run_streams`)."""
        reloaded = self.rulesets.refresh()
        for served in reloaded:  # a reloaded suggester starts where the store left it
            self.models.restore(served.engine)
        if reloaded:
            running = {id(served.engine) for served in self.rulesets.served}
            for key in [key for key in self._processors if key not in running]:
                del self._processors[key]

    def wake(self) -> None:
        self._wake.set()

    def call(self, function: Callable[[], Any]) -> Future:
        """Run `function` on the worker's thread, between two events; its future result."""
        future: Future = Future()
        self._calls.put((function, future))
        self._wake.set()
        return future

    def run_calls(self) -> None:
        while True:
            try:
                function, future = self._calls.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(function())
            except Exception as error:  # handed to the caller, who answers with it
                future.set_exception(error)

    def alive(self) -> bool:
        """The background thread runs (for `/health`)."""
        return self._thread is not None and self._thread.is_alive()

    def run_events(self, limit: int = 100) -> int:
        """Claim and handle due events one at a time; returns how many were handled. A
        changed ruleset is reloaded before the next claim."""
        handled = 0
        while handled < limit:
            self.refresh_rulesets()
            self.run_calls()
            event = self.store.claim_event(self.token, self.clock(), self.retry.lease_seconds,
                                           self.retry.failure_attempts,
                                           self.rulesets.projects())
            if event is None:
                break
            self._handle(event)
            handled += 1
        return handled

    def _handle(self, event: Event) -> None:
        try:
            outcomes = self.process(event)
            self.store.finish_event(self.token, outcomes, self.clock())
        except ClaimLost:
            logger.warning("event %s: claim expired and taken over; result dropped", event.id)
            self.tally["lost"] += 1
            return
        except Exception as error:  # anything: this event fails alone, the queue goes on
            self._fail_event(event, error)
            return
        self.tally["evaluated" if any(o.decision is not None and o.status == DONE
                                      for o in outcomes) else outcomes[-1].status] += 1
        for outcome in outcomes:
            if outcome.decision is not None:
                self._feedback(event, outcome.decision)

    def _fail_event(self, event: Event, error: Exception) -> None:
        give_up = event.attempts >= self.retry.failure_attempts
        note = f"{type(error).__name__}: {error}"
        logger.error("event %s (%s) failed, attempt %s of %s: %s", event.id, event.action,
                     event.attempts, self.retry.failure_attempts, safe_note(note),
                     exc_info=not isinstance(error, LsrulesError))
        retry_at = None if give_up else self._retry_time(event.attempts)
        try:
            self.store.fail_event(event.id, self.token, note, retry_at)
        except Exception:  # the store itself: the lease returns the event, the cap still holds
            logger.exception("event %s: could not record the failure", event.id)
        self.tally["failed" if give_up else "retrying"] += 1

    def _retry_time(self, attempts: int) -> float:
        return next_retry_time(attempts - 1, self.retry.base_seconds, self.retry.maximum_seconds,
                               self.clock())

    def _feedback(self, event: Event, decision: dict[str, Any]) -> None:
        try:
            payload = event.payload
            annotation = payload.get("annotation")
            task = payload.get("task")
            if isinstance(annotation, list):  # ANNOTATIONS_CREATED
                wanted = decision.get("annotation_id")
                annotation = next((item for item in annotation if isinstance(item, dict)
                                   and identifier(item.get("id")) == wanted), {})
                task = next((item for item in _as_list(task) if isinstance(item, dict)
                             and item.get("id") == annotation.get("task")), {})
            task = task if isinstance(task, dict) else {}
            annotation = annotation if isinstance(annotation, dict) else {}
            engine = self.rulesets.engine_for(event.project_id)
            prediction = self._parent_prediction(task, annotation)
            if learn_from(engine, task, annotation, decision, prediction):
                self.models.learned(engine, task, annotation,
                                    approval(annotation, decision) or "", prediction)
            elif engine.suggester is not None and teaches(annotation, prediction) \
                    and engine.suggester.observe(task, annotation):
                # not approved, still a person's label: it tells how annotators agree
                self.models.learned(engine, task, annotation, OBSERVED, prediction)
        except Exception:
            logger.exception("the suggester could not learn from event %s", event.id)

    def _parent_prediction(self, task: dict, annotation: dict) -> dict | None:
        """The prediction the annotation started from: a webhook's task lists no
        predictions, so they are asked of Label Studio when the annotation names one."""
        if annotation.get("parent_prediction") is None:
            return None
        found = parent_prediction(annotation, task.get("predictions"))
        if found is None and task.get("id") is not None:
            found = parent_prediction(annotation, self.label_studio.predictions(task["id"]))
        return found

    def run_writebacks(self, limit: int = 100) -> int:
        """Claim and apply due write-backs one at a time; returns how many were tried."""
        tried = 0
        while tried < limit:
            writeback = self.store.claim_writeback(self.token, self.clock(),
                                                   self.retry.lease_seconds)
            if writeback is None:
                break
            tried += 1
            if not self._apply(writeback):
                break  # Label Studio is down: the rest would fail the same way
        return tried

    def _apply(self, writeback: Writeback) -> bool:
        """Apply one claimed write-back; False when Label Studio could not be reached."""
        try:
            status, note = apply_writeback(self.label_studio, writeback)
        except TransientError as error:
            self._retry_writeback(writeback, error, self.retry.maximum_attempts)
            return False
        except PermanentError as error:
            logger.warning("write-back %s failed for good: %s", writeback.id, error)
            self.store.finish_writeback(writeback.id, self.token, FAILED, str(error))
            return True
        except Exception as error:  # anything else: this write-back fails alone
            logger.error("write-back %s (%s) failed, attempt %s of %s", writeback.id,
                         writeback.kind, writeback.attempts, self.retry.failure_attempts,
                         exc_info=True)
            self._retry_writeback(writeback, error, self.retry.failure_attempts)
            return True
        self.store.finish_writeback(writeback.id, self.token, status, note)
        return True

    def _retry_writeback(self, writeback: Writeback, error: Exception, cap: int) -> None:
        note = str(error) if isinstance(error, TransientError) else \
            f"{type(error).__name__}: {error}"
        if writeback.attempts >= cap:
            self.store.finish_writeback(writeback.id, self.token, FAILED, note)
        else:
            self.store.retry_writeback(writeback.id, self.token, note,
                                       self._retry_time(writeback.attempts))

    def stream_consumers(self) -> list[StreamConsumer]:
        """A consumer per served ruleset with stream rules; one whose ruleset was reloaded
        is made anew (it reloads the saved state), one no longer served lets its stream go."""
        wanted: dict[str, StreamConsumer] = {}
        for served in self.rulesets.served:
            ruleset = streams_of(served)
            if ruleset is None:
                continue
            name = stream_name(ruleset, served.projects)
            consumer = self._streams.get(name)
            if consumer is None or consumer.ruleset is not ruleset:
                consumer = StreamConsumer(ruleset, served.projects, self.store, self.token,
                                          self.clock)
            wanted[name] = consumer
        for name, consumer in self._streams.items():
            if name not in wanted:
                consumer.release()
        self._streams = wanted
        return list(wanted.values())

    def run_streams(self) -> int:
        """Feed the stream rules what was evaluated, where this worker holds them."""
        return sum(consumer.run() for consumer in self.stream_consumers())

    def run_until_idle(self, timeout: float = 60,
                       progress: Callable[[], None] = lambda: None) -> bool:
        """Drain events, the stream rules and due write-backs (used by `sync` and the tests);
        `progress` is called after each round."""
        deadline = self.clock() + timeout
        while self.clock() < deadline:
            handled = self.run_events() + self.run_streams()
            tried = self.run_writebacks()
            progress()
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
        for served in self.rulesets.served:  # the journal holds it all; a snapshot is quicker
            if self.alive():  # still busy with the engine: the journal will do
                break
            try:
                self.models.save(served.engine)
            except Exception:
                logger.exception("could not save the model of %s", served.engine.name)
        self.release()

    def release(self) -> None:
        """Give back what this worker holds, so another need not wait for the lease."""
        try:
            for consumer in self._streams.values():
                consumer.release()
            self.store.release_claims(self.token)
        except Exception:
            logger.exception("could not release the worker's claims")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_calls()
                handled = self.run_events() + self.run_streams()
                self.run_writebacks()
            except Exception:  # the store itself failed (disk full, locked): try again soon
                logger.exception("worker loop")
                handled = 0
            if not handled:
                self._wake.wait(0.2)
                self._wake.clear()
