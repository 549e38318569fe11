"""When may a suggestion be accepted without a person? Thresholds calibrated on approvals.

A model's probability is a score, not a guarantee (naive Bayes was measured at 89% right
above 0.99). So the suggester keeps a rolling *calibration set*: every approved
label is scored by the model **before** the model learns it (prequential evaluation), which
makes each record an honest out-of-sample test. From these records the threshold is the
lowest score above which accuracy is still at least `target_accuracy`, judged by the Wilson
lower confidence bound rather than the raw rate, so that a handful of lucky records cannot
open the gate. Below the threshold the suggester abstains.

Selection bias: once the suggester auto-accepts, only two kinds of items still reach a
person: the ones it abstained on (all of them) and the random `explore` share of the ones
it was sure of. Counted unweighted, the records would under-represent the confident items
twenty times over (the band just under the gate would weigh as much as everything above
it), which held the threshold well above the one the target allows (BBC news: threshold
~0.60, ~10% of the stream abstained on in the steady state, 99.3% right where 98% was
asked). Re-weighting each explored record by 1/explore (Horvitz-Thompson) removes the bias
but lets one explored error count twenty times. So records are post-stratified by score
(`record_weights`): whether an item reached a person depended only on its score and a
random draw, never on whether the model was right, so within a score band all records are
a fair sample of the band's accuracy; the band's *mass* (how many items of the stream it
held) comes from the inclusion weights. Each record gets its band's mass over its band's
records, and the Wilson bound uses Kish's effective sample size, so heavier records add to
the rate but not to the evidence. Until `MINIMUM_EXPLORED` explored records exist, the
masses would be noise and records count unweighted (the bias is then conservative: a
threshold below the current one sees the band under the gate in full and the more accurate
items above it under-represented). The explored records are also an unbiased estimate of
live accuracy; when that estimate is clearly below the target (its Wilson upper bound is),
the thresholds are raised until the explored records above them meet the target, or the
gate closes.

Rare classes: a pooled threshold could let a rare class be swallowed by a frequent one.
Thresholds are per predicted class (never below the pooled one), a class is auto-accepted
only after `minimum_class_evidence` approvals of it, and for every class the share of its
items that would be auto-accepted as another label is kept at or below `1 - class_recall`
by raising the threshold of the class that absorbs them (shares weighted like the accuracy:
an explored loss stands for the items auto-accepted unseen).
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from statistics import NormalDist

from lsrules.suggest.settings import SuggesterSettings
from lsrules.suggest.store.validation import (
    ModelFileError,
    expect_dict,
    expect_finite,
    expect_int,
    expect_keys,
    expect_list,
    expect_string,
)

NEVER = 2.0  # a threshold no probability reaches
MAXIMUM_RECALL_STEPS = 500
MINIMUM_EXPLORED = 20
SCORE_BANDS = 10  # of width 0.1: the strata of `record_weights`


@dataclass(frozen=True)
class CalibrationRecord:
    """One approved label, scored before the model learned it."""

    score: float
    predicted: str
    actual: str
    explored: bool  # the suggester was sure but the item went to a person anyway

    @property
    def correct(self) -> bool:
        return self.predicted == self.actual


class Calibrator:
    """The rolling calibration set and the per-class thresholds derived from it."""

    def __init__(self, settings: SuggesterSettings):
        self.settings = settings
        self.records: deque[CalibrationRecord] = deque(maxlen=settings.window)
        self.thresholds: dict[str, float] = {}
        self.pooled_threshold = NEVER
        self.records_since_recalibration = 0

    def add(self, record: CalibrationRecord) -> None:
        self.records.append(record)
        self.records_since_recalibration += 1
        if self.records_since_recalibration >= self.settings.recalibrate_every:
            self.recalibrate()

    def threshold(self, label: str) -> float:
        return self.thresholds.get(label, NEVER)

    def accepts(self, label: str, score: float) -> bool:
        return score >= self.threshold(label)

    def live_accuracy(self) -> tuple[float | None, int]:
        """Accuracy on the explored share (confident items a person still labelled)."""
        explored = [record for record in self.records if record.explored]
        if not explored:
            return None, 0
        return sum(record.correct for record in explored) / len(explored), len(explored)

    def recalibrate(self) -> None:
        """Recompute every threshold from the calibration set: O(window · log window)."""
        self.records_since_recalibration = 0
        settings = self.settings
        z_value = NormalDist().inv_cdf(settings.confidence)
        records = list(self.records)
        # the band masses come from the explored records: with only a handful of them they
        # are noise, and the unweighted records (whose bias is conservative) serve instead
        explored_count = sum(record.explored for record in records)
        weights = record_weights(records, settings.explore if explored_count >= MINIMUM_EXPLORED
                                 else 0.0)
        pooled = _lowest_passing_threshold(records, settings.target_accuracy, z_value, weights)
        explored = [record for record in records if record.explored]
        if len(explored) >= MINIMUM_EXPLORED and wilson_upper_bound(
                sum(record.correct for record in explored), len(explored),
                z_value) < settings.target_accuracy:
            pooled = max(pooled, _lowest_passing_threshold(explored, settings.target_accuracy,
                                                           0.0))
        self.pooled_threshold = max(settings.minimum_threshold, pooled)
        evidence: dict[str, int] = {}
        for record in records:
            evidence[record.actual] = evidence.get(record.actual, 0) + 1
        thresholds: dict[str, float] = {}
        by_prediction: dict[str, tuple[list[CalibrationRecord], list[float]]] = {}
        for record, weight in zip(records, weights):
            own_records, own_weights = by_prediction.setdefault(record.predicted, ([], []))
            own_records.append(record)
            own_weights.append(weight)
        for label, (predicted_records, predicted_weights) in by_prediction.items():
            if self.pooled_threshold >= NEVER or evidence.get(label, 0) < settings.minimum_class_evidence:
                continue
            # per class: the point estimate must meet the target (no bound: the pooled
            # threshold already carries the statistical guarantee, a per-class bound would
            # keep every class waiting for a hundred approvals of its own)
            own = _lowest_passing_threshold(predicted_records, settings.target_accuracy, 0.0,
                                            predicted_weights)
            thresholds[label] = max(self.pooled_threshold, own)
        self.thresholds = _protect_class_recall(records, weights, thresholds,
                                                settings.class_recall)

    # persistence -------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "records": [[record.score, record.predicted, record.actual, record.explored]
                        for record in self.records],
            "records_since_recalibration": self.records_since_recalibration,
            # derived, but kept so a loaded model answers exactly as the saved one did
            # until its next recalibration
            "thresholds": dict(self.thresholds),
            "pooled_threshold": self.pooled_threshold,
        }

    @classmethod
    def from_dict(cls, data: object, settings: SuggesterSettings,
                  where: str) -> Calibrator:
        data = expect_dict(data, where)
        expect_keys(data, where, {"records", "records_since_recalibration", "thresholds",
                                  "pooled_threshold"})
        calibrator = cls(settings)
        for index, item in enumerate(expect_list(data["records"], where + ".records")):
            place = f"{where}.records[{index}]"
            item = expect_list(item, place, maximum_length=4)
            if len(item) != 4:
                raise ModelFileError(f"{place} must be [score, predicted, actual, explored]")
            if not isinstance(item[3], bool):
                raise ModelFileError(f"{place}[3] must be a boolean")
            calibrator.records.append(CalibrationRecord(
                expect_finite(item[0], place + "[0]", minimum=0.0, maximum=1.0),
                expect_string(item[1], place + "[1]"), expect_string(item[2], place + "[2]"),
                item[3]))
        thresholds = expect_dict(data["thresholds"], where + ".thresholds")
        calibrator.thresholds = {
            expect_string(label, where + ".thresholds"): expect_finite(
                value, f"{where}.thresholds[{label[:40]!r}]", minimum=0.0, maximum=NEVER)
            for label, value in thresholds.items()}
        calibrator.pooled_threshold = expect_finite(data["pooled_threshold"],
                                                    where + ".pooled_threshold", minimum=0.0,
                                                    maximum=NEVER)
        calibrator.records_since_recalibration = expect_int(
            data["records_since_recalibration"], where + ".records_since_recalibration",
            minimum=0)
        return calibrator


def wilson_lower_bound(successes: float, total: float, z_value: float) -> float:
    """Lower end of the Wilson score interval for a binomial proportion."""
    if total <= 0:
        return 0.0
    rate = successes / total
    if z_value <= 0:
        return rate
    z_squared = z_value * z_value
    centre = rate + z_squared / (2 * total)
    margin = z_value * math.sqrt(rate * (1 - rate) / total + z_squared / (4 * total * total))
    return (centre - margin) / (1 + z_squared / total)


def record_weights(records: list[CalibrationRecord], explore: float) -> list[float]:
    """How many items of the stream each record stands for (post-stratified by score).

    An explored record is one of a random `explore` share of the confident items: it stands
    for 1/explore of them (Horvitz-Thompson). Whether an item reached a person depended only
    on its score (and the random draw), never on whether the model was right, so within a
    narrow score band the records are an unbiased sample of the band's accuracy whatever
    their inclusion probability. Each record of a band therefore gets the band's estimated
    item count divided by its records: the band's mass comes from the inclusion weights,
    its accuracy from all its records, and a lone explored error cannot count twenty times.
    """
    if not records:
        return []
    explored_weight = 1.0 / explore if explore > 0 else 1.0
    mass = [0.0] * SCORE_BANDS
    count = [0] * SCORE_BANDS
    bands = [min(SCORE_BANDS - 1, int(record.score * SCORE_BANDS)) for record in records]
    for record, band in zip(records, bands):
        mass[band] += explored_weight if record.explored else 1.0
        count[band] += 1
    return [mass[band] / count[band] for band in bands]


def _lowest_passing_threshold(records: list[CalibrationRecord], target: float,
                              z_value: float, weights: list[float] | None = None) -> float:
    """The lowest score s such that the records scored >= s meet the target accuracy
    (Wilson lower bound at `z_value`, the raw rate when it is 0).

    With `weights`, the rate is the weighted one and the bound uses Kish's effective
    sample size (sum of weights)^2 / (sum of squared weights): records standing for many
    items count for more in the rate but bring no more evidence than one record each.
    """
    if weights is None:
        weights = [1.0] * len(records)
    order = sorted(range(len(records)), key=lambda index: records[index].score, reverse=True)
    total = correct = squares = 0.0
    best = NEVER
    for position, index in enumerate(order):
        record, weight = records[index], weights[index]
        total += weight
        squares += weight * weight
        correct += weight * record.correct
        is_last_of_score = (position + 1 == len(order)
                            or records[order[position + 1]].score < record.score)
        if not is_last_of_score:
            continue
        rate = correct / total
        # the bound never exceeds the rate, so the rate alone rules most scores out
        if rate >= target and wilson_lower_bound(rate * (effective := total * total / squares),
                                                 effective, z_value) >= target:
            best = record.score
    return best


def wilson_upper_bound(successes: float, total: float, z_value: float) -> float:
    if total <= 0:
        return 1.0
    return 1.0 - wilson_lower_bound(total - successes, total, z_value)


def _protect_class_recall(records: list[CalibrationRecord], weights: list[float],
                          thresholds: dict[str, float],
                          class_recall: float) -> dict[str, float]:
    """Raise thresholds until, for every class, few of its items are auto-accepted wrongly.

    Shares are weighted like the accuracy (`record_weights`): an explored loss stands for
    the confident items that were auto-accepted unseen. Greedy: while some class loses too
    many items to other labels, exclude its cheapest loss (the lowest-scored one) by
    raising the absorbing label's threshold just above it. Each step excludes at least one
    record, so the loop ends.
    """
    thresholds = dict(thresholds)
    totals: dict[str, float] = {}
    for record, weight in zip(records, weights):
        totals[record.actual] = totals.get(record.actual, 0.0) + weight
    allowed_loss = 1.0 - class_recall
    for _ in range(min(len(records), MAXIMUM_RECALL_STEPS) + 1):
        lost: dict[str, list[CalibrationRecord]] = {}
        lost_weight: dict[str, float] = {}
        for record, weight in zip(records, weights):
            if not record.correct and record.score >= thresholds.get(record.predicted, NEVER):
                lost.setdefault(record.actual, []).append(record)
                lost_weight[record.actual] = lost_weight.get(record.actual, 0.0) + weight
        violating = [(lost_weight[label] / totals[label], label) for label in lost
                     if lost_weight[label] / totals[label] > allowed_loss]
        if not violating:
            break
        _, label = max(violating)
        cheapest = min(lost[label], key=lambda record: record.score)
        thresholds[cheapest.predicted] = math.nextafter(cheapest.score, math.inf)
    return {label: value for label, value in thresholds.items() if value <= 1.0}
