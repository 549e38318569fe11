"""bench/compare_single_pass.py's reference keeps agreeing with lsrules.

The benchmark refuses to time disagreeing contenders; this runs that check on a few
hundred annotations per workload (about a second), and checks that the workloads reach
what the agreement is about: fixes, findings a fix introduced, errors a fix left, and
every rule. No timings (benchmarks are not tests).
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import lsrules

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from comparison.single_pass import EVALUATORS, disagreements  # noqa: E402
from comparison.single_workload import make_workload  # noqa: E402

SHAPES = ("boxes", "spans", "choices")


def engine(shape: str):
    return lsrules.load(str(BENCH / "comparison" / "single" / f"{shape}.yaml"))


@pytest.mark.parametrize("shape", SHAPES)
def test_lsrules_and_the_single_pass_reference_agree(shape):
    assert disagreements(engine(shape), EVALUATORS[shape], make_workload(shape, 400)) == []


@pytest.mark.parametrize("shape", SHAPES)
def test_the_workload_reaches_every_rule_and_the_second_pass(shape):
    """Agreement on rules that never fire, or on fixes never validated, proves nothing."""
    rules = engine(shape)
    fired: Counter = Counter()
    fixed = introduced = left = 0
    for task, annotation in make_workload(shape, 400):
        decision = rules.evaluate(task, annotation)
        fired.update(decision.fired)
        fixed += bool(decision.patch)
        introduced += any(f.introduced_by_fix for f in decision.findings)
        left += bool(decision.patch) and any(f.severity == "error" and not f.fixed
                                             for f in decision.findings)
    assert [rule.id for rule in rules.rules if not fired[rule.id]] == []
    assert 0.2 < fixed / 400 < 0.4
    assert left > 0
    assert introduced > 0 or shape == "choices"  # its fix cannot make a new error


def test_the_script_writes_what_the_reference_decides(tmp_path):
    export = tmp_path / "spans.json"
    items = make_workload("spans", 50)
    export.write_text(json.dumps([task for task, _ in items]))
    out = tmp_path / "out.jsonl"
    subprocess.run([sys.executable, str(BENCH / "comparison" / "single_pass_script.py"),
                    "spans", str(export), str(out)], check=True)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(line["task_id"], line["verdict"]) for line in lines] == \
        [(task["id"], EVALUATORS["spans"](task, annotation)["verdict"]) for task, annotation in items]


def test_the_workloads_are_reproducible():
    assert make_workload("boxes", 20) == make_workload("boxes", 20)
