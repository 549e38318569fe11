"""`lsrules run --cluster` on a real Dask cluster: the same records as a one-process run.

The scheduler and its two workers are real processes (`conftest.py`); each cluster run is a
real `lsrules` process. Records are compared whole, apart from the time fields of `audit`.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lsrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
ANNOTATORS = str(ROOT / "rulesets" / "annotators.yaml")
VEHICLES = str(ROOT / "rulesets" / "vehicles.yaml")
SENTIMENT = str(ROOT / "rulesets" / "sentiment.yaml")
VEHICLES_EXPORT = ROOT / "rulesets" / "samples" / "vehicles-export.json"
SENTIMENT_EXPORT = ROOT / "rulesets" / "samples" / "sentiment-export.jsonl"
KILLER = Path(__file__).with_name("killer.py")
START = 1714554000.0  # 2024-05-01T09:00:00Z


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + "Z"


def topic_tasks(count: int, seed: int) -> list[dict]:
    """Topic annotations for rulesets/annotators.yaml that exercise every part of stream
    state: tasks seen again after about a day (the `idle: 1d` sweep decides whether their
    annotators disagree), fast annotators (rushers), rejected ones (no topic), annotations
    without `created_at` and some that arrive late (stream time never goes back)."""
    rng = random.Random(seed)
    tasks, now = [], START
    for number in range(1, count + 1):
        burst = number % 500 < 12  # annotator 9 rushes through 12 tasks, 3 s apart
        now += 3 if burst else rng.uniform(0, 1200)
        annotation = {"id": number, "task": rng.randrange(200),
                      "completed_by": 9 if burst else rng.randrange(1, 6),
                      "lead_time": 1.0 if burst else rng.choice([1.5, 5.0, 30.0]),
                      "result": [] if rng.random() < 0.1 else [
                          {"id": "t", "type": "choices", "from_name": "topic", "to_name": "text",
                           "value": {"choices": [rng.choice(["Sports", "Politics"])]}}]}
        chance = rng.random()
        if chance >= 0.1:
            annotation["created_at"] = iso(now)
        elif chance >= 0.05:
            annotation["created_at"] = iso(now - rng.uniform(0, 3 * 86400))
        tasks.append({"id": annotation["task"], "project": 1, "data": {"text": f"text {number}"},
                      "annotations": [annotation]})
    return tasks


def write_shards(tasks: list[dict], directory: Path, shards: int) -> Path:
    """The tasks in `shards` JSONL files (part-00.jsonl, ...) and all of them in one file."""
    directory.mkdir()
    whole = directory.parent / f"{directory.name}.jsonl"
    size = -(-len(tasks) // shards)
    with whole.open("w") as everything:
        for shard in range(shards):
            with (directory / f"part-{shard:02d}.jsonl").open("w") as stream:
                for task in tasks[shard * size:(shard + 1) * size]:
                    line = json.dumps(task) + "\n"
                    stream.write(line)
                    everything.write(line)
    return whole


def one_process(ruleset: str, export: Path, output: Path, *extra: str) -> int:
    return main(["run", ruleset, "--input", str(export), "--output", str(output), "--jobs", "1",
                 "--fail-on", "never", *extra])


def on_cluster(ruleset: str, pattern: str, output: Path, address: str, *extra: str):
    return subprocess.run([sys.executable, "-m", "lsrules.cli", "run", ruleset, "--input", pattern,
                           "--output", str(output), "--cluster", address, "--fail-on", "never",
                           "--no-progress", *extra], capture_output=True, text=True, timeout=600)


def records(path: Path) -> list[dict]:
    """The decision records without their time fields (when, and how long it took)."""
    found = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        del record["audit"]["time"], record["audit"]["duration_us"]
        found.append(record)
    return found


def stream_rules(found: list[dict]) -> set[str]:
    return {record["stream"]["rule"] for record in found if "stream" in record}


@pytest.mark.parametrize("order", [[], ["--stream-lookahead", "20"],
                                   ["--stream-order", "input"]])
def test_stream_rules_on_two_workers_give_the_one_process_records(tmp_path, dask_cluster,
                                                                   capsys, order):
    """In time order (sorted within the default look-ahead, or within 20 annotations, some
    then late) or in input order: the same records, and the same warning."""
    tasks = topic_tasks(3000, seed=3)
    whole = write_shards(tasks, tmp_path / "shards", 4)
    expected, got = tmp_path / "one.jsonl", tmp_path / "cluster.jsonl"
    capsys.readouterr()
    one_process(ANNOTATORS, whole, expected, *order)
    summary = capsys.readouterr().err
    done = on_cluster(ANNOTATORS, str(tmp_path / "shards" / "*.jsonl"), got, dask_cluster.address,
                      *order)
    assert done.returncode == 0, done.stderr
    assert ("out of created_at order" in summary) == bool(order)
    assert records(got) == records(expected)
    assert done.stderr == summary  # the same counts, per rule and per annotator
    # the comparison means something: every kind of stream rule fired, tasks included
    assert stream_rules(records(expected)) >= {"rushers", "task-disagreement", "label-drift"}
    assert len(records(expected)) > len(tasks) + 100
    assert "stream findings" in done.stderr


def test_a_worker_killed_mid_run_changes_nothing(tmp_path, dask_cluster):
    tasks = topic_tasks(3000, seed=4)
    whole = write_shards(tasks, tmp_path / "shards", 6)
    expected, got = tmp_path / "one.jsonl", tmp_path / "cluster.jsonl"
    one_process(ANNOTATORS, whole, expected)
    killer = dask_cluster.start_worker("worker-killed", "--preload", str(KILLER))
    dask_cluster.wait_for_workers(3)
    pattern = (tmp_path / "shards").as_uri() + "/part-*.jsonl"  # an fsspec URL
    done = on_cluster(ANNOTATORS, pattern, got, dask_cluster.address)
    assert killer.wait(timeout=60) == -9, "the worker did not die mid-run: nothing was tested"
    assert done.returncode == 0, done.stderr
    assert records(got) == records(expected)
    assert stream_rules(records(expected)) >= {"rushers", "task-disagreement"}


def test_json_array_shards_and_the_fixed_export(tmp_path, dask_cluster):
    tasks = json.loads(VEHICLES_EXPORT.read_text())
    third = -(-len(tasks) // 3)
    shards = tmp_path / "shards"
    shards.mkdir()
    for number in range(3):
        (shards / f"export-{number}.json").write_text(
            json.dumps(tasks[number * third:(number + 1) * third], indent=1))
    expected, got = tmp_path / "one.jsonl", tmp_path / "cluster.jsonl"
    one_process(VEHICLES, VEHICLES_EXPORT, expected, "--fixed", str(tmp_path / "one-fixed.json"))
    done = on_cluster(VEHICLES, str(shards / "export-*.json"), got, dask_cluster.address,
                      "--fixed", str(tmp_path / "cluster-fixed.json"))
    assert done.returncode == 0, done.stderr
    assert records(got) == records(expected)
    fixed = json.loads((tmp_path / "cluster-fixed.json").read_text())
    assert fixed == json.loads((tmp_path / "one-fixed.json").read_text())
    assert fixed != tasks  # some annotations were corrected


def test_a_local_cluster_writes_the_same_decisions_and_fixed_jsonl(tmp_path):
    expected, got = tmp_path / "one.jsonl", tmp_path / "cluster.jsonl"
    one_process(SENTIMENT, SENTIMENT_EXPORT, expected, "--fixed", str(tmp_path / "one.fixed"),
                "--ignore", "negative-review")
    done = on_cluster(SENTIMENT, str(SENTIMENT_EXPORT), got, "local:2",
                      "--fixed", str(tmp_path / "cluster.fixed"), "--ignore", "negative-review")
    assert done.returncode == 0, done.stderr
    assert records(got) == records(expected)
    assert "negative-review" not in got.read_text()  # the workers kept to the selection
    assert "lc-required-missing" in got.read_text()
    assert (tmp_path / "cluster.fixed").read_bytes() == (tmp_path / "one.fixed").read_bytes()


def test_a_bad_line_in_a_late_block_is_named_as_one_process_names_it(tmp_path, dask_cluster,
                                                                      capsys):
    tasks = topic_tasks(2000, seed=5)
    lines = [json.dumps(task) for task in tasks]
    lines[1700] = lines[1700][:-5]  # cut short: invalid JSON, far past the first block
    lines.insert(900, "")  # a blank line is no task: the task index must not count it
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(lines) + "\n")
    assert one_process(ANNOTATORS, export, tmp_path / "one.jsonl") == 2
    expected = capsys.readouterr().err.strip()
    got = tmp_path / "cluster.jsonl"
    done = on_cluster(ANNOTATORS, str(export), got, dask_cluster.address)
    assert done.returncode == 2
    assert done.stderr.strip() == expected
    assert ":1702:" in expected and "task #1700" in expected
    assert not got.exists() and not list(tmp_path.glob(".cluster.jsonl*"))


def test_without_dask_the_cluster_option_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    code = main(["run", SENTIMENT, "--input", str(SENTIMENT_EXPORT), "--output",
                 str(tmp_path / "d.jsonl"), "--cluster", "local:2"])
    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1 and "pip install 'lsrules[cluster]'" in error
    assert not (tmp_path / "d.jsonl").exists()


def test_an_address_that_is_no_cluster_is_one_line_and_exit_2(tmp_path, capsys):
    for address in ("127.0.0.1:8786", "local:0", "local:many"):
        code = main(["run", SENTIMENT, "--input", str(SENTIMENT_EXPORT), "--output",
                     str(tmp_path / "d.jsonl"), "--cluster", address])
        error = capsys.readouterr().err
        assert code == 2, address
        assert error.count("\n") == 1 and "--cluster" in error
    assert not (tmp_path / "d.jsonl").exists()


def test_an_input_matching_no_file_is_one_line_and_exit_2(tmp_path, dask_cluster):
    done = on_cluster(SENTIMENT, str(tmp_path / "missing-*.jsonl"), tmp_path / "d.jsonl",
                      dask_cluster.address)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("no file matches")
    assert done.stderr.count("\n") == 1


def test_a_line_over_the_limit_in_a_late_block_is_refused_as_one_process_refuses_it(
        tmp_path, dask_cluster, capsys):
    lines = [json.dumps(task) for task in topic_tasks(2000, seed=6)]
    lines[1500] = lines[1500][:-1] + " " * 5000 + "}"  # valid JSON, but over the limit
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(lines) + "\n")
    limit = ["--max-line-bytes", "4000"]
    assert one_process(ANNOTATORS, export, tmp_path / "one.jsonl", *limit) == 2
    expected = capsys.readouterr().err.strip()
    done = on_cluster(ANNOTATORS, str(export), tmp_path / "cluster.jsonl", dask_cluster.address,
                      *limit)
    assert done.returncode == 2
    assert done.stderr.strip() == expected
    assert ":1501: task #1500: a line longer than 4,000 bytes" in expected


def test_a_ruleset_that_extends_files_runs_the_same_on_a_cluster(tmp_path):
    # the workers get the extended files too, under their paths from the project root
    (tmp_path / "lsrules.toml").write_text("")
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "shared.yaml").write_text(
        'ruleset: shared\nversion: "1"\nroutes:\n  review: {priority: 5}\nrules:\n'
        '  - id: many-topics\n    severity: warning\n    assert: len(regions) < 2\n'
        '    route: review\n')
    (tmp_path / "rules").mkdir()
    ruleset = tmp_path / "rules" / "topics.yaml"
    ruleset.write_text('ruleset: topics\nversion: "1"\nextends: [../packs/shared.yaml]\n'
                       'rules:\n  - id: answered\n    assert: len(regions) > 0\n')
    tasks = [{"id": n, "data": {"text": "t"}, "annotations": [
        {"id": 10 + n, "result": [{"id": f"r{k}", "from_name": "topic", "to_name": "text",
                                   "type": "choices", "value": {"choices": ["A"]}}
                                  for k in range(n)]}]} for n in range(4)]
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(task) + "\n" for task in tasks))
    expected, got = tmp_path / "one.jsonl", tmp_path / "cluster.jsonl"
    one_process(str(ruleset), export, expected)
    done = on_cluster(str(ruleset), str(export), got, "local:2")
    assert done.returncode == 0, done.stderr
    assert records(got) == records(expected)
    assert {"many-topics", "answered"} <= {f["rule"] for r in records(got) for f in r["findings"]}
