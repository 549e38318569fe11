"""Dawid-Skene: annotator confusion matrices and task labels estimated together by EM.

Treating one label of a task (the latest, say) as the truth rewards whoever labels last;
Dawid and Skene (1979) instead let every label of a task vote, each weighted by how its
annotator confuses true classes, and re-estimate those confusions from the weighted
votes until they settle. Only tasks that several people labelled inform the estimate
(one label cannot disagree with anything). Pure Python and deterministic: annotators,
tasks and labels are visited in sorted order, EM starts from the majority vote, stops
after `max_iterations` or once no task's posterior moves by more than `tolerance`, and a
tie between labels goes to the one that sorts first.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MAX_ITERATIONS = 100
TOLERANCE = 1e-5
SMOOTHING = 0.01  # pseudo-count per confusion cell: a label never seen is unlikely, not impossible


@dataclass(frozen=True)
class DawidSkeneResult:
    labels: list[str]                                   # the classes, sorted
    priors: dict[str, float]                            # P(true class)
    confusion: dict[str, dict[str, dict[str, float]]]   # annotator -> true -> given -> P
    posteriors: dict[str, dict[str, float]]             # task -> class -> P(true class)
    iterations: int
    converged: bool

    def reliability(self, annotator: str) -> float:
        """P(the annotator's label is right) on a task drawn from the class priors."""
        matrix = self.confusion[annotator]
        return sum(self.priors[label] * matrix[label][label] for label in self.labels)

    def label_of(self, task: str) -> str:
        """The most probable true label; a tie goes to the label that sorts first."""
        posterior = self.posteriors[task]
        return min(self.labels, key=lambda label: (-posterior[label], label))


def estimate(votes: Mapping[str, Mapping[str, str]], max_iterations: int = MAX_ITERATIONS,
             tolerance: float = TOLERANCE) -> DawidSkeneResult:
    """`votes`: task -> {annotator: label}. Tasks with fewer than two labels are ignored."""
    tasks = sorted(task for task, given in votes.items() if len(given) >= 2)
    task_votes = {task: sorted(votes[task].items()) for task in tasks}
    labels = sorted({label for task in tasks for _, label in task_votes[task]})
    annotators = sorted({annotator for task in tasks for annotator, _ in task_votes[task]})
    posteriors = {task: _majority(task_votes[task], labels) for task in tasks}
    priors: dict[str, float] = {}
    confusion: dict[str, dict[str, dict[str, float]]] = {}
    iterations = 0
    converged = not tasks
    while tasks and iterations < max_iterations:
        iterations += 1
        priors, confusion = _m_step(task_votes, posteriors, labels, annotators)
        updated = {task: _e_step(task_votes[task], priors, confusion, labels) for task in tasks}
        change = max(abs(updated[task][label] - posteriors[task][label])
                     for task in tasks for label in labels)
        posteriors = updated
        if change <= tolerance:
            converged = True
            break
    if tasks:
        priors, confusion = _m_step(task_votes, posteriors, labels, annotators)
    return DawidSkeneResult(labels, priors, confusion, posteriors, iterations, converged)


def _majority(given: list[tuple[str, str]], labels: list[str]) -> dict[str, float]:
    counts = {label: 0.0 for label in labels}
    for _, label in given:
        counts[label] += 1.0
    top = max(counts.values())
    winners = [label for label in labels if counts[label] == top]
    return {label: (1.0 / len(winners) if label in winners else 0.0) for label in labels}


def _m_step(task_votes: dict[str, list[tuple[str, str]]], posteriors: dict[str, dict[str, float]],
            labels: list[str], annotators: list[str]
            ) -> tuple[dict[str, float], dict[str, dict[str, dict[str, float]]]]:
    totals = {label: 0.0 for label in labels}
    counts = {annotator: {true: {given: SMOOTHING for given in labels} for true in labels}
              for annotator in annotators}
    for task, given in task_votes.items():
        posterior = posteriors[task]
        for true in labels:
            totals[true] += posterior[true]
        for annotator, label in given:
            cells = counts[annotator]
            for true in labels:
                cells[true][label] += posterior[true]
    task_count = sum(totals.values())
    priors = {label: totals[label] / task_count for label in labels}
    confusion = {}
    for annotator in annotators:
        matrix = {}
        for true in labels:
            row = counts[annotator][true]
            row_total = sum(row.values())
            matrix[true] = {given: row[given] / row_total for given in labels}
        confusion[annotator] = matrix
    return priors, confusion


def _e_step(given: list[tuple[str, str]], priors: dict[str, float],
            confusion: dict[str, dict[str, dict[str, float]]],
            labels: list[str]) -> dict[str, float]:
    logs = {}
    for true in labels:
        value = math.log(priors[true]) if priors[true] > 0 else -math.inf
        for annotator, label in given:
            value += math.log(confusion[annotator][true][label])
        logs[true] = value
    top = max(logs.values())
    weights = {label: (math.exp(logs[label] - top) if logs[label] > -math.inf else 0.0)
               for label in labels}
    total = sum(weights.values())
    return {label: weights[label] / total for label in labels}
