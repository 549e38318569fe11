"""The name of a JSON value's type, in the words of JSON ("an array", "an object"), for
messages about Label Studio data, exports and model files. (Rulesets are YAML: the schema
check names YAML's types, "a list" and "a mapping", in its own words.)"""
from __future__ import annotations

from typing import Any


def json_type(value: Any) -> str:
    """`null`, `a boolean`, `a number`, `a string`, `an array`, `an object` (else the
    Python type's name, for a value no JSON parser makes)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
