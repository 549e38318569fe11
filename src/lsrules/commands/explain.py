"""`lsrules explain`: a readable trace of every rule on one task of an export."""
from __future__ import annotations

import json

from lsrules.dsl.runtime import to_text
from lsrules.errors import LsrulesError
from lsrules.ruleset.containment import add_allow_outside_root_argument
from lsrules.terminal import visible


def add_arguments(parser) -> None:
    parser.add_argument("ruleset", metavar="RULESET")
    parser.add_argument("--input", "-i", required=True)
    parser.add_argument("--task", required=True, help="task id")
    parser.add_argument("--annotation", help="annotation id (default: every annotation)")
    parser.add_argument("--config")
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
    task, annotation = item.task, item.annotation
    _say(f"task {task.get('id')} · annotation {annotation.get('id')} · "
          f"annotator {annotation.get('completed_by')}")
    state = evaluation_class(engine, task, annotation, item.others)
    trace = engine.namespace
    for rule in engine.rules:
        _say(f"  rule {rule.id} [{rule.severity}] for: {rule.scope}")
        items = state.regions if rule.scope == "region" else [None]
        for region in items:
            where, when, assertion = trace[f"trace_{rule.index}"](state, region)
            fires = trace[f"check_{rule.index}"](state, region)
            label = f"region {region.id} ({region.type}, {region.label})" if region else "annotation"
            parts = []
            if where != "-":
                parts.append(f"where={_show(where)}")
            if when != "-":
                parts.append(f"when={_show(when)}")
            if assertion != "-":
                parts.append(f"assert={_show(assertion)}")
            _say(f"    {label}: {' '.join(parts)} -> {'FIRES' if fires else 'ok'}")
    decision = engine.evaluate(task, annotation, item.others)
    _say(f"  verdict: {decision.verdict}")
    for finding in decision.findings:
        _say(f"    finding {finding.rule} [{finding.severity}] {finding.message}"
              f"{' (fixed)' if finding.fixed else ''}")
    if decision.patch:
        _say("  patch:")
        for operation in decision.patch:
            _say(f"    {json.dumps(operation, ensure_ascii=False)}")
    if decision.route:
        _say(f"  route: {decision.route['name']} (priority {decision.route['priority']}, "
              f"by {', '.join(decision.route['rules'])})")


def _say(line: str) -> None:
    """Ids, labels, messages and values come from the ruleset and the data."""
    print(visible(line))


def _show(value) -> str:
    return to_text(value)
