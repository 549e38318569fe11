"""Stream rules on a cluster: events partitioned by key, each partition replayed in order.

A one-process run feeds every event, in input order, to one `StreamRuntime`. Its state is
per key and per rule, apart from three things that span keys; each is reproduced here, so
that the findings are the same, record for record:
- stream time, the running maximum of `created_at` (an event without one happens "now",
  the very first at 0.0): the driver carries it from block to block (`Timeline`), and a
  block works out its events' times from where the blocks before it left off;
- the sweep every `SWEEP_EVERY` events, which forgets the keys idle for longer than a
  rule's `idle` at that moment: each event carries the time of the last sweep before it,
  and a partition sweeps its own keys at that time before it matches the event;
- the cap of `MAX_KEYS` keys per rule, which applies per partition here: the driver says so
  when a rule's keys add up to more, the one case where findings may differ.
Each key kind (annotator, task, project) is split into partitions by a hash of the key; a
partition receives its events in input order and matches only its kind's rules.
"""
from __future__ import annotations

import json
import zlib

from lsrules.streams.runtime import SWEEP_EVERY

NEVER = float("-inf")


class Timeline:
    """Stream time and sweep time over the whole input, advanced block by block in order."""

    def __init__(self):
        self.count = 0  # events before the next block
        self.now = NEVER
        self.swept = NEVER  # stream time at the last sweep

    def advance(self, times: list) -> tuple[int, float, float]:
        """Take a block's `created_at` times; returns where the block starts."""
        start = (self.count, self.now, self.swept)
        for self.count, self.now, self.swept in timed(times, *start):
            pass
        if times:  # `timed` yields the state before each event's own sweep: one more step
            self.count += 1
            if self.count % SWEEP_EVERY == 0:
                self.swept = self.now
        return start


def timed(times: list, count: int, now: float, swept: float):
    """(input position, stream time, time of the last sweep before it) of each event,
    as `StreamRuntime.feed` works them out one event after another."""
    for moment in times:
        if moment is None:
            moment = now if now != NEVER else 0.0
        now = max(now, moment)
        yield count, now, swept
        count += 1
        if count % SWEEP_EVERY == 0:
            swept = now


def partition_of(key, partitions: int) -> int:
    return zlib.crc32(f"{type(key).__name__}:{key}".encode("utf-8", "surrogatepass")) % partitions


def split_events(result: dict, start: tuple, kinds: list[str], partitions: int) -> dict:
    """A block's events by (key kind, partition), each as (position, last sweep, event
    with its stream time), in input order."""
    from lsrules.streams.events import key_of

    buckets: dict = {(kind, part): [] for kind in kinds for part in range(partitions)}
    for (position, now, swept), event in zip(timed(result["times"], *start), result["events"]):
        event = dict(event, time=now)
        for kind in kinds:
            key = key_of(event, kind)
            if key is not None:
                buckets[kind, partition_of(key, partitions)].append((position, swept, event))
    return buckets


def replay(bundle: dict, kind: str, *buckets: list) -> dict:
    """One partition: its events, in input order, through a fresh stream runtime.

    Returns `findings` as (input position, rule index, record JSON line, verdict, is a
    warning, rule id) and how many distinct `keys` the partition saw."""
    from lsrules.commands.cluster.work import engine_for
    from lsrules.streams.decisions import finding_record
    from lsrules.streams.events import key_of
    from lsrules.streams.runtime import StreamRuntime

    ruleset = engine_for(bundle).ruleset
    runtime = StreamRuntime(ruleset)
    swept = NEVER
    keys = set()
    findings = []
    for bucket in buckets:
        for position, last_sweep, event in bucket:
            if last_sweep > swept:
                runtime.now = swept = last_sweep
                runtime.sweep()
            runtime.now = event["time"]
            keys.add(key_of(event, kind))
            for finding in runtime.match_event(event, kinds=(kind,)):
                record = finding_record(finding, ruleset)
                findings.append((position, finding.rule.index,
                                 json.dumps(record, ensure_ascii=False), record["verdict"],
                                 record["findings"][0]["severity"] == "warning",
                                 finding.rule.id))
    return {"findings": findings, "keys": len(keys)}
