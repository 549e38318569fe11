"""Stream rules fed in created_at order (lsrules.streams.order): an export in task-id order
no longer invents findings, and what is still out of order is said."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from lsrules.cli import main
from lsrules.streams.order import TimeOrder

pytestmark = pytest.mark.stream

ROOT = Path(__file__).resolve().parents[2]
ANNOTATORS = str(ROOT / "rulesets" / "annotators.yaml")


def released(order: TimeOrder, times: list) -> list[int]:
    found = []
    for position, moment in enumerate(times):
        pushed = order.push(moment, position)
        for earlier in pushed:
            assert position - earlier <= 2 * order.lookahead  # held at most twice the look-ahead
        found += pushed
    return found + order.finish()


@pytest.mark.parametrize("lookahead", [0, 1, 3, 10])
def test_every_event_is_released_once_and_in_order_when_close_enough(lookahead):
    rng = random.Random(lookahead)
    for _ in range(300):
        times = [None if rng.random() < 0.1 else rng.uniform(0, 100)
                 for _ in range(rng.randint(0, 40))]
        order = TimeOrder(lookahead)
        found = released(order, times)
        assert sorted(found) == list(range(len(times)))
        if lookahead == 0:
            assert found == list(range(len(times)))
    # each event at most `lookahead` places out of place: sorted, nothing late
    times = [float(n) for n in range(50)]
    for start in range(0, 48, 3):
        times[start], times[start + 2] = times[start + 2], times[start]
    order = TimeOrder(2)
    assert released(order, times) == sorted(range(50), key=times.__getitem__)
    assert order.late == 0


def test_events_without_a_time_stay_by_their_neighbour_and_late_ones_are_counted():
    order = TimeOrder(1)
    # 1 sorts as 5.0 (after 0: ties keep input order), 4 as 2.0; 2, 3, 4 and 6 come after 5.0
    assert released(order, [5.0, None, 1.0, 2.0, None, 9.0, 0.5]) == [0, 2, 3, 1, 4, 6, 5]
    assert (order.late, order.most_late) == (4, 4.5)


def test_an_event_far_in_the_future_waits_no_longer_than_twice_the_look_ahead():
    order = TimeOrder(2)
    times = [1000.0] + [float(n) for n in range(1, 10)]
    found = released(order, times)
    assert found == [1, 2, 3, 0, 4, 5, 6, 7, 8, 9]  # released four places on
    assert (order.late, order.most_late) == (6, 996.0)  # what came after it is late


def choice(label: str) -> list[dict]:
    return [{"id": "a", "type": "choices", "from_name": "topic", "to_name": "text",
             "value": {"choices": [label]}}]


def task_id_order_export(path: Path) -> None:
    """Annotator 7 labels twelve tasks a minute apart, in under two seconds each: careful
    enough, no rushing. Annotator 8 labels task 10 again an hour later, so in task-id order
    that annotation comes second in the file."""
    tasks = [{"id": 10 + n, "data": {"text": "t"}, "annotations": [
        {"id": 100 + n, "completed_by": 7, "lead_time": 1,
         "created_at": f"2024-05-01T09:{n:02d}:00Z", "result": choice("Sports")}]}
        for n in range(12)]
    tasks[0]["annotations"].append({"id": 999, "completed_by": 8, "lead_time": 10,
                                    "created_at": "2024-05-01T10:00:00Z",
                                    "result": choice("Sports")})
    path.write_text(json.dumps(tasks))


def run(tmp_path, *options) -> tuple[list[dict], str]:
    export, output = tmp_path / "export.json", tmp_path / "decisions.jsonl"
    task_id_order_export(export)
    code = main(["run", ANNOTATORS, "--input", str(export), "--output", str(output),
                 "--jobs", "1", "--no-progress", "--fail-on", "never", *options])
    assert code == 0
    return [json.loads(line) for line in output.read_text().splitlines()], ""


@pytest.mark.parametrize("options", [[], ["--stream-order", "time", "--stream-lookahead", "20"]])
def test_an_export_in_task_id_order_invents_no_stream_finding(tmp_path, capsys, options):
    records, _ = run(tmp_path, *options)
    assert [record for record in records if "stream" in record] == []
    assert len(records) == 13
    assert [record["annotation_id"] for record in records] == [100, 999] + list(range(101, 112))
    assert "out of created_at order" not in capsys.readouterr().err


def test_in_input_order_the_late_annotation_pulls_time_forward_and_is_warned_about(
        tmp_path, capsys):
    records, _ = run(tmp_path, "--stream-order", "input")
    # stream time jumped to 10:00, so eleven careful annotations look like one minute's
    streams = [record["stream"]["rule"] for record in records if "stream" in record]
    assert streams == ["rushers"]
    error = capsys.readouterr().err
    assert ("lsrules: warning: 11 annotations reached the stream rules out of created_at order "
            "(up to 59.0 min late) in input order (--stream-order input)") in error


def test_a_look_ahead_too_short_is_warned_about(tmp_path, capsys):
    run(tmp_path, "--stream-lookahead", "3")
    error = capsys.readouterr().err
    assert "annotations reached the stream rules out of created_at order" in error
    assert "even after sorting within 3 annotations" in error


def test_each_finding_follows_its_trigger_even_when_held_back(tmp_path):
    """Sorted within the look-ahead, a finding still comes right after the decision of the
    annotation that triggered it."""
    export, output = tmp_path / "export.json", tmp_path / "decisions.jsonl"
    tasks = [{"id": 10 + n, "data": {"text": "t"}, "annotations": [
        {"id": 100 + n, "completed_by": 7, "lead_time": 1,
         "created_at": f"2024-05-01T09:00:{4 * (11 - n):02d}Z", "result": choice("Sports")}]}
        for n in range(12)]  # newest first: the rules see them in reverse
    export.write_text(json.dumps(tasks))
    assert main(["run", ANNOTATORS, "--input", str(export), "--output", str(output),
                 "--jobs", "1", "--fail-on", "never"]) == 0
    records = [json.loads(line) for line in output.read_text().splitlines()]
    streams = [index for index, record in enumerate(records) if "stream" in record]
    assert [records[index]["stream"]["rule"] for index in streams] == ["rushers"]
    index = streams[0]
    assert records[index - 1]["annotation_id"] == records[index]["annotation_id"] == 102
    assert [e["annotation_id"] for e in records[index]["stream"]["events"]] == list(
        range(111, 101, -1))


def test_a_negative_look_ahead_is_refused(tmp_path, capsys):
    assert main(["run", ANNOTATORS, "--input", str(tmp_path / "x.json"),
                 "--stream-lookahead", "-1"]) == 2
    assert "--stream-lookahead must be 0 or more" in capsys.readouterr().err
