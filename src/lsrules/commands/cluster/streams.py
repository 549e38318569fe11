"""Stream rules on a cluster: events partitioned by key, each partition replayed in order.

A one-process run feeds every event to one `StreamRuntime`, in `created_at` order within a
look-ahead (`TimeOrder`). Its state is per key and per rule, apart from what spans keys;
each is reproduced here, so that the findings are the same, record for record:
- the feed order: the driver runs the same `TimeOrder` over every block's times
  (`schedule`) and gives each event its place in the feed;
- stream time, the running maximum of `created_at` in feed order (an event without one
  happens "now", the very first at 0.0);
- the sweep every `SWEEP_EVERY` events, which forgets the keys idle for longer than a
  rule's `idle` at that moment: each event carries the time of the last sweep before it,
  and a partition sweeps its own keys at that time before it matches the event;
- the cap of `MAX_KEYS` keys per rule, which applies per partition here: the driver says so
  when a rule's keys add up to more, the one case where findings may differ.
Each key kind (annotator, task, project) is split into partitions by a hash of the key; a
partition receives its events in feed order and matches only its kind's rules.
"""
from __future__ import annotations

import heapq
import json
import zlib

from lsrules.streams.order import TimeOrder
from lsrules.streams.runtime import SWEEP_EVERY

NEVER = float("-inf")


def schedule(times: list, lookahead: int) -> tuple[list[tuple], TimeOrder]:
    """Per input position: (its place in the feed, its stream time, the time of the last
    sweep before it), as a one-process run feeds the events in `TimeOrder`; and the order,
    which counted the late events."""
    order = TimeOrder(lookahead)
    places: list = [None] * len(times)
    count, now, swept = 0, NEVER, NEVER
    for position, moment in enumerate(times):
        for fed in order.push(moment, position):
            count, now, swept = _place(places, times, fed, count, now, swept)
    for fed in order.finish():
        count, now, swept = _place(places, times, fed, count, now, swept)
    return places, order


def _place(places: list, times: list, fed: int, count: int, now: float,
           swept: float) -> tuple[int, float, float]:
    """`StreamRuntime.feed_event`'s clock, for the event at input position `fed`."""
    moment = times[fed]
    if moment is None:
        moment = now if now != NEVER else 0.0
    now = max(now, moment)
    places[fed] = (count, now, swept)
    count += 1
    if count % SWEEP_EVERY == 0:
        swept = now
    return count, now, swept


def partition_of(key, partitions: int) -> int:
    return zlib.crc32(f"{type(key).__name__}:{key}".encode("utf-8", "surrogatepass")) % partitions


def split_events(result: dict, start: int, places: list, kinds: list[str],
                 partitions: int) -> dict:
    """A block's events by (key kind, partition), each as (place in the feed, input
    position, last sweep, event with its stream time), in feed order; the block's first
    annotation is at input position `start`."""
    from lsrules.streams.events import key_of

    buckets: dict = {(kind, part): [] for kind in kinds for part in range(partitions)}
    for position, ((fed, now, swept), event) in enumerate(zip(places, result["events"]),
                                                          start):
        event = event.with_time(now)
        for kind in kinds:
            key = key_of(event, kind)
            if key is not None:
                buckets[kind, partition_of(key, partitions)].append((fed, position, swept,
                                                                     event))
    for bucket in buckets.values():
        bucket.sort(key=lambda entry: entry[0])
    return buckets


def replay(bundle: dict, kind: str, *buckets: list) -> dict:
    """One partition: its events, in feed order, through a fresh stream runtime.

    Returns `findings` as (input position of the triggering annotation, rule index, record
    JSON line, verdict, is a warning, rule id) and how many distinct `keys` it saw."""
    from lsrules.commands.cluster.work import engine_for
    from lsrules.streams.decisions import finding_record
    from lsrules.streams.events import key_of
    from lsrules.streams.runtime import StreamRuntime

    ruleset = engine_for(bundle).ruleset
    runtime = StreamRuntime(ruleset)
    swept = NEVER
    keys = set()
    findings = []
    for _, position, last_sweep, event in heapq.merge(*buckets, key=lambda entry: entry[0]):
        if last_sweep > swept:
            runtime.now = swept = last_sweep
            runtime.sweep()
        runtime.now = event.time
        keys.add(key_of(event, kind))
        for finding in runtime.match_event(event, kinds=(kind,)):
            record = finding_record(finding, ruleset)
            findings.append((position, finding.rule.index,
                             json.dumps(record, ensure_ascii=False), record["verdict"],
                             record["findings"][0]["severity"] == "warning",
                             finding.rule.id))
    return {"findings": findings, "keys": len(keys)}
