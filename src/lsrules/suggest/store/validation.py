"""Strict checks for values read back from a model file.

A model file may come from anywhere (a colleague, a bucket, an attacker): every value is
checked for its type and range before it reaches a model, so a bad file gives one clear
`LsrulesError` naming the JSON path, never a confusing failure later or code execution.
Nothing here ever turns a key or value into a Python object other than plain data.
"""
from __future__ import annotations

import math

from lsrules.json_types import json_type
from lsrules.errors import LsrulesError

MAXIMUM_LIST_LENGTH = 50_000_000


class ModelFileError(LsrulesError):
    """A suggester model file that is not one lsrules wrote (or was damaged)."""


def expect_dict(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise ModelFileError(f"{where} must be an object, not {json_type(value)}")
    return value


def expect_keys(value: dict, where: str, keys: set[str]) -> None:
    missing = keys - value.keys()
    unknown = value.keys() - keys
    if missing:
        raise ModelFileError(f"{where} lacks {', '.join(sorted(missing))}")
    if unknown:
        names = ", ".join(repr(name)[:40] for name in sorted(unknown)[:3])
        raise ModelFileError(f"{where} has unknown field(s) {names}")


def expect_list(value: object, where: str, maximum_length: int = MAXIMUM_LIST_LENGTH) -> list:
    if not isinstance(value, list):
        raise ModelFileError(f"{where} must be an array, not {json_type(value)}")
    if len(value) > maximum_length:
        raise ModelFileError(f"{where} is longer than {maximum_length}")
    return value


def expect_string(value: object, where: str, maximum_length: int = 10_000) -> str:
    if not isinstance(value, str):
        raise ModelFileError(f"{where} must be a string, not {json_type(value)}")
    if len(value) > maximum_length:
        raise ModelFileError(f"{where} is longer than {maximum_length} characters")
    return value


def expect_int(value: object, where: str, minimum: int | None = None,
               maximum: int = 2**53) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelFileError(f"{where} must be an integer, not {json_type(value)}")
    if (minimum is not None and value < minimum) or value > maximum:
        raise ModelFileError(f"{where} is out of range")
    return value


def expect_finite(value: object, where: str, minimum: float | None = None,
                  maximum: float = 1e300) -> float:
    """A finite number (JSON integers are accepted and kept exactly as floats or ints)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ModelFileError(f"{where} must be a number, not {json_type(value)}")
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise ModelFileError(f"{where} is out of range")
    elif not math.isfinite(value):
        raise ModelFileError(f"{where} must be finite")
    if (minimum is not None and value < minimum) or abs(value) > maximum:
        raise ModelFileError(f"{where} is out of range")
    return value


def expect_float_list(value: object, where: str, minimum: float | None = None,
                      maximum: float = 1e300) -> list:
    values = expect_list(value, where)
    for index, item in enumerate(values):
        expect_finite(item, f"{where}[{index}]", minimum, maximum)
    return list(values)


def expect_optional_string(value: object, where: str) -> str | None:
    return None if value is None else expect_string(value, where)
