"""`lsrules run`'s summary of an export, for a person or for CI (`--format`).

`text` (the default) is the table on standard error; `github` is workflow commands (one
annotation per rule that fired, with its count and a first example, and a notice with the
verdicts); `junit` is one test case per rule (failed when an error-severity finding of it
stayed), for CI test reports; `markdown` is the page a CI job shows (`--summary
"$GITHUB_STEP_SUMMARY"`). The decisions themselves are always the JSONL of `--output`.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree

from lsrules.files import AtomicOutput
from lsrules.report import escape_github_data, escape_github_property
from lsrules.terminal import VERDICT_COLOURS, Painter, colour_enabled, one_line, visible

FORMATS = ("text", "github", "junit", "markdown")
VERDICTS = ("accept", "fixed", "review", "reject")
_VERDICT_INDEX = {verdict: index for index, verdict in enumerate(VERDICTS)}
_GITHUB_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


@dataclass(frozen=True)
class Example:
    """The first finding of a rule in the export: where it was and what it said."""

    severity: str
    message: str
    task_id: object
    annotation_id: object

    def where(self) -> str:
        return f"task {self.task_id}, annotation {self.annotation_id}"


class Tally:
    """The counts behind the summary and the exit code."""

    def __init__(self) -> None:
        self.verdicts: Counter = Counter()
        self.rules: Counter = Counter()
        # annotator -> count per verdict, in VERDICTS order: four integers, not a Counter
        # (twice the memory; an export may name tens of thousands of annotators)
        self.annotators: dict[str, list[int]] = {}
        self.examples: dict[str, Example] = {}
        self.stayed: Counter = Counter()  # rule -> its error findings that were not fixed

    def add(self, verdict: str, fired: list[str], warned: bool, annotator: str,
            decision_line: str | None = None, stayed: Iterable[str] = ()) -> None:
        self.verdicts[verdict] += 1
        self.stayed.update(stayed)
        self.verdicts["_warning"] += warned
        for rule_id in fired:
            self.rules[rule_id] += 1
            if rule_id not in self.examples and decision_line is not None:
                self._remember(rule_id, decision_line)  # once per rule: cheap
        counts = self.annotators.get(annotator)
        if counts is None:
            counts = self.annotators[annotator] = [0, 0, 0, 0]
        counts[_VERDICT_INDEX[verdict]] += 1

    def _remember(self, rule_id: str, decision_line: str) -> None:
        decision = json.loads(decision_line)
        for finding in decision.get("findings", []):
            if finding.get("rule") == rule_id:
                self.examples[rule_id] = Example(
                    finding.get("severity", "error"), str(finding.get("message", "")),
                    decision.get("task_id"), decision.get("annotation_id"))
                return

    @property
    def total(self) -> int:
        return sum(self.verdicts[v] for v in VERDICTS)


def format_summary(tally: Tally, format: str, ruleset: str, rule_ids: list[str],
                   streams: Counter, paint: Painter, verbose: bool = False) -> str:
    formatter = {"text": _text, "github": _github, "junit": _junit, "markdown": _markdown}
    return formatter[format](tally, ruleset, rule_ids, streams, paint, verbose)


def _verdict_line(tally: Tally, paint: Painter) -> str:
    return f"{tally.total} annotations: " + ", ".join(
        paint(f"{tally.verdicts[v]} {v}", VERDICT_COLOURS[v] if tally.verdicts[v] else None)
        for v in VERDICTS)


def _stream_rules(streams: Counter) -> list[tuple[str, int]]:
    return sorted((name[len("stream:"):], count) for name, count in streams.items()
                  if name.startswith("stream:"))


def _text(tally, ruleset, rule_ids, streams, paint, verbose) -> str:
    lines = [_verdict_line(tally, paint)]
    top = tally.rules.most_common(None if verbose else 10)
    if top:
        lines.append("top rules:" if not verbose else "rules:")
        lines.extend(f"  {count:>8}  {rule}" for rule, count in top)
    if tally.annotators:
        lines.append("per annotator (accept/fixed/review/reject):")
        shown = sorted(tally.annotators.items())
        for annotator, counts in shown if verbose else shown[:20]:
            lines.append(f"  {visible(annotator):>12}  "  # annotators come from the data
                         + "/".join(str(count) for count in counts))
    if streams:
        found = _stream_rules(streams)
        lines.append(f"{sum(c for _, c in found)} stream findings" + (":" if found else ""))
        lines.extend(f"  {count:>8}  {rule}" for rule, count in found)
    return "\n".join(lines) + "\n"


def _github(tally, ruleset, rule_ids, streams, paint, verbose) -> str:
    lines = []
    for rule, count in sorted(tally.rules.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"::{_GITHUB_COMMANDS[_level(tally, rule)]} "
                     f"title={escape_github_property(f'{ruleset}: {rule}')}::"
                     + escape_github_data(_fired_text(tally, rule, count)))
    for rule, count in _stream_rules(streams):
        lines.append(f"::warning title={escape_github_property(f'{ruleset}: {rule}')}::"
                     + escape_github_data(f"stream rule {rule} found {count} pattern"
                                          f"{'s' if count != 1 else ''}"))
    lines.append(f"::notice title={escape_github_property(f'lsrules run {ruleset}')}::"
                 + escape_github_data(_verdict_line(tally, Painter(False))))
    return "\n".join(lines) + "\n"


def _junit(tally, ruleset, rule_ids, streams, paint, verbose) -> str:
    suites = ElementTree.Element("testsuites", {"name": "lsrules run"})
    suite = ElementTree.SubElement(suites, "testsuite", {"name": ruleset})
    failures = 0
    for rule in dict.fromkeys([*rule_ids, *tally.rules]):
        case = ElementTree.SubElement(suite, "testcase", {"classname": ruleset, "name": rule,
                                                          "time": "0"})
        count = tally.rules[rule]
        if not count:
            continue
        text = _fired_text(tally, rule, count)
        if tally.stayed[rule]:
            failures += 1
            ElementTree.SubElement(case, "failure", {"message": _xml(text)}).text = _xml(text)
        else:
            ElementTree.SubElement(case, "system-out").text = _xml(text)
    for key, value in (("tests", len(suite)), ("failures", failures), ("errors", 0),
                       ("skipped", 0)):
        suite.set(key, str(value))
        suites.set(key, str(value))
    ElementTree.indent(suites)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ElementTree.tostring(suites, encoding="unicode") + "\n")


def _level(tally: Tally, rule: str) -> str:
    """error when some error of the rule stayed; an error fixed everywhere is info."""
    if tally.stayed[rule]:
        return "error"
    example = tally.examples.get(rule)
    return "warning" if example is not None and example.severity == "warning" else "info"


def _fired_text(tally: Tally, rule: str, count: int) -> str:
    example = tally.examples.get(rule)
    stayed = tally.stayed[rule]
    return (f"{rule}: {count} finding{'s' if count != 1 else ''}"
            + (f" ({stayed} not fixed)" if stayed else "")
            + (f"; first: {visible(example.where())}: {one_line(example.message)}"
               if example else ""))


def _markdown(tally, ruleset, rule_ids, streams, paint, verbose) -> str:
    lines = [f"## lsrules run: {_md(ruleset)}", "",
             f"{tally.total} annotations", "",
             "| verdict | annotations |", "|---|---:|"]
    lines.extend(f"| {v} | {tally.verdicts[v]} |" for v in VERDICTS)
    if tally.rules:
        lines += ["", "| rule | findings | not fixed | severity | first example |",
                  "|---|---:|---:|---|---|"]
        for rule, count in tally.rules.most_common(None if verbose else 20):
            example = tally.examples.get(rule)
            lines.append(f"| `{rule}` | {count} | {tally.stayed[rule]} | "
                         f"{example.severity if example else ''} | "
                         + (f"{_md(example.where())}: {_md(example.message)}" if example else "")
                         + " |")
    found = _stream_rules(streams)
    if found:
        lines += ["", "| stream rule | findings |", "|---|---:|"]
        lines.extend(f"| `{rule}` | {count} |" for rule, count in found)
    if tally.annotators:
        lines += ["", "| annotator | accept | fixed | review | reject |",
                  "|---|---:|---:|---:|---:|"]
        shown = sorted(tally.annotators.items())
        for annotator, counts in shown if verbose else shown[:20]:
            lines.append(f"| {_md(annotator)} | " + " | ".join(str(count) for count in counts)
                         + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown table cell: one line, pipes and markup characters escaped
    (rule ids need none: the ruleset schema allows only letters, digits, `-`, `_`, `.`)."""
    text = " ".join(str(text).split())
    for character in "\\`*_[]<>|":
        text = text.replace(character, "\\" + character)
    return text


_XML_INVALID = str.maketrans({code: "\ufffd" for code in
                              [*range(0, 9), 11, 12, *range(14, 32),
                                                    *range(0xD800, 0xE000), 0xFFFE, 0xFFFF]})


def _xml(text: str) -> str:
    return text.translate(_XML_INVALID)


def annotator_of(annotation: dict) -> str:
    """Who made an annotation, as the summary names them."""
    annotator = annotation.get("completed_by")
    if isinstance(annotator, dict):
        annotator = annotator.get("id") or annotator.get("email")
    return str(annotator)


def write_summary(args, tally: Tally, engine, stream_counts) -> None:
    """The summary in `--format`, to `--summary` or standard error (none with --quiet,
    unless a file is asked for)."""
    if args.quiet and not args.summary:
        return
    paint = Painter(not args.summary and args.format == "text" and colour_enabled(sys.stderr))
    text = format_summary(tally, args.format, engine.name, list(engine.rule_ids),
                          stream_counts, paint, args.verbose)
    if args.summary:
        with AtomicOutput(args.summary) as stream:
            stream.write(text)
    else:
        sys.stderr.write(text)


def exit_code(verdicts, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    if verdicts["reject"]:
        return 1
    if fail_on == "warning" and (verdicts["review"] or verdicts["_warning"]):
        return 1
    return 0


def warn_out_of_order(order, args) -> None:
    """One line on stderr when annotations reached the stream rules out of time order
    (`order`: the run's `lsrules.streams.order.TimeOrder`)."""
    from lsrules.streams.order import late_warning

    warning = late_warning(order, args.stream_order, args.stream_lookahead)
    if warning is not None and not args.quiet:
        print(f"lsrules: {warning}", file=sys.stderr)
