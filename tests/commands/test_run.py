"""`lsrules run` end to end: outputs, schema-valid decisions, order, and malformed exports."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from lsrules.cli import main
from lsrules.engine.patch import apply_patch

ROOT = Path(__file__).resolve().parents[2]
VEHICLES = str(ROOT / "rulesets" / "vehicles.yaml")
SENTIMENT = str(ROOT / "rulesets" / "sentiment.yaml")
VEHICLES_EXPORT = ROOT / "rulesets" / "samples" / "vehicles-export.json"
SENTIMENT_EXPORT = ROOT / "rulesets" / "samples" / "sentiment-export.jsonl"
DECISION_SCHEMA = Draft202012Validator(
    json.loads((ROOT / "schemas" / "decision.schema.json").read_text()))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_time(record: dict) -> dict:
    record = json.loads(json.dumps(record))
    record["audit"].pop("time")
    record["audit"].pop("duration_us")
    return record


@pytest.mark.parametrize("ruleset, export", [(VEHICLES, VEHICLES_EXPORT),
                                             (SENTIMENT, SENTIMENT_EXPORT)])
def test_every_decision_validates_against_the_schema(tmp_path, ruleset, export):
    output = tmp_path / "decisions.jsonl"
    code = main(["run", ruleset, "--input", str(export), "--output", str(output), "--jobs", "1"])
    records = read_jsonl(output)
    assert code in (0, 1)
    assert len(records) > 20
    for record in records:
        errors = sorted(DECISION_SCHEMA.iter_errors(record), key=str)
        assert not errors, errors[0].message
    assert {record["verdict"] for record in records} >= {"accept", "reject"}


def test_fail_on_sets_the_exit_code(tmp_path):
    arguments = ["run", VEHICLES, "--input", str(VEHICLES_EXPORT), "--output",
                 str(tmp_path / "d.jsonl"), "--jobs", "1"]
    assert main(arguments) == 1  # the sample export has rejected annotations
    assert main(arguments + ["--fail-on", "never"]) == 0


def test_fixed_export_holds_the_corrections(tmp_path):
    output, fixed = tmp_path / "d.jsonl", tmp_path / "fixed.json"
    main(["run", VEHICLES, "--input", str(VEHICLES_EXPORT), "--output", str(output),
          "--fixed", str(fixed), "--jobs", "1"])
    records = read_jsonl(output)
    original = json.loads(VEHICLES_EXPORT.read_text())
    corrected = json.loads(fixed.read_text())
    assert [task["id"] for task in corrected] == [task["id"] for task in original]
    patched = [r for r in records if r["patch"]]
    assert patched, "the sample export has fixable annotations"
    by_annotation = {a["id"]: (t, a) for t in original for a in t["annotations"]}
    fixed_by_annotation = {a["id"]: a for t in corrected for a in t["annotations"]}
    for record in patched:
        _, annotation = by_annotation[record["annotation_id"]]
        assert fixed_by_annotation[record["annotation_id"]] == apply_patch(annotation, record["patch"])


def test_two_jobs_give_the_same_records_in_the_same_order(tmp_path):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    main(["run", VEHICLES, "--input", str(VEHICLES_EXPORT), "--output", str(one), "--jobs", "1"])
    main(["run", VEHICLES, "--input", str(VEHICLES_EXPORT), "--output", str(two), "--jobs", "2"])
    assert [without_time(r) for r in read_jsonl(one)] == [without_time(r) for r in read_jsonl(two)]


def _truncated(path: Path) -> None:
    path.write_text(VEHICLES_EXPORT.read_text()[:5000])


def _task_is_a_list(path: Path) -> None:
    tasks = json.loads(VEHICLES_EXPORT.read_text())
    tasks[3] = [1, 2]
    path.write_text(json.dumps(tasks))


def _item_without_value(path: Path) -> None:
    tasks = json.loads(VEHICLES_EXPORT.read_text())
    del tasks[2]["annotations"][0]["result"][0]["value"]
    path.write_text(json.dumps(tasks))


def _huge_string(path: Path) -> None:
    tasks = json.loads(VEHICLES_EXPORT.read_text())[:3]
    tasks.append([{"x": "y" * (50 * 1024 * 1024)}])
    path.write_text(json.dumps(tasks))


@pytest.mark.parametrize("make_export, where", [
    (_truncated, "task #"), (_task_is_a_list, "task #3"), (_item_without_value, "task #2"),
    (_huge_string, "task #3"),
])
def test_malformed_export_exits_2_and_leaves_no_output(tmp_path, capsys, make_export, where):
    export = tmp_path / "export.json"
    make_export(export)
    output, fixed = tmp_path / "decisions.jsonl", tmp_path / "fixed.json"
    code = main(["run", VEHICLES, "--input", str(export), "--output", str(output),
                 "--fixed", str(fixed), "--jobs", "1"])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert not output.exists() and not fixed.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.json"]
    assert any(where in line and line.startswith("lsrules: ") for line in error), error
    assert "Traceback" not in "\n".join(error)


def test_explain_traces_every_rule(capsys):
    code = main(["explain", VEHICLES, "--input", str(VEHICLES_EXPORT), "--task", "7"])
    out = capsys.readouterr().out
    assert code == 0
    assert "verdict:" in out
    for rule_id in ("box-inside-image", "label-alias", "rushed"):
        assert f"rule {rule_id}" in out


def test_explain_unknown_task_exits_2(capsys):
    assert main(["explain", VEHICLES, "--input", str(VEHICLES_EXPORT), "--task", "999"]) == 2
    assert "no annotation of task 999" in capsys.readouterr().err


DYING_WORKERS = """
import os, sys
import lsrules.commands.run as run
def _evaluate_batch(batch):
    os._exit(3)  # a worker killed mid-run (out of memory, a signal, a crash)
run._evaluate_batch = _evaluate_batch
from lsrules.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_dying_worker_is_a_clear_error_not_a_hang(tmp_path):
    import subprocess
    import sys

    output = tmp_path / "out.jsonl"
    finished = subprocess.run(
        [sys.executable, "-c", DYING_WORKERS, "run", VEHICLES, "--input", str(VEHICLES_EXPORT),
         "--output", str(output), "--jobs", "2", "--no-progress"],
        capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2, finished.stderr
    assert "worker process" in finished.stderr and "Traceback" not in finished.stderr
    assert not output.exists()
