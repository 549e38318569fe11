"""Geometry of boxes and spans, shared by the built-ins and the suggester.

Boxes are axis-aligned `[x, x+width] x [y, y+height]` in percent (rotation ignored); spans
are half-open `[start, end)`. Anything that lacks the needed numbers gives `None`.
"""
from __future__ import annotations

from typing import Any

_NUMBER = (int, float)

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1)
Interval = tuple[float, float]  # (start, end)


def fields_of(thing: Any) -> dict[str, Any] | None:
    """The dict that holds a region's geometry: a Region's value, a result item's value, or a dict."""
    if thing.__class__ is dict:
        inner = thing.get("value")
        return inner if inner.__class__ is dict else thing
    value = getattr(thing, "value", None)
    return value if value.__class__ is dict else None


def box(thing: Any) -> Box | None:
    """(x0, y0, x1, y1) of a box, or None. Regions cache theirs (see Region.box)."""
    if thing.__class__ is not dict:
        cached = getattr(thing, "box", None)
        if cached is not None:
            corners: Box | None = cached()
            return corners
    return box_of_fields(fields_of(thing))


def box_of_fields(fields: dict[str, Any] | None) -> Box | None:
    if fields is None:
        return None
    try:
        x = fields["x"]
        y = fields["y"]
        return (x, y, x + fields["width"], y + fields["height"]) if (
            x.__class__ in _NUMBER and y.__class__ in _NUMBER
            and fields["width"].__class__ in _NUMBER
            and fields["height"].__class__ in _NUMBER) else None
    except KeyError:
        return None


def span(thing: Any) -> Interval | None:
    """(start, end) of a span, or None. Regions cache theirs (see Region.span)."""
    if thing.__class__ is not dict:
        cached = getattr(thing, "span", None)
        if cached is not None:
            ends: Interval | None = cached()
            return ends
    return span_of_fields(fields_of(thing))


def span_of_fields(fields: dict[str, Any] | None) -> Interval | None:
    if fields is None:
        return None
    start: Any = fields.get("start")
    end: Any = fields.get("end")
    if type(start) in _NUMBER and type(end) in _NUMBER:
        return (start, end)
    return None


def area(thing: Any) -> float | None:
    return area_of_box(box(thing))


def iou(first: Any, second: Any) -> float | None:
    return iou_of_boxes(box(first), box(second))


def overlaps(first: Any, second: Any) -> bool | None:
    found = overlap_of_boxes(box(first), box(second))
    return found if found is not None else overlap_of_spans(span(first), span(second))


def contains(outer: Any, inner: Any) -> bool | None:
    found = containment_of_boxes(box(outer), box(inner))
    return found if found is not None else containment_of_spans(span(outer), span(inner))


# -- the math, on corners: shared with the engine's region fast paths (dsl/regions.py) --

def area_of_box(corners: Box | None) -> float | None:
    if corners is None:
        return None
    return max(corners[2] - corners[0], 0) * max(corners[3] - corners[1], 0)


def iou_of_boxes(a: Box | None, b: Box | None) -> float | None:
    if a is None or b is None:
        return None
    ax0, ay0, ax1, ay1 = a
    bx0, by0, bx1, by1 = b
    width = (ax1 if ax1 < bx1 else bx1) - (ax0 if ax0 > bx0 else bx0)
    height = (ay1 if ay1 < by1 else by1) - (ay0 if ay0 > by0 else by0)
    intersection = width * height if width > 0 and height > 0 else 0.0
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - intersection
    return intersection / union if union > 0 else 0.0


def overlap_of_boxes(a: Box | None, b: Box | None) -> bool | None:
    if a is None or b is None:
        return None
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def overlap_of_spans(s: Interval | None, t: Interval | None) -> bool | None:
    if s is None or t is None:
        return None
    return s[0] < t[1] and t[0] < s[1]


def containment_of_boxes(a: Box | None, b: Box | None) -> bool | None:
    if a is None or b is None:
        return None
    return a[0] <= b[0] and a[1] <= b[1] and b[2] <= a[2] and b[3] <= a[3]


def containment_of_spans(s: Interval | None, t: Interval | None) -> bool | None:
    if s is None or t is None:
        return None
    return s[0] <= t[0] and t[1] <= s[1]
