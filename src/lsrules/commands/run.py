"""`lsrules run`: evaluate a Label Studio export, streaming, on every core.

Decisions go out as JSONL (in input order), the corrected export with `--fixed`, and a
summary table on stderr. With `streams:`, each annotation is then fed to the stream rules
in `created_at` order, sorted within a look-ahead (`lsrules.streams.order`; `--stream-order
input` keeps the export's order), and a stream finding is written as its own record right
after the decision of the annotation that triggered it (see `lsrules.streams.decisions`),
which waits for it. Outputs
are written to temporary files and renamed at the end, so a malformed export (exit 2)
leaves nothing half-written behind.

With `--jobs N`, batches of annotations go to N worker processes and come back in order.
A JSON or JSONL file (without stream rules) goes to the workers as each task's text, which
they parse, check and evaluate, so the main process mostly moves text; otherwise (JSON_MIN,
standard input, stream rules) it reads the export and sends the parsed tasks.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from collections import Counter, deque
from contextlib import ExitStack
from typing import Any, Callable

from lsrules.commands.run_summary import (FORMATS, Tally, annotator_of, exit_code,
                                          warn_out_of_order, write_summary)
from lsrules.exports.lines import dumps
from lsrules.ruleset.containment import add_allow_outside_root_argument
from lsrules.streams.order import DEFAULT_LOOKAHEAD
from lsrules.terminal import add_verbosity_arguments

BATCH = 256
AHEAD_PER_JOB = 3  # batches in flight per worker: enough to keep it busy, and memory flat
MAXIMUM_JOBS_PER_CORE = 4  # beyond that, workers only cost memory (and forking them, time)


def add_arguments(parser) -> None:
    parser.add_argument("ruleset", metavar="RULESET", help="the ruleset to evaluate with")
    parser.add_argument("--input", "-i", required=True, help="Label Studio export (JSON, JSON_MIN, JSONL)")
    parser.add_argument("--output", "-o", default="-", help="decisions as JSONL (default stdout)")
    parser.add_argument("--fixed", help="write the export with the fixes applied")
    parser.add_argument("--input-format", default="auto",
                        choices=("auto", "json", "json_min", "jsonl", "jsonl_min"),
                        help="the export's format (default: from its name and first bytes)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="the summary: text (default), github (annotations), junit, "
                             "markdown (a CI job's page)")
    parser.add_argument("--summary", metavar="FILE",
                        help="write the summary to FILE (default: standard error)")
    parser.add_argument("--config", help="labeling config XML (overrides labeling_config:)")
    add_allow_outside_root_argument(parser)
    parser.add_argument("--jobs", "-j", type=int, default=0, help="worker processes (default: all cores)")
    parser.add_argument("--fail-on", choices=("error", "warning", "never"), default="error",
                        help="exit 1 when an annotation is rejected (error, the default), "
                             "also when one goes to review or has a warning (warning), or "
                             "never")
    parser.add_argument("--lenient", action="store_true",
                        help="pass result items without `value` to the rules instead of stopping")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress line on standard error (shown only on a terminal)")
    parser.add_argument("--max-line-bytes", type=int, default=100 << 20, metavar="N",
                        help="largest task read, in bytes: a JSONL line or an element of "
                             "a JSON array (default 100 MiB)")
    add_verbosity_arguments(parser)
    parser.add_argument("--select", action="append", metavar="RULE",
                        help="evaluate only these rules: ids or tags, comma-separated, "
                             "repeatable")
    parser.add_argument("--ignore", action="append", metavar="RULE",
                        help="do not evaluate these rules: ids or tags, comma-separated, "
                             "repeatable")
    parser.add_argument("--stream-order", choices=("time", "input"), default="time",
                        help="the order stream rules see annotations in: time (default: by "
                             "created_at, sorted within --stream-lookahead annotations) or "
                             "input (as the export lists them)")
    parser.add_argument("--stream-lookahead", type=int, default=DEFAULT_LOOKAHEAD, metavar="N",
                        help="with --stream-order time: how many annotations are held back to "
                             f"sort them (default {DEFAULT_LOOKAHEAD})")
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="run on a Dask cluster: tcp://HOST:PORT of its scheduler, or "
                             "local:N for N local workers; --input may then be a glob of "
                             "shards or an fsspec URL (the cluster extra)")


# -- workers ------------------------------------------------------------------------------
_ENGINE: Any = None  # this process's Engine: a worker's (set by _init_worker) or run's


def _init_worker(ruleset: str, config, selection=None, allow_outside_root=False) -> None:
    global _ENGINE
    import signal

    import lsrules

    # the pool stops its workers with SIGTERM: they end quietly (the main process cleans up)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    _ENGINE = lsrules.load(ruleset, config=config, selection=selection,
                           allow_outside_root=allow_outside_root)


def _evaluate_batch(batch: list[tuple[dict, dict, list]]) -> list[tuple]:
    """(decision JSON line, patch or None, verdict, fired rule ids, any warning, route name,
    rule ids of the errors that stayed) per item."""
    results = []
    for task, annotation, others in batch:
        decision = _ENGINE.evaluate(task, annotation, others)
        findings = decision.findings
        results.append((dumps(decision.to_dict()), decision.patch or None,
                        decision.verdict, [finding.rule for finding in findings],
                        any(finding.severity == "warning" for finding in findings),
                        decision.route["name"] if decision.route else None,
                        [finding.rule for finding in findings
                         if finding.severity == "error" and not finding.fixed]))
    return results


def _evaluate_texts(batch: list[tuple[int, str, int]], path: str, strict_items: bool,
                    fixed: bool) -> list[tuple]:
    """Parse, check and evaluate tasks given as JSON text, in a worker: per task, (decision
    JSON lines, the fixed task's JSON line or None, and per annotation (verdict, fired rule
    ids, any warning, annotator))."""
    from lsrules.engine.patch import apply_patch
    from lsrules.exports.lines import parse_line
    from lsrules.exports.reader import located_error
    from lsrules.exports.validation import MalformedTask, split_task
    from lsrules.exports.writer import with_annotations

    results = []
    for index, text, line_number in batch:
        # a JSONL line may still be malformed; an array element was checked to be JSON
        value = parse_line(text, path, index, line_number) if line_number else json.loads(text)
        try:
            task, annotations = split_task(value, strict_items)
        except MalformedTask as problem:
            raise located_error(path, problem.message, index, problem.json_path,
                                line_number) from None
        evaluated = _evaluate_batch([(task, annotation, annotations[:position]
                                      + annotations[position + 1:])
                                     for position, annotation in enumerate(annotations)])
        fixed_line = None
        if fixed:
            corrected = [apply_patch(annotation, patch) if patch else annotation
                         for annotation, (_, patch, *_) in zip(annotations, evaluated)]
            fixed_line = dumps(with_annotations(task, corrected))
        results.append(([line for line, *_ in evaluated], fixed_line,
                         [(verdict, fired, warned, annotator_of(annotation), stayed)
                          for annotation, (_, _, verdict, fired, warned, _, stayed)
                          in zip(annotations, evaluated)]))
    return results


def run(args) -> int:
    if args.max_line_bytes < 1:
        from lsrules.errors import LsrulesError

        raise LsrulesError("--max-line-bytes must be at least 1")
    if args.stream_lookahead < 0:
        from lsrules.errors import LsrulesError

        raise LsrulesError("--stream-lookahead must be 0 or more")
    if args.cluster:
        from lsrules.commands.cluster.driver import run_on_cluster

        return run_on_cluster(args)
    import lsrules
    from lsrules.engine.patch import apply_patch
    from lsrules.exports.reader import iter_annotations
    from lsrules.exports.writer import FixedExportWriter
    from lsrules.files import AtomicOutput

    from lsrules.ruleset.selection import Selection
    from lsrules.streams.order import held_back

    jobs = _jobs(args.jobs)
    selection = Selection.from_options(args.select, args.ignore)
    engine = lsrules.load(args.ruleset, config=args.config, selection=selection,
                          allow_outside_root=args.allow_outside_root)
    streams = None
    if engine.ruleset.streams:  # before any output exists: no extra -> exit 2, nothing written
        from lsrules.streams.runtime import StreamRuntime

        streams = StreamRuntime(engine.ruleset)
    stream_counts: Counter = Counter()
    reader = iter_annotations(args.input, args.input_format, labeling_config=engine.config,
                              strict_items=not args.lenient,
                              max_line_bytes=args.max_line_bytes)
    tally = Tally()
    progress = Progress(reader, enabled=sys.stderr.isatty() and not args.no_progress
                        and not args.quiet)
    with ExitStack() as stack:
        stack.enter_context(reader)
        output = stack.enter_context(AtomicOutput(None if args.output == "-" else args.output))
        fixed_writer = None
        if args.fixed:
            fixed_stream = stack.enter_context(AtomicOutput(args.fixed))
            fixed_writer = stack.enter_context(FixedExportWriter(fixed_stream, source=reader))
        ahead = AHEAD_PER_JOB * jobs if jobs > 1 else 1
        submit: Callable[[Any], Any]  # returns a Future, or a _Done with one job
        if jobs > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            pool = stack.enter_context(ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker, initargs=(args.ruleset, args.config, selection,
                                               args.allow_outside_root)))
            submit = lambda batch: pool.submit(_evaluate_batch, batch)  # noqa: E731
        else:
            global _ENGINE
            _ENGINE = engine
            submit = lambda batch: _Done(_evaluate_batch(batch))  # noqa: E731
        feed = None if streams is None else _StreamFeed(
            streams, held_back(args.stream_order, args.stream_lookahead), output,
            stream_counts)
        if (jobs > 1 and streams is None and reader.format in ("json", "jsonl")
                and args.input != "-"):
            _run_texts(args, reader.format, pool, ahead, output, fixed_writer, tally, progress)
        else:
            for items, results in _in_order(_batches(reader), lambda items: submit(
                    [(i.task, i.annotation, i.others) for i in items]), ahead):
                for item, (line, patch, verdict, fired, warned, route, stayed) in zip(
                        items, results):
                    if feed is None:
                        output.write(line)
                        output.write("\n")
                    else:
                        feed.add(line, item, verdict, fired, route)
                    if fixed_writer is not None:
                        annotation = (apply_patch(item.annotation, patch) if patch
                                      else item.annotation)
                        fixed_writer.write(item, annotation)
                    tally.add(verdict, fired, warned, annotator_of(item.annotation), line, stayed)
                progress.update(len(items))
            if feed is not None:
                feed.finish()
        progress.close()
    if feed is not None:
        warn_out_of_order(feed.order, args)
    write_summary(args, tally, engine, stream_counts)
    return exit_code(tally.verdicts + stream_counts, args.fail_on)


def _jobs(requested: int) -> int:
    """The number of worker processes `--jobs` asks for: 0 means one per core."""
    from lsrules.errors import LsrulesError

    cores = os.cpu_count() or 1
    if not 0 <= requested <= MAXIMUM_JOBS_PER_CORE * cores:
        raise LsrulesError(f"--jobs must be between 0 (one per core) and "
                           f"{MAXIMUM_JOBS_PER_CORE * cores} ({MAXIMUM_JOBS_PER_CORE} per core "
                           f"here), not {requested}")
    return requested or cores


def _run_texts(args, format, pool, ahead, output, fixed_writer, tally, progress) -> None:
    """The workers parse and check the tasks (`_evaluate_texts`); this process reads their
    text (checking a JSON array's syntax on the way) and writes what comes back in order.
    Pickling parsed tasks to the workers would cost more than their parsing them again."""
    from lsrules.exports.reader import ExportReader

    with ExportReader(args.input, format, as_text=True,
                      max_line_bytes=args.max_line_bytes) as texts:
        progress.reader = texts
        evaluate = functools.partial(_evaluate_texts, path=args.input,
                                     strict_items=not args.lenient,
                                     fixed=fixed_writer is not None)
        for _, results in _in_order(_batches(texts.texts()),
                                    lambda batch: pool.submit(evaluate, batch), ahead):
            for decision_lines, fixed_line, counts in results:
                for line in decision_lines:
                    output.write(line)
                    output.write("\n")
                if fixed_writer is not None:
                    fixed_writer.write_serialized(fixed_line)
                for line, (verdict, fired, warned, annotator, stayed) in zip(decision_lines,
                                                                              counts):
                    tally.add(verdict, fired, warned, annotator, line, stayed)
                progress.update(len(counts))


class _StreamFeed:
    """The stream rules, fed in `created_at` order (`lsrules.streams.order`), each finding
    written right after the decision of the annotation that triggered it: a decision waits
    here until its annotation has been fed (at most twice the look-ahead)."""

    def __init__(self, streams, lookahead: int, output, counts: Counter):
        from lsrules.streams.order import TimeOrder

        self.streams = streams
        self.order = TimeOrder(lookahead)
        self.output = output
        self.counts = counts
        self.pending: deque = deque()  # [decision line, its findings' lines once fed]

    def add(self, line: str, item, verdict: str, fired: list[str], route) -> None:
        from lsrules.timestamps import parse_time

        entry = [line, None]
        self.pending.append(entry)
        event = self.streams.event_for(item.task, item.annotation, verdict, fired, route)
        moment = parse_time(item.annotation.get("created_at"))
        self._feed(self.order.push(moment, (event, moment, entry)))

    def finish(self) -> None:
        self._feed(self.order.finish())

    def _feed(self, released: list) -> None:
        from lsrules.streams.decisions import finding_record

        for event, moment, entry in released:
            lines = []
            for finding in self.streams.feed_event(event, moment):
                record = finding_record(finding, self.streams.ruleset)
                lines.append(dumps(record))
                self.counts[record["verdict"]] += 1
                self.counts["_warning"] += record["findings"][0]["severity"] == "warning"
                self.counts["stream:" + finding.rule.id] += 1
            entry[1] = lines
        pending, output = self.pending, self.output
        while pending and pending[0][1] is not None:
            line, lines = pending.popleft()
            output.write(line)
            output.write("\n")
            for record in lines:
                output.write(record)
                output.write("\n")


class _Done:
    """A result computed in this process, with the interface of a Future."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


def _batches(iterable, size: int = BATCH):
    """Lists of `size` consecutive elements (the last one shorter)."""
    batch: list = []
    for element in iterable:
        batch.append(element)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _in_order(batches, submit, ahead: int):
    """Yield (batch, result) pairs in input order, with at most `ahead` batches in flight.

    The batches are read here, in the main thread (a malformed export raises here, at
    once); the bound keeps memory flat when the consumer (e.g. the stream rules, in order)
    is slower than the pool. A worker that dies raises BrokenProcessPool instead of
    hanging."""
    from concurrent.futures.process import BrokenProcessPool

    from lsrules.errors import LsrulesError

    pending: deque = deque()
    batches = iter(batches)
    try:
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            except LsrulesError:  # a malformed task: one in a batch sent earlier comes first
                for _, future in pending:
                    future.result()
                raise
            pending.append((batch, submit(batch)))
            if len(pending) >= ahead:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
    except BrokenProcessPool as error:
        raise LsrulesError(f"a worker process of --jobs died ({error}); try --jobs 1") from None


class Progress:
    """A one-line progress bar on stderr, only on a terminal."""

    def __init__(self, reader, enabled: bool):
        self.reader = reader
        self.enabled = enabled
        self.done = 0

    def update(self, count: int) -> None:
        self.done += count
        if not self.enabled:
            return
        size = getattr(self.reader, "size", None)
        read = getattr(self.reader, "bytes_read", None)
        share = f" {100 * read / size:5.1f}%" if size and read is not None else ""
        sys.stderr.write(f"\r{self.done} annotations{share}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
