"""Stream rules -> Python functions, with the DSL's own code generator.

Each stream rule becomes `when_<i>(v_events, v_event, v_key, _now, _seen, state)` and a
matching `message_<i>`: the same generated code as per-annotation rules (null-safe, no user
text as code, every loop paid from the step budget in `state`), with `window(...)` and
`last(...)` compiled to calls that read the key's retained events and note which events the
condition looked at (`_seen`), for the audit block.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

from lsrules.dsl import nodes
from lsrules.dsl.compiler.expressions import ExpressionGenerator, path_of
from lsrules.dsl.compiler.frame import Frame
from lsrules.dsl.compiler.module import compile_source, module_globals
from lsrules.dsl.names import OBJECT_FIELDS
from lsrules.ruleset.stream_model import DEFAULT_WINDOW, StreamRule, parse_duration
from lsrules.streams import windows
from lsrules.streams.events import Event, EventShape, first_label, shape_for
from lsrules.streams.reads import EventFields, event_fields

EVENT_FIELDS = frozenset(OBJECT_FIELDS["event"])


@dataclass(frozen=True)
class StreamFrame(Frame):
    """A stream rule's scope: which names are bound to an event, and how far back it sees."""

    event_names: frozenset[str] = frozenset({"event"})  # names bound to an event (a dict)
    horizon: float = float("inf")  # seconds the rule keeps: a window that long is every event


class StreamCodeGenerator(ExpressionGenerator):
    """The DSL's expression generator plus the two stream functions; names map as for any
    rule (`events` -> `v_events`, `e` -> `v_e`). A rule on one event pays for its loops
    from `state` (runtime.StreamSteps), one call per loop.

    Events are objects with slots (`lsrules.streams.events.Event`): a field read is a slot
    read, named by the `EventShape` (never by the field's name). An event, or a list of
    them, used as a value (`[e for e in events]`, `events[0]`) becomes dicts first
    (`_event_dict`), which is what the language's values are; a list only iterated or
    counted (a comprehension's iterable, `len`) stays as it is."""

    def __init__(self, shape: EventShape):
        super().__init__()
        self.shape = shape
        self._iterated: set[int] = set()  # ids of event-list nodes only iterated or counted

    def visit_Comprehension(self, node: nodes.Comprehension, frame: Frame) -> str:
        assert isinstance(frame, StreamFrame)
        iterable = node.iterable
        over_events = (isinstance(iterable, nodes.Call) and iterable.function in
                       ("window", "last")) or (isinstance(iterable, nodes.Name)
                                               and iterable.name == "events"
                                               and iterable.name not in frame.local_names)
        if over_events:
            self._iterated.add(id(iterable))
        events = frame.event_names
        frame = dataclasses.replace(frame, event_names=(
            events | {node.variable} if over_events else events - {node.variable}))
        return super().visit_Comprehension(node, frame)

    def visit_Name(self, node: nodes.Name, frame: Frame) -> str:
        assert isinstance(frame, StreamFrame)
        if node.name in frame.event_names:  # an event used whole
            return f"_event_dict(v_{node.name})"
        if (node.name == "events" and node.name not in frame.local_names
                and id(node) not in self._iterated):
            return "_event_dicts(v_events)"
        return super().visit_Name(node, frame)

    def visit_Attribute(self, node: nodes.Attribute, frame: Frame) -> str:
        """`e.label`, `e.annotation.lead_time`: an event always has its fields (the checker
        allowed only those), so the first steps are slot reads."""
        assert isinstance(frame, StreamFrame)
        root, keys = path_of(node)
        if not (isinstance(root, nodes.Name) and root.name in frame.event_names
                and keys[0] in EVENT_FIELDS):
            return super().visit_Attribute(node, frame)
        event = f"v_{root.name}"
        first = keys[0]
        if first in ("annotation", "task") and len(keys) > 1:
            slot = (self.shape.annotation_slot(keys[1]) if first == "annotation"
                    else self.shape.task_slot(keys[1]))
            if slot is not None:
                value = f"{event}.{slot}"
                return value if len(keys) == 2 else f"_path({value}, {keys[2:]!r})"
            value = f"{event}.{first}"
            if len(keys) == 2:
                return f"{value}.get({keys[1]!r})"
            return f"_path({value}, {keys[1:]!r})"
        if first in ("annotation", "task"):
            value = f"_event_part({event}, {first!r})"
        elif first == "labels":  # held as a shared tuple; a list in the language
            value = f"_list({event}.labels)"
        elif first == "label":
            value = f"_first_label({event}.labels)"
        else:
            value = f"{event}.{_TOP_SLOTS[first]}"
        return value if len(keys) == 1 else f"_path({value}, {keys[1:]!r})"

    def visit_Call(self, node: nodes.Call, frame: Frame) -> str:
        assert isinstance(frame, StreamFrame)
        if node.function == "len" and len(node.arguments) == 1:
            argument = node.arguments[0]
            if (isinstance(argument, nodes.Call) and argument.function in ("window", "last")) or (
                    isinstance(argument, nodes.Name) and argument.name == "events"
                    and argument.name not in frame.local_names):
                self._iterated.add(id(argument))
        if node.function in ("window", "last"):
            argument = node.arguments[0]
            assert isinstance(argument, nodes.Literal)  # the checker's LSR141
            if node.function == "window":
                seconds = parse_duration(argument.value)
                assert seconds is not None  # the checker's LSR141
                if seconds >= frame.horizon:
                    found = "_every(v_events, _seen)"
                else:
                    found = f"_window(v_events, _now, {seconds!r}, _seen)"
            else:
                found = f"_last(v_events, {int(argument.value)!r}, _seen)"
            return found if id(node) in self._iterated else f"_event_dicts({found})"
        return super().visit_Call(node, frame)


# an event's top-level fields -> their slots (a fixed table: no name from a rule is code)
_TOP_SLOTS = {name: name for name in EventShape.TOP}


def _event_dict(event: Event) -> dict:
    return event.as_dict()


def _event_dicts(events) -> list:
    return [event.as_dict() for event in events]


def _event_part(event: Event, name: str) -> dict:
    return event.shape.part(event, name)


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


def compile_streams(ruleset: Any, fields: EventFields | None = None) -> list[CompiledStreamRule]:
    """Compile every stream rule of a checked ruleset (checked: window/last take literals)
    for events with `fields` (default: what the rules read); `UncompilableError` at the
    stream rule whose code Python cannot compile."""
    from lsrules.engine.compiling import compile_locating

    if fields is None:
        fields = event_fields(ruleset.streams)
    chosen = fields
    return compile_locating(ruleset, "streams", lambda part: _compile_streams(part, chosen))


def _compile_streams(ruleset: Any, fields: EventFields) -> list[CompiledStreamRule]:
    namespace = module_globals()  # the helpers the DSL's generated code calls
    namespace.update({"_window": windows.window, "_last": windows.last,
                      "_every": windows.every, "_event_dict": _event_dict,
                      "_event_dicts": _event_dicts, "_event_part": _event_part,
                      "_first_label": first_label})
    generator = StreamCodeGenerator(shape_for(fields))
    horizons = {}
    for rule in ruleset.streams:
        index = rule.index
        asked = _windows_asked(rule)
        horizons[index] = rule.window or (max(asked) if asked else DEFAULT_WINDOW)
        frame = StreamFrame(horizon=horizons[index])
        generator.write(f"def when_{index}(v_events, v_event, v_key, _now, _seen, state):", 0)
        generator.write("try:", 1)
        condition = (generator.truth(rule.when.node, frame) if rule.when is not None
                     else "False")
        generator.write(f"return {condition}", 2)
        generator.write("except _DATA_ERRORS:", 1)
        generator.write("return False", 2)
        generator.write(f"def message_{index}(v_events, v_event, v_key, _now, _seen, state):",
                        0)
        if rule.message is None:
            default = rule.description or f"stream rule {rule.id} matched"
            generator.write(f"return {default!r}", 1)
        else:
            pieces = [repr(part) if isinstance(part, str)
                      else f"_text_or_null(lambda: {generator.visit(part.node, frame)})"
                      for part in rule.message.parts]
            generator.write("return ''.join([" + ", ".join(pieces) + "])", 1)
    source = "\n".join(generator.lines) + "\n"
    namespace.update(generator.constants)
    code = compile_source(source, f"<streams {ruleset.name}>")
    exec(code, namespace)  # noqa: S102 - generated from the checked AST; no user text as code
    compiled = []
    for rule in ruleset.streams:
        horizon = horizons[rule.index]
        compiled.append(CompiledStreamRule(
            rule, namespace[f"when_{rule.index}"], namespace[f"message_{rule.index}"],
            horizon, rule.idle or horizon, _uses_events(rule)))
    return compiled
