"""Label-error detection with injected noise: `suggest audit` against cleanlab, in one run.

For each corpus, 10% of the labels are corrupted in two ways: *random* (to any other class)
and *class-pair* (each class to one fixed other class, the systematic confusion that
trips annotators). Both detectors get out-of-sample (5-fold cross-fitted) probabilities
from the same hashed unigram+bigram features:

- lsrules: `lsrules.suggest.label_errors` (our online softmax model, confident learning),
  exactly what `lsrules suggest audit` prints;
- cleanlab: `cleanlab.filter.find_label_issues` (default settings) on the probabilities of
  scikit-learn's LogisticRegression fitted on the same features (`cross_val_predict`).

Precision, recall and F1 of the flagged set against the corrupted items are printed side
by side. Goal (issue 7): lsrules's F1 at least cleanlab's.

    pip install -r bench/requirements-suggest.txt
    python bench/suggest_make_exports.py
    python bench/suggest_audit.py
"""
from __future__ import annotations

import random
import time
from pathlib import Path

from lsrules.suggest.export_items import labelled_items
from lsrules.suggest.features import hashed_features
from lsrules.suggest.label_errors import find_label_issues, out_of_sample_probabilities

OUT = Path(__file__).parent / "out"
NOISE = 0.10
SEED = 13


def corrupt(labels: list[str], kind: str, seed: int) -> tuple[list[str], set[int]]:
    generator = random.Random(seed)
    classes = sorted(set(labels))
    positions = generator.sample(range(len(labels)), round(NOISE * len(labels)))
    noisy = list(labels)
    for position in positions:
        given = labels[position]
        if kind == "random":
            noisy[position] = generator.choice([label for label in classes if label != given])
        else:
            noisy[position] = classes[(classes.index(given) + 1) % len(classes)]
    return noisy, set(positions)


def scores(flagged: set[int], truth: set[int]) -> tuple[float, float, float]:
    hits = len(flagged & truth)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def cleanlab_flags(texts: list[str], noisy: list[str]) -> set[int]:
    import numpy
    from cleanlab.filter import find_label_issues as cleanlab_find
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    # the same hashed features; only the buckets in use become columns (the same model,
    # fitted much faster than over all 2**20 buckets)
    rows, columns, values = [], [], []
    column_of: dict[int, int] = {}
    for row, text in enumerate(texts):
        for feature, value in hashed_features(text).items():
            rows.append(row)
            columns.append(column_of.setdefault(feature, len(column_of)))
            values.append(value)
    matrix = csr_matrix((values, (rows, columns)), shape=(len(texts), len(column_of)))
    classes = sorted(set(noisy))
    targets = numpy.array([classes.index(label) for label in noisy])
    probabilities = cross_val_predict(
        LogisticRegression(max_iter=1000, C=10.0), matrix, targets,
        cv=StratifiedKFold(5, shuffle=True, random_state=SEED), method="predict_proba")
    mask = cleanlab_find(targets, probabilities)
    return {int(position) for position in numpy.flatnonzero(mask)}


def main() -> int:
    print(f"{'corpus':10} {'noise':11} {'detector':9} {'flagged':>8} {'precision':>10} "
          f"{'recall':>7} {'F1':>6} {'seconds':>8}")
    for name in ["bbc", "digits"]:
        items = list(labelled_items(str(OUT / f"{name}.json")))
        texts = [item.task["data"]["text"] for item in items]
        labels = [item.label for item in items]
        for kind in ["random", "class-pair"]:
            noisy, truth = corrupt(labels, kind, SEED)
            started = time.perf_counter()
            classes, probabilities = out_of_sample_probabilities(texts, noisy, folds=5)
            ours = {issue.position for issue in find_label_issues(noisy, classes, probabilities)
                    if issue.flagged}
            our_seconds = time.perf_counter() - started
            started = time.perf_counter()
            theirs = cleanlab_flags(texts, noisy)
            their_seconds = time.perf_counter() - started
            for detector, flagged, seconds in [("lsrules", ours, our_seconds),
                                               ("cleanlab", theirs, their_seconds)]:
                precision, recall, f1 = scores(flagged, truth)
                print(f"{name:10} {kind:11} {detector:9} {len(flagged):8d} {precision:10.3f} "
                      f"{recall:7.3f} {f1:6.3f} {seconds:8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
