"""Regions: an annotation's result items, grouped by id, with shorthands for every type.

Label Studio writes one result item per control; items that share an `id` (a box and its
per-region choices or text) are one region. The first item gives the type and geometry;
every other item's value is under `region.attrs[from_name]`. `region.label` reads the
first label whatever the type (rectanglelabels, choices, labels, taxonomy, textarea...).
"""
from __future__ import annotations

from typing import Any

from lsrules.dsl import geometry
from lsrules.dsl.builtins import charged
from lsrules.dsl.geometry import Box, Interval, box_of_fields, span_of_fields
from lsrules.dsl.runtime import Record
from lsrules.result_types import ANSWER_VALUE_KEYS

_UNSET = object()

# shorthand name -> value key (geometry and span fields live in `value`)
VALUE_FIELDS = frozenset({"x", "y", "width", "height", "rotation", "start", "end", "text",
                          "points", "startOffset", "endOffset", "radiusX", "radiusY"})

ITEM_FIELDS = frozenset({"id", "type", "from_name", "to_name", "value", "score", "origin",
                         "parent_id", "readonly", "hidden", "original_width",
                         "original_height", "image_rotation", "meta", "item_index"})

FIELDS = frozenset(VALUE_FIELDS | ITEM_FIELDS | {"label", "labels", "attrs", "suggestion",
                                                 "anomaly"})


class Region(Record):
    """One region of an annotation; reads from (and fixes write to) its result items."""

    # `labels` and `label` are plain slots, kept up to date (rules read them often: a slot
    # read is the cheapest attribute there is; no __getattr__, which would make every
    # attribute read of a region take CPython's slow, unspecialised path)
    __slots__ = ("id", "type", "from_name", "to_name", "item", "value", "attrs", "items",
                 "dropped", "context", "_box", "_span", "labels", "label")

    # the item's id, type and names are JSON values of any type: rules check them
    id: Any
    type: Any
    from_name: Any
    to_name: Any
    labels: list[Any] | None
    label: Any

    def __init__(self, item: dict[str, Any], region_id: Any = _UNSET,
                 kind: Any = _UNSET) -> None:
        """`region_id` and `kind` are the item's id and type (build_regions read them)."""
        self.item = item
        self.id = item.get("id") if region_id is _UNSET else region_id
        self.type = kind = item.get("type") if kind is _UNSET else kind
        self.from_name = item.get("from_name")
        self.to_name = item.get("to_name")
        value = item.get("value")
        self.attrs: dict[Any, Any] = {}  # from_name -> that item's value (a dict)
        self.items = [item]
        self.dropped = False
        self.context: Any = None  # the evaluation, for suggester-backed fields
        self._box: Any = _UNSET  # _UNSET or box()
        self._span: Any = _UNSET  # _UNSET or span()
        self.value: dict[str, Any]
        if value.__class__ is dict:
            self.value = value
            # the usual case, at once: the type's own key holds a list of labels (then no
            # other item of the region can change them; taxonomy paths need their leaves)
            found = value.get(kind) if kind.__class__ is str else None  # a list is unhashable
            if found.__class__ is list and kind != "taxonomy":
                self.labels = found
                self.label = found[0] if found else None
                return
        else:
            self.value = {}
        self._set_labels()

    def _set_labels(self) -> None:
        labels = self.labels = self._find_labels()
        self.label = labels[0] if labels else None

    def box(self) -> Box | None:
        """(x0, y0, x1, y1), computed once: pairwise rules (iou, overlaps) ask for it often."""
        found: Box | None = self._box
        if found is _UNSET:
            found = self._box = box_of_fields(self.value)
        return found

    def span(self) -> Interval | None:
        """(start, end), computed once, like the box."""
        found: Interval | None = self._span
        if found is _UNSET:
            found = self._span = span_of_fields(self.value)
        return found

    def changed(self) -> None:
        """A fix wrote to this region (the evaluation calls this after every write):
        forget the cached geometry, read the names and the labels again."""
        item = self.item
        self.from_name = item.get("from_name")
        self.to_name = item.get("to_name")
        self._box = _UNSET
        self._span = _UNSET
        self._set_labels()

    def moved(self) -> None:
        """A fix wrote a value field that holds no labels (x, width, start...): forget the
        cached geometry only."""
        self._box = _UNSET
        self._span = _UNSET

    def add(self, item: dict[str, Any]) -> None:
        """Another result item with this region's id (per-region choices, text, ...)."""
        self.items.append(item)
        self.attrs.update(attributes_of([item]))
        self._set_labels()  # the labels may come from the other items' values

    @property
    def label_key(self) -> str | None:
        value = self.value
        kind = self.type
        if isinstance(kind, str) and isinstance(value.get(kind), (list, str, int, float)):
            return kind
        for key in ANSWER_VALUE_KEYS:
            if key in value:
                return key
        return None

    def _find_labels(self) -> list[Any] | None:
        key = self.label_key
        if key is None:
            for value in self.attrs.values():
                for attr_key in ANSWER_VALUE_KEYS:
                    found = value.get(attr_key)
                    if isinstance(found, list):
                        return _leaves(found, attr_key)
            return None
        found = self.value.get(key)
        if isinstance(found, list):
            return _leaves(found, key)
        return None if found is None else [found]

    def field(self, name: str) -> Any:
        if name in VALUE_FIELDS:
            return self.value.get(name)
        if name == "label":
            return self.label
        if name == "labels":
            return self.labels
        if name == "value":
            return self.value
        if name == "attrs":
            return self.attrs
        if name in ("suggestion", "anomaly"):
            return self.context.region_field(self, name) if self.context is not None else None
        return self.item.get(name)

    def __repr__(self) -> str:
        return f"Region(id={self.id!r}, type={self.type!r}, label={self.label!r})"


# Geometry of two regions, for the generated code when both arguments are known regions:
# the cached corners are read directly, without geometry.box()'s dispatch on every pair.

def region_iou(state: Any, first: Region, second: Region) -> float | None:
    """Boxes from their cached corners; other outlines (polygons, ellipses) paid for from
    `state`'s budget (None: none), as `_shape_iou` does."""
    a: Box | None = first._box
    b: Box | None = second._box
    if a is _UNSET:
        a = first.box()
    if b is _UNSET:
        b = second.box()
    if a is not None and b is not None:
        return geometry.iou_of_boxes(a, b)
    shared: float | None = _SHAPE_IOU(state, first, second)
    return shared


def region_overlaps(state: Any, first: Region, second: Region) -> bool | None:
    """The math of geometry.overlap_of_boxes/_spans, inlined: this runs once per pair;
    other outlines as `_shape_overlaps`."""
    a: Box | None = first._box
    b: Box | None = second._box
    if a is _UNSET:
        a = first.box()
    if b is _UNSET:
        b = second.box()
    if a is not None and b is not None:
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    s: Interval | None = first._span
    t: Interval | None = second._span
    if s is _UNSET:
        s = first.span()
    if t is _UNSET:
        t = second.span()
    if s is not None and t is not None:
        return s[0] < t[1] and t[0] < s[1]
    meet: bool | None = _SHAPE_OVERLAPS(state, first, second)
    return meet


# the outlines of polygons and ellipses, paying per vertex (builtins.CHARGED)
_SHAPE_IOU = charged("iou")
_SHAPE_OVERLAPS = charged("overlaps")
# (area and contains reach every shape, paying per vertex: builtins.CHARGED); these take
# the evaluation first, for the budget
REGION_GEOMETRY = {"iou": region_iou, "overlaps": region_overlaps}


def attributes_of(items: list[dict[str, Any]]) -> dict[Any, Any]:
    """`region.attrs` of a region's other items: each value (an object) by its `from_name`;
    a `from_name` that is a list or object is unhashable, and names no control: skipped."""
    found: dict[Any, Any] = {}
    for item in items:
        from_name = item.get("from_name")
        if not isinstance(from_name, (list, dict)):
            value = item.get("value")
            found[from_name] = value if value.__class__ is dict else {}
    return found


def _leaves(values: list[Any], key: str) -> list[Any]:
    """Taxonomy values are paths (lists); their label is the leaf."""
    if key == "taxonomy":
        return [path[-1] if isinstance(path, list) and path else path for path in values]
    return values


def build_regions(result: Any) -> tuple[list[Region], list[dict[str, Any]]]:
    """Group result items into regions (in order of first appearance) and relations."""
    regions: list[Region] = []
    relations: list[dict[str, Any]] = []
    if result.__class__ is not list:
        return regions, relations
    by_id: dict[Any, Region] = {}
    for item in result:
        if item.__class__ is not dict:
            continue
        kind = item.get("type")
        if kind == "relation":
            relations.append(item)
            continue
        region_id = item.get("id")
        if region_id.__class__ is str or region_id.__class__ is int:
            existing = by_id.get(region_id)
            if existing is not None:
                existing.add(item)
                continue
            region = by_id[region_id] = Region(item, region_id, kind)
        else:
            region = Region(item, region_id, kind)
        regions.append(region)
    return regions, relations
