"""The stream runtime: feeds each evaluated annotation to the stream rules, in order.

`feed` turns the annotation into an event, advances stream time, and hands the event to
the backend (durable-rules) once per partition (the rules sharing a `key:` kind), which
calls `match`; `match` does the window bookkeeping and evaluates the compiled conditions
of the partition's rules. Findings come back in file order. A rule that fires returns a
`StreamFinding` and uses up the key's events, so the same events never fire it twice.
A rule on one event has the ruleset's step budget (`limits.steps`); a rule that runs out
of it fails closed: a finding that says so (a `review` record) uses up the key's events
as a firing does.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from lsrules.dsl.budget import BudgetExceeded
from lsrules.streams import events as stream_events
from lsrules.streams.compiler import CompiledStreamRule, compile_streams
from lsrules.streams.events import Event
from lsrules.streams.reads import EVERYTHING, event_fields
from lsrules.ruleset.stream_model import StreamRule
from lsrules.streams.windows import RuleWindows
from lsrules.timestamps import parse_time

SWEEP_EVERY = 256  # events between sweeps of idle keys


@dataclass
class StreamFinding:
    rule: StreamRule
    key: object
    message: str
    events: list[Event]  # the events the condition looked at, oldest first
    trigger: Event  # the event that made it fire
    duration_us: int = 0  # the rule's bookkeeping and condition on the triggering event
    exceeded: bool = False  # the rule ran out of its step budget: `message` says so


class StreamSteps:
    """The step budget of one stream rule on one event: what the generated code charges
    (dsl/budget.py reads `steps`, and `engine.limits` for the message)."""

    __slots__ = ("steps", "engine")

    def __init__(self, runtime: StreamRuntime) -> None:
        self.steps = runtime.limits.steps
        self.engine = runtime


class StreamRuntime:
    def __init__(self, ruleset, backend: str = "durable", clock=None, slim: bool = True):
        """`slim=False`: events keep every field, whatever the rules read (the reference
        the slim events are tested against)."""
        from lsrules.streams import durable_backend

        self.ruleset = ruleset
        self.limits = ruleset.limits  # a rule's step budget on each event
        self.fields = event_fields(ruleset.streams) if slim else EVERYTHING  # what events keep
        self.compiled: list[CompiledStreamRule] = compile_streams(ruleset, self.fields)
        self.shape = stream_events.shape_for(self.fields)
        self.windows = [RuleWindows(rule.horizon, rule.idle, rule.rule.limit)
                        for rule in self.compiled]
        kinds = list(dict.fromkeys(rule.rule.key for rule in self.compiled))
        # (key kind, indices of its rules), in order of first appearance
        self.partitions = [(kind, [index for index, rule in enumerate(self.compiled)
                                   if rule.rule.key == kind]) for kind in kinds]
        location = ruleset.document.locate(("streams",)) if ruleset.document else None
        backend_class = (durable_backend.DurableBackend if backend == "durable"
                         else durable_backend.DirectBackend)
        self.backend = backend_class(self, len(self.partitions), location)
        self.clock = clock  # wall time for events without `created_at` (the live service)
        self.now = float("-inf")
        self.fed = 0
        self._event: Event | None = None
        self._found: list[StreamFinding] = []

    def feed(self, task: dict, annotation: dict, verdict: str | None = None, rules=(),
             route: str | None = None) -> list[StreamFinding]:
        """Feed one evaluated annotation; returns the stream findings it triggered."""
        return self.feed_event(self.event_for(task, annotation, verdict, rules, route),
                               parse_time(annotation.get("created_at")))

    def event_for(self, task: dict, annotation: dict, verdict: str | None = None, rules=(),
                  route: str | None = None) -> Event:
        """The event `feed` makes of an annotation (without its time), to feed later."""
        return stream_events.make_event(task, annotation, verdict, rules, route, self.fields)

    def feed_event(self, event: Event, moment: float | None) -> list[StreamFinding]:
        """Feed an event made by `event_for`, happening at `moment` (its `created_at`; None:
        now, by the clock, or the stream's time)."""
        if moment is None:
            moment = self.clock() if self.clock is not None else (
                self.now if self.now != float("-inf") else 0.0)
        self.now = max(self.now, moment)
        setattr(event, "time", self.now)  # a slot of the event's own class (`EventShape`)
        found = self.match_event(event)
        self.fed += 1
        if self.fed % SWEEP_EVERY == 0:
            self.sweep()
        return found

    def match_event(self, event: Event, kinds=None) -> list[StreamFinding]:
        """The stream rules grouping by one of `kinds` (default: all) on an event whose
        `time` is `self.now`. `feed` keeps the clock and sweeps; a partition of a cluster run
        (`lsrules.commands.cluster.streams`) sees only some keys and keeps them itself."""
        self._event = event
        self._found = []
        for partition, (kind, _) in enumerate(self.partitions):
            if kinds is not None and kind not in kinds:
                continue
            key = stream_events.key_of(event, kind)
            if key is not None:
                self.backend.dispatch(partition, key)
        found, self._found, self._event = self._found, [], None
        if len(self.partitions) > 1:
            found.sort(key=lambda finding: finding.rule.index)
        return found

    def feed_decision(self, task: dict, annotation: dict, decision) -> list[StreamFinding]:
        """`feed` with what an engine `Decision` says."""
        route = decision.route["name"] if decision.route else None
        return self.feed(task, annotation, decision.verdict, decision.fired, route)

    def match(self, partition: int, key) -> None:
        """The current event, for the rules of one partition (called by the backend)."""
        for index in self.partitions[partition][1]:
            self._match_rule(index, key)

    def _match_rule(self, index: int, key) -> None:
        started = time.perf_counter_ns()
        compiled = self.compiled[index]
        event = self._event
        assert event is not None  # the backend matches only while `feed` holds an event
        windows = self.windows[index]
        events = windows.add(key, event, self.now)
        seen: list = []
        argument = list(events) if compiled.uses_events else events
        steps = StreamSteps(self)
        try:
            if not compiled.condition(argument, event, key, self.now, seen, steps):
                return
            message = compiled.message(argument, event, key, self.now, [], steps)
        except BudgetExceeded as exceeded:  # fail closed: say so, as a firing would
            self._found.append(StreamFinding(
                compiled.rule, key, f"stream rule {compiled.rule.id}: {exceeded}",
                list(events), event, (time.perf_counter_ns() - started) // 1000, True))
            windows.consume(key)
            return
        if compiled.uses_events:
            matched = list(events)
        else:
            unique = {id(item): item for group in seen for item in group}
            matched = sorted(unique.values(), key=lambda item: item.time) or [event]
        self._found.append(StreamFinding(compiled.rule, key, message, matched, event,
                                         (time.perf_counter_ns() - started) // 1000))
        windows.consume(key)

    def sweep(self) -> None:
        for windows in self.windows:
            windows.sweep(self.now)

    def state(self) -> dict:
        """Everything the rules remember, as plain JSON data: stream time, the count of
        events fed (it paces the sweeps) and every rule's windows, by rule id. A runtime
        `restore`d from it continues exactly where this one stands (the live service hands
        streams over between replicas this way)."""
        return {"now": self.now, "fed": self.fed,
                "windows": {compiled.rule.id: windows.state()
                            for compiled, windows in zip(self.compiled, self.windows)}}

    def restore(self, state: dict) -> None:
        """Continue from `state()`; a rule the saved state does not know starts empty."""
        self.now = float(state["now"])
        self.fed = int(state["fed"])
        saved = state["windows"]
        for compiled, windows in zip(self.compiled, self.windows):
            windows.restore(saved.get(compiled.rule.id, []), self.shape)

    def state_size(self) -> tuple[int, int]:
        """(keys, events) held over all rules: what the bounds are about."""
        return (sum(len(w) for w in self.windows), sum(w.event_count() for w in self.windows))


def wall_clock() -> float:
    return time.time()
