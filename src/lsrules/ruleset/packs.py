"""The rule packs `extends:` can name, and each pack's rules: id, severity, summary.

The ruleset's checks need the ids (a test may expect a pack rule to fire) without loading
the pack itself, which lives a layer up in `lsrules.packs`.
"""
from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class PackRule:
    """One rule of the pack: a stable id, its severity and a one-line summary (docs in rules.md)."""

    id: str
    severity: str
    summary: str
    docs: str = "docs/rules.md"

LABELING_CONFIG_RULES = [
    PackRule("lc-result-not-list", ERROR, "The annotation's `result` is not a list."),
    PackRule("lc-item-not-object", ERROR, "A result item is not a JSON object."),
    PackRule("lc-unknown-from-name", ERROR, "A result item's `from_name` is no control of the config."),
    PackRule("lc-unknown-to-name", ERROR, "A result item's `to_name` is not an object its control labels."),
    PackRule("lc-type-mismatch", ERROR, "A result item's `type` is not what its control writes."),
    PackRule("lc-value-not-object", ERROR, "A result item has no `value` object."),
    PackRule("lc-value-key-missing", ERROR, "A result value lacks a key its type requires."),
    PackRule("lc-value-wrong-type", ERROR, "A result value field has the wrong JSON type."),
    PackRule("lc-number-as-string", ERROR, "A number in a result value is written as a string."),
    PackRule("lc-unknown-label", ERROR, "A label or choice is not defined by the control."),
    PackRule("lc-empty-labels", WARNING, "A region or choice item holds an empty label list."),
    PackRule("lc-single-choice-violated", ERROR, "Several labels on a control with `choice=\"single\"`."),
    PackRule("lc-geometry-out-of-bounds", ERROR, "A shape lies outside the image (0..100 percent)."),
    PackRule("lc-negative-size", ERROR, "A box or ellipse has a negative width, height or radius."),
    PackRule("lc-span-reversed", ERROR, "A span's `start` is after its `end`."),
    PackRule("lc-span-out-of-bounds", ERROR, "A span's offsets fall outside the task's text."),
    PackRule("lc-span-text-mismatch", ERROR, "A span's `text` differs from the task's text at its offsets."),
    PackRule("lc-value-out-of-range", ERROR, "A rating or number lies outside the control's range."),
    PackRule("lc-score-out-of-range", ERROR, "A `score` lies outside 0..1."),
    PackRule("lc-max-usages-exceeded", ERROR, "A label is used more often than its `maxUsages`."),
    PackRule("lc-required-missing", ERROR, "A `required` control was left empty."),
    PackRule("lc-per-region-orphan", ERROR, "A per-region item belongs to no region."),
    PackRule("lc-relation-unknown-region", ERROR, "A relation points at a region id that does not exist."),
    PackRule("lc-taxonomy-not-leaf", ERROR, "A taxonomy path stops above a leaf on a `leafsOnly` taxonomy."),
    PackRule("lc-pairwise-selected", ERROR, "A Pairwise answer is neither `left` nor `right`."),
    PackRule("lc-video-frame-out-of-range", ERROR, "A video keyframe's frame is not a whole number in 1..framesCount."),
    PackRule("lc-ranker-unknown-bucket", ERROR, "A Ranker result names a bucket the control does not have."),
    PackRule("lc-datetime-format", ERROR, "A DateTime value is not in the control's format, or outside min..max."),
]

PACKS: dict[str, tuple[PackRule, ...]] = {"builtin:labeling-config": tuple(LABELING_CONFIG_RULES)}
