"""Stream rules and stream tests as the compiler sees them, read from the YAML.

A stream rule keeps, per key (an annotator, a task or a project), the recent events of that
key: at most `limit` of them, none older than `window`, and forgets the key after `idle`
without events. These three bounds are what keeps a long-running service's state finite.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lsrules.errors import Location
from lsrules.ruleset import identifiers
from lsrules.ruleset.model import Expression, Message

KEYS = ("annotator", "task", "project")
DEFAULT_WINDOW = 86400.0  # seconds kept per key when neither `window:` nor window() say
DEFAULT_LIMIT = 10_000  # events kept per key
MAX_LIMIT = 100_000
_DURATION = re.compile(r"([0-9]+)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text) -> float | None:
    """`"10m"` -> 600.0 seconds; None when the text is not a duration."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class StreamRule:
    id: str
    index: int
    location: Location
    severity: str = "error"
    description: str = ""
    key: str = "annotator"
    when: Expression | None = None
    message: Message | None = None
    route: str | None = None
    flag: bool = False
    window: float | None = None  # `window:` in seconds, when given
    idle: float | None = None  # `idle:` in seconds, when given
    limit: int = DEFAULT_LIMIT


@dataclass
class StreamTest:
    """`tests:` entry with `events:`: a sequence of annotations fed to the stream rules."""

    name: str
    index: int
    location: Location
    events: list[dict] = field(default_factory=list)
    expect: dict = field(default_factory=dict)


def read_stream_rule(builder, entry: dict, index: int) -> StreamRule:
    """One `streams:` entry; `builder` is the loader's, which parses and reports."""
    path = ("streams", index)
    rule_id = entry.get("id")
    if rule_id is None or not builder.shaped(path + ("id",), rule_id, identifiers.is_rule_id,
                                             identifiers.RULE_ID_HINT):
        rule_id = f"streams[{index}]"
    rule = StreamRule(id=rule_id, index=index, location=builder.document.locate(path))
    if entry.get("severity") in ("error", "warning", "info"):
        rule.severity = entry["severity"]
    rule.description = str(entry.get("description") or "")
    if entry.get("key") in KEYS:
        rule.key = entry["key"]
    rule.when = builder.condition(entry, path, "when", rule_id)
    if isinstance(entry.get("message"), str):
        rule.message = builder.message(path + ("message",), rule_id)
    if isinstance(entry.get("route"), str):  # declared under `routes:` (LSR146): a name
        rule.route = entry["route"]
    rule.flag = entry.get("flag") is True
    rule.window = parse_duration(entry.get("window"))
    rule.idle = parse_duration(entry.get("idle"))
    limit = entry.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 < limit <= MAX_LIMIT:
        rule.limit = limit
    return rule


def read_stream_test(builder, entry: dict, index: int) -> StreamTest:
    name = entry.get("name")
    events = entry.get("events")
    expect = entry.get("expect")
    return StreamTest(
        name=name if isinstance(name, str) else f"tests[{index}]",
        index=index,
        location=builder.document.locate(("tests", index)),
        events=[event for event in events if isinstance(event, dict)]
        if isinstance(events, list) else [],
        expect=expect if isinstance(expect, dict) else {},
    )
