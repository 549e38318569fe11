"""Annotator reliability, live: Dawid-Skene over the tasks several people labelled.

Each task keeps the label each annotator gave it (their last) and, once known, the approved
label. An annotator's reliability is Dawid-Skene's (`dawid_skene.py`, the estimate `lsrules
suggest annotators` prints): the probability that their label is right, from a confusion
matrix per annotator estimated by EM over every label of the tasks with two annotators or
more. No label is taken as the truth, approved or not: approving an annotator's own label
would only confirm them (whoever labels last would look perfect). An annotator seen only on
tasks nobody else labelled has no reliability (None). EM runs lazily: again only once
enough has changed (1% of the tasks kept, at least `REFRESH_AFTER` labels), so asking for a
reliability on every annotation does not re-run it on every annotation.

Memory is bounded: only the most recent `MAXIMUM_TASKS` tasks are kept.
"""
from __future__ import annotations

from lsrules.suggest import dawid_skene
from lsrules.suggest.store.validation import (
    ModelFileError,
    expect_dict,
    expect_keys,
    expect_optional_string,
    expect_string,
)

MAXIMUM_TASKS = 20_000
REFRESH_AFTER = 25


class AnnotatorAgreement:
    """Per task: {annotator: label} and the approved label, if any."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict] = {}
        self.counts: dict[str, int] = {}  # annotator -> tasks kept that they labelled
        self._reliabilities: dict[str, float] | None = None
        self._changes_since_estimate = 0

    def record(self, task_key: str, annotator: str, label: str,
               approved: bool = False) -> None:
        entry = self.tasks.pop(task_key, None) or {"approved": None, "labels": {}}
        if annotator not in entry["labels"]:
            self.counts[annotator] = self.counts.get(annotator, 0) + 1
        entry["labels"][annotator] = label
        if approved:
            entry["approved"] = label
        self.tasks[task_key] = entry  # re-inserted: most recent last
        while len(self.tasks) > MAXIMUM_TASKS:
            self._forget(self.tasks.pop(next(iter(self.tasks))))
        self._changes_since_estimate += 1

    def _forget(self, entry: dict) -> None:
        for annotator in entry["labels"]:
            self.counts[annotator] -= 1
            if not self.counts[annotator]:
                del self.counts[annotator]

    def count(self, annotator: str) -> int:
        """How many of the tasks kept the annotator labelled."""
        return self.counts.get(annotator, 0)

    def reliability(self, annotator: str) -> float | None:
        stale = self._changes_since_estimate >= max(REFRESH_AFTER, len(self.tasks) // 100)
        if self._reliabilities is None or stale:
            self._reliabilities = self._estimate()
            self._changes_since_estimate = 0
        return self._reliabilities.get(annotator)

    def _estimate(self) -> dict[str, float]:
        votes = {task: entry["labels"] for task, entry in self.tasks.items()
                 if len(entry["labels"]) >= 2}
        if not votes:
            return {}
        model = dawid_skene.estimate(votes)
        return {annotator: model.reliability(annotator) for annotator in model.confusion}

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
            for annotator in labels:
                agreement.counts[annotator] = agreement.counts.get(annotator, 0) + 1
        return agreement

