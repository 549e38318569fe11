"""`lsrules report`: the decisions of `run`, or the audit store of `serve`, as one HTML page.

The records say what was decided but not who annotated, when, or with which labels; given
the export they were made from (`--input`), the report joins it by annotation id, which
gives the annotators' verdict mix, verdicts by creation time and the suggester's accuracy.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from lsrules.errors import LsrulesError
from lsrules.exports.report.statistics import AnnotationFacts, ReportData, check_record


def add_arguments(parser) -> None:
    parser.add_argument("decisions", nargs="?", metavar="DECISIONS",
                        help="decisions as JSONL, as `lsrules run` writes them ('-': standard "
                             "input)")
    parser.add_argument("--store", help="read the decisions of the audit store of `lsrules "
                                        "serve` instead: a SQLite file or a postgresql:// URL")
    parser.add_argument("--since", help="with --store: only decisions recorded at or after this "
                                        "UTC ISO 8601 time")
    parser.add_argument("--input", "-i", metavar="EXPORT",
                        help="the Label Studio export the decisions were made from: annotators, "
                             "creation times and labels, joined by annotation id")
    parser.add_argument("--input-format", default="auto",
                        choices=("auto", "json", "json_min", "jsonl", "jsonl_min"),
                        help="the export's format (default: from its name and first bytes)")
    parser.add_argument("--output", "-o", default="report.html",
                        help="the HTML page (default report.html; '-': standard output)")


def run(args) -> int:
    from lsrules.exports.report.page import render
    from lsrules.files import AtomicOutput

    if (args.decisions is None) == (args.store is None):
        raise LsrulesError("give a decisions file or --store, one of them")
    if args.since is not None and args.store is None:
        raise LsrulesError("--since reads the audit store: give --store")
    facts = export_facts(args.input, args.input_format) if args.input else {}
    data = ReportData()
    if args.store is not None:
        source = f"audit store {args.store}"
        for record, recorded in store_decisions(args.store, args.since):
            data.add(record, _facts_of(record, facts), recorded)
    else:
        source = "decisions " + ("from standard input" if args.decisions == "-"
                                 else args.decisions)
        for record in decision_lines(args.decisions):
            data.add(record, _facts_of(record, facts))
    if args.input:
        source += f", export {args.input}"
    page = render(data, source)
    with AtomicOutput(args.output) as output:
        output.write(page)
    return 0


def _facts_of(record: dict[str, Any], facts: dict) -> AnnotationFacts | None:
    annotation_id = record.get("annotation_id")
    if annotation_id is None or isinstance(annotation_id, (dict, list)):
        return None
    return facts.get(annotation_id)


def decision_lines(path: str) -> Iterator[dict[str, Any]]:
    """Each decision record of a JSONL file; a line that is not one stops the report with
    its file:line."""
    import json
    import sys

    from lsrules.exports.lines import decode_line

    stream = sys.stdin.buffer if path == "-" else _open(path)
    name = "<stdin>" if path == "-" else path
    try:
        for number, raw in enumerate(stream, 1):
            text = decode_line(raw, name, number - 1, number)
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except (ValueError, RecursionError) as error:
                raise LsrulesError(f"not JSON ({str(error).partition(':')[0]})",
                                   f"{name}:{number}") from None
            problem = check_record(value)
            if problem:
                raise LsrulesError(f"not a decision record: {problem}", f"{name}:{number}")
            yield value
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _open(path: str):
    try:
        return open(path, "rb")
    except OSError as error:
        raise LsrulesError(f"cannot read the decisions ({error.strerror})", path) from None


def store_decisions(path: str, since: str | None) -> Iterator[tuple[dict[str, Any], float | None]]:
    """Each decision of the audit store, oldest first, with when it was recorded."""
    from lsrules.labelstudio.store_location import is_database_url, open_store
    from lsrules.timestamps import parse_time

    if not is_database_url(path) and not os.path.isfile(path):
        raise LsrulesError("no such audit store", path)
    store = open_store(path)
    try:
        for row in store.audit_records(since):
            if row["kind"] != "decision":
                continue
            record = row["detail"]
            problem = check_record(record)
            if problem:
                raise LsrulesError(f"a decision recorded at {row['time']} is not a decision "
                                   f"record: {problem}", path)
            yield record, parse_time(row["time"])
    finally:
        store.close()


def export_facts(path: str, format: str) -> dict[object, AnnotationFacts]:
    """Annotation id -> who made it, when, with which labels, for every annotation of the
    export that has an id."""
    from lsrules.exports.reader import iter_annotations
    from lsrules.streams.events import annotator_of, labels_of
    from lsrules.timestamps import parse_time

    facts: dict[object, AnnotationFacts] = {}
    with iter_annotations(path, format, strict_items=False) as reader:
        for item in reader:
            annotation = item.annotation
            annotation_id = annotation.get("id")
            if annotation_id is None or isinstance(annotation_id, (dict, list)):
                continue
            facts[annotation_id] = AnnotationFacts(
                annotator_of(annotation), parse_time(annotation.get("created_at")),
                tuple(labels_of(annotation)))
    return facts
