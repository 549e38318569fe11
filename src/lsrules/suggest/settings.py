"""The ruleset's `suggester:` mapping, checked once, with defaults.

Unknown keys are an error rather than ignored: a misspelt `target_acuracy` silently left at
its default would change how much work goes unchecked.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from lsrules.errors import LsrulesError
from lsrules.suggest.calibration import CalibrationSettings
from lsrules.suggest.features import DEFAULT_BUCKET_BITS
from lsrules.suggest.text_model import DEFAULT_LEARNING_RATE


@dataclass(frozen=True)
class SuggesterSettings:
    target_accuracy: float = 0.98
    explore: float = 0.05
    confidence: float = 0.95
    class_recall: float = 0.95
    minimum_class_evidence: int = 20
    minimum_threshold: float = 0.5
    window: int = 3000
    recalibrate_every: int = 25
    burn_in: int = 30
    learning_rate: float = DEFAULT_LEARNING_RATE
    bucket_bits: int = DEFAULT_BUCKET_BITS
    seed: int = 0
    text_field: str | None = None
    from_name: str | None = None
    model: str | None = None

    def calibration(self) -> CalibrationSettings:
        return CalibrationSettings(
            target_accuracy=self.target_accuracy, confidence=self.confidence,
            window=self.window, minimum_class_evidence=self.minimum_class_evidence,
            minimum_threshold=self.minimum_threshold, class_recall=self.class_recall,
            recalibrate_every=self.recalibrate_every, explore=self.explore)

    def to_dict(self) -> dict:
        """The settings a model file keeps (not where the file itself lives)."""
        data = asdict(self)
        del data["model"]
        return data


# name -> (type, lowest, highest, lowest is exclusive)
_RANGES: dict[str, tuple[type, float, float, bool]] = {
    "target_accuracy": (float, 0.0, 1.0, True),
    "explore": (float, 0.0, 0.5, False),
    "confidence": (float, 0.5, 0.9999, False),
    "class_recall": (float, 0.0, 1.0, False),
    "minimum_class_evidence": (int, 0, 1_000_000, False),
    "minimum_threshold": (float, 0.0, 1.0, False),
    "window": (int, 10, 1_000_000, False),
    "recalibrate_every": (int, 1, 1_000_000, False),
    "burn_in": (int, 0, 1_000_000, False),
    "learning_rate": (float, 0.0, 100.0, True),
    "bucket_bits": (int, 10, 26, False),
    "seed": (int, 0, 2**32 - 1, False),
}


def parse_settings(raw: object, where: str = "suggester") -> SuggesterSettings:
    """Check a `suggester:` mapping; every problem is an `LsrulesError` naming the key."""
    if raw is None:
        return SuggesterSettings()
    if not isinstance(raw, dict):
        raise LsrulesError(f"{where} must be a mapping of settings")
    known = {field.name for field in fields(SuggesterSettings)}
    values: dict = {}
    for key, value in raw.items():
        if key not in known:
            raise LsrulesError(f"{where}.{key} is not a suggester setting "
                               f"(known: {', '.join(sorted(known))})")
        if key in _RANGES:
            kind, lowest, highest, exclusive = _RANGES[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                    kind is int and not isinstance(value, int)):
                raise LsrulesError(f"{where}.{key} must be {'an integer' if kind is int else 'a number'}")
            too_low = value <= lowest if exclusive else value < lowest
            if too_low or value > highest or math.isnan(value):
                raise LsrulesError(f"{where}.{key} must lie in "
                                   f"{'(' if exclusive else '['}{lowest}, {highest}]")
        elif value is not None and not isinstance(value, str):
            raise LsrulesError(f"{where}.{key} must be a string")
        values[key] = value
    return SuggesterSettings(**values)
