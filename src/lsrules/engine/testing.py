"""Inline tests (`tests:` in a ruleset): evaluate each case and compare with `expect`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsrules.diagnostics import TestResult
from lsrules.dsl.budget import BUDGET_RULE
from lsrules.engine.decision import ERROR_RULE, Decision

if TYPE_CHECKING:
    from lsrules.engine.engine import Engine


def run_inline_tests(engine: Engine) -> list[TestResult]:
    results = []
    for test in engine.ruleset.tests:
        result = TestResult(engine.ruleset.path, test.name, test.location, "passed")
        try:
            decision = engine.evaluate(test.task, test.annotation, test.others)
        except Exception as error:  # a test case with unusable data is a test error
            result.status = "error"
            result.failures.append(f"{type(error).__name__}: {error}")
            results.append(result)
            continue
        unevaluated = [finding.message for finding in decision.findings
                       if finding.rule in (BUDGET_RULE, ERROR_RULE)]
        if unevaluated:  # the test's data made the engine give up: an error, not a verdict
            result.status = "error"
            result.failures.extend(unevaluated)
            results.append(result)
            continue
        result.failures = compare(test.expect, decision)
        result.status = "failed" if result.failures else "passed"
        result.fired = sorted(set(decision.fired))
        results.append(result)
    return results


def compare(expect: dict[str, Any], decision: Decision) -> list[str]:
    failures = []
    if "verdict" in expect and expect["verdict"] != decision.verdict:
        failures.append(f"verdict {decision.verdict!r}, expected {expect['verdict']!r}")
    fired = set(decision.fired)
    if "fired" in expect and set(expect["fired"] or []) != fired:
        failures.append(f"fired {sorted(fired)}, expected {sorted(expect['fired'] or [])}")
    for rule_id in expect.get("not_fired") or []:
        if rule_id in fired:
            failures.append(f"rule {rule_id!r} fired, expected it not to")
    if "route" in expect:
        route = decision.route["name"] if decision.route else None
        if route != expect["route"]:
            failures.append(f"route {route!r}, expected {expect['route']!r}")
    if "patch" in expect and expect["patch"] != decision.patch:
        failures.append(f"patch {decision.patch}, expected {expect['patch']}")
    if "findings" in expect and expect["findings"] != len(decision.findings):
        failures.append(f"{len(decision.findings)} findings, expected {expect['findings']}")
    return failures
