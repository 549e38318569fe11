"""`lsrules suggest fit | eval | audit` on a small synthetic export."""
from __future__ import annotations

import json

import pytest

from lsrules.cli import main
from lsrules.suggest import Suggester

from .conftest import make_items


@pytest.fixture
def project(tmp_path):
    tasks = []
    for task, annotation, _ in make_items(300, seed=11):
        tasks.append({**task, "annotations": [annotation], "predictions": []})
    tasks[5]["annotations"][0]["result"][0]["value"]["choices"] = ["politics"]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks))
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text("ruleset: demo\nrules: []\nsuggester:\n  target_accuracy: 0.95\n"
                       "  explore: 0.05\n  model: model.json\n")
    return ruleset, export


def test_fit_writes_a_model_the_suggester_loads(project, capsys):
    ruleset, export = project
    assert main(["suggest", "fit", str(ruleset), "--input", str(export)]) == 0
    assert "learned 300 annotations" in capsys.readouterr().out
    model = Suggester.load(ruleset.parent / "model.json")
    assert model.text_model.example_count == 300


def test_eval_prints_the_replay_figures(project, capsys, tmp_path):
    ruleset, export = project
    assert main(["suggest", "eval", str(ruleset), "--input", str(export)]) == 0
    output = capsys.readouterr().out
    for expected in ["auto-accepted:", "accuracy of auto-accepted", "rarest class",
                     "learning curve"]:
        assert expected in output
    curve = output.split("learning curve")[1].splitlines()[2:]
    assert [int(line.split()[0]) for line in curve] == [30 * tenth for tenth in range(1, 11)]


def test_audit_lists_the_most_suspect_annotations(project, capsys):
    ruleset, export = project
    assert main(["suggest", "audit", str(ruleset), "--input", str(export), "--top", "3"]) == 0
    output = capsys.readouterr().out
    assert "flagged" in output
    assert "  6  6  'politics'" in output  # the planted wrong label ranks among the top 3


@pytest.mark.parametrize("content", ["[{", "[1, 2]", '[{"id": 1}]'])
def test_a_malformed_export_is_a_one_line_error(project, tmp_path, capsys, content):
    ruleset, _ = project
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["suggest", "eval", str(ruleset), "--input", str(bad)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("lsrules:") and len(error.strip().splitlines()) == 1


def test_fit_without_a_model_path_is_an_error(tmp_path, capsys):
    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text("ruleset: demo\nrules: []\n")
    export = tmp_path / "export.json"
    export.write_text("[]")
    assert main(["suggest", "fit", str(ruleset), "--input", str(export)]) == 2
    assert "--model" in capsys.readouterr().err


def test_fit_to_a_model_path_it_cannot_write_is_a_one_line_error(project, capsys):
    ruleset, export = project
    model = ruleset.parent / "missing-directory" / "model.json"
    assert main(["suggest", "fit", str(ruleset), "--input", str(export),
                 "--model", str(model)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"lsrules: {model}: cannot write model file")
    assert "internal error" not in error and len(error.strip().splitlines()) == 1


@pytest.mark.parametrize("content, where, message", [
    (b"ruleset: \xe9t\xe9\n", ": ", "not UTF-8 text"),
    (b"suggester: " + b"[" * 100_000 + b"]" * 100_000 + b"\n", ":1:", "maximum nesting depth"),
    (b"suggester: {seed: " + b"9" * 5000 + b"}\n", ":1:19: ", "Exceeds the limit"),
])
@pytest.mark.parametrize("action", ["fit", "eval", "audit"])
def test_an_unreadable_ruleset_is_a_one_line_error(project, tmp_path, capsys, content, where,
                                                  message, action):
    # read as `check` reads it: the same one line, at the same file:line:column
    _, export = project
    ruleset = tmp_path / "bad.yaml"
    ruleset.write_bytes(content)
    assert main(["suggest", action, str(ruleset), "--input", str(export)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"lsrules: {ruleset}{where}") and message in error
    assert "internal error" not in error and len(error.strip().splitlines()) == 1


@pytest.mark.parametrize("as_lines", [False, True])
def test_the_fallback_reader_reads_json_and_jsonl(tmp_path, as_lines):
    from lsrules.suggest.export_items import _local_tasks

    tasks = [{**task, "annotations": [annotation]} for task, annotation, _ in make_items(3)]
    path = tmp_path / "export.json"
    path.write_text("\n".join(json.dumps(task) for task in tasks) if as_lines
                    else json.dumps(tasks))
    read = list(_local_tasks(str(path)))
    assert [index for index, _, _ in read] == [0, 1, 2]
    assert read[1][2] == tasks[1]["annotations"]


def test_eval_draws_the_learning_curve_as_a_png(project, capsys, tmp_path):
    """`--plot` (the `plot` extra, installed for the tests) writes the chart docs/suggest.md
    describes: a PNG of 7 x 4 inches at 120 dpi."""
    import struct

    ruleset, export = project
    chart = tmp_path / "curve.png"
    assert main(["suggest", "eval", str(ruleset), "--input", str(export),
                 "--plot", str(chart)]) == 0
    assert f"wrote {chart}" in capsys.readouterr().out
    header = chart.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (840, 480)
