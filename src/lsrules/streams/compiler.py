"""Stream rules -> Python functions, with the DSL's own code generator.

Each stream rule becomes `when_<i>(v_events, v_event, v_key, _now, _seen)` and a matching
`message_<i>`: the same generated code as per-annotation rules (null-safe, no user text as
code), with `window(...)` and `last(...)` compiled to calls that read the key's retained
events and note which events the condition looked at (`_seen`), for the audit block.
"""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Callable

from lsrules.dsl import nodes
from lsrules.dsl.codegen import CodeGenerator, compile_ruleset
from lsrules.dsl.names import OBJECT_FIELDS
from lsrules.streams import windows
from lsrules.ruleset.stream_model import DEFAULT_WINDOW, StreamRule, parse_duration

EVENT_FIELDS = frozenset(OBJECT_FIELDS["event"])


class StreamCodeGenerator(CodeGenerator):
    """The DSL generator plus the two stream functions; names map as for any rule
    (`events` -> `v_events`, `e` -> `v_e`)."""

    horizon = float("inf")  # seconds the rule keeps: a window that long is every event
    event_names: frozenset = frozenset({"event"})  # names bound to an event (a plain dict)

    def visit_Comprehension(self, node):
        saved = self.event_names
        iterable = node.iterable
        over_events = (isinstance(iterable, nodes.Call) and iterable.function in
                       ("window", "last")) or (isinstance(iterable, nodes.Name)
                                               and iterable.name == "events")
        self.event_names = (saved | {node.variable}) if over_events else (
            saved - {node.variable})
        try:
            return super().visit_Comprehension(node)
        finally:
            self.event_names = saved

    def visit_Attribute(self, node):
        """`e.label`, `e.annotation.lead_time`: an event always has its fields (the checker
        allowed only those), so the first step is a plain subscript of the event dict."""
        root, keys = self._path(node)
        if not (isinstance(root, nodes.Name) and root.name in self.event_names
                and keys[0] in EVENT_FIELDS):
            return super().visit_Attribute(node)
        value = f"v_{root.name}[{keys[0]!r}]"
        if len(keys) == 1:
            return value
        if len(keys) == 2 and keys[0] in ("annotation", "task"):
            return f"{value}.get({keys[1]!r})"
        return f"_path({value}, {keys[1:]!r})"

    def visit_Call(self, node):
        if node.function == "window":
            seconds = parse_duration(node.arguments[0].value)
            if seconds >= self.horizon:
                return "_every(v_events, _seen)"
            return f"_window(v_events, _now, {seconds!r}, _seen)"
        if node.function == "last":
            return f"_last(v_events, {int(node.arguments[0].value)!r}, _seen)"
        return super().visit_Call(node)


@dataclass
class CompiledStreamRule:
    rule: StreamRule
    condition: Callable
    message: Callable
    horizon: float  # seconds of events kept per key
    idle: float  # seconds without events after which a key is forgotten
    uses_events: bool  # the condition reads `events` itself (all retained events matched)


def _windows_asked(rule: StreamRule) -> list[float]:
    found = []
    for expression in _expressions(rule):
        for node in expression.node.walk():
            if isinstance(node, nodes.Call) and node.function == "window":
                argument = node.arguments[0]
                assert isinstance(argument, nodes.Literal)  # the checker's LSR141
                seconds = parse_duration(argument.value)
                if seconds:
                    found.append(seconds)
    return found


def _expressions(rule: StreamRule) -> list:
    found = [rule.when] if rule.when is not None else []
    if rule.message is not None:
        found += [part for part in rule.message.parts if not isinstance(part, str)]
    return found


def _uses_events(rule: StreamRule) -> bool:
    return any(isinstance(node, nodes.Name) and node.name == "events"
               for expression in _expressions(rule) for node in expression.node.walk())


def compile_streams(ruleset) -> list[CompiledStreamRule]:
    """Compile every stream rule of a checked ruleset (checked: window/last take literals)."""
    # The helpers generated code calls (`_path`, `_builtin_len`, ...) come from compiling
    # the ruleset without its rules, so they stay in step with the DSL's code generator.
    namespace = dict(compile_ruleset(dataclasses.replace(ruleset, rules=[])))
    namespace.update({"_window": windows.window, "_last": windows.last,
                      "_every": windows.every})
    generator = StreamCodeGenerator(ruleset)
    horizons = {}
    for rule in ruleset.streams:
        index = rule.index
        asked = _windows_asked(rule)
        horizons[index] = rule.window or (max(asked) if asked else DEFAULT_WINDOW)
        generator.horizon = horizons[index]
        generator.region_names = set()
        generator.write(f"def when_{index}(v_events, v_event, v_key, _now, _seen):", 0)
        generator.write("try:", 1)
        condition = generator.truth(rule.when.node) if rule.when is not None else "False"
        generator.write(f"return {condition}", 2)
        generator.write("except _DATA_ERRORS:", 1)
        generator.write("return False", 2)
        generator.write(f"def message_{index}(v_events, v_event, v_key, _now, _seen):", 0)
        if rule.message is None:
            default = rule.description or f"stream rule {rule.id} matched"
            generator.write(f"return {default!r}", 1)
        else:
            pieces = [repr(part) if isinstance(part, str)
                      else f"_text_or_null(lambda: {generator.expr(part.node)})"
                      for part in rule.message.parts]
            generator.write("return ''.join([" + ", ".join(pieces) + "])", 1)
    source = "\n".join(generator.lines) + "\n"
    namespace.update(generator.constants)
    with warnings.catch_warnings():  # `1 is True` from a literal condition is intended
        warnings.simplefilter("ignore", SyntaxWarning)
        code = compile(source, f"<streams {ruleset.name}>", "exec")
    exec(code, namespace)  # noqa: S102 - generated from the checked AST; no user text as code
    compiled = []
    for rule in ruleset.streams:
        horizon = horizons[rule.index]
        compiled.append(CompiledStreamRule(
            rule, namespace[f"when_{rule.index}"], namespace[f"message_{rule.index}"],
            horizon, rule.idle or horizon, _uses_events(rule)))
    return compiled
