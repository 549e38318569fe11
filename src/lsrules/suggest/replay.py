"""Human-in-the-loop replay of an export: how much work would the suggester have saved?

Items are replayed in export order. For each, the suggester proposes; a confident proposal
on an item not drawn for exploration is auto-accepted (no person sees it, nothing is
learned: the suggester never learns from itself); every other item goes to a simulated
person who gives the export's label, which is approved and learned. This is the loop the
live service runs, so its figures are the ones a project would see.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from lsrules.suggest.export_items import LabelledItem
from lsrules.suggest.suggester import Suggester


@dataclass(frozen=True)
class Outcome:
    label: str
    auto_accepted: bool
    correct: bool  # auto-accepted with the right label (False for items a person labelled)


@dataclass
class Checkpoint:
    items: int
    auto_accepted_share: float
    auto_accepted_accuracy: float | None
    window_auto_accepted_share: float
    window_auto_accepted_accuracy: float | None


@dataclass
class ReplayReport:
    outcomes: list[Outcome] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)

    @property
    def auto_accepted(self) -> int:
        return sum(outcome.auto_accepted for outcome in self.outcomes)

    @property
    def auto_accepted_share(self) -> float:
        return self.auto_accepted / len(self.outcomes) if self.outcomes else 0.0

    @property
    def auto_accepted_accuracy(self) -> float | None:
        return _accuracy(self.outcomes)

    @property
    def rarest_class(self) -> str | None:
        counts = Counter(outcome.label for outcome in self.outcomes)
        return min(counts, key=lambda label: (counts[label], label)) if counts else None

    def class_protected_share(self, label: str) -> float | None:
        """Share of `label` items that reached a person or were auto-accepted correctly."""
        of_label = [outcome for outcome in self.outcomes if outcome.label == label]
        if not of_label:
            return None
        safe = sum(1 for outcome in of_label if not outcome.auto_accepted or outcome.correct)
        return safe / len(of_label)


def replay(suggester: Suggester, items: Iterable[LabelledItem]) -> ReplayReport:
    items = list(items)
    report = ReplayReport()
    marks = {max(1, round(len(items) * tenth / 10)) for tenth in range(1, 11)}
    window_start = 0
    for position, item in enumerate(items, start=1):
        label = item.label
        assert label is not None  # labelled_items gives only labelled items unless told not to
        suggestion = suggester.suggest(item.task)
        explored = suggester.should_explore(item.task.get("id", item.index))
        if suggestion.label is not None and not explored:
            report.outcomes.append(Outcome(label, True, suggestion.label == label))
        else:
            suggester.learn(item.task, item.annotation, approved_by="simulated-person")
            report.outcomes.append(Outcome(label, False, False))
        if position in marks:
            window = report.outcomes[window_start:]
            report.checkpoints.append(Checkpoint(
                position, report.auto_accepted_share, report.auto_accepted_accuracy,
                sum(outcome.auto_accepted for outcome in window) / len(window),
                _accuracy(window)))
            window_start = position
    return report


def _accuracy(outcomes: list[Outcome]) -> float | None:
    accepted = [outcome for outcome in outcomes if outcome.auto_accepted]
    return sum(outcome.correct for outcome in accepted) / len(accepted) if accepted else None
