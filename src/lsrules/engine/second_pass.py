"""The second pass: the verdict judges the corrected annotation, not the input.

When fixes changed something, the ruleset (the built-in pack included) runs once more on
the corrected annotation with fixes off. A first-pass finding is `fixed` when its rule no
longer fires on that item there (or the item is gone); what fires only there was brought
in by a fix and counts like any other finding. So a fix that writes a label the config
lacks, or moves a box out of the image, cannot make an annotation `fixed`.

Only the rules a correction could affect run again: the compiler's read/write analysis
(`dsl/compiler/effects.py`) says, per rule with a fix, which rules read what it writes. A
rule that reads none of it finds on the corrected annotation what it found the first time,
except on a region a fix dropped. The pack reads everything and always runs again.
"""
from __future__ import annotations

import json
from typing import Any, NamedTuple
from collections.abc import Hashable

from lsrules.dsl.budget import BudgetExceeded
from lsrules.dsl.regions import Region
from lsrules.engine.decision import Finding
from lsrules.engine.evaluation import Evaluation
from lsrules.engine.patch import unescape


def validate_fixes(engine: Any, state: Evaluation, pack_findings: list[Finding]) -> None:
    """Marks `state`'s findings fixed or not and adds those the fixes introduced.
    `engine` is the Engine (not imported: its module imports this one)."""
    if not state.patch_by_rule and not state.task_patch_by_rule:
        return
    fixers = tuple(dict.fromkeys([index for index, _ in state.patch_by_rule]
                                 + [index for index, _ in state.task_patch_by_rule]))
    plan = engine.rerun_plans.get(fixers)
    if plan is None:
        plan = engine.rerun_plans[fixers] = _plan(engine, fixers)
    introduced_by = list(plan.introduced_by)  # a list per decision
    if state.unsure or not engine.second_pass_shortcut:
        order, every, local = engine.every_rule_again, engine.all_rules, _NOWHERE
    else:
        order, every, local = plan.order, plan.every, plan.local
    task = corrected_task(state.task, state.task_patch)
    # the first pass's regions follow its writes (Evaluation._own_item, Region.changed,
    # drops and added items): the second pass reads them as they are
    reuse = engine.second_pass_shortcut
    second = Evaluation(engine, task, state.annotation, state.others,
                        (state.regions, state.relations) if reuse else None)
    if reuse and engine.uses_suggester:
        for region in second.regions:
            region.context = second
    second.steps = state.steps  # one budget for both passes
    # the regions (first items' identities) a fix wrote, for the rules that read only those
    written: frozenset[int] | set[int] = _NOWHERE
    only: list[Region] = []
    if local:
        written = {id(region.item) for region in state.written}
        only = [region for region in second.regions if id(region.item) in written]
    again = engine.again
    for index, on_written in order:  # in rule order, as the first pass and every-rule-again
        if on_written:
            again[index](second, only)
        else:
            again[index](second)
    state.steps = second.steps
    if second.steps < 0:
        raise BudgetExceeded("steps", engine.limits.steps)
    added: list[Finding] = []
    if engine.pack is not None:
        _judge_pack(engine, state, task, pack_findings, introduced_by, added)
    _judge_rules(engine, state, second, (every, local, written), pack_findings, introduced_by,
                 added)
    state.findings.extend(added)


class Plan(NamedTuple):
    """The second pass for one set of rules whose fixes ran (`_plan`)."""

    introduced_by: tuple[str, ...]  # the ids an introduced finding names, in first-write order
    order: tuple[tuple[int, bool], ...]  # (rule, only on the written regions?) in rule order
    every: frozenset[int]  # the rules run again on every region
    local: frozenset[int]  # those run again only on the regions a fix wrote


def _plan(engine: Any, fixers: tuple[int, ...]) -> Plan:
    """Which rules read what these fixes write (`Engine.affected`), worked out once per
    engine for each set of fixers (in the order they first wrote)."""
    rules = engine.rules
    affected = engine.affected
    every = {other for index in fixers for other in affected[index][0]}
    local = {other for index in fixers for other in affected[index][1]} - every
    return Plan(tuple(dict.fromkeys(rules[index].id for index in fixers)),
                tuple((index, index in local) for index in sorted(every | local)),
                frozenset(every), frozenset(local))


def _judge_pack(engine: Any, state: Evaluation, task: dict[str, Any],
                pack_findings: list[Finding], introduced_by: list[str],
                added: list[Finding]) -> None:
    still: dict[tuple[str, Hashable], int] = {}
    found_again = []
    for found in engine.pack.check(task, state.annotation):
        if not engine.keeps_pack_rule(found.rule_id):
            continue
        key = (found.rule_id, _key(found.region_id))
        still[key] = still.get(key, 0) + 1
        found_again.append((key, found))
    first: dict[tuple[str, Hashable], int] = {}
    for finding in pack_findings:
        key = (finding.rule, _key(finding.region_id))
        first[key] = first.get(key, 0) + 1
        if still.get(key, 0) > 0:
            still[key] -= 1
        else:
            finding.fixed = True
    for key, found in found_again:
        if first.get(key, 0) > 0:
            first[key] -= 1
            continue
        added.append(Finding(found.rule_id, engine.pack_severity(found.rule_id, found.severity),
                             found.message, found.region_id,
                             introduced_by_fix=introduced_by))
        state.fired.append(found.rule_id)


def _judge_rules(engine: Any, state: Evaluation, second: Evaluation,
                 rerun: tuple[frozenset[int], frozenset[int], frozenset[int] | set[int]],
                 pack_findings: list[Finding], introduced_by: list[str],
                 added: list[Finding]) -> None:
    """A region is the same in both passes when its first result item is the same object
    (the second pass reads the first pass's corrected items): ids may repeat or be null.
    `rerun`: the rules run again on every region, those run again on the regions a fix
    wrote, and those regions."""
    every, local, written = rerun
    index_of = engine.rule_index
    still: set[tuple[int, int]] = set()
    for index, region in second.again:
        still.add((index, _item(region)))
    rule_findings = state.findings[len(pack_findings):]
    assert len(rule_findings) == len(state.finding_regions)  # one region per rule finding
    first: set[tuple[int, int]] = set()
    for finding, region in zip(rule_findings, state.finding_regions):
        index = index_of[finding.rule]
        key = (index, _item(region))
        if index not in every and (index not in local or key[1] not in written):
            # it reads nothing a fix wrote (here): only a drop can change it
            finding.fixed = region is not None and region.dropped
            continue
        first.add(key)
        finding.fixed = key not in still
    rules = engine.rules
    firing = engine.firing
    for index, region in second.again:
        if (index, _item(region)) in first:
            continue
        rule = rules[index]
        try:
            message = firing[index][2](second, region)
        except BudgetExceeded:
            raise
        except Exception:  # a message must never stop the evaluation
            message = rule.description or f"rule {rule.id} failed"
        added.append(Finding(rule.id, rule.severity, message,
                             region.id if region is not None else None,
                             introduced_by_fix=introduced_by))
        state.fired.append(rule.id)
        if rule.route is not None:
            state.route_requests.append(index)


_NOWHERE: frozenset[int] = frozenset()  # no rule, no region


def _item(region: Region | None) -> int:
    """Which region: its first result item's identity (0 for the annotation itself)."""
    return 0 if region is None else id(region.item)


def corrected_task(task: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """The task with the fixes' `task.meta` writes (each an `add` under /meta) made."""
    if not operations:
        return task
    meta = task.get("meta")
    corrected = dict(task)
    corrected["meta"] = meta = json.loads(json.dumps(meta)) if isinstance(meta, dict) else {}
    for operation in operations:
        keys = [unescape(token) for token in operation["path"].split("/")[2:]]
        container = meta
        for key in keys[:-1]:
            following = container.get(key)
            if not isinstance(following, dict):
                following = container[key] = {}
            container = following
        container[keys[-1]] = operation["value"]
    return corrected


def _key(region_id: object) -> Hashable:
    """A region id as a dictionary key (an id from the data may be a list)."""
    try:
        hash(region_id)
    except TypeError:
        return ("unhashable", json.dumps(region_id, sort_keys=True, default=str))
    return region_id
