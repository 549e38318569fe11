"""Thresholds from the calibration set: Wilson bound, evidence per class, rare-class recall."""
from __future__ import annotations

import pytest

from lsrules.suggest.calibration import (
    MINIMUM_EXPLORED,
    NEVER,
    CalibrationRecord,
    Calibrator,
    record_weights,
    wilson_lower_bound,
)
from lsrules.suggest.settings import SuggesterSettings


def _calibrator(records: list[CalibrationRecord], **settings) -> Calibrator:
    calibrator = Calibrator(SuggesterSettings(**{"recalibrate_every": 10**6, "explore": 0.0,
                                                 **settings}))
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


def test_record_weights_spread_an_explored_records_mass_over_its_score_band():
    records = [CalibrationRecord(0.95, "a", "a", True), CalibrationRecord(0.97, "a", "a", False),
               CalibrationRecord(0.55, "a", "b", False)]
    weights = record_weights(records, explore=0.05)
    # band [0.9, 1.0): one explored record (20 items) and one seen in full (1 item)
    assert weights == [10.5, 10.5, 1.0]
    assert record_weights(records, explore=0.0) == [1.0, 1.0, 1.0]


def _gate_open_stream() -> list[CalibrationRecord]:
    """After the gate opened at 0.9: every item under it reached a person, only the explored
    5% of the (very accurate) items above it did. 400 earlier records saw everything."""
    records = [CalibrationRecord(0.95, "a", "a", False) for _ in range(400)]
    records += [CalibrationRecord(0.95, "a", "a", True) for _ in range(60)]
    # the band just under the gate: 90% right, fully observed
    records += [CalibrationRecord(0.85, "a", "a" if index % 10 else "b", False)
                for index in range(120)]
    return records


def test_weighting_by_score_band_lowers_a_threshold_the_explore_share_held_up():
    records = _gate_open_stream()
    # unweighted, the band under the gate (90%) weighs as much as if the 1200 items above it
    # that were auto-accepted unseen did not exist: 97.9% above 0.85, too little
    unweighted = _calibrator(records, explore=0.0, minimum_class_evidence=0, class_recall=0.0)
    assert unweighted.threshold("a") == 0.95
    # weighted: ~1600 items at 100% and 120 at 90% make ~99.3% above 0.85
    weighted = _calibrator(records, explore=0.05, minimum_class_evidence=0, class_recall=0.0)
    assert weighted.threshold("a") == 0.85


def test_weighting_waits_for_enough_explored_records():
    records = [record for record in _gate_open_stream() if not record.explored]
    records += [CalibrationRecord(0.95, "a", "a", True) for _ in range(MINIMUM_EXPLORED - 1)]
    assert _calibrator(records, explore=0.05, minimum_class_evidence=0).threshold("a") == 0.95


def test_an_explored_loss_of_a_class_counts_for_the_items_accepted_unseen():
    records = [CalibrationRecord(0.95, "a", "a", index < 40) for index in range(100)]
    records += [CalibrationRecord(0.3, "rare", "rare", False) for _ in range(60)]
    # one explored rare item auto-accepted as "a": it stands for 20 items accepted unseen
    # (spread over its band: ~9 of ~69 rare items lost)
    records.append(CalibrationRecord(0.95, "a", "rare", True))
    loose = _calibrator(records, explore=0.0, minimum_class_evidence=0, target_accuracy=0.9)
    assert loose.threshold("a") <= 0.95  # unweighted: 1 of 61 rare items lost, under 5%
    strict = _calibrator(records, explore=0.05, minimum_class_evidence=0, target_accuracy=0.9)
    assert strict.threshold("a") > 0.95
