"""`lsrules explain`: a readable trace of every rule on one task of an export."""
from __future__ import annotations

import json

from lsrules.dsl.runtime import to_text
from lsrules.errors import LsrulesError
from lsrules.ruleset.containment import add_allow_outside_root_argument
from lsrules.terminal import visible


def add_arguments(parser) -> None:
    parser.add_argument("ruleset", metavar="RULESET", help="the ruleset to trace")
    parser.add_argument("--input", "-i", required=True, metavar="EXPORT",
                        help="Label Studio export (JSON, JSON_MIN, JSONL) holding the task")
    parser.add_argument("--task", required=True, help="task id")
    parser.add_argument("--annotation", help="annotation id (default: every annotation)")
    parser.add_argument("--config", help="labeling config XML (overrides labeling_config:)")
    add_allow_outside_root_argument(parser)
    parser.add_argument("--source", action="store_true", help="also print the generated Python")


def run(args) -> int:
    import lsrules
    from lsrules.engine.evaluation import Evaluation
    from lsrules.exports.reader import iter_annotations

    engine = lsrules.load(args.ruleset, config=args.config,
                          allow_outside_root=args.allow_outside_root)
    found = 0
    with iter_annotations(args.input, labeling_config=engine.config, strict_items=False) as reader:
        for item in reader:
            if str(item.task.get("id")) != args.task:
                continue
            if args.annotation and str(item.annotation.get("id")) != args.annotation:
                continue
            found += 1
            explain_one(engine, item, Evaluation)
    if not found:
        which = f"annotation {args.annotation}" if args.annotation else "annotation"
        raise LsrulesError(f"no {which} of task {args.task} in the export", args.input)
    if args.source:
        print(engine.source)
    return 0


def explain_one(engine, item, evaluation_class) -> None:
    """Each rule on each region: its where/when/assert on the input, and what the decision
    holds for it (the same decision `run` and `serve` make: fixes validated, see
    engine/second_pass.py), so a line says FIRES exactly when the decision has that finding."""
    task, annotation = item.task, item.annotation
    _say(f"task {task.get('id')} · annotation {annotation.get('id')} · "
          f"annotator {annotation.get('completed_by')}")
    decision = engine.evaluate(task, annotation, item.others)
    held: dict[tuple[str, str], list] = {}
    for finding in decision.findings:
        held.setdefault((finding.rule, repr(finding.region_id)), []).append(finding)
    remaining_ids = _region_ids(annotation, decision)
    try:
        _trace(engine, item, evaluation_class, held, remaining_ids)
    except Exception as error:  # noqa: BLE001 - the trace stops; the decision says why
        _say(f"  (the trace stops here: {type(error).__name__}: {error})")
    _say(f"  verdict: {decision.verdict}")
    for finding in decision.findings:
        _say(f"    finding {finding.rule} [{finding.severity}] {finding.message}"
              f"{_marks(finding)}")
    if decision.patch:
        _say("  patch:")
        for operation in decision.patch:
            _say(f"    {json.dumps(operation, ensure_ascii=False)}")
    if decision.route:
        _say(f"  route: {decision.route['name']} (priority {decision.route['priority']}, "
              f"by {', '.join(decision.route['rules'])})")


def _trace(engine, item, evaluation_class, held, remaining_ids) -> None:
    """Each rule's where/when/assert on each item; a budget the rules exceed stops it."""
    task, annotation = item.task, item.annotation
    engine.check_region_cap(annotation)
    state = evaluation_class(engine, task, annotation, item.others)
    trace = engine.namespace
    _say("  (where, when, assert: their values on the input; after the arrow: the decision)")
    for rule in engine.rules:
        _say(f"  rule {rule.id} [{rule.severity}] for: {rule.scope}")
        items = state.regions if rule.scope == "region" else [None]
        for region in items:
            where, when, assertion = trace[f"trace_{rule.index}"](state, region)
            label = f"region {region.id} ({region.type}, {region.label})" if region else "annotation"
            parts = []
            if where != "-":
                parts.append(f"where={_show(where)}")
            if when != "-":
                parts.append(f"when={_show(when)}")
            if assertion != "-":
                parts.append(f"assert={_show(assertion)}")
            found = held.get((rule.id, repr(region.id if region else None)))
            outcome = _outcome(found.pop(0)) if found else "ok"
            if not found and region is not None and repr(region.id) not in remaining_ids:
                outcome += " (a fix dropped the region)"
            _say(f"    {label}: {' '.join(parts)} -> {outcome}")


def _outcome(finding) -> str:
    return "FIRES" + _marks(finding)


def _marks(finding) -> str:
    if finding.introduced_by_fix:
        return f" (introduced by the fix of {', '.join(finding.introduced_by_fix)})"
    return " (fixed)" if finding.fixed else ""


def _region_ids(annotation, decision) -> set[str]:
    """The region ids (as reprs) of the corrected annotation."""
    from lsrules.engine.patch import apply_patch

    corrected = apply_patch(annotation, decision.patch) if decision.patch else annotation
    result = corrected.get("result")
    return {repr(item.get("id")) for item in result if isinstance(item, dict)} \
        if isinstance(result, list) else set()


def _say(line: str) -> None:
    """Ids, labels, messages and values come from the ruleset and the data."""
    print(visible(line))


def _show(value) -> str:
    return to_text(value)
