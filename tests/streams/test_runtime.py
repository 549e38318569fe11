"""lsrules.streams.runtime and windows: firing, consumption, bounds, and the durable limits."""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap

import pytest

from lsrules.streams.durable_backend import SHARDS
from lsrules.streams.events import annotation_id, make_event
from lsrules.streams.runtime import StreamRuntime
from lsrules.streams.windows import RuleWindows
from tests.streams.helpers import annotation, load_checked, write_ruleset

pytestmark = pytest.mark.stream

RUSHERS = """\
- id: rushers
  when: count(e.annotation.lead_time < 2 for e in window("1m")) >= 3
  message: "{key}: {count(e.annotation.lead_time < 2 for e in window('1m'))} fast"
  flag: true
- id: streak
  key: annotator
  when: all(e.label == "B" for e in last(2))
- id: per-task
  key: task
  idle: 1h
  when: len(unique([e.label for e in events])) > 1
"""


@pytest.fixture
def ruleset(tmp_path):
    return load_checked(write_ruleset(tmp_path, RUSHERS))


def feed_all(runtime, items):
    found = []
    for task, item in items:
        found += runtime.feed(task, item, "accept")
    return found


def test_a_rule_fires_once_per_set_of_events_and_names_them(ruleset):
    runtime = StreamRuntime(ruleset)
    items = [annotation(n, 7, 10 * n, lead=1) for n in range(6)]
    found = [f for f in feed_all(runtime, items) if f.rule.id == "rushers"]
    assert [[annotation_id(e) for e in f.events] for f in found] == [[0, 1, 2], [3, 4, 5]]
    assert found[0].message == "7: 3 fast" and found[0].key == 7


def test_window_is_measured_in_event_time(ruleset):
    runtime = StreamRuntime(ruleset)
    items = [annotation(n, 7, 40 * n, lead=1) for n in range(6)]  # two per minute at most
    assert not [f for f in feed_all(runtime, items) if f.rule.id == "rushers"]


def test_last_waits_for_enough_events(ruleset):
    runtime = StreamRuntime(ruleset)
    first = runtime.feed(*annotation(1, 8, 0, label="B"), "accept")
    second = runtime.feed(*annotation(2, 8, 60, label="B"), "accept")
    assert [f.rule.id for f in first] == []
    assert [f.rule.id for f in second] == ["streak"]


def test_keys_are_separate_and_times_never_go_backwards(ruleset):
    runtime = StreamRuntime(ruleset)
    found = feed_all(runtime, [annotation(1, 7, 100, label="B"), annotation(2, 8, 0, label="B")])
    assert found == []
    assert runtime.now == pytest.approx(runtime.windows[0].keys[8][-1].time)


def random_items(seed: int, count: int):
    generator = random.Random(seed)
    clock = 0.0
    for number in range(count):
        clock += generator.expovariate(1 / 5)
        yield annotation(number, generator.randrange(6), clock, label=generator.choice("AB"),
                         lead=generator.choice([1, 1, 5]), task=generator.randrange(40))


def outline(findings):
    return [(f.rule.id, f.key, f.message, [annotation_id(e) for e in f.events])
            for f in findings]


def test_durable_rules_and_the_direct_runtime_agree(ruleset):
    durable = StreamRuntime(ruleset, backend="durable")
    direct = StreamRuntime(ruleset, backend="direct")
    items = list(random_items(3, 2000))
    found = outline(feed_all(durable, items))
    assert len({rule for rule, *_ in found}) == 3
    assert found == outline(feed_all(direct, items))


def test_more_keys_than_durable_rules_can_hold_states_for(tmp_path):
    """5,000 annotators: durable-rules sees at most SHARDS states (its limit is 1,024) and
    idle keys are forgotten, so neither side grows with the number of keys."""
    ruleset = load_checked(write_ruleset(tmp_path, """\
        - id: two-fast
          window: 10m
          idle: 10m
          when: count(e.annotation.lead_time < 2 for e in window("1m")) >= 2
        """))
    runtime = StreamRuntime(ruleset)
    for number in range(5000):
        runtime.feed(*annotation(number, f"user-{number}", number * 1.0, lead=1), "accept")
    assert len(runtime.backend.sids) <= SHARDS < 1024
    keys, events = runtime.state_size()
    assert keys <= 601 + 256 and events == keys  # ten minutes of keys, swept every 256 events
    runtime.feed(*annotation(9999, "late", 5000 + 3600.0), "accept")
    runtime.sweep()
    assert runtime.state_size() == (1, 1)


def timed(moment: float):
    event = make_event({"id": 1}, {"id": 1}, "accept", [], None)
    event.time = float(moment)
    return event


def test_windows_keep_at_most_limit_events_and_max_keys():
    windows = RuleWindows(horizon=100.0, idle=100.0, limit=3, max_keys=2)
    for number in range(5):
        windows.add("a", timed(number), float(number))
    assert [e.time for e in windows.keys["a"]] == [2.0, 3.0, 4.0]
    windows.add("b", timed(5), 5.0)
    windows.add("c", timed(6), 6.0)
    assert list(windows.keys) == ["b", "c"]  # the least recently seen key went first


def test_durable_rules_limit_is_what_we_think_it_is():
    """The fact the design rests on, checked in a child process (hitting it can corrupt
    durable-rules' state): the 1,025th live state of a ruleset raises MemoryError."""
    script = textwrap.dedent("""
        from durable import engine
        class Host(engine.Host):
            def _run(self):
                pass
        host = Host()
        host.register_rulesets({"limit": {"r": {"all": [{"m": {"r": 1}}], "run": lambda c: None}}})
        for n in range(1100):
            try:
                host.post("limit", {"sid": str(n), "r": 1})
            except MemoryError:
                print(n + 1)
                break
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "1025", done.stderr[-500:]
