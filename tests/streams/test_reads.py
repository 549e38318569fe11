"""Events keep only what the stream rules read (lsrules.streams.reads), and the findings
are the same as with whole events."""
from __future__ import annotations

import json
import pickle
import random
from pathlib import Path

import pytest

from lsrules.engine.engine import check_and_load
from lsrules.streams.decisions import finding_record
from lsrules.streams.events import make_event
from lsrules.streams.reads import EVERYTHING, event_fields
from lsrules.streams.runtime import StreamRuntime
from tests.streams.helpers import annotation, load_checked, write_ruleset

pytestmark = pytest.mark.stream

ROOT = Path(__file__).resolve().parents[2]


def fields_of(tmp_path, when: str, message: str = "m"):
    ruleset = load_checked(write_ruleset(tmp_path, f"- id: s\n  when: {json.dumps(when)}\n"
                                                   f"  message: {json.dumps(message)}\n"))
    return event_fields(ruleset.streams)


def test_the_example_rulesets_stream_rules_keep_a_few_fields():
    ruleset, _ = check_and_load(ROOT / "rulesets" / "annotators.yaml")
    fields = event_fields(ruleset.streams)
    assert fields.annotation == {"id", "lead_time"}
    assert fields.task == {"id", "project"}
    assert fields.event == {"annotation", "task", "verdict", "annotator", "labels", "time",
                            "label"}


@pytest.mark.parametrize("when, message, expected", [
    # fields read in a condition or a message, under any event name
    ("count(x.annotation.ground_truth for x in window('1h')) > 2", "m",
     ({"id", "ground_truth"}, {"id", "project"}, set())),
    ("event.task.meta.source == 'x'", "{event.rules} {len(events)}",
     ({"id"}, {"id", "project", "meta"}, {"rules"})),
    ("len(last(2)) == 2 and event.route != null", "m", ({"id"}, {"id", "project"}, {"route"})),
    # a part used whole keeps that part whole
    ("event.annotation != null", "m", (None, {"id", "project"}, set())),
])
def test_what_a_rule_reads_is_kept(tmp_path, when, message, expected):
    fields = fields_of(tmp_path, when, message)
    annotation_fields, task_fields, optional = expected
    assert fields.annotation == (None if annotation_fields is None else set(annotation_fields))
    assert fields.task == set(task_fields)
    assert fields.event - {"annotation", "task", "verdict", "annotator", "labels",
                           "time"} == optional


@pytest.mark.parametrize("when, message", [
    ("len([e for e in events]) > 1", "m"),  # an event as a value
    ("events[0].label == 'A'", "m"),  # a list of events indexed
    ("len(events) > 1", "{events}"),  # every event written out
    ("len(window('1h')) > 1", "{last(2)}"),
])
def test_an_event_used_whole_keeps_everything(tmp_path, when, message):
    assert fields_of(tmp_path, when, message) == EVERYTHING


def test_a_slim_event_holds_only_those_fields():
    ruleset, _ = check_and_load(ROOT / "rulesets" / "annotators.yaml")
    task = {"id": 5, "project": 2, "data": {"text": "x"}, "meta": {"a": 1}, "inner_id": 9}
    item = {"id": 7, "completed_by": 3, "lead_time": 1.5, "created_at": "2024-05-01T09:00:00Z",
            "updated_at": "2024-05-01T09:00:01Z", "unique_id": "u" * 36,
            "result": [{"id": "t", "type": "choices", "from_name": "topic",
                        "to_name": "text", "value": {"choices": ["Sports"]}}]}
    fields = event_fields(ruleset.streams)
    event = make_event(task, item, "accept", ["r"], None, fields)
    assert event.as_dict() == {
        "annotation": {"id": 7, "lead_time": 1.5}, "task": {"id": 5, "project": 2},
        "verdict": "accept", "annotator": 3, "labels": ["Sports"], "label": "Sports",
        "time": None}
    assert event.__slots__ == ("a0", "a1", "t0", "t1", "verdict", "annotator", "labels",
                               "time")
    whole = make_event(task, item, "accept", ["r"], None).as_dict()
    assert whole["annotation"] == {key: value for key, value in item.items() if key != "result"}
    assert whole["task"] == {"id": 5, "project": 2, "meta": {"a": 1}, "inner_id": 9}
    assert set(whole) == {"annotation", "task", "verdict", "annotator", "labels", "label",
                          "rules", "route", "time"}
    assert pickle.loads(pickle.dumps(event)).as_dict() == event.as_dict()


STREAMS = """\
- id: rushers
  when: count(e.annotation.lead_time < 2 for e in window("1m")) >= 3
  message: "{key}: {count(e.annotation.lead_time < 2 for e in window('1m'))} fast, {unique([e.task.id for e in events])}"
  route: review
- id: streak
  key: annotator
  window: 1h
  when: all(e.verdict == "reject" for e in last(3))
- id: per-task
  key: task
  idle: 1h
  when: len(unique([e.label for e in events])) > 1
  message: "{unique([e.annotator for e in events])} disagree: {event.annotation.lead_time}"
"""


def test_findings_are_the_same_with_slim_and_whole_events(tmp_path):
    """Random annotations through the same rules, events slim and events whole: the same
    records (the audit block's time and duration aside)."""
    ruleset = load_checked(write_ruleset(tmp_path, STREAMS))
    rng = random.Random(15)
    items = []
    for number in range(3000):
        task, item = annotation(number, rng.randint(1, 40), number * rng.uniform(1, 6),
                                rng.choice("ABC"), rng.choice([1, 1.5, 8, 20]),
                                task=rng.randint(1, 600))
        item.update({"updated_at": item["created_at"], "was_cancelled": False,
                     "ground_truth": False, "unique_id": f"{number:036d}"})
        items.append(({**task, "project": 3, "meta": {"n": number}, "inner_id": number},
                      item, rng.choice(["accept", "reject", "reject", "fixed"])))

    def records(slim: bool) -> list[dict]:
        runtime = StreamRuntime(ruleset, slim=slim)
        found = []
        for task, item, verdict in items:
            for finding in runtime.feed(task, item, verdict, ["one-label"], None):
                record = finding_record(finding, ruleset)
                del record["audit"]["time"], record["audit"]["duration_us"]
                found.append(record)
        return found

    slim = records(True)
    assert slim == records(False)
    assert {record["stream"]["rule"] for record in slim} == {"rushers", "streak", "per-task"}


WHOLE = """\
- id: labels-as-values
  key: annotator
  when: len(event.labels + ["x"]) == 2 and len(unique([e.labels for e in events])) > 1
  message: "{[e.labels for e in last(2)]} {last(1)}"
"""


def test_events_and_labels_used_as_values_are_the_languages_values(tmp_path):
    """Lists concatenate, and an event used whole is a dict with its annotation and task."""
    ruleset = load_checked(write_ruleset(tmp_path, WHOLE))
    runtime = StreamRuntime(ruleset)
    runtime.feed(*annotation(1, 8, 0, label="A"), "accept")
    found = runtime.feed(*annotation(2, 8, 60, label="B"), "accept")
    assert [finding.rule.id for finding in found] == ["labels-as-values"]
    message = found[0].message
    assert message.startswith('[["A"], ["B"]] [{"annotation": {"completed_by": 8, ')
    for part in ('"id": 2, ', '"labels": ["B"]', '"task": {"id": 1002}', '"verdict": "accept"'):
        assert part in message


def test_saved_state_of_slim_events_restores_to_the_same_findings(tmp_path):
    """`state()` is plain JSON of the events' kept fields; a runtime restored from it finds
    what the one that saved it would have."""
    ruleset = load_checked(write_ruleset(tmp_path, STREAMS))
    rng = random.Random(3)
    items = [annotation(number, rng.randint(1, 5), number * 7.0, rng.choice("AB"),
                        rng.choice([1, 20]), task=rng.randint(1, 30)) for number in range(400)]

    def feed(runtime, part):
        found = []
        for task, item in part:
            for finding in runtime.feed(task, item, "reject", [], None):
                record = finding_record(finding, ruleset)
                del record["audit"]["time"], record["audit"]["duration_us"]
                found.append(record)
        return found

    whole = StreamRuntime(ruleset)
    expected = feed(whole, items)
    first = StreamRuntime(ruleset)
    found = feed(first, items[:200])
    saved = json.loads(json.dumps(first.state()))
    second = StreamRuntime(ruleset)
    second.restore(saved)
    assert found + feed(second, items[200:]) == expected
    assert len(expected) > 5
