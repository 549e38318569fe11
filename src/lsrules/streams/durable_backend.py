"""The durable-rules runtime behind stream rules (the `stream` extra).

The compiled program becomes one durable-rules ruleset with one rule per stream rule;
each event is posted once per stream rule and that rule's action runs the rule's window
bookkeeping and condition. What durable-rules 2.0.28 makes us plan around:
- at most 1,024 live states (`sid`s) per ruleset, and a `delete_state` after hitting the
  limit can crash the process: the sid is one of `SHARDS` shards of the key, never the key
  itself, and states are never deleted;
- rulesets cannot be unregistered: one ruleset per number of stream rules, registered once
  per process and shared by every runtime (messages carry the runtime's token);
- its host starts timer threads that dispatch actions in the background: our host starts
  none, so every action runs inside `post`, in order.
"""
from __future__ import annotations

import itertools
import threading
import weakref
import zlib

from lsrules.errors import LsrulesError

SHARDS = 64  # durable-rules states per ruleset, far below its limit of 1,024

_lock = threading.Lock()
_host = None
_rulesets: dict[int, str] = {}  # number of stream rules -> registered ruleset name
_runtimes: "weakref.WeakValueDictionary[int, object]" = weakref.WeakValueDictionary()
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
        runtime.match(message["r"], message["k"])


def _registered(engine, rule_count: int) -> tuple[object, str]:
    global _host
    if _host is None:
        class QuietHost(engine.Host):
            """A host without the background timer threads (no timers are used)."""

            def _run(self):
                return None

        _host = QuietHost()
    name = _rulesets.get(rule_count)
    if name is None:
        name = f"lsrules-streams-{rule_count}"
        definition = {f"stream-{index}": {"all": [{"m": {"r": index}}], "run": _action}
                      for index in range(rule_count)}
        _host.register_rulesets({name: definition})
        _rulesets[rule_count] = name
    return _host, name


class DurableBackend:
    """Feeds a runtime's events through durable-rules."""

    def __init__(self, runtime, rule_count: int, location=None):
        engine = import_durable_engine(location)
        with _lock:
            self.host, self.name = _registered(engine, rule_count)
            self.token = next(_tokens)
            _runtimes[self.token] = runtime
        self.sids: set[str] = set()  # the states this runtime touched (at most SHARDS)

    def dispatch(self, index: int, key) -> None:
        sid = shard_of(key)
        self.sids.add(sid)
        with _lock:
            self.host.post(self.name, {"sid": sid, "r": index, "t": self.token, "k": key})


class DirectBackend:
    """The same dispatch without durable-rules: the reference the durable one is tested
    against, and proof that a ruleset does not depend on the runtime behind it."""

    def __init__(self, runtime, rule_count: int, location=None):
        self.runtime = runtime

    def dispatch(self, index: int, key) -> None:
        self.runtime.match(index, key)
