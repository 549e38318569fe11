"""Label-error detection: cross-fitted confident learning flags the flipped labels."""
from __future__ import annotations

import random

from lsrules.suggest import label_errors
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



def test_more_folds_than_items_trains_one_model_per_item_at_most(monkeypatch):
    """`suggest audit --folds 100000000000` used to train a model per (empty) fold."""
    trained = []

    class CountingModel(label_errors.TextModel):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            trained.append(self)
            assert len(trained) <= 20, "a model trained for an empty fold"

    monkeypatch.setattr(label_errors, "TextModel", CountingModel)
    items = make_items(20, seed=4)
    texts = [task["data"]["text"] for task, _, _ in items]
    labels = [label for _, _, label in items]
    classes, probabilities = out_of_sample_probabilities(texts, labels, folds=10**12)
    assert 0 < len(trained) <= 20
    assert [len(row) for row in probabilities] == [len(classes)] * 20
