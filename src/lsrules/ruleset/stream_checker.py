"""Static checks of stream rules: the DSL checker in the environment of a stream rule.

A stream rule sees `events` (the key's recent events), `event` (the one that just came)
and `key`, plus the functions `window("10m")` and `last(n)`; the per-annotation names
(`task`, `annotation`, `regions`, ...) are not in scope. Codes LSR141-LSR147.
"""
from __future__ import annotations

from typing import Any, Iterator

from lsrules.diagnostics import ERROR, Diagnostic
from lsrules.dsl import nodes
from lsrules.dsl.checker import ExpressionChecker, did_you_mean
from lsrules.dsl.names import ANY, ROOT_NAMES, STREAM_FUNCTIONS, STREAM_ROOT_NAMES
from lsrules.ruleset.stream_model import parse_duration

# fields a stream event does not keep (they would make every retained event large)
DROPPED_FIELDS = {"annotation": frozenset({"result"}),
                  "task": frozenset({"data", "annotations", "predictions", "drafts"})}
STREAM_EXPECTATIONS = frozenset({"fired", "not_fired", "findings", "route", "flagged"})


class StreamExpressionChecker(ExpressionChecker):
    """Checks one expression of a stream rule; records the literal windows it asks for."""

    def __init__(self, expression, rule, config, definitions=None):
        super().__init__(expression, rule, config, dict(STREAM_ROOT_NAMES),
                         definitions=definitions)
        self.types: dict[int, str] = {}

    def check_definition_scope(self, name, definition, node) -> str:
        """A definition serves a stream rule when it reads only its parameters."""
        if definition.reads:
            read = sorted(definition.reads)[0]
            self.report("LSR143", f"`{name}` reads `{read}`, which a stream rule does not "
                        "see: give it what it needs as arguments (`slow(e)` for `e` in "
                        "`window(\"10m\")`)", node)
        return definition.returns

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> str:
        kind = super().visit(node, *args, **kwargs)
        self.types[id(node)] = kind
        return kind

    def visit_Name(self, node: nodes.Name) -> str:
        if node.name not in self.environment and (node.name in ROOT_NAMES
                                                  or node.name == "region"):
            self.report("LSR143", f"a stream rule sees events, not `{node.name}`: write "
                        f"`event.{_event_field(node.name)}` (the event that just came) or "
                        f"`e.{_event_field(node.name)}` in `... for e in window(\"10m\")`", node)
            return ANY
        return super().visit_Name(node)

    def visit_Attribute(self, node: nodes.Attribute) -> str:
        kind = super().visit_Attribute(node)
        owner = node.value
        if (isinstance(owner, nodes.Attribute) and self.types.get(id(owner.value)) == "event"
                and node.name in DROPPED_FIELDS.get(owner.name, ())):
            self.report("LSR144", f"stream events do not keep `{owner.name}.{node.name}` "
                        "(to keep their state small); use `labels`, `label` or "
                        f"`{owner.name}` fields", node, offset=node.name_span.start)
        return kind

    def visit_Call(self, node: nodes.Call) -> str:
        if node.function not in STREAM_FUNCTIONS:
            return super().visit_Call(node)
        argument = node.arguments[0] if len(node.arguments) == 1 else None
        value = argument.value if isinstance(argument, nodes.Literal) else None
        if node.function == "window":
            seconds = parse_duration(value)
            if seconds is None or seconds <= 0:
                self.report("LSR141", '`window` takes one duration literal, e.g. '
                            '`window("10m")` (units ms, s, m, h, d)', argument or node)
            elif self.rule.window is not None and seconds > self.rule.window:
                self.report("LSR142", f"`window({value!r})` reaches further back than the "
                            "rule's `window:`, beyond which events are not kept", argument or node)
        else:
            if type(value) is not int or value < 1:
                self.report("LSR141", "`last` takes one positive whole number literal, e.g. "
                            "`last(3)`", argument or node)
            elif value > self.rule.limit:
                self.report("LSR142", f"`last({value})` asks for more events than the rule's "
                            f"`limit:` ({self.rule.limit}) keeps", argument or node)
        return "events"


def _event_field(name: str) -> str:
    return name if name in ("task", "annotation") else "labels" if name in (
        "regions", "region") else "annotator" if name == "annotator" else "annotation"


def check_streams(ruleset, rule_ids, definitions=None) -> Iterator[Diagnostic]:
    """Every static problem of the `streams:` section and of the stream tests."""
    document = ruleset.document
    seen: dict[str, object] = {}
    for rule in ruleset.streams:
        if rule.id in seen or rule.id in rule_ids:
            yield Diagnostic("LSR145", f'duplicate rule id "{rule.id}" (rule and stream rule '
                             "ids share one namespace)", rule.location, ERROR, rule.id)
        seen[rule.id] = rule
        if rule.route is not None and rule.route not in ruleset.routes:
            yield Diagnostic("LSR146", f'route "{rule.route}" is not declared under `routes:`',
                             document.locate(("streams", rule.index, "route")), ERROR, rule.id,
                             did_you_mean(rule.route, ruleset.routes))
        expressions = [rule.when] if rule.when is not None else []
        if rule.message is not None:
            expressions += [part for part in rule.message.parts if not isinstance(part, str)]
        for expression in expressions:
            checker = StreamExpressionChecker(expression, rule, ruleset.config, definitions)
            checker.run(expression.as_written)
            yield from checker.diagnostics
    for test in ruleset.stream_tests:
        yield from _check_test(test, seen, ruleset)


def _check_test(test, stream_rules, ruleset) -> Iterator[Diagnostic]:
    document = ruleset.document
    if not test.events:
        yield Diagnostic("LSR147", f'stream test "{test.name}" has no events', test.location)
    for position, event in enumerate(test.events):
        if not isinstance(event.get("annotation"), dict):
            yield Diagnostic("LSR147", f'stream test "{test.name}": an event needs an '
                             "`annotation` (as Label Studio exports it)",
                             document.locate(("tests", test.index, "events", position)))
    for key in ("fired", "not_fired"):
        for rule_id in test.expect.get(key) or []:
            if isinstance(rule_id, str) and rule_id not in stream_rules:
                yield Diagnostic("LSR147", f'stream test "{test.name}" expects "{rule_id}", '
                                 "which is not a stream rule", test.location, ERROR, None,
                                 did_you_mean(rule_id, stream_rules))
    for key in sorted(set(test.expect) - STREAM_EXPECTATIONS):
        yield Diagnostic("LSR147", f'stream test "{test.name}": `expect.{key}` is about one '
                         "annotation; a stream test expects " + ", ".join(
                             sorted(STREAM_EXPECTATIONS)), test.location)
    if isinstance(test.expect.get("findings"), list):
        yield Diagnostic("LSR147", f'stream test "{test.name}": `expect.findings` of a stream '
                         "test is a number (the stream findings' count)", test.location)
    route = test.expect.get("route")
    if isinstance(route, str) and route not in ruleset.routes:
        yield Diagnostic("LSR147", f'stream test "{test.name}" expects undeclared route '
                         f'"{route}"', test.location, ERROR, None,
                         did_you_mean(route, ruleset.routes))
