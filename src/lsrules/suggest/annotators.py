"""Annotator reliability: agreement with approved labels, Dawid-Skene-style.

Each task keeps the label each annotator gave it and, once known, the approved label. An
annotator's reliability is the estimated probability that their label is the true one
(the "one-coin" Dawid-Skene model). Where a task's true label is known (approved) it is
used as is; where several annotators overlap on a task without an approval, the true
label's posterior is estimated by EM from all the votes weighted by the annotators'
current reliabilities, so a careful annotator out-votes a careless one over many tasks.
A task only one person labelled and nobody approved says nothing (the annotator would
only confirm themselves) and is skipped. Estimates are Beta(1, 1)-smoothed and computed lazily: EM runs again only once
enough has changed (1% of the tasks kept, at least `REFRESH_AFTER` records), so asking for
a reliability on every annotation does not re-run EM on every annotation.

Memory is bounded: only the most recent `MAXIMUM_TASKS` tasks are kept.
"""
from __future__ import annotations

from lsrules.suggest.store.validation import (
    ModelFileError,
    expect_dict,
    expect_keys,
    expect_optional_string,
    expect_string,
)

MAXIMUM_TASKS = 20_000
EM_ITERATIONS = 15
INITIAL_ACCURACY = 0.8
REFRESH_AFTER = 25


class AnnotatorAgreement:
    """Per task: {annotator: label} and the approved label, if any."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict] = {}
        self._reliabilities: dict[str, float] | None = None
        self._changes_since_estimate = 0

    def record(self, task_key: str, annotator: str, label: str,
               approved: bool = False) -> None:
        entry = self.tasks.pop(task_key, None) or {"approved": None, "labels": {}}
        entry["labels"][annotator] = label
        if approved:
            entry["approved"] = label
        self.tasks[task_key] = entry  # re-inserted: most recent last
        while len(self.tasks) > MAXIMUM_TASKS:
            del self.tasks[next(iter(self.tasks))]
        self._changes_since_estimate += 1

    def reliability(self, annotator: str) -> float | None:
        stale = self._changes_since_estimate >= max(REFRESH_AFTER, len(self.tasks) // 100)
        if self._reliabilities is None or stale or (
                annotator not in self._reliabilities and self._changes_since_estimate):
            self._reliabilities = self._estimate()
            self._changes_since_estimate = 0
        return self._reliabilities.get(annotator)

    def _estimate(self) -> dict[str, float]:
        labels = sorted({label for entry in self.tasks.values()
                         for label in entry["labels"].values()}
                        | {entry["approved"] for entry in self.tasks.values()
                           if entry["approved"] is not None})
        label_count = max(len(labels), 2)
        informative = [entry for entry in self.tasks.values()
                       if entry["approved"] is not None or len(entry["labels"]) >= 2]
        annotators = {annotator for entry in informative for annotator in entry["labels"]}
        accuracy = {annotator: INITIAL_ACCURACY for annotator in annotators}
        for _ in range(EM_ITERATIONS):
            agreement = {annotator: 1.0 for annotator in annotators}  # Beta(1, 1) prior
            seen = {annotator: 2.0 for annotator in annotators}
            for entry in informative:
                for annotator, label in entry["labels"].items():
                    if entry["approved"] is not None:
                        probability = 1.0 if label == entry["approved"] else 0.0
                    else:
                        probability = _posterior_of(label, entry["labels"], accuracy,
                                                    labels, label_count)
                    agreement[annotator] += probability
                    seen[annotator] += 1.0
            accuracy = {annotator: agreement[annotator] / seen[annotator]
                        for annotator in annotators}
        return accuracy

    def to_dict(self) -> dict:
        return {task: {"approved": entry["approved"], "labels": dict(entry["labels"])}
                for task, entry in self.tasks.items()}

    @classmethod
    def from_dict(cls, data: object, where: str) -> AnnotatorAgreement:
        agreement = cls()
        data = expect_dict(data, where)
        if len(data) > MAXIMUM_TASKS:
            raise ModelFileError(f"{where} has more than {MAXIMUM_TASKS} tasks")
        for task, entry in data.items():
            place = f"{where}[{task[:40]!r}]"
            expect_string(task, place)
            entry = expect_dict(entry, place)
            expect_keys(entry, place, {"approved", "labels"})
            labels = expect_dict(entry["labels"], place + ".labels")
            agreement.tasks[task] = {
                "approved": expect_optional_string(entry["approved"], place + ".approved"),
                "labels": {expect_string(annotator, place): expect_string(label, place)
                           for annotator, label in labels.items()}}
        return agreement


def _posterior_of(label: str, votes: dict[str, str], accuracy: dict[str, float],
                  labels: list[str], label_count: int) -> float:
    """P(true label == label | the votes), uniform prior, one-coin model."""
    likelihoods: dict[str, float] = {}
    for candidate in labels:
        likelihood = 1.0
        for annotator, vote in votes.items():
            correct = accuracy[annotator]
            likelihood *= correct if vote == candidate else (1 - correct) / (label_count - 1)
        likelihoods[candidate] = likelihood
    total = sum(likelihoods.values())
    return likelihoods.get(label, 0.0) / total if total > 0 else 1.0 / label_count
