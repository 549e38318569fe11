"""Helpers that generated rule code calls: null-safe access and arithmetic.

The code generator inlines what it can (null checks, comparisons); what needs a loop or a
type test lives here. Values are JSON values (dict, list, str, int, float, bool, None)
plus `Record`s (regions and the like), so no helper ever touches a Python attribute named
by user text: a field is always a dict key or an entry of a record's own field table.
"""
from __future__ import annotations

import json
import math
from typing import Any

# An exception of these types while evaluating a condition means the data did not have
# the shape the rule expected: the condition's value is null (assert fails, when skips).
DATA_ERRORS = (TypeError, ValueError, AttributeError, IndexError, KeyError, OverflowError,
               ZeroDivisionError, RecursionError)

_NUMBER = (int, float)


class Record:
    """A runtime object with named fields (a region); `field` returns None for unknown names."""

    __slots__ = ()

    def field(self, name: str) -> Any:  # pragma: no cover - overridden
        return None


def get(value: Any, key: Any) -> Any:
    """`value.key`: a dict entry or a record field; None for anything else."""
    if value.__class__ is dict:
        return value.get(key)
    if isinstance(value, Record):
        return value.field(key)
    return None


def path(value: Any, keys: tuple[Any, ...]) -> Any:
    """`value.a.b.c` in one call."""
    for key in keys:
        if value.__class__ is dict:
            value = value.get(key)
        elif isinstance(value, Record):
            value = value.field(key)
        else:
            return None
    return value


def has_path(value: Any, keys: tuple[Any, ...]) -> bool:
    """`has(value.a.b)`: every step exists (a present null counts as existing)."""
    for key in keys:
        if value.__class__ is dict:
            if key not in value:
                return False
            value = value[key]
        elif isinstance(value, Record):
            if value.field(key) is None:
                return False
            value = value.field(key)
        else:
            return False
    return True


def index(value: Any, key: Any) -> Any:
    """`value[key]`: list position (negative from the end), dict key or string character."""
    if key is None or value is None:
        return None
    if isinstance(value, (list, str)) and type(key) is int:
        if -len(value) <= key < len(value):
            return value[key]
        return None
    if value.__class__ is dict and isinstance(key, str):
        return value.get(key)
    if isinstance(value, Record) and isinstance(key, str):
        return value.field(key)
    return None


def multiply(left: Any, right: Any) -> Any:
    if type(left) in _NUMBER and type(right) in _NUMBER:
        return left * right
    return None


def divide(left: Any, right: Any) -> Any:
    if type(left) in _NUMBER and type(right) in _NUMBER and right != 0:
        return left / right
    return None


def modulo(left: Any, right: Any) -> Any:
    if type(left) in _NUMBER and type(right) in _NUMBER and right != 0:
        return left % right
    return None


def equal(left: Any, right: Any) -> bool:
    """JSON equality: `true` is not `1` and `false` is not `0` (Python's `==` says they are)."""
    if left.__class__ is bool or right.__class__ is bool:
        return left is right
    if left.__class__ is list and right.__class__ is list:
        return len(left) == len(right) and all(map(equal, left, right))
    if left.__class__ is dict and right.__class__ is dict:
        return left.keys() == right.keys() and all(equal(value, right[key])
                                                   for key, value in left.items())
    same: bool = left == right
    return same


def member(item: Any, container: Any) -> bool:
    """`item in container` with JSON equality for lists; substring for strings."""
    if container.__class__ is list:
        if item.__class__ is bool:
            return any(element is item for element in container)
        if item.__class__ in _NUMBER:
            return any(element == item and element.__class__ is not bool
                       for element in container)
        if item.__class__ is list or item.__class__ is dict:
            return any(equal(item, element) for element in container)
        return item in container  # strings: Python's equality is JSON's
    return item in container  # a string (substring) or a wrong type (TypeError -> null)


def as_list(value: Any) -> Any:
    """What a comprehension iterates: a list, or nothing."""
    return value if value.__class__ is list else ()


def sum_of(values: Any) -> Any:
    total = 0
    for value in values:
        if value is not None:
            if type(value) not in _NUMBER:
                return None
            total += value
    return total


def min_of(values: Any) -> Any:
    present = [value for value in values if value is not None]
    if not present or any(type(value) not in _NUMBER for value in present):
        return None
    return min(present)


def max_of(values: Any) -> Any:
    present = [value for value in values if value is not None]
    if not present or any(type(value) not in _NUMBER for value in present):
        return None
    return max(present)


def flatten(lists: Any) -> list[Any]:
    """`[e for a in A for b in B]`: the inner loops' lists, one after another."""
    return [item for part in lists if part.__class__ is list for item in part]


def config_labels(config: Any, from_name: Any) -> list[str] | None:
    if config is None or not isinstance(from_name, str):
        return None
    return list(config.labels(from_name)) if from_name in config.controls else None


def to_text(value: Any) -> str:
    """How a value reads inside a message: JSON spelling, strings as they are."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Record):
        return to_text(value.field("id"))
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=to_text)
    except (TypeError, ValueError):
        return str(value)
