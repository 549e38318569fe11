"""Per-key event windows: the only state stream rules keep, bounded three ways.

Per rule, each key (an annotator, task or project) holds its recent events, oldest first:
none older than the rule's horizon, at most `limit` of them, and the key itself is
forgotten after `idle` without events (least recently seen first, so a sweep stops at the
first key still active). A hard cap on keys per rule bounds even a flood of new keys.
"""
from __future__ import annotations

from collections import OrderedDict

MAX_KEYS = 100_000  # keys per rule; the least recently seen goes first beyond it


class NotEnoughEvents(IndexError):
    """`last(n)` before the key has n events: the condition is null, the rule waits."""


def window(events, now: float, seconds: float, seen: list) -> list:
    """`window("10m")`: the key's events of the last `seconds`, oldest first."""
    cutoff = now - seconds
    found = []
    for event in reversed(events):
        if event.time < cutoff:
            break
        found.append(event)
    found.reverse()
    seen.append(found)
    return found


def every(events, seen: list) -> list:
    """A window as long as what the rule keeps: every kept event (no time test needed)."""
    found = list(events)
    seen.append(found)
    return found


def last(events, count: int, seen: list) -> list:
    """`last(3)`: the key's `count` most recent events, oldest first."""
    if len(events) < count:
        raise NotEnoughEvents(count)
    found = list(events)[-count:] if count < len(events) else list(events)
    seen.append(found)
    return found


class RuleWindows:
    """The windows of one stream rule, by key: each a list of events, oldest first (a list,
    not a deque: tens of thousands of keys with a few events each, and an empty deque alone
    takes 760 bytes). A key's last event is when it was last seen."""

    def __init__(self, horizon: float, idle: float, limit: int, max_keys: int = MAX_KEYS):
        self.horizon = horizon
        self.idle = idle
        self.limit = limit
        self.max_keys = max_keys
        self.keys: OrderedDict = OrderedDict()

    def add(self, key, event, now: float) -> list:
        """Append the event to its key's window, drop what expired; returns the window."""
        keys = self.keys
        events = keys.get(key)
        if events is None:
            events = keys[key] = []
            if len(keys) > self.max_keys:
                keys.popitem(last=False)
        else:
            keys.move_to_end(key)
        events.append(event)
        cutoff = now - self.horizon
        count = len(events)
        drop = 0
        while drop < count and (events[drop].time < cutoff or count - drop > self.limit):
            drop += 1
        if drop:
            del events[:drop]
        return events

    def consume(self, key) -> None:
        """The rule fired: the events it matched are used up (the next firing needs new ones)."""
        self.keys.pop(key, None)

    def sweep(self, now: float) -> int:
        """Forget keys idle for longer than `idle`; returns how many were dropped."""
        cutoff = now - self.idle
        keys = self.keys
        dropped = 0
        while keys:
            first = next(iter(keys.values()))
            if first[-1].time >= cutoff:
                break
            keys.popitem(last=False)
            dropped += 1
        return dropped

    def state(self) -> list:
        """The windows as plain JSON data, least recently seen key first: per key, when it
        was last seen and its events (`Event.as_dict`)."""
        return [[key, events[-1].time, [event.as_dict() for event in events]]
                for key, events in self.keys.items()]

    def restore(self, state: list, shape) -> None:
        """The windows `state()` saved, their events made again with `shape` (an
        `EventShape`: a field the saved events lack is null)."""
        self.keys.clear()
        for key, _, events in state:
            self.keys[key] = [shape.from_dict(event) for event in events]

    def __len__(self) -> int:
        return len(self.keys)

    def event_count(self) -> int:
        return sum(len(events) for events in self.keys.values())
