"""Annotator reliability: `lsrules suggest annotators` (Dawid-Skene EM) against crowd-kit's
DawidSkene, and the latest-label-as-truth estimator, on one simulated crowd.

No multi-annotator Label Studio export is available offline, so the crowd is simulated
with the structure that matters: 8 annotators with different confusion matrices (some
uniform noise, some systematic confusions of a class with its neighbour, one biased
towards the commonest class), 5 imbalanced classes, each item labelled by 3 annotators
drawn at random, and one poor annotator who, whenever they label an item, labels it last.

Printed: label agreement between the two Dawid-Skene implementations (goal >= 95%), the
Spearman correlation of their reliabilities (goal >= 0.9), each one's accuracy against
the planted truth, and the planted, lsrules, crowd-kit and latest-label reliabilities.

    python3 -m venv /tmp/crowd-venv
    /tmp/crowd-venv/bin/pip install -e . -r bench/requirements-suggest.txt
    /tmp/crowd-venv/bin/python bench/suggest_annotators.py [--items 15000] [--seed 0]
"""
from __future__ import annotations

import argparse
import random
import time

import pandas as pd
from crowdkit.aggregation import DawidSkene
from scipy.stats import spearmanr

from lsrules.suggest.dawid_skene import estimate

CLASSES = ["business", "politics", "sport", "tech", "entertainment"]
PRIORS = [0.40, 0.25, 0.17, 0.11, 0.07]
# name: (accuracy, share of the errors that go to the next class, bias to the commonest)
ANNOTATORS = {
    "a1": (0.95, 0.0, 0.0), "a2": (0.92, 0.5, 0.0), "a3": (0.88, 0.0, 0.0),
    "a4": (0.85, 0.8, 0.0), "a5": (0.80, 0.3, 0.0), "a6": (0.75, 0.0, 0.5),
    "a7": (0.70, 0.6, 0.0), "last": (0.45, 0.2, 0.6),
}


def confusion(accuracy: float, neighbour: float, common: float) -> dict[str, list[float]]:
    """Per true class, the probabilities of each given label."""
    matrix = {}
    for index, true in enumerate(CLASSES):
        row = [0.0] * len(CLASSES)
        row[index] = accuracy
        errors = 1 - accuracy
        others = [other for other in range(len(CLASSES)) if other != index]
        row[(index + 1) % len(CLASSES)] += errors * neighbour
        if index != 0:
            row[0] += errors * common
        spread = errors * (1 - neighbour - (common if index != 0 else 0))
        for other in others:
            row[other] += spread / len(others)
        matrix[true] = row
    return matrix


def simulate(items: int, seed: int) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    generator = random.Random(seed)
    matrices = {name: confusion(*shape) for name, shape in ANNOTATORS.items()}
    truth, labels = {}, []
    for number in range(items):
        task = f"t{number}"
        true = generator.choices(CLASSES, weights=PRIORS)[0]
        truth[task] = true
        chosen = generator.sample(sorted(ANNOTATORS), 3)
        chosen.sort(key=lambda name: name == "last")  # the poor annotator labels last
        for name in chosen:
            given = generator.choices(CLASSES, weights=matrices[name][true])[0]
            labels.append((task, name, given))
    return truth, labels


def planted_reliability(name: str) -> float:
    matrix = confusion(*ANNOTATORS[name])
    return sum(prior * matrix[true][index]
               for index, (true, prior) in enumerate(zip(CLASSES, PRIORS)))


class LatestLabelAsTruth:
    """The estimator `annotator.reliability` used before Dawid-Skene, kept here for the
    contrast: agreement with each task's last label, Beta(1, 1)-smoothed."""

    def __init__(self, votes: dict[str, dict[str, str]]):
        agree: dict[str, float] = {}
        seen: dict[str, float] = {}
        for given in votes.values():
            truth = list(given.values())[-1]
            for name, label in given.items():
                agree[name] = agree.get(name, 1.0) + (label == truth)
                seen[name] = seen.get(name, 2.0) + 1
        self.reliabilities = {name: agree[name] / seen[name] for name in agree}

    def reliability(self, name: str) -> float | None:
        return self.reliabilities.get(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    truth, labels = simulate(args.items, args.seed)

    votes: dict[str, dict[str, str]] = {}
    for task, name, given in labels:
        votes.setdefault(task, {})[name] = given
    started = time.perf_counter()
    ours = estimate(votes)
    ours_seconds = time.perf_counter() - started

    frame = pd.DataFrame(labels, columns=["task", "worker", "label"])
    started = time.perf_counter()
    crowd = DawidSkene(n_iter=100, tol=1e-5)
    crowd_labels = crowd.fit_predict(frame)
    crowd_seconds = time.perf_counter() - started

    latest = LatestLabelAsTruth(votes)

    names = sorted(ANNOTATORS)
    crowd_reliability = {name: sum(float(crowd.priors_[label])
                                   * float(crowd.errors_.loc[(name, label), label])
                                   for label in CLASSES) for name in names}
    ours_reliability = {name: ours.reliability(name) for name in names}
    agreement = sum(ours.label_of(task) == crowd_labels[task] for task in truth) / len(truth)
    ours_accuracy = sum(ours.label_of(task) == true for task, true in truth.items()) / len(truth)
    crowd_accuracy = sum(crowd_labels[task] == true for task, true in truth.items()) / len(truth)
    rho = spearmanr([ours_reliability[name] for name in names],
                    [crowd_reliability[name] for name in names]).statistic
    rho_planted = spearmanr([ours_reliability[name] for name in names],
                            [planted_reliability(name) for name in names]).statistic
    rho_latest = spearmanr([latest.reliability(name) or 0.0 for name in names],
                           [crowd_reliability[name] for name in names]).statistic

    print(f"simulated crowd: {len(truth)} items, {len(labels)} labels, {len(names)} annotators, "
          f"seed {args.seed}")
    print(f"lsrules Dawid-Skene: {ours.iterations} iterations "
          f"({'converged' if ours.converged else 'iteration limit'}), {ours_seconds:.1f} s; "
          f"crowd-kit DawidSkene: {crowd_seconds:.1f} s")
    print(f"label agreement lsrules vs crowd-kit: {agreement:.2%} (goal >= 95%)")
    print(f"Spearman of reliabilities lsrules vs crowd-kit: {rho:.3f} (goal >= 0.9); "
          f"lsrules vs planted: {rho_planted:.3f}; latest-label-as-truth vs crowd-kit: "
          f"{rho_latest:.3f}")
    print(f"accuracy vs planted truth: lsrules {ours_accuracy:.2%}, crowd-kit {crowd_accuracy:.2%}")
    print("annotator  planted  lsrules  crowd-kit  latest-label-as-truth")
    for name in names:
        print(f"  {name:7}  {planted_reliability(name):.3f}    {ours_reliability[name]:.3f}    "
              f"{crowd_reliability[name]:.3f}      {latest.reliability(name) or 0.0:.3f}")


if __name__ == "__main__":
    main()
