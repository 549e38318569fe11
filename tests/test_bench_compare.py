"""The shared benchmark ruleset and its hand-written reference keep agreeing (issue 5).

bench/compare.py refuses to time contenders that disagree; this runs only the
lsrules-vs-hand-written part of that check, on a seeded workload (600 annotations, ~3 s), so a change to the
language, the engine or bench/comparison/ that breaks the agreement shows up in the tests.
No peers (they are not dependencies) and no timings (benchmarks are not tests).
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from comparison.hand import HandWritten  # noqa: E402
from comparison.lsrules_contender import Lsrules  # noqa: E402
from comparison.meta import RULE_IDS  # noqa: E402
from comparison.runner import agreement  # noqa: E402
from comparison.workload import make_workload  # noqa: E402


@pytest.fixture(scope="module")
def workload():
    return make_workload(600)


def test_lsrules_and_hand_written_find_the_same(workload):
    assert agreement(workload, Lsrules(), HandWritten()) == []


def test_the_workload_makes_every_rule_fire(workload):
    """Agreement on rules that never fire would prove nothing."""
    engine = Lsrules()
    fired = Counter()
    for task, annotation in workload:
        fired.update(finding.rule for finding in engine.evaluate(task, annotation).findings)
    assert [rule for rule in RULE_IDS if not fired[rule]] == []


def test_a_subset_agrees_too(workload):
    rules = ["box-inside-image", "duplicate-box", "span-text", "box-label-alias"]
    assert agreement(workload, Lsrules(rules), HandWritten(rules)) == []


def test_the_workload_is_reproducible():
    assert make_workload(30) == make_workload(30)
