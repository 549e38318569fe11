"""What every contender reads from ruleset.yaml (ids, severities, routes, scopes), the
shared decision step for contenders that only produce findings, and the normalized form
in which all contenders' outputs are compared."""
from __future__ import annotations

from pathlib import Path

import yaml

RULESET_PATH = Path(__file__).with_name("ruleset.yaml")
_DOCUMENT = yaml.safe_load(RULESET_PATH.read_text())
RULES: list[dict] = _DOCUMENT["rules"]
RULE_IDS: list[str] = [rule["id"] for rule in RULES]
SEVERITY = {rule["id"]: rule.get("severity", "error") for rule in RULES}
ROUTE = {rule["id"]: rule.get("route") for rule in RULES}
PRIORITY = {name: spec["priority"] for name, spec in _DOCUMENT["routes"].items()}
FIX_RULE = "box-label-alias"


def decide(findings: list, fixes: list) -> tuple[str | None, str]:
    """(route name, verdict) from findings `(rule, severity, message, region_id, fixed)`,
    with lsrules' precedence: reject > review > fixed > accept; the highest priority
    route wins, the first one on a tie."""
    best = None
    rejected = False
    for rule, severity, _message, _region, fixed in findings:
        if severity == "error" and not fixed:
            rejected = True
        route = ROUTE[rule]
        if route is not None and (best is None or PRIORITY[route] > PRIORITY[best]):
            best = route
    if rejected:
        return best, "reject"
    if best is not None:
        return best, "review"
    return None, "fixed" if fixes else "accept"


def normalized(findings, route, verdict, fixes) -> tuple:
    """The comparable form: sorted (rule, region) pairs, route, verdict, sorted fixes."""
    return (tuple(sorted(findings, key=repr)), route, verdict, tuple(sorted(fixes, key=repr)))


def normalize_output(output: dict, task: dict, annotation: dict) -> tuple:
    """`normalized` for a contender whose output is {findings, patch, route, verdict}, with
    findings as (rule, severity, message, region id, fixed) and fixes as JSON Patch ops."""
    result = annotation["result"]
    fixes = [(result[int(op["path"].split("/")[2])]["id"], op["value"])
             for op in output["patch"]]
    return normalized([(f[0], f[3]) for f in output["findings"]], output["route"],
                      output["verdict"], fixes)


def contexts(task: dict, annotation: dict) -> tuple[dict, list[dict]]:
    """The data an annotation-scoped rule sees, and one per region for region-scoped ones."""
    regions = [item for item in annotation.get("result") or [] if item.get("type") != "relation"]
    whole = {"regions": regions, "task": task, "annotation": annotation}
    return whole, [dict(whole, region=region) for region in regions]


def subset_yaml(rule_ids) -> str:
    """ruleset.yaml with only the given rules (same order), for like-for-like timing."""
    keep = set(rule_ids)
    document = dict(_DOCUMENT, rules=[rule for rule in RULES if rule["id"] in keep])
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)
