"""Stream findings as decision records (schemas/decision.schema.json, plus a `stream` block).

A stream finding is its own record, written right after the decision of the annotation
that triggered it (same `task_id` and `annotation_id`): the per-annotation decision stays
exactly what it would be without `streams:`, and a pattern across many annotations is
not smuggled into one of them. The verdict follows the same precedence (an error finding
rejects, a route sends to review); `audit.rules` names the stream rule, `audit.input_sha256`
hashes the events listed under `stream.events`. A rule that ran out of its step budget
fails closed: verdict `review`, one `lsrules-budget` finding, no route and no flag.
"""
from __future__ import annotations

import time

from lsrules.dsl.budget import BUDGET_RULE
from lsrules.version import __version__
from lsrules.engine.decision import canonical_sha256
from lsrules.streams import events as stream_events
from lsrules.timestamps import format_time

MAX_LISTED_EVENTS = 1000  # the most recent matched events listed in one record


def finding_record(finding, ruleset) -> dict:
    rule = finding.rule
    listed = [stream_events.summary(event) for event in finding.events[-MAX_LISTED_EVENTS:]]
    route = None
    if rule.route is not None:
        route = {"name": rule.route, "priority": ruleset.routes.get(rule.route, 0),
                 "rules": [rule.id]}
    finding_id, severity = rule.id, rule.severity
    if finding.exceeded:
        verdict, route, finding_id, severity = "review", None, BUDGET_RULE, "warning"
    elif rule.severity == "error":
        verdict = "reject"
    elif route is not None:
        verdict = "review"
    else:
        verdict = "accept"
    trigger = finding.trigger
    return {
        "task_id": stream_events.task_id(trigger),
        "annotation_id": stream_events.annotation_id(trigger),
        "verdict": verdict,
        "findings": [{"rule": finding_id, "severity": severity, "message": finding.message,
                      "region_id": None, "fixed": False}],
        "patch": [],
        "route": route,
        "suggestions": [],
        "audit": {
            "ruleset": ruleset.name, "version": ruleset.version, "sha256": ruleset.sha256,
            "lsrules_version": __version__, "input_sha256": canonical_sha256(listed),
            "time": format_time(time.time()),
            "duration_us": finding.duration_us,
            "rules": [rule.id],
        },
        "stream": {"rule": rule.id, "key_kind": rule.key, "key": finding.key,
                   "flag": rule.flag and not finding.exceeded, "matched": len(finding.events),
                   "events": listed},
    }
