"""`lsrules run --cluster ADDRESS`: plan the blocks, hand them to Dask, write in order.

The workers do the reading, parsing and evaluating (`work.evaluate_block`); this process
fetches the blocks' results in input order, with a bounded number in flight, and writes
exactly what a one-process run writes. Dask retries a block whose worker dies (a block is a
pure function of its input), so a lost worker changes nothing in the output. With stream
rules, the decisions go to a temporary file first: the partitions (`streams`) need every
block's events before they can say what they found (fed in the order a one-process run
feeds them, `streams.schedule`), and each finding is then written right after the
decision of the annotation that triggered it.
"""
from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter, deque
from contextlib import ExitStack, contextmanager
from typing import Any, Mapping

from lsrules.errors import LsrulesError

BLOCKS_PER_WORKER = 8  # enough to even out the work, few enough to keep the overhead low
AHEAD_PER_WORKER = 4  # blocks in flight per worker: busy workers, bounded memory
PARTITIONS_PER_WORKER = 2  # stream partitions per key kind and worker
CONNECT_TIMEOUT = "10s"
INSTALL_HINT = "pip install 'lsrules[cluster]'"


def run_on_cluster(args) -> int:
    _require_extra()
    import lsrules
    from lsrules.commands.cluster import inputs, work
    from lsrules.commands.run_summary import Tally, exit_code, warn_out_of_order, write_summary
    from lsrules.exports.writer import FixedExportWriter
    from lsrules.files import AtomicOutput
    from lsrules.ruleset.selection import Selection

    if args.input == "-":
        raise LsrulesError("--cluster reads files (a path, a glob or an fsspec URL), "
                           "not standard input")
    selection = Selection.from_options(args.select, args.ignore)
    engine = lsrules.load(args.ruleset, config=args.config, selection=selection)
    if engine.uses_suggester:
        raise LsrulesError("a ruleset with `suggester:` does not run on --cluster; "
                           "run it without --cluster", engine.ruleset.path)
    kinds = list(dict.fromkeys(rule.key for rule in engine.ruleset.streams))
    if kinds:  # no stream extra: exit 2 before anything is started
        from lsrules.streams.durable_backend import import_durable_engine

        import_durable_engine(engine.ruleset.document.locate(("streams",)))
    bundle = work.make_bundle(engine, selection)
    tally = Tally()
    stream_counts: Counter = Counter()
    with ExitStack() as stack:
        client = stack.enter_context(connect(args.cluster))
        workers = _worker_count(client)
        blocks = inputs.plan(args.input, args.input_format, workers * BLOCKS_PER_WORKER)
        output = stack.enter_context(AtomicOutput(None if args.output == "-" else args.output))
        decisions = output
        if kinds:
            decisions = stack.enter_context(tempfile.TemporaryFile(
                "w+", encoding="utf-8", newline="\n"))
        fixed_writer = None
        if args.fixed:
            lines = blocks[0]["format"] in ("jsonl", "jsonl_min")
            fixed_writer = stack.enter_context(FixedExportWriter(
                stack.enter_context(AtomicOutput(args.fixed)), "jsonl" if lines else "json"))
        options = {"strict_items": not args.lenient, "fixed": fixed_writer is not None,
                   "streams": bool(kinds), "max_line_bytes": args.max_line_bytes}
        progress = _Progress(len(blocks), workers,
                             sys.stderr.isatty() and not args.no_progress)
        run = _BlockRun(client, bundle, options, kinds, workers * PARTITIONS_PER_WORKER)
        for block, result in run.results(blocks, workers * AHEAD_PER_WORKER):
            if "error" in result:
                raise _located_error(bundle, block, options, result)
            for line, (verdict, fired, warned, annotator, stayed) in zip(result["decisions"],
                                                                         result["counts"]):
                decisions.write(line)
                decisions.write("\n")
                tally.add(verdict, fired, warned, annotator, line, stayed)
            if fixed_writer is not None:
                for line in result["fixed"]:
                    fixed_writer.write_serialized(line)
            progress.update(len(result["counts"]), run.done())
        progress.close()
        if kinds:
            from lsrules.streams.order import held_back

            findings, keys = run.stream_findings(held_back(args.stream_order,
                                                           args.stream_lookahead))
            decisions.seek(0)
            _merge(decisions, findings, output, stream_counts)
            _warn_about_key_cap(keys)
    if kinds:
        warn_out_of_order(run.order, args)
    write_summary(args, tally, engine, stream_counts)
    return exit_code(tally.verdicts + stream_counts, args.fail_on)


def _require_extra() -> None:
    try:
        import distributed  # noqa: F401
        import fsspec  # noqa: F401
    except ImportError:
        raise LsrulesError(f"--cluster needs the cluster extra (Dask): {INSTALL_HINT}") from None


@contextmanager
def connect(address: str):
    """A Dask client of the scheduler at `address`, or of a local cluster for `local:N`."""
    from distributed import Client

    if address.startswith("local:"):
        count = address[len("local:"):]
        cores = os.cpu_count() or 1
        if not count.isdigit() or not 1 <= int(count) <= 4 * cores:
            raise LsrulesError(f"--cluster local:N takes N from 1 to {4 * cores} "
                               f"(worker processes on this machine), not {count!r}")
        from distributed import LocalCluster

        # worker processes inherit the environment: quiet unless something goes wrong
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
        with LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    if "://" not in address:
        raise LsrulesError(f"--cluster takes tcp://HOST:PORT (a Dask scheduler) or local:N, "
                           f"not {address!r}")
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise LsrulesError(f"cannot reach the Dask scheduler at {address}: "
                           f"{error}") from None
    with client:
        yield client


def _worker_count(client) -> int:
    workers = len(client.scheduler_info().get("workers", {}))
    if workers:
        return workers
    try:
        client.wait_for_workers(1, timeout=60)
    except TimeoutError:
        raise LsrulesError("the Dask scheduler has no workers (none joined within 60 s)") from None
    return len(client.scheduler_info().get("workers", {})) or 1


class _BlockRun:
    """The blocks' futures: results fetched in input order, events kept on the cluster."""

    def __init__(self, client, bundle: dict, options: dict, kinds: list[str],
                 partitions: int):
        self.client = client
        self.bundle = bundle
        self.options = options
        self.kinds = kinds
        self.partitions = partitions
        self.blocks: list = []  # per block: (its result's future, events on the cluster; count)
        self.times: list = []  # every annotation's `created_at` (None without one), in order
        self.in_flight: deque = deque()
        self.order: Any = None  # the stream feed's TimeOrder, once `stream_findings` ran

    def results(self, blocks: list[dict], ahead: int):
        """(block, result without events) in input order."""
        from lsrules.commands.cluster import work

        submit = self.client.submit
        pending = iter(blocks)
        while True:
            while len(self.in_flight) < ahead:
                block = next(pending, None)
                if block is None:
                    break
                future = submit(work.evaluate_block, self.bundle, block, self.options,
                                pure=False)
                fetched = submit(work.without_events, future, pure=False) if self.kinds else future
                self.in_flight.append((block, future, fetched))
            if not self.in_flight:
                return
            block, future, fetched = self.in_flight.popleft()
            result = _result(fetched)
            if self.kinds and "error" not in result:
                self.blocks.append((future, len(result["times"])))
                self.times.extend(result["times"])
            del future, fetched
            yield block, result

    def done(self) -> int:
        return sum(future.done() for _, future, _ in self.in_flight)

    def stream_findings(self, lookahead: int) -> tuple[list[tuple], dict[str, int]]:
        """Every partition's findings in output order, and the keys seen per kind; the feed
        is in time order within `lookahead` annotations, as in a one-process run."""
        import operator

        from lsrules.commands.cluster.streams import replay, schedule, split_events

        submit = self.client.submit
        places, self.order = schedule(self.times, lookahead)
        splits = []
        start = 0
        for future, count in self.blocks:
            splits.append(submit(split_events, future, start, places[start:start + count],
                                 self.kinds, self.partitions, pure=False))
            start += count
        self.blocks = []
        replays = []
        for kind in self.kinds:
            for part in range(self.partitions):
                buckets = [submit(operator.getitem, split, (kind, part), pure=False)
                           for split in splits]
                replays.append((kind, submit(replay, self.bundle, kind, *buckets, pure=False)))
        findings: list[tuple] = []
        keys: Counter = Counter()
        for kind, future in replays:
            result = _result(future)
            findings.extend(result["findings"])
            keys[kind] += result["keys"]
        findings.sort(key=lambda finding: finding[:2])
        return findings, keys


def _result(future):
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as error:
        raise LsrulesError(f"the cluster lost the workers running a block several times "
                           f"({error}); its workers may be running out of memory") from None


def _merge(decisions, findings: list[tuple], output, stream_counts: Counter) -> None:
    """The decisions, each followed by the stream findings its annotation triggered."""
    upcoming = iter(findings)
    finding = next(upcoming, None)
    for position, line in enumerate(decisions):
        output.write(line)
        while finding is not None and finding[0] == position:
            _, _, record, verdict, warning, rule_id = finding
            output.write(record)
            output.write("\n")
            stream_counts[verdict] += 1
            stream_counts["_warning"] += warning
            stream_counts["stream:" + rule_id] += 1
            finding = next(upcoming, None)


def _warn_about_key_cap(keys: Mapping[str, int]) -> None:
    from lsrules.streams.windows import MAX_KEYS

    for kind, count in sorted(keys.items()):
        if count > MAX_KEYS:
            print(f"lsrules: note: the stream rules saw {count} {kind} keys; beyond {MAX_KEYS} "
                  "a one-process run forgets the least recently seen, a cluster run does so "
                  "per partition, so their findings may differ", file=sys.stderr)


def _located_error(bundle: dict, block: dict, options: dict, result: dict) -> LsrulesError:
    """A malformed task found in a JSONL block after the first: the block is read again
    here, knowing the lines before it, so the error names the line as a one-process run
    would."""
    if block["format"] != "jsonl" or block["start"] == 0:
        return LsrulesError(result["error"])
    from lsrules.commands.cluster.inputs import lines_before
    from lsrules.commands.cluster.work import evaluate_block

    lines, tasks = lines_before(block)
    again = evaluate_block(bundle, block, dict(options, lines_before=lines, tasks_before=tasks))
    return LsrulesError(again.get("error", result["error"]))


class _Progress:
    """A one-line counter on stderr, only on a terminal."""

    def __init__(self, blocks: int, workers: int, enabled: bool):
        self.blocks = blocks
        self.workers = workers
        self.enabled = enabled
        self.annotations = 0
        self.written = 0

    def update(self, annotations: int, running_done: int) -> None:
        self.annotations += annotations
        self.written += 1
        if self.enabled:
            sys.stderr.write(f"\r{self.annotations} annotations, blocks: {self.written} "
                             f"written, {running_done} more done, of {self.blocks} "
                             f"({self.workers} workers)")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
