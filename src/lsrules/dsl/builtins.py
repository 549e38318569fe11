"""The built-in functions: one small function each, registered in one table.

Every built-in returns `None` (null) when an argument it needs is null or of the wrong
type, so a rule over incomplete data fails closed (assert) or open (when) rather than
crashing. `docs/language.md` has an entry for every name in `BUILTINS` (a test checks).
The comprehension forms (`any all none count sum min max`) are compiled inline by the
code generator; `min`/`max` with plain arguments are ordinary built-ins.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from lsrules.dsl import budget, dates, geometry

_NUMBER = (int, float)


@dataclass(frozen=True)
class Builtin:
    name: str
    parameters: tuple[str, ...]  # static types: number string bool list region any
    returns: str
    implementation: Callable[..., Any]
    summary: str
    example: str
    optional: int = 0  # how many trailing parameters may be left out
    variadic: bool = False  # the last parameter repeats


def _is_number(value: Any) -> bool:
    return type(value) in _NUMBER


def length(value: Any) -> int | None:
    if isinstance(value, (str, list, dict, tuple)):
        return len(value)
    return None


def lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None


def upper(value: Any) -> str | None:
    return value.upper() if isinstance(value, str) else None


def trim(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def matches(value: Any, pattern: Any) -> bool | None:
    """`pattern` is compiled once by the code generator, with RE2 (linear time)."""
    if not isinstance(value, str) or pattern is None:
        return None
    return pattern.search(value) is not None


def startswith(value: Any, prefix: Any) -> bool | None:
    if isinstance(value, str) and isinstance(prefix, str):
        return value.startswith(prefix)
    return None


def endswith(value: Any, suffix: Any) -> bool | None:
    if isinstance(value, str) and isinstance(suffix, str):
        return value.endswith(suffix)
    return None


def absolute(value: Any) -> Any:
    return abs(value) if _is_number(value) else None


def _numbers(arguments: Sequence[Any]) -> list[Any] | None:
    if len(arguments) == 1 and isinstance(arguments[0], list):
        arguments = arguments[0]
        values = [value for value in arguments if value is not None]
        return values if values and all(_is_number(value) for value in values) else None
    if any(not _is_number(value) for value in arguments):
        return None
    return list(arguments)


def minimum(*arguments: Any) -> Any:
    values = _numbers(arguments)
    return min(values) if values else None


def maximum(*arguments: Any) -> Any:
    values = _numbers(arguments)
    return max(values) if values else None


def rounded(value: Any, digits: Any = 0) -> Any:
    if not _is_number(value) or not _is_number(digits) or not -15 <= digits <= 15:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    result = round(value, int(digits))
    return int(result) if digits == 0 else result


def clamp(value: Any, low: Any, high: Any) -> Any:
    if not (_is_number(value) and _is_number(low) and _is_number(high)):
        return None
    return min(max(value, low), high)


def number(value: Any) -> Any:
    """A number from a number or a numeric string (Label Studio data often holds "12")."""
    if _is_number(value) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and len(value) <= 64 and "_" not in value:
        # float() also reads Python's digit separators ("1_000"), which are not numbers in data
        try:
            result = float(value)
        except ValueError:
            return None
        if not math.isfinite(result):
            return None
        return int(result) if result.is_integer() and "." not in value and "e" not in value.lower() else result
    return None


def string(value: Any) -> str | None:
    from lsrules.dsl.runtime import to_text

    return None if value is None else to_text(value)


def unique(value: Any) -> list[Any] | None:
    """In linear time (a list from the data may be long): items are compared by a key that
    is equal exactly when the JSON values are (`true` is not `1`, `1` is `1.0`)."""
    if not isinstance(value, list):
        return None
    seen: set[Any] = set()
    found: list[Any] = []
    for item in value:
        key = _json_key(item)
        if key not in seen:
            seen.add(key)
            found.append(item)
    return found


def _json_key(value: Any) -> Any:
    """A hashable stand-in for a JSON value: booleans apart from numbers, `1` and `1.0`
    alike, lists and objects by their items (a RecursionError on very deep data is null)."""
    kind = value.__class__
    if kind is bool:
        return ("b", value)
    if kind is int or kind is float:
        return ("n", value) if value == value else ("nan", id(value))  # NaN equals nothing
    if kind is list:
        return ("l", tuple(_json_key(item) for item in value))
    if kind is dict:
        return ("d", tuple(sorted((key, _json_key(item)) for key, item in value.items())))
    if kind is str or value is None:
        return value
    return ("other", id(value))


BUILTINS: dict[str, Builtin] = {
    builtin.name: builtin
    for builtin in [
        Builtin("len", ("any",), "number", length, "Number of items of a list, characters of a string or keys of an object.", "len(regions) > 0"),
        Builtin("lower", ("string",), "string", lower, "The string in lower case.", 'lower(region.label) == "car"'),
        Builtin("upper", ("string",), "string", upper, "The string in upper case.", 'upper(task.data.lang) == "EN"'),
        Builtin("trim", ("string",), "string", trim, "The string without leading and trailing white space.", "trim(region.text) == region.text"),
        Builtin("matches", ("string", "string"), "bool", matches, "True when the regular expression matches anywhere in the string (a literal pattern, checked for catastrophic backtracking).", 'matches(region.text, "^[A-Z]")'),
        Builtin("startswith", ("string", "string"), "bool", startswith, "True when the string starts with the prefix.", 'startswith(task.data.image, "s3://")'),
        Builtin("endswith", ("string", "string"), "bool", endswith, "True when the string ends with the suffix.", 'endswith(task.data.image, ".jpg")'),
        Builtin("abs", ("number",), "number", absolute, "Absolute value.", "abs(region.rotation) < 45"),
        Builtin("min", ("number", "number"), "number", minimum, "The smallest argument, or the smallest number of one list (nulls in a list are ignored).", "min(region.width, 100 - region.x)", variadic=True, optional=1),
        Builtin("max", ("number", "number"), "number", maximum, "The largest argument, or the largest number of one list (nulls in a list are ignored).", "max(region.x, 0)", variadic=True, optional=1),
        Builtin("round", ("number", "number"), "number", rounded, "Rounds to the given number of decimal digits (default 0).", "round(region.x, 2)", optional=1),
        Builtin("clamp", ("number", "number", "number"), "number", clamp, "The value limited to [low, high].", "clamp(region.x, 0, 100)"),
        Builtin("number", ("any",), "number", number, "A number from a number or a numeric string; null otherwise.", 'number(task.data.price) > 0'),
        Builtin("string", ("any",), "string", string, "The value as text (lists and objects as JSON).", 'string(task.id) != ""'),
        Builtin("unique", ("list",), "list", unique, "The list without repeated items, in first-seen order.", "len(unique(region.labels)) == len(region.labels)"),
        Builtin("area", ("region",), "number", geometry.area, "Area of a box, polygon, ellipse or brush mask, in percent² of the image.", "area(region) > 0.01"),
        Builtin("bbox", ("region",), "list", geometry.bbox, "Bounding box `[x0, y0, x1, y1]` of a box, polygon, ellipse, keypoint or brush mask.", "bbox(region)[2] <= 100"),
        Builtin("iou", ("region", "region"), "number", geometry.iou, "Intersection over union of two boxes, polygons or ellipses; 0 when the union is empty.", "iou(r, o) < 0.9"),
        Builtin("overlaps", ("region", "region"), "bool", geometry.overlaps, "True when the insides of two boxes, polygons or ellipses meet, or two spans overlap (half-open).", "overlaps(r, o)"),
        Builtin("contains", ("region", "region"), "bool", geometry.contains, "True when the first shape contains the second, edges included: a span a span; a box, polygon or ellipse a box, polygon or keypoint; a box an ellipse.", "contains(r, o)"),
        Builtin("contains_point", ("region", "number", "number"), "bool", geometry.contains_point, "True when the point (x, y), in percent, lies in the box, polygon or ellipse, edges included.", "contains_point(region, 50, 50)"),
        Builtin("self_intersects", ("region",), "bool", geometry.polygon_self_intersects, "True when two edges of a polygon cross or touch (a bow tie, a repeated point).", "not self_intersects(region)"),
        Builtin("box_at", ("region", "number"), "list", geometry.box_at, "A video rectangle's box `[x0, y0, x1, y1]` at a frame: a keyframe's, linear in between while the keyframe is enabled; null where it is hidden.", "box_at(region, 10)[0] >= 0"),
        Builtin("timestamp", ("string", "string"), "number", dates.timestamp, "Seconds since 1970-01-01T00:00:00Z of an ISO 8601 date or date-time (no offset: UTC), or of a text in the format given second.", "timestamp(annotation.updated_at) >= timestamp(annotation.created_at)", optional=1),
        Builtin("date", ("string", "string"), "string", dates.date, "The UTC date `YYYY-MM-DD` of an ISO 8601 date or date-time, or of a text in the format given second.", 'date(annotation.created_at) >= "2024-01-01"', optional=1),
        Builtin("seconds_between", ("string", "string"), "number", dates.seconds_between, "Seconds from the first ISO 8601 date-time to the second (negative when it is earlier).", "seconds_between(task.created_at, annotation.created_at) < 86400"),
        Builtin("days_between", ("string", "string"), "number", dates.days_between, "Calendar days (UTC) from the first date to the second (negative when it is earlier).", "days_between(region.value.datetime, task.data.due) >= 0"),
        Builtin("year", ("string",), "number", dates.year, "The UTC year of an ISO 8601 date or date-time.", "year(region.value.datetime) >= 2000"),
        Builtin("month", ("string",), "number", dates.month, "The UTC month (1-12) of an ISO 8601 date or date-time.", "month(annotation.created_at) != 12"),
        Builtin("day", ("string",), "number", dates.day, "The UTC day of the month (1-31) of an ISO 8601 date or date-time.", "day(region.value.datetime) <= 28"),
        Builtin("hour", ("string",), "number", dates.hour, "The UTC hour (0-23) of an ISO 8601 date-time.", "hour(annotation.created_at) >= 6"),
        Builtin("weekday", ("string",), "number", dates.weekday, "The UTC day of the week of an ISO 8601 date or date-time: 1 Monday to 7 Sunday.", "weekday(annotation.created_at) <= 5"),
        # `has(path)` is a special form: the code generator compiles it to a path test.
        Builtin("has", ("path",), "bool", lambda value: value is not None, "True when every step of the path exists (the argument is a path, not a string).", "has(task.data.image)"),
    ]
}

# Functions of ISO 8601 dates: a string literal given to one must read as a date (check)
DATES = frozenset({"timestamp", "date", "seconds_between", "days_between", "year", "month",
                   "day", "hour", "weekday"})
# Functions of a region's shape: a fix that moves a region makes the rules using them run again
GEOMETRY = frozenset({"area", "bbox", "iou", "overlaps", "contains", "contains_point",
                      "self_intersects", "box_at"})
# ... those that pay per polygon vertex: the generated code calls them as `_shape_<name>`
CHARGED = frozenset({"area", "bbox", "contains", "contains_point", "self_intersects", "iou",
                     "overlaps"})
# ... and those that also pay as they go: the parts of two outlines' edges they classify
PAY_AS_THEY_GO = frozenset({"iou", "overlaps"})


def charged(name: str) -> Callable[..., Any]:
    """`name`'s implementation, paying its geometry.cost from the evaluation's budget first
    (`state` None: no budget, as in the stream compiler)."""
    implementation = BUILTINS[name].implementation
    as_they_go = name in PAY_AS_THEY_GO

    def paying(state: Any, *arguments: Any) -> Any:
        steps = geometry.cost(name, arguments)
        if steps and state is not None:
            budget.pay(state, steps)
        if as_they_go:
            return implementation(*arguments, pay=payer(state))
        return implementation(*arguments)
    return paying


def payer(state: Any) -> Callable[[int], None] | None:
    """A function paying steps from `state`'s budget (None without a budget)."""
    if state is None:
        return None

    def pay(steps: int) -> None:
        budget.pay(state, steps)
    return pay


# Comprehension forms: `kind(element for variable in list if condition)`.
COMPREHENSIONS: dict[str, tuple[str, str, str]] = {
    # kind: (element type, result type, summary)
    "any": ("bool", "bool", "True when the element is true for at least one item (null counts as false)."),
    "all": ("bool", "bool", "True when the element is true for every item (null counts as false; true for an empty list)."),
    "none": ("bool", "bool", "True when the element is true for no item: `not any(...)`."),
    "count": ("bool", "number", "How many items make the element true."),
    "sum": ("number", "number", "Sum of the element over the items (nulls ignored; 0 for none)."),
    "min": ("number", "number", "Smallest element over the items (nulls ignored; null for none)."),
    "max": ("number", "number", "Largest element over the items (nulls ignored; null for none)."),
    "list": ("any", "list", "`[element for r in list if condition]`: a new list."),
}

METHODS = {
    "control": "config.control(name): a control of the labeling config: its labels, choices and attributes.",
    "labels": "config.labels(from_name): the labels the labeling config defines for a control.",
}
