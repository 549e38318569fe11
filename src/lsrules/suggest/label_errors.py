"""Which existing annotations are probably wrong? Cross-fitted confident learning.

Every item is scored by a text model that never saw it: the items are split into k folds
and each fold is scored by a model trained on the other folds (cross-fitting), so a wrong
label cannot vouch for itself. Then, as in confident learning (Northcutt et al., the method
behind cleanlab): each class gets a threshold, the average out-of-sample probability of
that class over the items labelled with it; counting, for each given label i, the items
whose most probable class above its threshold is j gives the *confident joint*, which,
rescaled to the label counts, estimates how many items labelled i truly belong to j.
"Prune by noise rate": for each pair (i, j) that many items labelled i are candidates, those
with the largest margin P(j) - P(i); "prune by class": for each i, as many items labelled i
as the off-diagonal counts of row i add up to, lowest P(i) first. An item is flagged when
both rules name it (cleanlab's `filter_by="both"`), except items whose most probable label
is the one they were given. Items are ranked flagged first, then by
self-confidence, the out-of-sample probability of the label they were given (lowest
first). Offline, so the fold models may take several passes over their data.
"""
from __future__ import annotations

import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from lsrules.suggest.features import DEFAULT_BUCKET_BITS, hashed_features
from lsrules.suggest.text_model import DEFAULT_LEARNING_RATE, TextModel


@dataclass(frozen=True)
class LabelIssue:
    position: int             # index into the items given
    given: str
    self_confidence: float    # out-of-sample P(given label)
    likely: str               # the most probable label out of sample
    likely_probability: float
    flagged: bool             # confident learning says the given label is wrong


def out_of_sample_probabilities(texts: Sequence[str], labels: Sequence[str], folds: int = 5,
                                passes: int = 3, seed: int = 0,
                                learning_rate: float = DEFAULT_LEARNING_RATE,
                                bucket_bits: int = DEFAULT_BUCKET_BITS,
                                ) -> tuple[list[str], list[list[float]]]:
    """(classes, one probability row per item) from models that never saw the item."""
    classes = sorted(set(labels))
    features = [hashed_features(text, bucket_bits) for text in texts]
    fold_of = [zlib.crc32(f"{seed}:{position}".encode()) % folds
               for position in range(len(texts))]
    rows: list[list[float]] = [[] for _ in texts]
    generator = random.Random(seed)
    for fold in sorted(set(fold_of)):  # not range(folds): --folds 10**12 trains no empty fold
        model = TextModel(learning_rate)
        training = [position for position in range(len(texts)) if fold_of[position] != fold]
        for _ in range(passes):
            generator.shuffle(training)
            for position in training:
                model.learn(features[position], labels[position])
        for position in range(len(texts)):
            if fold_of[position] == fold:
                probabilities = dict(zip(model.classes, model.probabilities(features[position])))
                rows[position] = [probabilities.get(label, 0.0) for label in classes]
    return classes, rows


def find_label_issues(labels: Sequence[str], classes: list[str],
                      probabilities: list[list[float]]) -> list[LabelIssue]:
    """Confident-learning flags and self-confidence for every item, most suspect first."""
    class_count = len(classes)
    index = {label: position for position, label in enumerate(classes)}
    given = [index[label] for label in labels]
    sums = [0.0] * class_count
    counts = [0] * class_count
    for label, row in zip(given, probabilities):
        sums[label] += row[label]
        counts[label] += 1
    thresholds = [sums[k] / counts[k] if counts[k] else 1.0 for k in range(class_count)]
    joint = [[0] * class_count for _ in range(class_count)]
    for label, row in zip(given, probabilities):
        confident = [k for k in range(class_count) if row[k] >= thresholds[k]]
        if confident:
            joint[label][max(confident, key=row.__getitem__)] += 1
    by_noise_rate: set[int] = set()
    by_class: set[int] = set()
    for label in range(class_count):
        row_total = sum(joint[label])
        if row_total == 0:
            continue
        members = [position for position, item in enumerate(given) if item == label]
        wrong_in_class = 0
        for other in range(class_count):
            if other == label:
                continue
            expected = round(joint[label][other] / row_total * counts[label])
            if expected <= 0:
                continue
            wrong_in_class += expected
            by_margin = sorted(members, key=lambda position: probabilities[position][label]
                               - probabilities[position][other])
            by_noise_rate.update(by_margin[:expected])
        # prune by class: as many of the class's items as it is estimated to hold wrongly,
        # lowest self-confidence first
        by_self_confidence = sorted(members, key=lambda position: probabilities[position][label])
        by_class.update(by_self_confidence[:wrong_in_class])
    # flagged by both rules (cleanlab's filter_by="both"): on the same probabilities this
    # trades a little recall for more precision and a higher F1 than either rule alone
    flagged = by_noise_rate & by_class
    issues = []
    for position, (label, row) in enumerate(zip(given, probabilities)):
        likely = max(range(class_count), key=row.__getitem__)
        # an item whose given label is also its most probable one is never flagged
        issues.append(LabelIssue(position, classes[label], row[label], classes[likely],
                                 row[likely], position in flagged and likely != label))
    issues.sort(key=lambda issue: (not issue.flagged, issue.self_confidence))
    return issues
