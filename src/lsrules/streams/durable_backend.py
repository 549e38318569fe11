"""The durable-rules runtime behind stream rules (the `stream` extra).

The stream rules are partitioned by what they group events by (annotator, task,
project); each partition becomes one rule of a durable-rules ruleset and each of its
states (`sid`s) a shard of the keys. An event is posted once per partition, to the shard
of its key, and the partition's action runs the window bookkeeping and the conditions of
its stream rules. (Posting once per stream rule instead costs a durable-rules action per
rule and event, about 100 µs each in its Python glue.) What durable-rules 2.0.28 makes us
plan around:
- at most 1,024 live states (`sid`s) per ruleset, and a `delete_state` after hitting the
  limit can crash the process: a sid is a partition and one of `SHARDS` shards of the key
  (at most 3 x 64), never the key itself, and states are never deleted;
- rulesets cannot be unregistered: one ruleset per number of partitions (at most 3),
  registered once per process and shared by every runtime (messages carry its token);
- its host starts timer threads that dispatch actions in the background: our host starts
  none, so every action runs inside `post`, in order.
"""
from __future__ import annotations

import itertools
import threading
import weakref
import zlib
from typing import Any

from lsrules.errors import LsrulesError

SHARDS = 64  # durable-rules states per ruleset, far below its limit of 1,024

_lock = threading.Lock()
_host = None
_rulesets: dict[int, str] = {}  # number of partitions -> registered ruleset name
_runtimes: "weakref.WeakValueDictionary[int, Any]" = weakref.WeakValueDictionary()
_tokens = itertools.count(1)


class StreamExtraMissing(LsrulesError):
    """A ruleset has `streams:` but durable-rules is not installed."""


def import_durable_engine(location=None):
    try:
        from durable import engine
    except ImportError:
        raise StreamExtraMissing(
            "this ruleset has `streams:`, which need the stream extra: "
            "pip install 'lsrules[stream]' (durable-rules; build it with CPPFLAGS=-O2)",
            location) from None
    return engine


def shard_of(key) -> str:
    return str(zlib.crc32(str(key).encode("utf-8")) % SHARDS)


def _action(closure) -> None:
    message = closure.m
    runtime = _runtimes.get(message["t"])
    if runtime is not None:
        runtime.match(message["p"], message["k"])


def _registered(engine, partitions: int) -> tuple[Any, str]:
    global _host
    if _host is None:
        class QuietHost(engine.Host):
            """A host without the background timer threads (no timers are used)."""

            def _run(self):
                return None

        _host = QuietHost()
    name = _rulesets.get(partitions)
    if name is None:
        name = f"lsrules-streams-{partitions}"
        definition = {f"partition-{index}": {"all": [{"m": {"p": index}}], "run": _action}
                      for index in range(partitions)}
        _host.register_rulesets({name: definition})
        _rulesets[partitions] = name
    return _host, name


class DurableBackend:
    """Feeds a runtime's events through durable-rules."""

    def __init__(self, runtime, partitions: int, location=None):
        engine = import_durable_engine(location)
        with _lock:
            self.host, self.name = _registered(engine, partitions)
            self.token = next(_tokens)
            _runtimes[self.token] = runtime
        self.sids: set[str] = set()  # the states this runtime touched (at most SHARDS)

    def dispatch(self, partition: int, key) -> None:
        sid = f"{partition}:{shard_of(key)}"
        self.sids.add(sid)
        with _lock:
            self.host.post(self.name, {"sid": sid, "p": partition, "t": self.token, "k": key})


class DirectBackend:
    """The same dispatch without durable-rules: the reference the durable one is tested
    against, and proof that a ruleset does not depend on the runtime behind it."""

    def __init__(self, runtime, partitions: int, location=None):
        self.runtime = runtime

    def dispatch(self, partition: int, key) -> None:
        self.runtime.match(partition, key)
