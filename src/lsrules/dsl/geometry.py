"""Geometry of regions, shared by the built-ins and the suggester.

Boxes are axis-aligned `[x, x+width] x [y, y+height]` in percent (rotation ignored); spans
are half-open `[start, end)`; polygons, keypoints, ellipses and video rectangles below.
Anything that lacks the needed numbers gives `None`; a shape a function does not take is a
check-time error (the checker's LSR126, from SUPPORTED).
"""
from __future__ import annotations

import math
from typing import Any, Callable

from lsrules.result_types import RESULT_TYPES

_NUMBER = (int, float)

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1)
Pay = Callable[[int], None]  # pays steps from the evaluation's budget as work is found
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
    corners = box(thing)
    return area_of_box(corners) if corners is not None else area_of_shape(shape(thing))


def iou(first: Any, second: Any, pay: Pay | None = None) -> float | None:
    a, b = box(first), box(second)
    if a is not None and b is not None:
        return iou_of_boxes(a, b)
    return iou_of_shapes(shape(first), shape(second), pay)


def overlaps(first: Any, second: Any, pay: Pay | None = None) -> bool | None:
    found = overlap_of_boxes(box(first), box(second))
    if found is None:
        found = overlap_of_spans(span(first), span(second))
    return found if found is not None else overlap_of_shapes(shape(first), shape(second), pay)


def contains(outer: Any, inner: Any) -> bool | None:
    found = containment_of_boxes(box(outer), box(inner))
    if found is None:
        found = containment_of_spans(span(outer), span(inner))
    return found if found is not None else containment_of_shapes(shape(outer), shape(inner))


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


# -- shapes beyond boxes and spans: polygons, keypoints, ellipses, video rectangles --------
#
# Polygon points and keypoints are percents of the image like boxes; an ellipse is its
# centre (x, y) and radii (rotation ignored, as for boxes). Work over a polygon is paid per
# vertex (`cost`), so a polygon of a million points costs what its size says.

Point = tuple[float, float]
Ellipse = tuple[float, float, float, float]  # (cx, cy, rx, ry)
Shape = tuple[str, Any]  # ("box", Box) ("polygon", [Point]) ("point", Point)
#                          ("ellipse", Ellipse) ("span", Interval)

SHAPES = ("box", "polygon", "point", "ellipse", "span")


def _kind_of(thing: Any) -> Any:
    kind = thing.get("type") if thing.__class__ is dict else getattr(thing, "type", None)
    found = RESULT_TYPES.get(kind) if kind.__class__ is str else None
    return found.geometry if found is not None else None


def shape(thing: Any) -> Shape | None:
    """The shape of a region or result item, from its type (else from its value's keys)."""
    fields = fields_of(thing)
    if fields is None:
        return None
    kind = _kind_of(thing)
    if kind is None and "rle" in fields:
        kind = "brush"
    if kind == "brush":
        item = thing if thing.__class__ is dict else getattr(thing, "item", {})
        mask = _brush_box(fields, item.get("original_width"), item.get("original_height"))
        return None if mask is None else ("brush", mask)
    if kind == "polygon" or (kind is None and "points" in fields):
        points = polygon_of_fields(fields)
        return None if points is None else ("polygon", points)
    if kind == "ellipse" or (kind is None and "radiusX" in fields):
        found = ellipse_of_fields(fields)
        return None if found is None else ("ellipse", found)
    if kind == "point" or (kind is None and "x" in fields and "height" not in fields):
        x, y = fields.get("x"), fields.get("y")
        return ("point", (x, y)) if type(x) in _NUMBER and type(y) in _NUMBER else None
    corners = box(thing)
    if corners is not None:
        return ("box", corners)
    ends = span(thing)
    return None if ends is None else ("span", ends)


def polygon_of_fields(fields: dict[str, Any]) -> list[Point] | None:
    """`points` as [[x, y], ...] with at least three points, else None."""
    points = fields.get("points")
    if points.__class__ is not list or len(points) < 3:
        return None
    found: list[Point] = []
    for point in points:
        if (point.__class__ is not list or len(point) != 2
                or type(point[0]) not in _NUMBER or type(point[1]) not in _NUMBER):
            return None
        found.append((point[0], point[1]))
    return found


def ellipse_of_fields(fields: dict[str, Any]) -> Ellipse | None:
    x: Any = fields.get("x")
    y: Any = fields.get("y")
    rx: Any = fields.get("radiusX")
    ry: Any = fields.get("radiusY")
    if type(x) in _NUMBER and type(y) in _NUMBER and type(rx) in _NUMBER \
            and type(ry) in _NUMBER:
        return (x, y, rx, ry)
    return None


def cost(function: str, arguments: tuple[Any, ...]) -> int:
    """Steps a geometry function pays for its arguments' polygons and masks: one per vertex
    (per bit of a mask), edge against edge where it tests every pair (self-intersection, a
    polygon in a polygon)."""
    sizes = []
    for thing in arguments:
        fields = fields_of(thing) if thing is not None else None
        points = fields.get("points") if fields is not None else None
        rle = fields.get("rle") if fields is not None else None
        if points.__class__ is list:
            sizes.append(len(points))
        elif rle.__class__ is list:  # a brush mask: one step per encoded bit
            sizes.append(8 * len(rle))
        else:
            sizes.append(0)
    if function == "self_intersects":
        return sizes[0] * sizes[0]
    if function in ("iou", "overlaps") and len(arguments) == 2:
        sides = []
        for thing, size in zip(arguments, sizes):
            fields = fields_of(thing) if thing is not None else None
            sides.append(size or (ELLIPSE_SIDES if fields is not None and "radiusX" in fields
                                  else 4))
        if sides == [4, 4]:  # boxes (or spans): no outline to walk
            return 0
        return 3 * sides[0] * sides[1]  # the crossings, then each edge against the other
    if function == "contains" and len(sizes) == 2:
        return sizes[0] * max(sizes[1], 4) + sizes[1]
    return sum(sizes)


def area_of_shape(found: Shape | None) -> float | None:
    if found is None:
        return None
    kind, data = found
    if kind == "box":
        return area_of_box(data)
    if kind == "polygon":  # the shoelace formula
        total = 0.0
        previous = data[-1]
        for point in data:
            total += previous[0] * point[1] - point[0] * previous[1]
            previous = point
        return abs(total) / 2
    if kind == "brush":
        painted: float = data[0]
        return painted
    if kind == "ellipse":
        radii: float = abs(data[2]) * abs(data[3])
        return math.pi * radii
    return None  # points and spans have no area


def bbox_of_shape(found: Shape | None) -> Box | None:
    if found is None:
        return None
    kind, data = found
    if kind == "box":
        corners: Box = data
        return corners
    if kind == "polygon":
        xs = [point[0] for point in data]
        ys = [point[1] for point in data]
        return (min(xs), min(ys), max(xs), max(ys))
    if kind == "ellipse":
        x, y, rx, ry = data
        return (x - abs(rx), y - abs(ry), x + abs(rx), y + abs(ry))
    if kind == "point":
        return (data[0], data[1], data[0], data[1])
    if kind == "brush":
        mask: Box | None = data[1]
        return mask
    return None


def point_in_polygon(point: Point, polygon: list[Point]) -> bool:
    """Inside or on the edge (ray casting; the edge counts, as a box's edges do)."""
    x, y = point
    inside = False
    previous = polygon[-1]
    for current in polygon:
        if _on_segment(point, previous, current):
            return True
        (x0, y0), (x1, y1) = previous, current
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
        previous = current
    return inside


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    return (_cross(a, b, p) == 0 and min(a[0], b[0]) <= p[0] <= max(a[0], b[0])
            and min(a[1], b[1]) <= p[1] <= max(a[1], b[1]))


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Proper crossing: each segment strictly on both sides of the other (touching is not)."""
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    return ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4))


def _edges(points: list[Point]) -> list[tuple[Point, Point]]:
    return [(points[index - 1], points[index]) for index in range(len(points))]


def self_intersects(polygon: list[Point]) -> bool:
    """Two edges that are not neighbours cross (or touch), or neighbours fold back."""
    edges = _edges(polygon)
    count = len(edges)
    for i in range(count):
        for j in range(i + 1, count):
            (a, b), (c, d) = edges[i], edges[j]
            neighbours = j == i + 1 or (i == 0 and j == count - 1)
            if neighbours:
                continue
            if _segments_cross(a, b, c, d) or _on_segment(a, c, d) or _on_segment(b, c, d):
                return True
    return False


def _corners(corners: Box) -> list[Point]:
    x0, y0, x1, y1 = corners
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _in_ellipse(point: Point, ellipse: Ellipse) -> bool:
    x, y, rx, ry = ellipse
    if rx == 0 or ry == 0:
        return False
    return ((point[0] - x) / rx) ** 2 + ((point[1] - y) / ry) ** 2 <= 1


def containment_of_shapes(outer: Shape | None, inner: Shape | None) -> bool | None:
    """The outer shape holds the inner one, edges included; None for a pair not supported
    (see SUPPORTED)."""
    if outer is None or inner is None or (outer[0], inner[0]) not in CONTAINMENT:
        return None
    (outer_kind, o), (inner_kind, i) = outer, inner
    if outer_kind == "span":
        return containment_of_spans(o, i)
    if outer_kind == "box":  # convex: the inner shape's bounding box decides
        return containment_of_boxes(o, bbox_of_shape(inner))
    vertices = ([i] if inner_kind == "point" else _corners(i) if inner_kind == "box" else i)
    if outer_kind == "ellipse":  # convex: every vertex inside is enough
        return all(_in_ellipse(point, o) for point in vertices)
    if not all(point_in_polygon(point, o) for point in vertices):
        return False
    if inner_kind == "point":
        return True
    # every vertex inside a polygon that is not convex: no edge may cross out of it
    outer_edges = _edges(o)
    return not any(_segments_cross(a, b, c, d) for a, b in _edges(vertices)
                   for c, d in outer_edges)


# -- overlap of outlines: boxes, polygons and ellipses ----------------------------------------
#
# The area two outlines share, exactly, by Green's theorem: the boundary of the intersection
# is the parts of each outline's edges inside the other (with an edge the two share counted
# once when both run the same way, never when they run opposite ways), and the area is half
# the sum of x dy - y dx along it. Any simple polygon, convex or not; an ellipse is the
# 64-sided polygon of its area (exact for boxes and polygons, within 0.1% of an ellipse's
# true overlap). Polygons whose edges cross (see `self_intersects`) have no inside to speak of.

ELLIPSE_SIDES = 64
# the radius of the 64-gon of an ellipse's area, per unit of the ellipse's radius
_ELLIPSE_SCALE = math.sqrt(math.pi / (ELLIPSE_SIDES / 2 * math.sin(2 * math.pi / ELLIPSE_SIDES)))
_TOLERANCE = 1e-9  # of the coordinates' scale: where a point lies on an edge


def outline(found: Shape | None) -> list[Point] | None:
    """A box, polygon or ellipse as a counter-clockwise polygon; None for other shapes."""
    if found is None:
        return None
    kind, data = found
    if kind == "box":
        points = _corners(data)
    elif kind == "polygon":
        points = list(data)
    elif kind == "ellipse":
        x, y, rx, ry = data
        rx, ry = abs(rx) * _ELLIPSE_SCALE, abs(ry) * _ELLIPSE_SCALE
        points = [(x + rx * math.cos(2 * math.pi * step / ELLIPSE_SIDES),
                   y + ry * math.sin(2 * math.pi * step / ELLIPSE_SIDES))
                  for step in range(ELLIPSE_SIDES)]
    else:
        return None
    return points if _signed_area(points) >= 0 else points[::-1]


def _signed_area(points: list[Point]) -> float:
    total = 0.0
    previous = points[-1]
    for point in points:
        total += previous[0] * point[1] - point[0] * previous[1]
        previous = point
    return total / 2


def intersection_area(first: list[Point], second: list[Point], pay: Pay | None = None) -> float:
    """The area two counter-clockwise simple polygons share (see above)."""
    if _signed_area(first) <= 0 or _signed_area(second) <= 0:
        return 0.0
    scale = max(max(abs(value) for point in first + second for value in point), 1.0)
    tolerance = _TOLERANCE * scale
    total = _inside_parts(first, second, tolerance, True, pay)
    total += _inside_parts(second, first, tolerance, False, pay)
    return max(total / 2, 0.0)


def _inside_parts(edges_of: list[Point], other: list[Point], tolerance: float,
                  shared_counts: bool, pay: Pay | None) -> float:
    """Twice the area contribution of `edges_of`'s edge parts inside `other` (a part on
    `other`'s boundary counts when `shared_counts` and both run the same way)."""
    total = 0.0
    other_edges = _edges(other)
    for a, b in _edges(edges_of):
        cuts = sorted({0.0, 1.0, *_cuts(a, b, other_edges, tolerance)})
        if pay is not None and len(cuts) > 2:  # each extra part is classified again
            pay((len(cuts) - 2) * len(other_edges))
        for start, end in zip(cuts, cuts[1:]):
            if end - start <= 0:
                continue
            p = (a[0] + (b[0] - a[0]) * start, a[1] + (b[1] - a[1]) * start)
            q = (a[0] + (b[0] - a[0]) * end, a[1] + (b[1] - a[1]) * end)
            middle = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
            where = _where(middle, other_edges, tolerance)
            if where == "inside" or (isinstance(where, tuple) and shared_counts and
                                     where[0] * (b[0] - a[0]) + where[1] * (b[1] - a[1]) > 0):
                total += p[0] * q[1] - q[0] * p[1]
    return total


def _cuts(a: Point, b: Point, edges: list[tuple[Point, Point]], tolerance: float) -> list[float]:
    """Where along a->b (0 to 1) it meets an edge: crossings, touches, shared stretches' ends."""
    found: list[float] = []
    rx, ry = b[0] - a[0], b[1] - a[1]
    length2 = rx * rx + ry * ry
    if length2 == 0:
        return found
    for c, d in edges:
        sx, sy = d[0] - c[0], d[1] - c[1]
        denominator = rx * sy - ry * sx
        qx, qy = c[0] - a[0], c[1] - a[1]
        if abs(denominator) > _TOLERANCE * math.sqrt(length2) * math.hypot(sx, sy):
            t = (qx * sy - qy * sx) / denominator
            u = (qx * ry - qy * rx) / denominator
            if -_TOLERANCE <= t <= 1 + _TOLERANCE and -_TOLERANCE <= u <= 1 + _TOLERANCE:
                found.append(min(max(t, 0.0), 1.0))
        elif abs(qx * ry - qy * rx) <= tolerance * math.sqrt(length2):  # on one line
            for point in (c, d):
                t = ((point[0] - a[0]) * rx + (point[1] - a[1]) * ry) / length2
                if 0 < t < 1:
                    found.append(t)
    return found


def _where(point: Point, edges: list[tuple[Point, Point]],
           tolerance: float) -> str | tuple[float, float]:
    """"inside" or "outside" a polygon, or the direction of the edge it lies on."""
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in edges:
        sx, sy = x1 - x0, y1 - y0
        length = math.hypot(sx, sy)
        if length > 0 and abs(sx * (y - y0) - sy * (x - x0)) <= tolerance * length and \
                min(x0, x1) - tolerance <= x <= max(x0, x1) + tolerance and \
                min(y0, y1) - tolerance <= y <= max(y0, y1) + tolerance:
            return (sx, sy)
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * sx / sy:
            inside = not inside
    return "inside" if inside else "outside"


_OUTLINED = frozenset({"box", "polygon", "ellipse"})


def iou_of_shapes(first: Shape | None, second: Shape | None,
                  pay: Pay | None = None) -> float | None:
    """Intersection over union of two boxes, polygons or ellipses (0 for an empty union)."""
    a, b = outline(first), outline(second)
    if a is None or b is None:
        return None
    shared = intersection_area(a, b, pay)
    union = _signed_area(a) + _signed_area(b) - shared
    return shared / union if union > 0 else 0.0


def overlap_of_shapes(first: Shape | None, second: Shape | None,
                      pay: Pay | None = None) -> bool | None:
    """The insides of two boxes, polygons or ellipses meet (touching edges do not)."""
    a, b = outline(first), outline(second)
    if a is None or b is None:
        return None
    return intersection_area(a, b, pay) > 0


# (outer, inner) shape pairs `contains` decides
CONTAINMENT = frozenset(
    [("span", "span")]
    + [("box", kind) for kind in ("box", "polygon", "point", "ellipse")]
    + [(kind, inner) for kind in ("polygon", "ellipse") for inner in ("box", "polygon", "point")])

# function -> the shapes it takes (for `contains`: any outer shape in CONTAINMENT)
SUPPORTED: dict[str, frozenset[str]] = {
    "area": frozenset({"box", "polygon", "ellipse", "brush"}),
    "bbox": frozenset({"box", "polygon", "ellipse", "point", "brush"}),
    "iou": frozenset({"box", "polygon", "ellipse"}),
    "overlaps": frozenset({"box", "span", "polygon", "ellipse"}),
    "contains": frozenset(kind for pair in CONTAINMENT for kind in pair),
    "contains_point": frozenset({"box", "polygon", "ellipse"}),
    "self_intersects": frozenset({"polygon"}),
    "box_at": frozenset({"video"}),
}


# -- brush masks: Label Studio's RLE (the `@thi.ng/rle-pack` binary format) ----------------
#
# `rle` is a list of bytes: a 32-bit count of words, the word size less one (5 bits), four
# run-length sizes less one (4 bits each), then runs, most significant bit first: a flag bit
# (1: one word repeated, 0: literal words), 2 bits choosing a size, the run's length less
# one in that many bits, then the word(s). The words are RGBA pixels of the image
# (`original_width` x `original_height`), the mask in the alpha channel. Runs are read
# without expanding them, so the work is the encoded size.

def _brush_box(fields: dict[str, Any], width: Any, height: Any
               ) -> tuple[float, Box | None] | None:
    """(painted area in percent², bounding box in percent) of a brush mask, or None."""
    rle = fields.get("rle")
    if (fields.get("format", "rle") != "rle" or rle.__class__ is not list
            or width.__class__ is not int or height.__class__ is not int
            or width < 1 or height < 1):
        return None
    if not all(byte.__class__ is int and 0 <= byte < 256 for byte in rle):
        return None
    total = 8 * len(rle)
    position = 0

    def read(size: int) -> int:
        """The next `size` bits, most significant first (linear: no big-number shifts)."""
        nonlocal position
        if position + size > total:
            raise ValueError("the mask ends early")
        value = 0
        for at in range(position, position + size):
            value = (value << 1) | ((rle[at >> 3] >> (7 - (at & 7))) & 1)
        position += size
        return value

    try:
        count = read(32)
        word = read(5) + 1
        sizes = [read(4) + 1 for _ in range(4)]
        if count != width * height * 4:
            return None
        painted = 0
        x0, y0, x1, y1 = width, height, -1, -1
        index = 0
        while index < count:
            repeated = read(1)
            end = min(index + 1 + read(sizes[read(2)]), count)
            if repeated:
                value = read(word)
                runs = [(index, end)] if value else []
            else:
                runs = []
                for at in range(index, end):
                    if read(word) and at % 4 == 3:
                        runs.append((at, at + 1))
            for start, stop in runs:  # word indices; pixels are 4 words
                first = start + (3 - start) % 4  # the alpha words in the run
                last = stop - 1 - (stop - 4) % 4
                if first > last:
                    continue
                p0, p1 = (first - 3) // 4, (last - 3) // 4
                painted += p1 - p0 + 1
                row0, row1 = p0 // width, p1 // width
                y0, y1 = min(y0, row0), max(y1, row1)
                if row0 == row1:
                    x0, x1 = min(x0, p0 % width), max(x1, p1 % width)
                else:
                    x0, x1 = 0, width - 1
            index = end
    except ValueError:
        return None
    area = painted * 10000 / (width * height)
    if painted == 0:
        return area, None
    return area, (x0 * 100 / width, y0 * 100 / height,
                  (x1 + 1) * 100 / width, (y1 + 1) * 100 / height)


# result type -> the shape its items have (types with no shape left out)
SHAPE_OF_TYPE: dict[str, str] = {
    **{name: kind.geometry for name, kind in RESULT_TYPES.items() if kind.geometry},
    **{name: "brush" for name, kind in RESULT_TYPES.items() if "rle" in kind.value_keys},
    "labels": "span", "videorectangle": "video"}


def bbox(thing: Any) -> list[float] | None:
    corners = bbox_of_shape(shape(thing))
    return None if corners is None else list(corners)


def polygon_self_intersects(thing: Any) -> bool | None:
    found = shape(thing)
    return self_intersects(found[1]) if found is not None and found[0] == "polygon" else None


def contains_point(thing: Any, x: Any, y: Any) -> bool | None:
    if type(x) not in _NUMBER or type(y) not in _NUMBER:
        return None
    return containment_of_shapes(shape(thing), ("point", (x, y)))


def box_at(thing: Any, frame: Any) -> list[float] | None:
    """A video rectangle's box at a frame, [x0, y0, x1, y1]: its keyframes' box, linear in
    between while the keyframe is enabled (as the editor draws it); None where it is hidden,
    before its first keyframe or after its last."""
    fields = fields_of(thing)
    sequence = fields.get("sequence") if fields is not None else None
    if sequence.__class__ is not list or type(frame) not in _NUMBER:
        return None
    frames = sorted((item for item in sequence if item.__class__ is dict
                     and type(item.get("frame")) in _NUMBER), key=lambda item: item["frame"])
    for index, item in enumerate(frames):
        corners = box_of_fields(item)
        if corners is None:
            return None
        if item["frame"] == frame:
            return list(corners)
        following = frames[index + 1] if index + 1 < len(frames) else None
        if item["frame"] < frame and following is not None and frame < following["frame"]:
            after = box_of_fields(following)
            if item.get("enabled") is False or after is None:
                return None
            share = (frame - item["frame"]) / (following["frame"] - item["frame"])
            return [start + (end - start) * share for start, end in zip(corners, after)]
    return None
