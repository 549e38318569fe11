"""The ruleset's `suggester:` mapping, checked once, with defaults: the one definition of
every setting (default, range, what it does).

The `suggester` part of schemas/ruleset.schema.json is generated from it (`json_schema`,
written by scripts/suggester_schema.py and held to it by a test), so `check`, `run`,
`serve` and `suggest` accept the same settings. Unknown keys are an error rather than
ignored: a misspelt `target_acuracy` silently left at its default would change how much
work goes unchecked.
"""
from __future__ import annotations

import math
from dataclasses import Field, asdict, dataclass, field, fields
from typing import Any

from lsrules.errors import LsrulesError
from lsrules.suggest.features import DEFAULT_BUCKET_BITS
from lsrules.suggest.text_model import DEFAULT_LEARNING_RATE


def _number(default: float, lowest: float, highest: float, description: str,
            exclusive: bool = False) -> Any:
    """A number setting in [lowest, highest] (`exclusive`: lowest itself not allowed)."""
    return field(default=default, metadata={"range": (lowest, highest, exclusive),
                                            "description": description})


def _switch(description: str) -> Any:
    """A true/false setting, off unless set."""
    return field(default=False, metadata={"switch": True, "description": description})


def _text(description: str) -> Any:
    return field(default=None, metadata={"description": description})


@dataclass(frozen=True)
class SuggesterSettings:
    target_accuracy: float = _number(
        0.98, 0.0, 1.0, "Auto-accept only above the confidence threshold calibrated to reach "
        "this accuracy.", exclusive=True)
    explore: float = _number(
        0.05, 0.0, 0.5, "Share of confident items still sent to a person: they measure live "
        "accuracy.")
    confidence: float = _number(
        0.95, 0.5, 0.9999, "Confidence of the Wilson lower bound that must meet the target "
        "accuracy.")
    class_recall: float = _number(
        0.95, 0.0, 1.0, "For every class, at least this share of its items is never "
        "auto-accepted as another label.")
    minimum_class_evidence: int = _number(
        20, 0, 1_000_000, "Approvals of a class needed before it is auto-accepted.")
    minimum_threshold: float = _number(
        0.5, 0.0, 1.0, "No confidence threshold is ever below this.")
    window: int = _number(
        3000, 10, 1_000_000, "Approved labels kept in the rolling calibration set.")
    recalibrate_every: int = _number(
        25, 1, 1_000_000, "Approvals between two recalibrations of the thresholds.")
    burn_in: int = _number(
        30, 0, 1_000_000, "Approvals the model learns before its scores enter calibration.")
    learning_rate: float = _number(
        DEFAULT_LEARNING_RATE, 0.0, 100.0, "Step size of the text model's updates.", exclusive=True)
    bucket_bits: int = _number(
        DEFAULT_BUCKET_BITS, 10, 26, "Text features are hashed into 2^bucket_bits buckets.")
    seed: int = _number(
        0, 0, 2**32 - 1, "Seed of the draw that picks the explored items.")
    auto_accept: bool = _switch(
        "In `serve`: a new task whose suggestion clears the calibrated threshold gets an "
        "annotation written by lsrules and leaves the annotators' queue (but for the "
        "`explore` share, which goes to people without a pre-annotation).")
    text_field: str | None = _text(
        "The key of `task.data` holding the text to classify. Not set: the key the first "
        "learnt annotation's `to_name` names, else `text`, else the task's only text.")
    from_name: str | None = _text(
        "The labeling config's control (`from_name`) whose labels are suggested. Not set: "
        "the control of the first `choices` answer learnt.")
    model: str | None = _text(
        "Path, relative to this file, of the suggester's JSON model file (written by "
        "`suggest fit`). Not set, or no such file: the model starts empty.")

    def to_dict(self) -> dict:
        """The settings a model file keeps (not where the file itself lives)."""
        data = asdict(self)
        del data["model"]
        return data


def parse_settings(raw: object, where: str = "suggester") -> SuggesterSettings:
    """Check a `suggester:` mapping; every problem is an `LsrulesError` naming the key."""
    if raw is None:
        return SuggesterSettings()
    if not isinstance(raw, dict):
        raise LsrulesError(f"{where} must be a mapping of settings")
    known = {setting.name: setting for setting in fields(SuggesterSettings)}
    values: dict = {}
    for key, value in raw.items():
        setting = known.get(key)
        if setting is None:
            raise LsrulesError(f"{where}.{key} is not a suggester setting "
                               f"(known: {', '.join(sorted(known))})")
        if setting.metadata.get("switch"):
            if not isinstance(value, bool):
                raise LsrulesError(f"{where}.{key} must be true or false")
        elif "range" in setting.metadata:
            lowest, highest, exclusive = setting.metadata["range"]
            integer = _is_integer(setting)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (
                    integer and not isinstance(value, int)):
                raise LsrulesError(f"{where}.{key} must be {'an integer' if integer else 'a number'}")
            too_low = value <= lowest if exclusive else value < lowest
            if too_low or value > highest or math.isnan(value):
                raise LsrulesError(f"{where}.{key} must lie in "
                                   f"{'(' if exclusive else '['}{lowest}, {highest}]")
        elif value is not None and (not isinstance(value, str) or not value):
            raise LsrulesError(f"{where}.{key} must be a non-empty string (or null: not set)")
        values[key] = value
    return SuggesterSettings(**values)


def json_schema() -> dict:
    """The JSON Schema of the `suggester:` mapping, from the settings' own definitions."""
    properties: dict[str, dict] = {}
    for setting in fields(SuggesterSettings):
        schema: dict[str, Any] = {"description": setting.metadata["description"]}
        if setting.metadata.get("switch"):
            schema.update({"type": "boolean", "default": setting.default})
        elif "range" in setting.metadata:
            lowest, highest, exclusive = setting.metadata["range"]
            schema["type"] = "integer" if _is_integer(setting) else "number"
            schema["exclusiveMinimum" if exclusive else "minimum"] = lowest
            schema["maximum"] = highest
            schema["default"] = setting.default
        else:
            schema.update({"type": ["string", "null"], "minLength": 1})
        properties[setting.name] = schema
    return {"description": "The statistical suggester: label suggestions and confidence "
                           "learnt from approved annotations.",
            "type": "object", "additionalProperties": False, "properties": properties}


def _is_integer(setting: Field) -> bool:
    return setting.type in (int, "int")
