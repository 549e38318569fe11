"""`iou` and `overlaps` of polygons, boxes and ellipses: the area two outlines share, by
Green's theorem, against GEOS (shapely) on random simple polygons, shared edges included."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsrules.dsl import geometry

try:
    from shapely.geometry import Polygon
except ImportError:  # pragma: no cover - a dev dependency (pyproject.toml)
    pytest.fail("shapely is needed: pip install -e '.[dev]'", pytrace=False)

from .support import ellipse, polygon, value


def star(center, radii):
    """A simple polygon: points at increasing angles round a centre (often not convex)."""
    count = len(radii)
    return [(round(center[0] + radius * math.cos(2 * math.pi * step / count), 6),
             round(center[1] + radius * math.sin(2 * math.pi * step / count), 6))
            for step, radius in enumerate(radii)]


_STARS = st.builds(star, st.tuples(st.integers(0, 20), st.integers(0, 20)),
                   st.lists(st.integers(1, 15), min_size=3, max_size=12))
# grid polygons: axis-parallel edges on integer points, so edges are often shared
_GRID = st.builds(lambda x, y, w, h: [(x, y), (x + w, y), (x + w, y + h), (x, y + h)],
                  st.integers(0, 6), st.integers(0, 6), st.integers(1, 6), st.integers(1, 6))
_L_SHAPES = st.builds(lambda x, y, w, h: [(x, y), (x + 2 * w, y), (x + 2 * w, y + h),
                                          (x + w, y + h), (x + w, y + 2 * h), (x, y + 2 * h)],
                      st.integers(0, 6), st.integers(0, 6), st.integers(1, 3),
                      st.integers(1, 3))
_POLYGONS = st.one_of(_STARS, _GRID, _L_SHAPES)


@settings(max_examples=400, deadline=None)
@given(first=_POLYGONS, second=_POLYGONS, reverse=st.booleans())
def test_the_shared_area_is_what_geos_finds(first, second, reverse):
    a, b = Polygon(first), Polygon(second)
    if not (a.is_valid and b.is_valid):
        return  # polygons whose edges cross have no inside to compare
    outline_a = geometry.outline(("polygon", first[::-1] if reverse else first))
    outline_b = geometry.outline(("polygon", second))
    shared = geometry.intersection_area(outline_a, outline_b)
    assert shared == pytest.approx(a.intersection(b).area, abs=1e-6)
    union = a.area + b.area - a.intersection(b).area
    iou = geometry.iou_of_shapes(("polygon", first), ("polygon", second))
    assert iou == pytest.approx(a.intersection(b).area / union if union > 0 else 0.0,
                                abs=1e-9)
    # insides meet exactly when they share area (touching edges or corners do not)
    assert geometry.overlap_of_shapes(("polygon", first), ("polygon", second)) == (
        a.intersection(b).area > 1e-9)


def test_an_ellipse_is_the_64_gon_of_its_area():
    found = geometry.area_of_shape(("polygon", geometry.outline(("ellipse", (0, 0, 10, 5)))))
    assert found == pytest.approx(math.pi * 50, rel=1e-12)
    # against the true overlap of an ellipse and a box: within 0.1%
    true_quarter = math.pi * 50 / 4  # the box holds a quarter of the ellipse
    shared = geometry.intersection_area(geometry.outline(("ellipse", (0, 0, 10, 5))),
                                        geometry.outline(("box", (0, 0, 20, 20))))
    assert shared == pytest.approx(true_quarter, rel=1e-3)


@pytest.mark.parametrize("expression, expected", [
    ("iou(regions[0], regions[1])", 25 / 175),  # two squares, a quarter shared
    ("iou(regions[0], regions[0])", 1.0),
    ("overlaps(regions[0], regions[1])", True),
    ("overlaps(regions[0], regions[2])", False),  # they share an edge, not an inside
    ("iou(regions[0], regions[2])", 0.0),
    ("overlaps(regions[3], regions[0])", True),  # an ellipse over a square
    ("iou(regions[3], regions[3])", 1.0),
    ("iou(regions[0], regions[4])", None),  # a keypoint has no outline
    ("overlaps(regions[0], regions[4])", None),
])
def test_through_the_language(expression, expected):
    result = [polygon("a", [[0, 0], [10, 0], [10, 10], [0, 10]]),
              polygon("b", [[5, 5], [15, 5], [15, 15], [5, 15]]),
              polygon("c", [[10, 0], [20, 0], [20, 10], [10, 10]]),
              ellipse("e", 0, 0, 4, 3),
              {"id": "k", "type": "keypointlabels", "value": {"x": 1, "y": 1, "width": 1}}]
    found = value(expression, result=result)
    assert found == (pytest.approx(expected) if isinstance(expected, float) else expected)


def test_polygon_pairs_pay_from_the_budget():
    """Each pair walks both outlines: a pairwise rule over big polygons runs out of steps."""
    from .support import evaluate

    big = [polygon(str(n), [[math.cos(k / 100) + n, math.sin(k / 100)] for k in range(600)])
           for n in range(4)]
    rules = ("  - id: pairs\n    for: region\n"
             "    assert: none(iou(region, o) > 0.5 and o.id != region.id for o in regions)\n")
    decision = evaluate(rules, result=big, header="ruleset: t\nversion: \"1\"\n"
                        "limits:\n  steps: 1000000\n")
    assert decision.verdict == "review" and decision.fired == ["lsrules-budget"]
