"""Stream rules through the CLI: run writes schema-valid stream records after their trigger;
check and test run stream tests; without durable-rules, one line and exit 2."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from lsrules.cli import main

pytestmark = pytest.mark.stream

ROOT = Path(__file__).resolve().parents[2]
ANNOTATORS = str(ROOT / "rulesets" / "annotators.yaml")
DECISION_SCHEMA = Draft202012Validator(
    json.loads((ROOT / "schemas" / "decision.schema.json").read_text()))


def choice(label: str) -> list[dict]:
    return [{"id": "a", "type": "choices", "from_name": "topic", "to_name": "text",
             "value": {"choices": [label]}}]


def make_export(path: Path) -> None:
    """Annotator 7 rushes through 12 tasks; annotator 8 disagrees with 7 on task 13."""
    tasks = [{"id": 10 + n, "data": {"text": "t"}, "annotations": [
        {"id": 100 + n, "completed_by": 7, "lead_time": 1,
         "created_at": f"2024-05-01T09:00:{4 * n:02d}Z", "result": choice("Sports")}]}
        for n in range(12)]
    tasks[3]["annotations"].append({"id": 999, "completed_by": 8, "lead_time": 10,
                                    "created_at": "2024-05-01T09:00:13Z",
                                    "result": choice("Politics")})
    path.write_text(json.dumps(tasks))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_writes_stream_records_after_their_trigger(tmp_path, jobs):
    export, output = tmp_path / "export.json", tmp_path / "decisions.jsonl"
    make_export(export)
    code = main(["run", ANNOTATORS, "--input", str(export), "--output", str(output),
                 "--jobs", jobs, "--no-progress"])
    records = [json.loads(line) for line in output.read_text().splitlines()]
    assert code == 0
    for record in records:
        errors = sorted(DECISION_SCHEMA.iter_errors(record), key=str)
        assert not errors, errors[0].message
    streams = [(index, r) for index, r in enumerate(records) if "stream" in r]
    assert [(r["stream"]["rule"], r["stream"]["key"]) for _, r in streams] == [
        ("task-disagreement", 13), ("rushers", 7)]
    for index, record in streams:  # right after the decision of the triggering annotation
        assert records[index - 1]["annotation_id"] == record["annotation_id"]
        assert "stream" not in records[index - 1]
        assert record["audit"]["rules"] == [record["stream"]["rule"]]
    rushers = streams[1][1]
    assert [e["annotation_id"] for e in rushers["stream"]["events"]] == list(range(100, 110))
    assert rushers["route"]["name"] == "review" and rushers["stream"]["flag"] is True
    assert len(records) == 13 + 2


def test_check_and_test_run_stream_tests_with_coverage(capsys):
    assert main(["test", ANNOTATORS]) == 0
    out = capsys.readouterr().out
    assert "coverage" in out and "6/6 rules fired by a test" in out


WITHOUT_DURABLE = (
    "import sys; sys.modules['durable'] = None; "  # `import durable` now raises ImportError
    "from lsrules.cli import main; sys.exit(main(sys.argv[1:]))")


@pytest.mark.parametrize("command", ["run", "check", "test"])
def test_without_the_stream_extra_one_line_and_exit_2(tmp_path, command):
    export, output = tmp_path / "export.json", tmp_path / "decisions.jsonl"
    make_export(export)
    arguments = [ANNOTATORS]
    if command == "run":
        arguments += ["--input", str(export), "--output", str(output)]
    done = subprocess.run([sys.executable, "-c", WITHOUT_DURABLE, command, *arguments],
                          capture_output=True, text=True, timeout=120)
    shown = (done.stdout + done.stderr).strip()
    assert done.returncode == 2, shown
    assert "Traceback" not in shown
    lines = [line for line in shown.splitlines() if "stream extra" in line]
    assert len(lines) == 1 and "pip install 'lsrules[stream]'" in lines[0], shown
    assert "annotators.yaml:" in lines[0]
    assert not output.exists()
