"""Stream rules in the live service: each evaluated annotation is fed to the stream rules.

The worker's event processor is wrapped, not changed: after it has evaluated an
annotation (a skipped, redelivered or stale event feeds nothing, so nothing is fed twice),
the annotation goes to the stream runtime in arrival order, and each stream finding
becomes one more outcome of the same event: its decision record goes to the audit store,
and, when the rule routes or flags, an entry `stream:<rule>:<key>` is merged into
`meta.lsrules` of every task it matched (at most `MAX_TASKS`), so `lsrules_route` and the
Data Manager filters see it like any other decision. Stream state lives in memory: a
restart starts every window afresh, which the bounds make cheap.
"""
from __future__ import annotations

import time
from typing import Any

from lsrules.labelstudio.store import DONE, NewWriteback, Outcome
from lsrules.labelstudio.writeback import SUMMARY

MAX_TASKS = 100  # tasks marked per stream finding (the most recent ones)


class StreamingEventProcessor:
    """An event processor that also feeds the stream rules."""

    def __init__(self, processor, ruleset, clock=time.time):
        from lsrules.streams.runtime import StreamRuntime

        self.processor = processor
        self.ruleset = ruleset
        self.runtime = StreamRuntime(ruleset, clock=clock)

    def process(self, event) -> list[Outcome]:
        outcomes = self.processor.process(event)
        found: list[Outcome] = []
        for outcome in outcomes:
            decision = outcome.decision
            if decision is None or outcome.status != DONE or "stream" in decision:
                continue
            task, annotation = _find(event.payload, decision.get("annotation_id"))
            if annotation is None:
                continue
            route = (decision.get("route") or {}).get("name")
            rules = [finding["rule"] for finding in decision.get("findings") or []]
            for finding in self.runtime.feed(task, annotation, decision.get("verdict"), rules,
                                             route):
                found.append(self._outcome(event.id, outcome.project_id, finding))
        return outcomes + found

    def _outcome(self, event_id: int, project_id, finding) -> Outcome:
        from lsrules.streams.decisions import finding_record

        record = finding_record(finding, self.ruleset)
        rule = finding.rule
        writebacks = []
        if rule.route or rule.flag:
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
            tasks = list(dict.fromkeys(event["task"].get("id") for event in finding.events
                                       if event["task"].get("id") is not None))[-MAX_TASKS:]
            for task_id in tasks:
                # `annotation_id` names the meta entry: one per rule and key, replaced when
                # the rule fires again for that key
                writebacks.append(NewWriteback(SUMMARY, f"{entry}:{task_id}", project_id,
                                               task_id, entry, {"summary": summary}))
        note = f"stream rule {rule.id} fired for {rule.key} {finding.key}"
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


def with_streams(processor, engine, clock=time.time):
    """The processor, feeding the stream rules of the engine's ruleset if it has any."""
    ruleset = getattr(engine, "ruleset", None)
    if ruleset is not None and getattr(ruleset, "streams", None):
        return StreamingEventProcessor(processor, ruleset, clock)
    return processor
