"""Stream tests (`tests:` entries with `events:`): feed the sequence, compare with `expect`.

Each test gets a fresh runtime, so tests never see each other's windows. An event is
evaluated by the ruleset's rules first (its verdict, fired rules and route become the
event's), unless it states its `verdict`, which tests a stream rule on its own.
"""
from __future__ import annotations

from lsrules.diagnostics import TestResult


def run_stream_tests(engine) -> list[TestResult]:
    """Run the stream tests; the stream extra must be there even when there are none."""
    from lsrules.streams.durable_backend import import_durable_engine
    from lsrules.streams.runtime import StreamRuntime

    ruleset = engine.ruleset
    import_durable_engine(ruleset.document.locate(("streams",)))
    results = []
    for test in ruleset.stream_tests:
        result = TestResult(ruleset.path, test.name, test.location, "passed")
        runtime = StreamRuntime(ruleset)
        findings = []
        try:
            for event in test.events:
                annotation = event.get("annotation") or {}
                task = event.get("task") or {"id": annotation.get("task")}
                if "verdict" in event:
                    findings += runtime.feed(task, annotation, event["verdict"])
                else:
                    decision = engine.evaluate(task, annotation)
                    findings += runtime.feed_decision(task, annotation, decision)
        except Exception as error:  # a test case with unusable data is a test error
            result.status = "error"
            result.failures.append(f"{type(error).__name__}: {error}")
            results.append(result)
            continue
        exceeded = [finding.message for finding in findings if finding.exceeded]
        if exceeded:  # as for an inline test: a budget overrun is an error, not a finding
            result.status = "error"
            result.failures = exceeded[:1]
            results.append(result)
            continue
        result.failures = compare(test.expect, findings, ruleset.routes)
        result.status = "failed" if result.failures else "passed"
        result.fired = sorted({finding.rule.id for finding in findings})
        results.append(result)
    return results


def compare(expect: dict, findings, routes: dict) -> list[str]:
    failures = []
    fired = {finding.rule.id for finding in findings}
    if "fired" in expect and set(expect["fired"] or []) != fired:
        failures.append(f"fired {sorted(fired)}, expected {sorted(expect['fired'] or [])}")
    for rule_id in expect.get("not_fired") or []:
        if rule_id in fired:
            failures.append(f"stream rule {rule_id!r} fired, expected it not to")
    if "findings" in expect and expect["findings"] != len(findings):
        failures.append(f"{len(findings)} stream findings, expected {expect['findings']}")
    if "route" in expect:
        requested = [finding.rule.route for finding in findings if finding.rule.route]
        route = max(requested, key=lambda name: routes.get(name, 0)) if requested else None
        if route != expect["route"]:
            failures.append(f"route {route!r}, expected {expect['route']!r}")
    if "flagged" in expect:
        flagged = sorted({finding.key for finding in findings if finding.rule.flag}, key=str)
        wanted = sorted(set(expect["flagged"] or []), key=str)
        if flagged != wanted:
            failures.append(f"flagged {flagged}, expected {wanted}")
    return failures
