"""Rules -> Python functions: `evaluate(state)` inline, and each rule's rarely used helpers.

`evaluate(state)` runs every rule in file order inline (the hot loop). A rule's message,
fix, second pass (`again_N`: the rule once more, fixes off, on the corrected annotation)
and trace (for `explain`) are small functions written only when first needed (see
module.py). Each rule's where/when/assert go through the passes first:
geometry lowered (lowering.py), invariant parts and columns found (hoisting.py); with
`optimize=False` both are skipped and any/all/none stay expressions instead of loops.
"""
from __future__ import annotations

from typing import Protocol, Sequence

from lsrules.dsl import nodes
from lsrules.dsl.compiler.expressions import ExpressionGenerator
from lsrules.dsl.compiler.frame import Frame
from lsrules.dsl.compiler.hoisting import cannot_raise, rule_invariants
from lsrules.dsl.compiler.lowering import lower_geometry


class CheckedExpression(Protocol):
    @property
    def node(self) -> nodes.Node: ...


class CheckedMessage(Protocol):
    @property
    def parts(self) -> Sequence[str | CheckedExpression]: ...


class CheckedRule(Protocol):
    """What the code generator reads of a rule (lsrules.ruleset.model.Rule)."""

    @property
    def id(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def description(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def where(self) -> CheckedExpression | None: ...
    @property
    def when(self) -> CheckedExpression | None: ...
    @property
    def assert_(self) -> CheckedExpression | None: ...
    @property
    def message(self) -> CheckedMessage | None: ...
    @property
    def fix(self) -> Sequence[CheckedExpression]: ...


class CheckedRuleset(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def rules(self) -> Sequence[CheckedRule]: ...


class CodeGenerator(ExpressionGenerator):
    """Writes a ruleset's module: `evaluate`, then each rule's helpers on demand."""

    def __init__(self, ruleset: CheckedRuleset, optimize: bool = True) -> None:
        super().__init__(optimize, getattr(ruleset, "config", None))
        self.ruleset = ruleset
        self.used_names = used_names(ruleset)

    def generate(self) -> str:
        """The source of `evaluate(state)`."""
        self.lines = []
        self.write("def evaluate(state):", 0)
        self.prologue(1)
        self.write("fire = state.fire", 1)
        start = self.settling()
        for rule in self.ruleset.rules:
            self.rule_inline(rule)
        self.settle(start, 1)
        self.write("return None", 1)
        return "\n".join(self.lines) + "\n"

    def helper_source(self, rule: CheckedRule) -> str:
        """The source of one rule's rarely used functions (see module.py)."""
        self.lines = []
        self.upfront = None  # even if writing an earlier function failed half way
        self.rule_functions(rule)
        return "\n".join(self.lines) + "\n"

    def prologue(self, indent: int) -> None:
        self.write("task = state.task; annotation = state.annotation; regions = state.regions",
                   indent)
        self.write("relations = state.relations; others = state.others; config = state.config",
                   indent)
        if "annotator" in self.used_names:
            self.write("annotator = state.annotator()", indent)
        if "suggestion" in self.used_names:
            self.write("suggestion = state.suggestion()", indent)

    def lowered(self, rule: CheckedRule, frame: Frame) -> list[nodes.Node | None]:
        """The rule's where, when and assert, with geometry lowered when optimizing."""
        return [None if part is None else self.lower(part.node, frame)
                for part in (rule.where, rule.when, rule.assert_)]

    def lower(self, node: nodes.Node, frame: Frame) -> nodes.Node:
        return lower_geometry(node, frame.region_names) if self.optimize else node

    def rule_inline(self, rule: CheckedRule, fixes: bool = True) -> None:
        """The rule's loop at indent 1. With `fixes`, a firing calls `fire` (message, fix,
        route); without (the second pass), it calls `found`, which only records."""
        self.write(f"# rule {rule.index}: {rule.id!r}", 1)  # user text: only as a repr
        start = len(self.lines)
        if rule.scope == "region":
            self.write(f"for region in {self.charged('regions', True)}:", 1)
        else:
            self.write("for region in _NO_REGION:", 1)
        changes = fixes and bool(rule.fix)
        drops = changes and any(isinstance(action.node, (nodes.DropRegion, nodes.AddItem))
                                for action in rule.fix)
        # after a drop, later items of this loop (and later rules) no longer see the region;
        # a region an item adds, only later rules see
        if not fixes:
            on_fire = f"found({rule.index}, region)"
        elif drops:
            on_fire = f"fire({rule.index}, region); {self.regions_after_fix()}"
        else:
            on_fire = f"fire({rule.index}, region)"
        # columns (see hoisting.column_plan) hold for one rule's loop, when nothing changes
        # in it
        frame = Frame.for_rule(rule.scope, columns=not changes, in_loop=True)
        parts = self.lowered(rule, frame)
        before = []
        if self.optimize and rule.scope == "region" and not changes:
            # the parts that do not depend on the region (`len(task.data.text)`) and cannot
            # raise, once before the loop (the rule changes nothing while it runs)
            names: dict[str, str] = {}  # the same text computes the same value: once
            for part in rule_invariants([part for part in parts if part is not None], frame):
                text = self.visit(part, frame)
                if text not in names:
                    names[text] = self.temp()
                    before.append(f"    {names[text]} = {text}")
                frame = frame.hoisting({id(part): names[text]})
        self.rule_body(parts, frame, 2, on_fire=on_fire)
        if frame.columns:
            before.append("    " + " = ".join(frame.columns) + " = None")
        self.lines[start:start] = before

    def rule_body(self, parts: Sequence[nodes.Node | None], frame: Frame, indent: int,
                  on_fire: str, skip: str = "continue") -> None:
        where, when, assert_ = parts
        if where is not None:
            self.guard(where, frame, True, skip, skip, indent)
        if when is not None:
            self.guard(when, frame, True, skip, skip, indent)
        if assert_ is not None:
            self.guard(assert_, frame, False, skip, "pass", indent)
        self.write(on_fire, indent)

    def guard(self, node: nodes.Node, frame: Frame, negate: bool, then: str, on_error: str,
              indent: int) -> None:
        """`if (not) <truth of node>: then`, inside the rule's try. When optimizing, a
        condition that is one any/all/none is written as a `for` loop with `break`
        (statements, not a generator: no frame resumed per item, and its temporaries are
        the function's plain locals)."""
        self.write("try:", indent)
        if (self.optimize and isinstance(node, nodes.Comprehension)
                and node.kind in ("any", "all", "none")):
            truth = self.loop_statements(node, frame, indent + 1)
        else:
            truth = self.truth(node, frame)
        self.write(f"if {'not ' if negate else ''}{truth}: {then}", indent + 1)
        self.write("except _DATA_ERRORS:", indent)
        self.write(on_error, indent + 1)

    def loop_statements(self, node: nodes.Comprehension, frame: Frame, indent: int) -> str:
        """Writes any/all/none as a loop; returns the name (or `not` name) of its truth."""
        loop = self.loop(node, frame)
        for name, text in loop.bound:
            self.write(f"{name} = {text}", indent)
        if loop.held:
            self.held_statements(loop.held, indent)
        flag = self.temp()
        self.write(f"{flag} = {loop.kind == 'all'}", indent)
        self.write(f"for {loop.target} in {loop.iterable}:", indent)
        if loop.condition:
            self.write(f"if not ({loop.condition}): continue", indent + 1)
        if loop.kind == "all":
            self.write(f"if not ({loop.element}): {flag} = False; break", indent + 1)
            return flag
        self.write(f"if {loop.element}: {flag} = True; break", indent + 1)
        return flag if loop.kind == "any" else f"(not {flag})"

    def rule_functions(self, rule: CheckedRule) -> None:
        index = rule.index
        frame = Frame.for_rule(rule.scope)
        # the second pass: the rule once more on the corrected annotation, fixes off
        # `only`: the regions a fix wrote, for a rule that reads nothing but its own region
        self.write(f"def again_{index}(state, only=None):", 0)
        self.prologue(1)
        self.write("if only is not None: regions = only", 1)
        self.write("found = state.found", 1)
        start = self.settling()
        self.rule_inline(rule, fixes=False)
        self.settle(start, 1)
        self.write("return None", 1)
        # trace, for `lsrules explain`: the values of where, when and assert
        self.write(f"def trace_{index}(state, region):", 0)
        self.prologue(1)
        self.write("values = []", 1)
        for part in (rule.where, rule.when, rule.assert_):
            if part is None:
                self.write("values.append('-')", 1)
                continue
            self.write("try:", 1)
            self.write(f"values.append({self.visit(part.node, frame)})", 2)
            self.write("except _DATA_ERRORS:", 1)
            self.write("values.append(None)", 2)
        self.write("return values", 1)
        # message
        self.write(f"def message_{index}(state, region):", 0)
        self.prologue(1)
        if rule.message is None:
            default = rule.description or f"rule {rule.id} failed"
            self.write(f"return {default!r}", 1)
        elif not self.optimize:
            pieces = [repr(piece) if isinstance(piece, str) else
                      f"_text_or_null(lambda: {self.visit(piece.node, frame)})"
                      for piece in rule.message.parts]
            self.write("return ''.join([" + ", ".join(pieces) + "])", 1)
        else:
            # each placeholder computed in the function's body, before the join: no thunk,
            # and its loops pay as `evaluate`'s do (`settling`)
            pieces = []
            start = self.settling()
            for piece in rule.message.parts:  # a message often repeats the assert's
                if isinstance(piece, str):  # geometry: written inline as there
                    pieces.append(repr(piece))
                    continue
                node = self.lower(piece.node, frame)
                name = f"_m{len(pieces)}"
                pieces.append(name)
                if cannot_raise(node):  # nothing to catch while computing it
                    self.write(f"{name} = _text_of({self.visit(node, frame)})", 1)
                    continue
                self.write("try:", 1)
                self.write(f"{name} = _to_text({self.visit(node, frame)})", 2)
                self.write("except _DATA_ERRORS:", 1)
                self.write(f"{name} = 'null'", 2)
            self.settle(start, 1)
            self.write("return ''.join([" + ", ".join(pieces) + "])", 1)
        # fix
        self.write(f"def fix_{index}(state, region):", 0)
        self.prologue(1)
        if not rule.fix:
            self.write("return None", 1)
        for action in rule.fix:
            node = action.node
            if isinstance(node, nodes.SetAction):
                self.write("try:", 1)
                self.write(f"_value = {self.visit(node.value, frame)}", 2)
                self.write("except _DATA_ERRORS:", 1)
                self.write("_value = None", 2)
                self.write(f"state.set_value(region, {node.target!r}, _value, {index})", 1)
            elif isinstance(node, nodes.DropRegion):
                self.write(f"state.drop_region(region, {index})", 1)
                self.write("return None", 1)
            elif isinstance(node, (nodes.AddLabel, nodes.RemoveLabel)):
                method = "add_label" if isinstance(node, nodes.AddLabel) else "remove_label"
                self.write("try:", 1)
                self.write(f"_value = {self.visit(node.value, frame)}", 2)
                self.write("except _DATA_ERRORS:", 1)
                self.write("_value = None", 2)
                self.write(f"state.{method}(region, _value, {index})", 1)
            elif isinstance(node, nodes.AddItem):
                assert isinstance(node.control, nodes.Literal)  # the parser and ast_json's
                self.write("try:", 1)
                self.write(f"_value = {self.visit(node.value, frame)}", 2)
                self.write("except _DATA_ERRORS:", 1)
                self.write("_value = None", 2)
                self.write(f"state.add_item(region, {node.control.value!r}, _value, {index})", 1)
            self.write("regions = state.regions; annotation = state.annotation", 1)


def used_names(ruleset: CheckedRuleset) -> set[str]:
    """Every name the ruleset's expressions read (`annotator`, `others`: fetched only then)."""
    used: set[str] = set()
    for rule in ruleset.rules:
        expressions = [rule.where, rule.when, rule.assert_, *rule.fix]
        if rule.message is not None:
            expressions += [part for part in rule.message.parts if not isinstance(part, str)]
        for expression in expressions:
            if expression is not None:
                for node in expression.node.walk():
                    if isinstance(node, nodes.Name):
                        used.add(node.name)
    return used
