"""Reader of Label Studio's XML labeling config, without the SDK.

The rules engine needs only a few facts from the config (which controls exist, which
objects they label, which labels they allow and what result items they write), and the SDK
that knows them weighs 500 MB. This module reads them with the standard library's SAX
parser, hardened by `defusedxml` (entity expansion and external entities are refused), and
keeps each tag's line and column so that a ruleset error can point into the XML.

Like Label Studio's own editor, it is lenient about the case of tag and attribute names
(`<choices toname=...>` works) and finds `<Choice>`/`<Label>` children at any depth below
their control (inside `<View>`s and `<Header>`s).
"""
from __future__ import annotations

import re
import xml.sax
import xml.sax.handler
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml.sax

from lsrules.errors import Location, LsrulesError
from lsrules.result_types import LABEL_KEYS, VALUE_KEYS

# Geometry tools that a generic <Labels> control on the same object turns into a merged
# `<tool>labels` result (e.g. <Labels> + <Rectangle> -> type "rectanglelabels").
_GEOMETRY_TOOLS = frozenset({
    "rectangle", "polygon", "keypoint", "ellipse", "brush", "bitmask", "vector", "magicwand",
})
# tools whose regions are another tool's (MagicWand.js: `@regions BrushRegion`)
_TOOL_RESULTS = {"magicwand": "brush"}

# Tags that never are controls or objects, even with `name` and `toName`.
_LAYOUT_TAGS = frozenset({
    "view", "header", "style", "filter", "collapse", "panel", "shortcut", "label", "choice",
    "relation", "script",
})
_LABEL_CHILD_TAGS = frozenset({"label", "choice", "relation"})
_TRUE = ("true", "1", "yes")
_DATA_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# Real configs nest a dozen tags; the tree is walked recursively, so far deeper is refused
MAXIMUM_DEPTH = 100


@dataclass(frozen=True)
class ObjectTag:
    """A data-holding tag (Image, Text, Audio, ...): what a control's `toName` points at."""

    name: str
    tag: str  # as written, e.g. "Image"
    type: str  # lower-cased tag, e.g. "image"
    value: str | None  # e.g. "$image"
    data_key: str | None  # the `task["data"]` key the value reads, e.g. "image"
    value_type: str | None = None  # `valueType`, e.g. "url" when the text must be fetched
    line: int = 0
    column: int = 0
    attributes: dict[str, str] = field(default_factory=dict)  # lower-cased names


@dataclass(frozen=True)
class Control:
    """A control tag: it writes result items with `from_name == name` and this `type`."""

    name: str
    tag: str  # as written, e.g. "RectangleLabels"
    type: str  # the result item type Label Studio writes, e.g. "rectanglelabels"
    to_names: list[str]
    labels: list[str]  # Label/Choice values (alias first), document order, no duplicates
    choice: str | None = None  # "single" | "multiple" for Choices and *Labels controls
    required: bool = False
    max_usages: int | None = None  # the control's own `maxUsages`
    label_max_usages: dict[str, int] = field(default_factory=dict)  # effective, per label
    per_region: bool = False
    value_keys: tuple[str, ...] = ()
    accepted_types: frozenset[str] = frozenset()  # own type plus merged `<tool>labels`
    dynamic_labels: bool = False  # labels come from task data (`value="$options"`)
    conditional: bool = False  # visibleWhen/when* on it or an enclosing View
    label_paths: list[tuple[str, ...]] = field(default_factory=list)  # Taxonomy tree paths
    buckets: list[str] = field(default_factory=list)  # the columns a Ranker's result may name
    line: int = 0
    column: int = 0
    attributes: dict[str, str] = field(default_factory=dict)  # lower-cased names

    @property
    def label_key(self) -> str | None:
        """The key of `value` that holds this control's labels (None for text, rating...)."""
        return LABEL_KEYS.get(self.type)

    @property
    def location(self) -> tuple[int, int]:
        return self.line, self.column


@dataclass(frozen=True)
class LabelingConfig:
    """The controls and objects of one labeling config, by name."""

    source: str
    controls: dict[str, Control]
    objects: dict[str, ObjectTag]
    relation_labels: list[str] = field(default_factory=list)  # <Relations><Relation value=...>
    # every `$variable` its tags read from `task.data` (objects, dynamic labels, headers)
    data_keys: frozenset[str] = frozenset()

    def labels(self, from_name: str) -> list[str]:
        """The labels a control allows; an empty list for unknown names or label-less controls."""
        control = self.controls.get(from_name)
        return list(control.labels) if control else []

    def region_types(self) -> set[str]:
        """Every result item type this config can produce (merged `<tool>labels` included)."""
        types: set[str] = set()
        for control in self.controls.values():
            types |= control.accepted_types
        return types

    def controls_for(self, to_name: str) -> list[Control]:
        """The controls that label object `to_name`, in document order."""
        return [c for c in self.controls.values() if to_name in c.to_names]

    def location_of(self, name: str) -> Location:
        """Where a control or object is defined, for error messages."""
        tag = self.controls.get(name) or self.objects.get(name)
        if tag is None:
            return Location(self.source)
        return Location(self.source, tag.line, tag.column)


def read_labeling_config(path: str | Path) -> LabelingConfig:
    """Read a labeling config file; a missing or malformed file raises `LsrulesError`."""
    from lsrules.files import read_regular_file

    try:  # a regular file, bounded: never a FIFO or a device (see lsrules.files)
        text = read_regular_file(path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise LsrulesError(f"cannot read labeling config: not UTF-8 ({error.reason})",
                           Location(str(path))) from None
    except LsrulesError as error:
        raise LsrulesError(f"cannot read labeling config: {error.message}",
                           Location(str(path))) from None
    return parse_labeling_config(text, source=str(path))


def parse_labeling_config(xml_text: str, source: str = "<config>") -> LabelingConfig:
    """Parse the XML of a labeling config; malformed XML raises `LsrulesError` at its position."""
    if not isinstance(xml_text, str):
        raise LsrulesError("a labeling config must be XML text", Location(source))
    root = _parse_tree(xml_text, source)
    return _Builder(source).build(root)


# --- XML with positions -------------------------------------------------------------------


@dataclass
class _Element:
    tag: str
    attributes: dict[str, str]  # lower-cased names; the first spelling wins
    line: int
    column: int
    parent: _Element | None = None
    children: list[_Element] = field(default_factory=list)
    text: str = ""

    @property
    def kind(self) -> str:
        return self.tag.lower()

    def iter(self):
        yield self
        for child in self.children:
            yield from child.iter()


class _TreeHandler(xml.sax.handler.ContentHandler):
    """Builds `_Element`s, recording where each start tag is (SAX has the locator, etree not)."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source
        self.locator: Any = None
        self.root: _Element | None = None
        self.stack: list[_Element] = []

    def setDocumentLocator(self, locator) -> None:
        self.locator = locator

    def startElement(self, name, attrs) -> None:
        attributes: dict[str, str] = {}
        for key in attrs.getNames():
            attributes.setdefault(key.lower(), attrs.getValue(key))
        line = self.locator.getLineNumber() if self.locator else 0
        column = self.locator.getColumnNumber() + 1 if self.locator else 0
        if len(self.stack) >= MAXIMUM_DEPTH:  # the tree is walked recursively
            raise LsrulesError(f"labeling config nested more than {MAXIMUM_DEPTH} tags deep",
                               Location(self.source, line, column))
        parent = self.stack[-1] if self.stack else None
        element = _Element(name, attributes, line, column, parent)
        if parent is None:
            self.root = element
        else:
            parent.children.append(element)
        self.stack.append(element)

    def endElement(self, name) -> None:
        self.stack.pop()

    def characters(self, content) -> None:
        if self.stack:
            self.stack[-1].text += content


def _parse_tree(xml_text: str, source: str) -> _Element:
    handler = _TreeHandler(source)
    data = xml_text.encode("utf-8")
    try:
        defusedxml.sax.parseString(data, handler)
    except xml.sax.SAXParseException as error:
        message = error.getMessage()
        raise LsrulesError(f"malformed labeling config XML: {message}",
                           Location(source, error.getLineNumber() or 0,
                                    (error.getColumnNumber() or 0) + 1)) from None
    except ValueError as error:  # defusedxml: DTDForbidden, EntitiesForbidden, ...
        line = handler.locator.getLineNumber() if handler.locator else 0
        raise LsrulesError(f"labeling config refused: {error}", Location(source, line)) from None
    if handler.root is None:
        raise LsrulesError("labeling config has no root element", Location(source))
    return handler.root


# --- from elements to controls and objects ------------------------------------------------


class _Builder:
    """Classifies the tags of the tree the way Label Studio does."""

    def __init__(self, source: str):
        self.source = source

    def build(self, root: _Element) -> LabelingConfig:
        control_elements: list[_Element] = []
        objects: dict[str, ObjectTag] = {}
        seen: dict[str, _Element] = {}
        for element in root.iter():
            if element.kind in _LAYOUT_TAGS:
                continue
            name = element.attributes.get("name")
            if not name:
                continue
            if name in seen:
                first = seen[name]
                raise LsrulesError(
                    f"duplicate name {name!r} in labeling config "
                    f"(first used at line {first.line})", self._where(element))
            if element.attributes.get("toname"):
                seen[name] = element
                control_elements.append(element)
            elif element.attributes.get("value") or element.attributes.get("valuelist"):
                seen[name] = element
                objects[name] = self._object(element)
        merged = self._merged_types(control_elements)
        controls: dict[str, Control] = {}
        for element in control_elements:
            control = self._control(element, merged)
            for to_name in control.to_names:
                if to_name not in objects:
                    raise LsrulesError(
                        f"control {control.name!r} has toName={to_name!r}, which no object "
                        f"tag defines (objects: {sorted(objects) or 'none'})", self._where(element))
            controls[control.name] = control
        relation_labels: dict[str, None] = {}
        for element in root.iter():
            if element.kind == "relations" and not element.attributes.get("toname"):
                for label in self._labels(element)[0]:
                    relation_labels.setdefault(label, None)
        data_keys = frozenset(key for element in root.iter()
                              for text in element.attributes.values()
                              for key in _DATA_VARIABLE.findall(text))
        return LabelingConfig(self.source, controls, objects, list(relation_labels), data_keys)

    def _where(self, element: _Element) -> Location:
        return Location(self.source, element.line, element.column)

    def _object(self, element: _Element) -> ObjectTag:
        value = element.attributes.get("valuelist") or element.attributes.get("value")
        data_key = value[1:] if value and value.startswith("$") and len(value) > 1 else None
        return ObjectTag(
            name=element.attributes["name"], tag=element.tag, type=element.kind, value=value,
            data_key=data_key, value_type=element.attributes.get("valuetype"),
            line=element.line, column=element.column, attributes=dict(element.attributes))

    @staticmethod
    def _merged_types(control_elements: list[_Element]) -> dict[str, set[str]]:
        """Object name -> geometry tools on it, for the merged `<tool>labels` result types."""
        tools: dict[str, set[str]] = {}
        for element in control_elements:
            if element.kind in _GEOMETRY_TOOLS:
                for to_name in _split_names(element.attributes["toname"]):
                    tools.setdefault(to_name, set()).add(
                        _TOOL_RESULTS.get(element.kind, element.kind))
        return tools

    def _control(self, element: _Element, tools_by_object: dict[str, set[str]]) -> Control:
        attributes = element.attributes
        kind = _TOOL_RESULTS.get(element.kind, element.kind)
        to_names = _split_names(attributes["toname"])
        labels, label_limits, paths = self._labels(element)
        max_usages = _positive_int(attributes.get("maxusages"))
        limits = {} if kind == "taxonomy" else {  # Taxonomy's maxUsages counts selections
            label: limit for label in labels
            if (limit := label_limits.get(label, max_usages)) is not None}
        accepted = {kind}
        if kind == "labels":
            for to_name in to_names:
                accepted |= {f"{tool}labels" for tool in tools_by_object.get(to_name, ())}
        choice = None
        if kind in ("choices",) or kind.endswith("labels"):
            choice = (attributes.get("choice") or "single").lower()
            if choice not in ("single", "multiple", "single-radio"):
                choice = "single"
        value = attributes.get("value", "")
        return Control(
            name=attributes["name"], tag=element.tag, type=kind, to_names=to_names,
            labels=labels, choice=choice,
            required=attributes.get("required", "").lower() in _TRUE,
            max_usages=max_usages, label_max_usages=limits,
            per_region=attributes.get("perregion", "").lower() in _TRUE,
            value_keys=VALUE_KEYS.get(kind, ()), accepted_types=frozenset(accepted),
            dynamic_labels=value.startswith("$") or bool(attributes.get("apiurl")),
            conditional=_is_conditional(element), label_paths=paths,
            buckets=_ranker_buckets(element, attributes["name"]) if kind == "ranker" else [],
            line=element.line, column=element.column, attributes=dict(attributes))

    def _labels(self, control: _Element
                ) -> tuple[list[str], dict[str, int], list[tuple[str, ...]]]:
        """Labels below `control` (not below a nested named control), usage limits, tree paths."""
        labels: dict[str, None] = {}
        limits: dict[str, int] = {}
        paths: list[tuple[str, ...]] = []

        def visit(element: _Element, path: tuple[str, ...]) -> None:
            for child in element.children:
                if child.kind not in _LABEL_CHILD_TAGS:
                    if child.attributes.get("name") and child.attributes.get("toname"):
                        continue  # another control's labels
                    visit(child, path)
                    continue
                value = _label_value(child)
                if value is None:
                    visit(child, path)
                    continue
                labels.setdefault(value, None)
                limit = _positive_int(child.attributes.get("maxusages"))
                if limit is not None:
                    limits[value] = limit
                paths.append(path + (value,))
                visit(child, path + (value,))

        visit(control, ())
        if control.kind != "taxonomy":
            paths = []
        return list(labels), limits, paths


def _ranker_buckets(ranker: _Element, name: str) -> list[str]:
    """The keys a Ranker's `value.ranker` may hold: its own name without `<Bucket>`s; else
    the buckets' names, and `_` (the list itself) when no bucket is the default."""
    buckets = [child for child in ranker.children if child.kind == "bucket"]
    if not buckets:
        return [name]
    names = [bucket.attributes.get("name", "") for bucket in buckets]
    if not any(bucket.attributes.get("default", "").lower() in _TRUE for bucket in buckets):
        names.append("_")
    return names


def _label_value(element: _Element) -> str | None:
    """What Label Studio writes for a Label/Choice: `alias`, else `value`, else its text."""
    for key in ("alias", "value"):
        value = element.attributes.get(key)
        if value:
            return value
    text = element.text.strip()
    return text or None


def _split_names(to_name: str) -> list[str]:
    return [name.strip() for name in to_name.split(",") if name.strip()]


def _positive_int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        number = int(text.strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _is_conditional(element: _Element) -> bool:
    """True when Label Studio may hide the control, so `required` cannot be enforced."""
    if any(key in element.attributes for key in
           ("whentagname", "whenlabelvalue", "whenchoicevalue")):
        return True
    per_region = element.attributes.get("perregion", "").lower() in _TRUE
    node: _Element | None = element
    while node is not None:
        visible_when = node.attributes.get("visiblewhen")
        # A per-region control in a View shown when a region is selected is the usual
        # layout; it applies to every region, so it is not conditional.
        if visible_when is not None and not (per_region and visible_when == "region-selected"):
            return True
        node = node.parent
    return False
