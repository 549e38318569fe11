"""Stream rules in the live service: the evaluated annotations are fed to the stream rules in
event order, by one worker at a time.

Events are evaluated by whichever worker (or `serve` replica) claims them, in any order
across annotations; the stream rules then consume the results in event id order, stopping at
the first event still pending, so they see one sequence whatever the number of replicas. A
skipped, redelivered or stale event evaluated nothing, so nothing is fed twice. Each stream
finding becomes an outcome of its triggering event: its decision record goes to the audit
store, and, when the rule routes or flags, an entry `stream:<rule>:<key>` is merged into
`meta.lsrules` of every task it matched (at most `MAX_TASKS`), so `lsrules_route` and the
Data Manager filters see it like any other decision.

Only the worker holding the stream (`Store.hold_stream`) consumes it. After each batch, the
findings, the last event consumed and the rules' whole state (`StreamRuntime.state`) are
committed together; the worker that takes a stream over (its holder died or stopped)
resumes from there, so a finding is recorded once and no window starts afresh.
"""
from __future__ import annotations

import logging
from typing import Any

from lsrules.labelstudio.store import DONE, ClaimLost, NewWriteback, Outcome
from lsrules.labelstudio.writeback import SUMMARY
from lsrules.streams import events as stream_events

MAX_TASKS = 100  # tasks marked per stream finding (the most recent ones)
BATCH = 200  # events consumed per commit of the stream's state
HOLD_SECONDS = 10.0  # a stream's lease where the store has no session lock (SQLite)

logger = logging.getLogger("lsrules.labelstudio")


class StreamConsumer:
    """Feeds the stream rules of one ruleset from the store's evaluated events."""

    def __init__(self, ruleset, projects: frozenset[int] | None, store, token: str, clock):
        self.ruleset = ruleset
        self.projects = projects  # the projects whose events it consumes (None: any)
        self.store = store
        self.token = token
        self.clock = clock
        self.name = stream_name(ruleset, projects)
        self.runtime: Any = None  # a StreamRuntime, loaded when the stream is taken
        self.cursor = 0

    def run(self, limit: int = BATCH) -> int:
        """Consume the next ready events if this worker holds the stream; how many."""
        if not self.store.hold_stream(self.name, self.token, self.clock(), HOLD_SECONDS):
            self.runtime = None  # another holds it: its state moves on without us
            return 0
        if self.runtime is None:
            self.runtime = self._load()
        batch = self.store.evaluated_events(self.cursor, limit, self.projects)
        if not batch:
            return 0
        found: list[Outcome] = []
        for event, decisions in batch:
            if self.projects is not None and event.project_id not in self.projects:
                continue
            for decision in decisions:
                task, annotation = _find(event.payload, decision.get("annotation_id"))
                if annotation is None:
                    continue
                route = (decision.get("route") or {}).get("name")
                rules = [finding["rule"] for finding in decision.get("findings") or []]
                for finding in self.runtime.feed(task, annotation, decision.get("verdict"),
                                                 rules, route):
                    found.append(self._outcome(event.id, event.project_id, finding))
        cursor = batch[-1][0].id
        try:
            self.store.finish_stream(self.name, self.token, self.cursor, cursor,
                                     self.runtime.state(), found, self.clock())
        except ClaimLost:
            logger.warning("stream %s was taken over; its findings are recorded there",
                           self.name)
            self.runtime = None
            return 0
        except BaseException:
            self.runtime = None  # fed but not saved: reload the saved state next time
            raise
        self.cursor = cursor
        return len(batch)

    def _load(self) -> Any:
        from lsrules.streams.runtime import StreamRuntime

        self.cursor, state = self.store.stream_position(self.name)
        runtime = StreamRuntime(self.ruleset, clock=self.clock)
        if state is not None:
            runtime.restore(state)
        return runtime

    def release(self) -> None:
        self.runtime = None
        self.store.release_stream(self.name, self.token)

    def _outcome(self, event_id: int, project_id, finding) -> Outcome:
        from lsrules.streams.decisions import finding_record

        record = finding_record(finding, self.ruleset)
        rule = finding.rule
        writebacks = []
        if (rule.route or rule.flag) and not finding.exceeded:  # a budget overrun: no flag
            entry = f"stream:{rule.id}:{finding.key}"
            summary = {
                "verdict": record["verdict"],
                "route": {"name": rule.route, "priority": record["route"]["priority"]}
                if rule.route else None,
                "findings": 1, "rules": [rule.id],
                "ruleset": f"{self.ruleset.name}@{self.ruleset.version}",
                "time": record["audit"]["time"],
                "stream": {"key_kind": rule.key, "key": finding.key, "flag": rule.flag,
                           "message": record["findings"][0]["message"]},
            }
            tasks = list(dict.fromkeys(stream_events.task_id(event) for event in finding.events
                                       if stream_events.task_id(event) is not None))[-MAX_TASKS:]
            for task_id in tasks:
                # `annotation_id` names the meta entry: one per rule and key, replaced when
                # the rule fires again for that key
                writebacks.append(NewWriteback(SUMMARY, f"{entry}:{task_id}", project_id,
                                               task_id, entry, {"summary": summary}))
        note = (f"stream rule {rule.id} ran out of its budget for {rule.key} {finding.key}"
                if finding.exceeded else f"stream rule {rule.id} fired for {rule.key} {finding.key}")
        return Outcome(event_id, record, None, writebacks, DONE, note, project_id)


def _find(payload: dict, annotation_id) -> tuple[dict, Any]:
    """The (task, annotation) of an evaluated annotation in a webhook payload."""
    annotations = payload.get("annotation")
    tasks = payload.get("task")
    for annotation in annotations if isinstance(annotations, list) else [annotations]:
        if isinstance(annotation, dict) and annotation.get("id") == annotation_id:
            task_id = annotation.get("task")
            for task in tasks if isinstance(tasks, list) else [tasks]:
                if isinstance(task, dict) and (task.get("id") == task_id or task_id is None):
                    return task, annotation
            return {"id": task_id}, annotation
    return {}, None


def stream_name(ruleset, projects: frozenset[int] | None) -> str:
    """What a stream is saved under: its ruleset's name and projects, so a reloaded ruleset
    continues its predecessor's windows (a rule that is new starts empty)."""
    judged = ",".join(str(project) for project in sorted(projects)) if projects else "*"
    return f"streams:{ruleset.name}:{judged}"


def streams_of(served) -> Any:
    """The ruleset of a served engine when it has stream rules, else None."""
    ruleset = getattr(served.engine, "ruleset", None)
    return ruleset if ruleset is not None and getattr(ruleset, "streams", None) else None
