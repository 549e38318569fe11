"""Inline tests (`tests:` in a ruleset): evaluate each case and compare with `expect`."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsrules.diagnostics import TestResult
from lsrules.dsl.budget import BUDGET_RULE
from lsrules.engine.decision import ERROR_RULE, Decision, Finding

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
        if result.failures and not isinstance(test.expect.get("findings"), list):
            # what the decision holds, so the failure can be understood
            result.failures.extend(describe_findings(decision))
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
    expected_findings = expect.get("findings")
    if isinstance(expected_findings, list):
        failures.extend(compare_findings(expected_findings, decision.findings))
    elif "findings" in expect and expected_findings != len(decision.findings):
        failures.append(f"{len(decision.findings)} findings, expected {expected_findings}")
    return failures


# the keys a finding pattern of `expect: {findings: [...]}` may give, as the decision has them
FINDING_KEYS = ("rule", "region_id", "message", "severity", "fixed")


def compare_findings(patterns: list[dict[str, Any]], findings: list[Finding]) -> list[str]:
    """`findings: [{rule, region_id, message, ...}]`: exactly these findings, in any order;
    each pattern matches one finding on the keys it gives."""
    left = list(findings)
    failures = []
    for pattern in patterns:
        match = next((finding for finding in left if _matches(pattern, finding)), None)
        if match is None:
            failures.append(f"no finding {_pattern_text(pattern)}")
        else:
            left.remove(match)
    for finding in left:
        failures.append(f"unexpected finding {_finding_text(finding)}")
    return failures


def describe_findings(decision: Decision) -> list[str]:
    """One line per finding of the decision, or one saying there is none."""
    if not decision.findings:
        return ["the decision has no findings (no rule fired)"]
    return [f"found {_finding_text(finding)}" for finding in decision.findings]


def _matches(pattern: dict[str, Any], finding: Finding) -> bool:
    return all(getattr(finding, "rule" if key == "rule" else key) == pattern[key]
               for key in FINDING_KEYS if key in pattern)


def _pattern_text(pattern: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{key}: {pattern[key]!r}" for key in FINDING_KEYS
                           if key in pattern) + "}"


def _finding_text(finding: Finding) -> str:
    where = f" on region {finding.region_id!r}" if finding.region_id is not None else ""
    state = " (fixed)" if finding.fixed else (
        f" (introduced by the fix of {', '.join(finding.introduced_by_fix)})"
        if finding.introduced_by_fix else "")
    return f"{finding.rule} ({finding.severity}){where}{state}: {finding.message!r}"
