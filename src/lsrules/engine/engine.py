"""The engine: a compiled ruleset that turns (task, annotation) into a Decision.

Everything that can be done once per ruleset (parsing, checking, code generation, the
labeling-config pack, regexes) is done in `Engine.__init__`; `evaluate` runs the compiled
function and assembles the record.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsrules.version import __version__
from lsrules.dsl.budget import BUDGET_RULE, BudgetExceeded
from lsrules.engine.decision import ERROR_RULE, Decision, Finding
from lsrules.engine.evaluation import Evaluation
from lsrules.engine.second_pass import validate_fixes
from lsrules.errors import LsrulesError

if TYPE_CHECKING:
    from lsrules.diagnostics import Diagnostic
    from lsrules.packs.builtin import LabelingConfigPack
    from lsrules.ruleset.model import Ruleset
    from lsrules.ruleset.selection import Selection
    from lsrules.suggest import Suggester

def _shortened(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def check_and_load(path: str | Path, config_path: str | Path | None = None,
                   use_cache: bool = True, allow_outside_root: bool = False,
                   ) -> tuple[Ruleset, list[Diagnostic]]:
    """Load and statically check one ruleset: (ruleset, diagnostics)."""
    from lsrules.ruleset.checks import check_ruleset
    from lsrules.ruleset.loader import load_ruleset

    ruleset, diagnostics = load_ruleset(path, config_path, use_cache=use_cache,
                                        allow_outside_root=allow_outside_root)
    diagnostics.extend(check_ruleset(ruleset))
    return ruleset, diagnostics


def load_engine(*paths: str | Path, config: str | Path | None = None,
                suggester: Suggester | None = None,
                selection: Selection | None = None, optimize: bool = True,
                allow_outside_root: bool = False) -> Engine:
    """`selection` (a `lsrules.ruleset.selection.Selection`) keeps only some rules;
    `allow_outside_root` lets the ruleset name files outside its project root."""
    if len(paths) != 1:
        raise LsrulesError("lsrules.load takes one ruleset file")
    ruleset, diagnostics = check_and_load(paths[0], config,
                                          allow_outside_root=allow_outside_root)
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run `lsrules check`)" if len(errors) > 1 else ""
        raise LsrulesError(f"{first.code}: {first.message}{more}", first.location)
    if selection:
        from lsrules.ruleset.selection import rule_names

        pack_ids = _pack_rule_ids() if "builtin:labeling-config" in ruleset.extends else []
        selection.require_known(rule_names([*ruleset.rules, *ruleset.streams]) | set(pack_ids))
        kept = [rule for rule in ruleset.rules if selection.keeps_rule(rule)]
        # a rule's index is its place in the list the generated code calls back into
        ruleset.rules = [dataclasses.replace(rule, index=index) for index, rule in enumerate(kept)]
        ruleset.streams = [rule for rule in ruleset.streams if selection.keeps_rule(rule)]
        engine = Engine(ruleset, suggester=suggester, optimize=optimize)
        engine.pack_rules = frozenset(i for i in pack_ids if selection.keeps([i]))
        return engine
    return Engine(ruleset, suggester=suggester, optimize=optimize)


def _pack_rule_ids() -> list[str]:
    from lsrules.ruleset.packs import LABELING_CONFIG_RULES

    return [rule.id for rule in LABELING_CONFIG_RULES]


class Engine:
    """A ruleset compiled once, ready to judge any number of annotations (`lsrules.load`
    makes one; `run`, `serve` and `explain` all judge through one).

    What callers read: `name`, `version` and `sha256` (the ruleset's, as in every decision's
    audit block), `routes` (`{name: priority}`), `rule_ids` (every rule that can fire, the
    built-in pack's first), `ruleset` (the loaded model) and `suggester` (None without a
    `suggester:` block).

    Threads: `evaluate` changes nothing an evaluation reads (its only shared write is a
    cache of values that are the same whoever computes them), so several threads may call
    it at once; the interpreter's lock makes that no faster, so `run --jobs` uses processes.
    `learn` changes the suggester: do not call it while another thread evaluates.
    """

    def __init__(self, ruleset: Ruleset, suggester: Suggester | None = None,
                 optimize: bool = True) -> None:
        """`optimize=False` compiles the plain form of the rules (same findings, slower)."""
        from lsrules.engine.compiling import compile_everything

        self.ruleset = ruleset
        self.name = ruleset.name
        self.version = ruleset.version
        self.sha256 = ruleset.sha256
        self.rules = ruleset.rules
        self.routes = dict(ruleset.routes)
        self.config = ruleset.config
        self.limits = ruleset.limits
        # a dict with attributes (used_names, ...); every rule's functions compiled now
        self.namespace = compile_everything(ruleset, optimize)
        self._evaluate = self.namespace["evaluate"]
        self.pack: LabelingConfigPack | None = None
        if "builtin:labeling-config" in ruleset.extends and ruleset.config is not None:
            from lsrules.packs.builtin import LabelingConfigPack

            self.pack = LabelingConfigPack(ruleset.config)
        self.pack_rules: frozenset[str] | None = None  # None: all (else a selection's)
        self.rule_ids = ([*self.pack.RULES] if self.pack else []) + [r.id for r in self.rules]
        self.policies = [ruleset.fix_policy(rule) for rule in self.rules]
        self.rule_index = {rule.id: position for position, rule in enumerate(self.rules)}
        # per rule, what `Evaluation.fire` needs, looked up once here rather than per finding
        namespace = self.namespace
        self.firing = [(rule.id, rule.severity, namespace[f"message_{index}"],
                        namespace[f"fix_{index}"] if rule.fix else None,
                        rule.route is not None, rule.description)
                       for index, rule in enumerate(self.rules)]
        self.affected = _affected_rules(self.rules)
        self.again = [namespace[f"again_{index}"] for index in range(len(self.rules))]
        # the fixers of an annotation (a tuple) -> second_pass._plan's answer for them
        self.rerun_plans: dict[tuple[int, ...], Any] = {}
        # the second pass without the read/write shortcut: every rule, on every region
        self.every_rule_again = tuple((index, False) for index in range(len(self.rules)))
        self.all_rules = frozenset(range(len(self.rules)))
        # False: the second pass runs every rule again, on regions built afresh (the tests
        # compare the two)
        self.second_pass_shortcut = True
        self.suggester = suggester
        if suggester is None and ruleset.suggester is not None:
            self.suggester = _open_suggester(ruleset)
        self.uses_suggester = self.suggester is not None
        # a caller that must fetch the task's other annotations (serve) does so only then
        self.uses_others = "others" in self.namespace.used_names

    @property
    def source(self) -> str:
        """The generated Python source (for `lsrules explain --source` and debugging)."""
        source: str = self.namespace["__source__"]
        return source

    def evaluate(self, task: dict[str, Any], annotation: dict[str, Any],
                 others: list[dict[str, Any]] | None = None) -> Decision:
        """The decision on one annotation of a task: its findings, the patch of its
        corrections, its route and verdict.

        `task` and `annotation` are Label Studio's JSON as exported (`task["data"]`,
        `annotation["result"]`, ...); `others` are the task's other annotations, which rules
        read as `others` (`engine.uses_others` says whether any does). Nothing given is
        changed: the fixes are in `Decision.patch`, to apply or not.

        Fails closed: an annotation the engine cannot evaluate (over the ruleset's
        `limits:`, or data that breaks a rule in a way the checks could not foresee) gets
        `review` and one finding that says why (`lsrules-budget`, `lsrules-error`), here,
        so that run, serve and explain agree. Raises `LsrulesError` only when `task` or
        `annotation` is not a dict. Deterministic: the same engine and inputs give the same
        decision, but for `Decision.time` and `Decision.duration_us`."""
        started = time.perf_counter_ns()
        if task.__class__ is not dict or annotation.__class__ is not dict:
            raise LsrulesError("a task and an annotation must be JSON objects")
        try:
            return self._evaluate_annotation(task, annotation, others, started)
        except BudgetExceeded as exceeded:
            return self._unevaluated(task, annotation, started, BUDGET_RULE, str(exceeded))
        except Exception as error:  # noqa: BLE001 - any failure on one annotation: review
            return self._unevaluated(task, annotation, started, ERROR_RULE,
                                     "the engine could not evaluate this annotation: "
                                     f"{type(error).__name__}: {_shortened(str(error))}")

    def _evaluate_annotation(self, task: dict[str, Any], annotation: dict[str, Any],
                             others: list[dict[str, Any]] | None, started: int) -> Decision:
        self.check_region_cap(annotation)
        state = Evaluation(self, task, annotation, others)
        findings = state.findings
        pack_findings = []
        if self.pack is not None:
            for found in self.pack.check(task, annotation):
                if not self.keeps_pack_rule(found.rule_id):
                    continue
                finding = Finding(found.rule_id, self.pack_severity(found.rule_id, found.severity),
                                  found.message, found.region_id)
                pack_findings.append(finding)
                findings.append(finding)
                state.fired.append(found.rule_id)
        self._evaluate(state)
        if state.steps < 0:  # spent where an error was caught (a message): still spent
            raise BudgetExceeded("steps", self.limits.steps)
        if state.patch_by_rule or state.task_patch_by_rule:  # a fix changed something
            validate_fixes(self, state, pack_findings)
        return self._decide(state, task, annotation, started)

    def keeps_pack_rule(self, rule_id: str) -> bool:
        """A pack rule runs unless the ruleset disables it or a selection leaves it out."""
        return rule_id not in self.ruleset.pack_disabled and (
            self.pack_rules is None or rule_id in self.pack_rules)

    def pack_severity(self, rule_id: str, usual: str) -> str:
        """The severity of a pack rule's findings: the ruleset's `overrides:`, else the pack's."""
        return self.ruleset.pack_severities.get(rule_id, usual)

    def check_region_cap(self, annotation: dict[str, Any]) -> None:
        """`BudgetExceeded` for an annotation with more result items than `limits.regions`."""
        result = annotation.get("result")
        if result.__class__ is list and len(result) > self.limits.regions:
            raise BudgetExceeded("regions", self.limits.regions,
                                 f"{len(result):,} result items: more than the budget of "
                                 f"{self.limits.regions:,} (limits.regions)")

    def _unevaluated(self, task: dict[str, Any], annotation: dict[str, Any],
                     started: int, rule: str, message: str) -> Decision:
        """The decision on an annotation the rules could not finish: `review`, one finding
        that says why, and no patch (a fix half made is not made)."""
        return Decision(
            task_id=task.get("id"), annotation_id=annotation.get("id"), verdict="review",
            findings=[Finding(rule, "warning", message)], patch=[], route=None,
            suggestions=[], ruleset=self.name, version=self.version, sha256=self.sha256,
            lsrules_version=__version__, rules=self.rule_ids, time=time.time(),
            duration_us=(time.perf_counter_ns() - started) // 1000, annotation=annotation,
            fired=[rule])

    def _decide(self, state: Evaluation, task: dict[str, Any], annotation: dict[str, Any],
                started: int) -> Decision:
        route = None
        if state.route_requests:
            best: tuple[str, int] | None = None
            names = []
            for rule_index in state.route_requests:
                rule = self.rules[rule_index]
                if rule.id not in names:
                    names.append(rule.id)
                requested = rule.route
                assert requested is not None  # only a rule with a route requests one
                priority = self.routes.get(requested, 0)
                if best is None or priority > best[1]:
                    best = (requested, priority)
            assert best is not None  # route_requests is not empty
            route = {"name": best[0], "priority": best[1], "rules": names}
        rejected = False
        for finding in state.findings:  # a loop, not any(generator): most lists are short
            if finding.severity == "error" and not finding.fixed:
                rejected = True
                break
        if rejected:
            verdict = "reject"
        elif route is not None:
            verdict = "review"
        elif state.patch or state.task_patch:
            verdict = "fixed"
        else:
            verdict = "accept"
        suggestions = []
        if self.suggester is not None:
            found = state.suggestion()
            if found["label"] is not None or found["confidence"] is not None:
                suggestions.append({"region_id": None, "label": found["label"],
                                    "confidence": found["confidence"],
                                    "candidate": found["candidate"],
                                    "model_version": found["model_version"] or ""})
        if state.patch_by_rule or state.task_patch_by_rule:
            policies = self.policies
            to_apply = [op for index, op in state.patch_by_rule if policies[index] == "apply"]
            task_to_apply = [op for index, op in state.task_patch_by_rule
                             if policies[index] == "apply"]
        else:
            to_apply = []
            task_to_apply = []
        # positional (in Decision's field order): keywords cost more than the rest of this
        return Decision(
            task.get("id"), annotation.get("id"), verdict, state.findings, state.patch, route,
            suggestions, self.name, self.version, self.sha256, __version__, self.rule_ids,
            time.time(), (time.perf_counter_ns() - started) // 1000, annotation, to_apply,
            state.task_patch, task_to_apply, state.fired)

    def learn(self, task: dict[str, Any], annotation: dict[str, Any],
              approved_by: str = "engine", prediction: dict[str, Any] | None = None) -> bool:
        """The feedback loop: an approved annotation teaches the suggester (`prediction`:
        the one the annotation started from, when the task does not list it). True when it
        taught; False without a suggester, or when the annotation teaches nothing (cancelled,
        or lsrules' own prediction submitted unchanged: docs/suggest.md). `approved_by`
        says why it counts as approved. Changes the suggester, so not while another thread
        evaluates; with a suggester, a task or annotation that is not a dict is an
        `LsrulesError`."""
        if self.suggester is None:
            return False
        return bool(self.suggester.learn(task, annotation, approved_by, prediction))


def _affected_rules(rules: list[Any]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Per rule with a fix: the rules that read what it writes (itself included, if so),
    as (those to run again on every region, those only on the regions a fix wrote)."""
    from lsrules.dsl.compiler.effects import any_meets, fix_writes, own_region_only, rule_reads

    reads = [rule_reads([part.node for part in (rule.where, rule.when, rule.assert_)
                         if part is not None], rule.scope) for rule in rules]
    affected = []
    for rule in rules:
        writes = fix_writes(action.node for action in rule.fix)
        every: list[int] = []
        written: list[int] = []
        for index, read in enumerate(reads):
            if not writes or not any_meets(read, writes):
                continue
            if rules[index].scope == "region" and own_region_only(read, writes):
                written.append(index)
            else:
                every.append(index)
        affected.append((tuple(every), tuple(written)))
    return affected


def _open_suggester(ruleset: Ruleset) -> Suggester:
    from lsrules.suggest import Suggester

    assert ruleset.suggester is not None  # called only when the ruleset has one
    settings = dict(ruleset.suggester)
    return Suggester.open(settings, Path(ruleset.path).parent)
