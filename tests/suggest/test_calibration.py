"""Thresholds from the calibration set: Wilson bound, evidence per class, rare-class recall."""
from __future__ import annotations

import pytest

from lsrules.suggest.calibration import (
    NEVER,
    CalibrationRecord,
    CalibrationSettings,
    Calibrator,
    wilson_lower_bound,
)


def _calibrator(records: list[CalibrationRecord], **settings) -> Calibrator:
    calibrator = Calibrator(CalibrationSettings(**{"recalibrate_every": 10**6, **settings}))
    for record in records:
        calibrator.add(record)
    calibrator.recalibrate()
    return calibrator


@pytest.mark.parametrize("successes, total, z_value, low, high", [
    (100, 100, 1.645, 0.97, 0.975),
    (0, 10, 1.645, 0.0, 0.0),
    (50, 100, 0.0, 0.5, 0.5),
    (0, 0, 1.645, 0.0, 0.0),
])
def test_wilson_lower_bound(successes, total, z_value, low, high):
    assert low <= wilson_lower_bound(successes, total, z_value) <= high


def test_threshold_is_the_lowest_score_whose_accuracy_bound_meets_the_target():
    records = [CalibrationRecord(0.95, "a", "a", False) for _ in range(300)]
    records += [CalibrationRecord(0.6, "a", "b", False) for _ in range(30)]
    records += [CalibrationRecord(0.4, "b", "b", False) for _ in range(40)]
    calibrator = _calibrator(records, target_accuracy=0.98, minimum_class_evidence=20)
    assert calibrator.threshold("a") == 0.95
    assert calibrator.accepts("a", 0.96) and not calibrator.accepts("a", 0.7)


def test_too_little_evidence_means_abstaining():
    records = [CalibrationRecord(0.99, "a", "a", False) for _ in range(30)]
    assert _calibrator(records).threshold("a") == NEVER


def test_a_class_with_few_approvals_is_never_auto_accepted():
    records = [CalibrationRecord(0.99, "a", "a", False) for _ in range(400)]
    records += [CalibrationRecord(0.99, "rare", "rare", False) for _ in range(5)]
    calibrator = _calibrator(records, minimum_class_evidence=20)
    assert calibrator.threshold("a") <= 0.99
    assert calibrator.threshold("rare") == NEVER


def test_thresholds_rise_when_a_rare_class_would_be_swallowed():
    records = [CalibrationRecord(0.9 + index / 10_000, "a", "a", False) for index in range(800)]
    # the rare class's items are scored confidently as "a": accepting them would lose them
    records += [CalibrationRecord(0.91, "a", "rare", False) for _ in range(5)]
    records += [CalibrationRecord(0.5, "rare", "rare", False) for _ in range(25)]
    calibrator = _calibrator(records, minimum_class_evidence=20, class_recall=0.95)
    assert calibrator.threshold("a") > 0.91
    loose = _calibrator(records, minimum_class_evidence=20, class_recall=0.0)
    assert loose.threshold("a") <= 0.91


def test_live_accuracy_counts_only_explored_records():
    records = [CalibrationRecord(0.9, "a", "a", True) for _ in range(9)]
    records += [CalibrationRecord(0.9, "a", "b", True), CalibrationRecord(0.3, "a", "b", False)]
    assert _calibrator(records).live_accuracy() == (0.9, 10)


def test_a_failing_explored_share_closes_the_gate():
    records = [CalibrationRecord(0.5 + index / 2000, "a", "a", False) for index in range(900)]
    healthy = _calibrator(records, minimum_class_evidence=0)
    assert healthy.threshold("a") < 1.0
    records += [CalibrationRecord(0.99, "a", "b" if index % 3 == 0 else "a", True)
                for index in range(60)]
    assert _calibrator(records, minimum_class_evidence=0).threshold("a") > healthy.threshold("a")
