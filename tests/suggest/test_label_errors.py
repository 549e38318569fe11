"""Label-error detection: cross-fitted confident learning flags the flipped labels."""
from __future__ import annotations

import random

from lsrules.suggest.label_errors import find_label_issues, out_of_sample_probabilities

from .conftest import make_items


def test_flags_injected_label_errors_with_good_precision_and_recall():
    items = make_items(300, seed=4)
    texts = [task["data"]["text"] for task, _, _ in items]
    labels = [label for _, _, label in items]
    generator = random.Random(5)
    flipped = set(generator.sample(range(len(labels)), 30))
    noisy = [generator.choice([other for other in sorted(set(labels)) if other != label])
             if position in flipped else label for position, label in enumerate(labels)]
    classes, probabilities = out_of_sample_probabilities(texts, noisy, folds=5)
    flagged = {issue.position for issue in find_label_issues(noisy, classes, probabilities)
               if issue.flagged}
    hits = len(flagged & flipped)
    assert hits / len(flagged) >= 0.8
    assert hits / len(flipped) >= 0.8

