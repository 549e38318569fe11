"""Span consistency: how was the same surface text labelled before?

For NER-style `labels` regions the cheapest strong signal is memory: if "Acme Corp" was
approved as ORG nine times out of ten, a new "Acme Corp" span labelled LOC deserves a look.
Surface texts are normalised (case-folded, whitespace collapsed) so trivial variants share
their history. Counts are updated per approved span: O(number of spans).
"""
from __future__ import annotations

from lsrules.suggest.store.validation import (
    ModelFileError,
    expect_dict,
    expect_int,
    expect_string,
)

MAXIMUM_SURFACE_LENGTH = 200
MAXIMUM_SURFACES = 1_000_000


def normalise_surface(text: str) -> str:
    return " ".join(text.split()).casefold()[:MAXIMUM_SURFACE_LENGTH]


class SpanMemory:
    """Label counts per normalised surface text."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}

    def learn(self, surface: str, label: str) -> None:
        key = normalise_surface(surface)
        if not key:
            return
        labels = self.counts.get(key)
        if labels is None:
            if len(self.counts) >= MAXIMUM_SURFACES:
                return
            labels = self.counts[key] = {}
        labels[label] = labels.get(label, 0) + 1

    def suggest(self, surface: str) -> tuple[str | None, float | None, int]:
        """(majority label, smoothed share of that label, times seen); None when never seen.

        The share is Laplace-smoothed (one pseudo-count for "something else") so a surface
        seen once is suggested with confidence 0.5, not 1.0.
        """
        labels = self.counts.get(normalise_surface(surface))
        if not labels:
            return None, None, 0
        total = sum(labels.values())
        label, count = max(labels.items(), key=lambda pair: (pair[1], pair[0]))
        return label, count / (total + 1), total

    def to_dict(self) -> dict:
        return {surface: dict(labels) for surface, labels in self.counts.items()}

    @classmethod
    def from_dict(cls, data: object, where: str) -> SpanMemory:
        memory = cls()
        data = expect_dict(data, where)
        if len(data) > MAXIMUM_SURFACES:
            raise ModelFileError(f"{where} has more than {MAXIMUM_SURFACES} surfaces")
        for surface, labels in data.items():
            place = f"{where}[{surface[:40]!r}]"
            expect_string(surface, place, MAXIMUM_SURFACE_LENGTH)
            labels = expect_dict(labels, place)
            memory.counts[surface] = {
                expect_string(label, place): expect_int(count, f"{place}[{label[:40]!r}]",
                                                        minimum=1)
                for label, count in labels.items()}
        return memory
