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


def test_two_jobs_give_the_same_records_and_fixed_export(tmp_path, capsys):
    """A JSON array over several batches, with a task without annotations."""
    tasks = json.loads(VEHICLES_EXPORT.read_text())
    tasks = [{**task, "id": number} for number in range(40) for task in tasks][:600]
    tasks[5] = {"id": 5, "data": tasks[5]["data"]}
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, indent=1))
    runs = {}
    for jobs in ("1", "2"):
        output, fixed = tmp_path / f"d{jobs}.jsonl", tmp_path / f"f{jobs}.json"
        code = main(["run", VEHICLES, "--input", str(export), "--output", str(output),
                     "--fixed", str(fixed), "--jobs", jobs, "--fail-on", "never"])
        runs[jobs] = (code, [without_time(r) for r in read_jsonl(output)], fixed.read_bytes(),
                      capsys.readouterr().err)
    assert runs["1"] == runs["2"]
    assert runs["1"][0] == 0 and len(runs["1"][1]) > 512
    assert json.loads(runs["2"][2])[5] == {"id": 5, "annotations": [], "data": tasks[5]["data"]}


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


def _late_problems(path: Path) -> None:
    """A task whose item has no value (found by a worker under --jobs) before a syntax
    error (found by the main process): the first in file order is reported."""
    tasks = json.loads(VEHICLES_EXPORT.read_text())
    tasks = json.loads(json.dumps([{**task, "id": number} for number in range(40)
                                   for task in tasks][:700]))  # no shared annotations
    del tasks[300]["annotations"][0]["result"][0]["value"]
    text = json.dumps(tasks)
    path.write_text(text[:len(text) - 1000] + "x" + text[len(text) - 999:])


@pytest.mark.parametrize("make_export, where", [
    (_truncated, "task #"), (_task_is_a_list, "task #3 at [3]: a task must be a JSON object"),
    (_item_without_value, "task #2 at [2].annotations[0].result[0]: a result item needs"),
    (_huge_string, "task #3"), (_late_problems, "task #300 at [300].annotations[0]"),
])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_malformed_export_exits_2_and_leaves_no_output(tmp_path, capsys, make_export, where,
                                                       jobs):
    export = tmp_path / "export.json"
    make_export(export)
    output, fixed = tmp_path / "decisions.jsonl", tmp_path / "fixed.json"
    code = main(["run", VEHICLES, "--input", str(export), "--output", str(output),
                 "--fixed", str(fixed), "--jobs", jobs])
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


def test_explain_says_fires_exactly_where_the_decision_has_a_finding(tmp_path, capsys):
    """An earlier rule drops a region a later rule would flag: no finding, so no FIRES; a
    finding on a region a later rule drops is fixed; a fix's new problem is shown."""
    ruleset = tmp_path / "r.yaml"
    ruleset.write_text("""ruleset: t
version: "1"
rules:
  - id: tiny
    severity: info
    for: region
    assert: region.value.height > 1
    fix: drop region
  - id: wide
    for: region
    assert: region.value.width < 50
  - id: late-drop
    severity: info
    for: region where region.value.width > 70
    assert: false
    fix: drop region
  - id: inside
    for: region
    assert: region.value.x <= 90
  - id: shift
    severity: info
    for: region where region.value.x == 1
    assert: false
    fix: set region.value.x = 95
""")
    def item(region_id, x, width, height):
        return {"id": region_id, "type": "rectanglelabels", "from_name": "l", "to_name": "i",
                "value": {"x": x, "y": 0, "width": width, "height": height,
                          "rectanglelabels": ["A"]}}
    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"id": 1, "data": {}, "annotations": [{"id": 2, "result": [
        item("dropped-first", 5, 60, 0.5), item("dropped-later", 5, 80, 5),
        item("shifted", 1, 5, 5)]}]}]))
    assert main(["explain", str(ruleset), "--input", str(export), "--task", "1"]) == 0
    out = capsys.readouterr().out
    wide = out.split("rule wide")[1].split("rule late-drop")[0]
    assert "region dropped-first" in wide and "FIRES" not in wide.split("dropped-later")[0]
    assert "(a fix dropped the region)" in wide
    assert "region dropped-later (rectanglelabels, A): assert=false -> FIRES (fixed)" in wide
    inside = out.split("rule inside")[1].split("rule shift")[0]
    assert "region shifted (rectanglelabels, A): assert=true -> FIRES (introduced by the fix " \
        "of tiny, late-drop, shift)" in inside
    assert "verdict: reject" in out
    assert "finding inside [error]" in out and "(introduced by the fix of tiny," in out


def test_explain_unknown_task_exits_2(capsys):
    assert main(["explain", VEHICLES, "--input", str(VEHICLES_EXPORT), "--task", "999"]) == 2
    assert "no annotation of task 999" in capsys.readouterr().err


def test_explain_unknown_annotation_of_a_known_task_names_it(capsys):
    assert main(["explain", VEHICLES, "--input", str(VEHICLES_EXPORT), "--task", "7",
                 "--annotation", "999"]) == 2
    assert "no annotation 999 of task 7 in the export" in capsys.readouterr().err


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


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigterm_mid_run_leaves_no_output_and_no_temporary_file(tmp_path, jobs):
    import signal
    import subprocess
    import sys
    import time

    export = tmp_path / "export.jsonl"
    _vehicles_jsonl(export, copies=40)  # long enough to be stopped mid-run
    output, fixed = tmp_path / "out.jsonl", tmp_path / "fixed.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "lsrules.cli", "run", VEHICLES, "--input", str(export),
         "--output", str(output), "--fixed", str(fixed), "--jobs", jobs, "--no-progress"],
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, "run ended too soon"
        time.sleep(0.01)
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    stderr = process.communicate(timeout=60)[1]
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip() == "lsrules: terminated"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.jsonl"]


# -- JSONL with --jobs: the workers parse the lines ---------------------------------------

def _vehicles_jsonl(path: Path, copies: int = 3) -> list[dict]:
    """The vehicles sample as JSONL, repeated so that it spans several batches of 256
    tasks, with a task without annotations, a blank line and an old `completions` task."""
    tasks = json.loads(VEHICLES_EXPORT.read_text())
    many = []
    for copy in range(copies * (300 // len(tasks) + 1)):
        for task in tasks:
            many.append({**task, "id": len(many) + 1})
    many[5] = {"id": 6, "data": many[5]["data"]}  # never labelled
    many[7] = {key: value for key, value in many[7].items() if key != "annotations"}
    many[7]["completions"] = tasks[0]["annotations"]
    lines = [json.dumps(task, ensure_ascii=False) for task in many]
    lines.insert(10, "   ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return many


@pytest.mark.parametrize("lenient", [False, True])
def test_jsonl_with_two_jobs_gives_what_one_job_gives(tmp_path, capsys, lenient):
    export = tmp_path / "export.jsonl"
    _vehicles_jsonl(export)
    outputs = {}
    for jobs in ("1", "2"):
        decisions, fixed = tmp_path / f"d{jobs}.jsonl", tmp_path / f"f{jobs}.jsonl"
        code = main(["run", VEHICLES, "--input", str(export), "--output", str(decisions),
                     "--fixed", str(fixed), "--jobs", jobs, "--fail-on", "never",
                     *(["--lenient"] if lenient else [])])
        outputs[jobs] = (code, [without_time(r) for r in read_jsonl(decisions)],
                         fixed.read_bytes(), capsys.readouterr().err)
    assert outputs["1"][0] == outputs["2"][0] == 0
    assert len(outputs["1"][1]) > 512  # more than two batches
    assert outputs["1"][1] == outputs["2"][1]
    assert outputs["1"][2] == outputs["2"][2]
    fixed_tasks = [json.loads(line) for line in outputs["2"][2].decode().splitlines()]
    assert fixed_tasks[5] == {"id": 6, "annotations": [], "data": fixed_tasks[5]["data"]}
    assert outputs["1"][3] == outputs["2"][3]  # the summary


def _bad_line(position: int, text: bytes):
    def make(path: Path) -> None:
        many = _vehicles_jsonl(path)
        lines = path.read_bytes().splitlines()
        lines[position] = text if text != b"DROP_VALUE" else json.dumps(
            {**many[position - 1], "annotations": [{"id": 1, "result": [
                {"id": "a", "from_name": "label", "to_name": "image",
                 "type": "rectanglelabels"}]}]}).encode()
        path.write_bytes(b"\n".join(lines) + b"\n")
    return make


@pytest.mark.parametrize("make_export, where", [
    (_bad_line(600, b'{"id": 1, "data": '), ":601:19: task #599: invalid JSON"),
    (_bad_line(700, b"[1, 2]"), ":701: task #699: each line must be a JSON object"),
    (_bad_line(300, b"DROP_VALUE"), ":301: task #299 at annotations[0].result[0]: a result item needs"),
    (_bad_line(400, b'{"data": "x\xff"}'), ":401: task #399: not valid UTF-8 (byte 12 "),
    (_bad_line(500, b'{"id": 1, "data": {"n": 1e400}}'),
     ":501: task #499: invalid JSON: the number 1e400 is too large"),
])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_bad_jsonl_line_in_a_late_batch_exits_2_and_leaves_no_output(
        tmp_path, capsys, make_export, where, jobs):
    export = tmp_path / "export.jsonl"
    make_export(export)
    output, fixed = tmp_path / "decisions.jsonl", tmp_path / "fixed.jsonl"
    code = main(["run", VEHICLES, "--input", str(export), "--output", str(output),
                 "--fixed", str(fixed), "--jobs", jobs])
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.jsonl"]
    assert error[-1].startswith(f"lsrules: {export}{where}"), error


@pytest.mark.parametrize("jobs", ["-1", "9"])
def test_jobs_below_0_or_over_4_per_core_exit_2_and_write_nothing(tmp_path, capsys, monkeypatch,
                                                                   jobs):
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # --jobs 100000 forked 100000 workers
    output, fixed = tmp_path / "decisions.jsonl", tmp_path / "fixed.jsonl"
    code = main(["run", SENTIMENT, "--input", str(SENTIMENT_EXPORT), "--output", str(output),
                 "--fixed", str(fixed), "--jobs", jobs, "--no-progress"])
    error = capsys.readouterr().err
    assert code == 2
    assert error == f"lsrules: --jobs must be between 0 (one per core) and 8 (4 per core here), not {jobs}\n"
    assert list(tmp_path.iterdir()) == []
