"""What the report shows, counted while decision records stream past (nothing kept per
annotation, so a decisions file of millions of lines takes constant memory apart from the
per-minute verdict counts and one entry per annotator).

A record with a `stream` block is a stream finding, counted apart: it repeats the ids of
the annotation that triggered it, and counting it as an annotation would double that one.
Facts a record does not carry (who made the annotation, when, with which labels) come from
the export the records were made from, when the report is given it (`AnnotationFacts`).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lsrules.timestamps import parse_time

VERDICTS = ("accept", "fixed", "review", "reject")
EXAMPLES_PER_RULE = 3
STREAM_FINDINGS_LISTED = 20  # the most recent ones; the counts cover all
MESSAGE_CHARACTERS = 300  # longer messages are cut: a hostile one must not fill the page
MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class AnnotationFacts:
    """What the export says about one annotation that its decision record does not."""

    annotator: object
    created_at: float | None
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Example:
    task_id: object
    annotation_id: object
    region_id: object
    message: str


@dataclass
class RuleStats:
    rule: str
    severity: str
    fired: int = 0  # annotations it fired on
    findings: int = 0
    fixed: int = 0  # findings the rule's own or another fix made go away
    examples: list[Example] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StreamFindingRow:
    rule: str
    severity: str
    key_kind: str
    key: object
    matched: int
    message: str
    task_id: object
    annotation_id: object
    time: float | None


@dataclass
class SuggesterStats:
    """Annotations the suggester saw: a label means it was confident enough to auto-accept;
    no label, it abstained and a person decides."""

    seen: int = 0
    auto_accepted: int = 0
    checked: int = 0  # auto-accepted annotations whose labels the export gives
    correct: int = 0
    confidences: Counter = field(default_factory=Counter)  # tenth (0-9) -> count

    @property
    def auto_accepted_share(self) -> float | None:
        return self.auto_accepted / self.seen if self.seen else None

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.checked if self.checked else None


class ReportData:
    """Counts of verdicts, rules, annotators, routes, stream findings and suggestions."""

    def __init__(self) -> None:
        self.annotations = 0
        self.verdicts: Counter = Counter()
        self.by_minute: dict[int, Counter] = {}  # minute since the epoch -> verdict counts
        self.timed_by_creation = 0  # annotations whose time is their `created_at`
        self.rules: dict[str, RuleStats] = {}
        self.annotators: dict[object, Counter] = {}
        self.unknown_annotator = 0
        self.routes: Counter = Counter()
        self.stream_rules: Counter = Counter()
        self.stream_routes: Counter = Counter()  # route -> stream findings sending tasks there
        self.stream_verdicts: Counter = Counter()
        self.stream_findings: list[StreamFindingRow] = []
        self.suggester = SuggesterStats()
        self.rulesets: Counter = Counter()  # "name version" -> records

    def add(self, record: dict[str, Any], facts: AnnotationFacts | None = None,
            time: float | None = None) -> None:
        """One decision record (already checked to be one: see `check_record`). `time` is
        when it was recorded, if the source knows better than `audit.time`."""
        audit = record.get("audit") or {}
        self.rulesets[f"{audit.get('ruleset', '?')} {audit.get('version', '')}".strip()] += 1
        moment = time if time is not None else parse_time(audit.get("time"))
        stream = record.get("stream")
        if isinstance(stream, dict):
            self._add_stream(record, stream, moment)
            return
        verdict = record["verdict"]
        self.annotations += 1
        self.verdicts[verdict] += 1
        if facts is not None and facts.created_at is not None:
            moment = facts.created_at
            self.timed_by_creation += 1
        if moment is not None and math.isfinite(moment):
            minute = int(moment // MINUTE)
            self.by_minute.setdefault(minute, Counter())[verdict] += 1
        self._add_findings(record)
        route = record.get("route")
        if isinstance(route, dict) and isinstance(route.get("name"), str):
            self.routes[route["name"]] += 1
        if facts is not None and facts.annotator is not None:
            self.annotators.setdefault(facts.annotator, Counter())[verdict] += 1
        else:
            self.unknown_annotator += 1
        self._add_suggestions(record, facts)

    def _add_findings(self, record: dict[str, Any]) -> None:
        fired: set[str] = set()
        for finding in record["findings"]:
            if not isinstance(finding, dict) or not isinstance(finding.get("rule"), str):
                continue
            rule = finding["rule"]
            stats = self.rules.get(rule)
            if stats is None:
                stats = self.rules[rule] = RuleStats(rule, str(finding.get("severity", "")))
            stats.findings += 1
            stats.fixed += finding.get("fixed") is True
            if rule not in fired:
                fired.add(rule)
                stats.fired += 1
            if len(stats.examples) < EXAMPLES_PER_RULE:
                stats.examples.append(Example(record.get("task_id"), record.get("annotation_id"),
                                              finding.get("region_id"),
                                              _short(finding.get("message"))))

    def _add_stream(self, record: dict[str, Any], stream: dict[str, Any],
                    moment: float | None) -> None:
        rule = str(stream.get("rule", "?"))
        self.stream_rules[rule] += 1
        self.stream_verdicts[record.get("verdict")] += 1
        route = record.get("route")
        if isinstance(route, dict) and isinstance(route.get("name"), str):
            self.stream_routes[route["name"]] += 1
        findings = record.get("findings") or [{}]
        first = findings[0] if isinstance(findings[0], dict) else {}
        events = stream.get("events")
        events = events if isinstance(events, list) else []
        if events and isinstance(events[-1], dict):  # the triggering event is the newest
            moment = parse_time(events[-1].get("time")) or moment
        matched = stream.get("matched")
        self.stream_findings.append(StreamFindingRow(
            rule, str(first.get("severity", "")), str(stream.get("key_kind", "")),
            stream.get("key"), matched if isinstance(matched, int) else len(events),
            _short(first.get("message")), record.get("task_id"), record.get("annotation_id"),
            moment))
        if len(self.stream_findings) > 2 * STREAM_FINDINGS_LISTED:
            del self.stream_findings[:-STREAM_FINDINGS_LISTED]

    def _add_suggestions(self, record: dict[str, Any], facts: AnnotationFacts | None) -> None:
        suggestions = [s for s in record.get("suggestions") or ()
                       if isinstance(s, dict) and s.get("region_id") is None]
        if not suggestions:
            return
        suggestion = suggestions[0]
        stats = self.suggester
        stats.seen += 1
        confidence = suggestion.get("confidence")
        if isinstance(confidence, (int, float)) and 0 <= confidence <= 1:
            stats.confidences[min(int(confidence * 10), 9)] += 1
        label = suggestion.get("label")
        if label is None:
            return
        stats.auto_accepted += 1
        if facts is not None and facts.labels:
            stats.checked += 1
            stats.correct += label in facts.labels

    # -- read by the page -----------------------------------------------------------------
    def listed_stream_findings(self) -> list[StreamFindingRow]:
        return self.stream_findings[-STREAM_FINDINGS_LISTED:]

    def rules_by_fire_rate(self) -> list[RuleStats]:
        return sorted(self.rules.values(), key=lambda stats: (-stats.fired, stats.rule))

    def annotators_by_count(self) -> list[tuple[object, Counter]]:
        return sorted(self.annotators.items(),
                      key=lambda item: (-sum(item[1].values()), str(item[0])))

    def time_buckets(self, most: int = 48) -> tuple[float, list[tuple[float, Counter]]]:
        """(bucket width in seconds, [(bucket start, verdict counts)]): the narrowest of a
        few round widths that shows the whole span in at most `most` buckets."""
        if not self.by_minute:
            return MINUTE, []
        first, last = min(self.by_minute), max(self.by_minute)
        width_minutes = next((width for width in BUCKET_MINUTES
                              if (last - first) // width < most), BUCKET_MINUTES[-1])
        while (last - first) // width_minutes >= most:
            width_minutes *= 2
        start = first - first % width_minutes
        buckets: list[Counter] = [Counter() for _ in range((last - start) // width_minutes + 1)]
        for minute, counts in self.by_minute.items():
            buckets[(minute - start) // width_minutes].update(counts)
        return (width_minutes * MINUTE,
                [((start + index * width_minutes) * MINUTE, counts)
                 for index, counts in enumerate(buckets)])


BUCKET_MINUTES = (1, 5, 15, 60, 6 * 60, 24 * 60, 7 * 24 * 60, 30 * 24 * 60)


def check_record(value: object) -> str | None:
    """Why `value` is not a decision record the report can count (None: it is one)."""
    if not isinstance(value, dict):
        return "not a JSON object"
    if value.get("verdict") not in VERDICTS:
        return "no verdict (accept, fixed, review or reject)"
    if not isinstance(value.get("findings"), list):
        return "no findings list"
    if not isinstance(value.get("audit"), dict):
        return "no audit block"
    return None


def _short(text: object) -> str:
    text = text if isinstance(text, str) else ""
    return text if len(text) <= MESSAGE_CHARACTERS else text[: MESSAGE_CHARACTERS - 1] + "…"
