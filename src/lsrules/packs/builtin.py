"""The built-in rule pack `builtin:labeling-config`: every result item against the config.

Label Studio's server stores whatever it is sent (an unknown label, an unknown
`from_name`, even `[{"foo": "bar"}]`), and the SDK's `LabelInterface` misses several
mistakes (two choices under `choice="single"`, negative sizes, numbers as strings, spans
whose text does not match the task). This pack checks all of them in pure Python. It runs
once per annotation in the hot loop, so everything that depends only on the config is
computed once in `__init__`. It never raises on malformed input: a malformed item is
itself a finding.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any, Callable, ClassVar

from lsrules.json_types import json_type
from lsrules.result_types import CLASSIFICATIONS, RESULT_TYPES
from lsrules.ruleset.labeling_config import Control, LabelingConfig
from lsrules.ruleset.packs import LABELING_CONFIG_RULES, PackRule

_SEVERITIES = {rule.id: rule.severity for rule in LABELING_CONFIG_RULES}


@dataclass(frozen=True)
class PackFinding:
    """What the pack found on one annotation; `region_id` is None for annotation-level ones.
    Its severity is its rule's, from the pack's registry (`lsrules.ruleset.packs`)."""

    rule_id: str
    message: str
    region_id: str | None = None

    @property
    def severity(self) -> str:
        return _SEVERITIES[self.rule_id]


_Add = Callable[[PackFinding], None]  # how the checks report: findings.append

_TOLERANCE = 1e-6
_LOW, _HIGH = -_TOLERANCE, 100 + _TOLERANCE  # the bounds `_check_geometry` uses
# Fast-path validator kinds (see `_fast_plan`); anything else takes the full path.
_FAST_BOX, _FAST_SPAN, _FAST_CHOICES = 1, 2, 3
_FAST_KINDS = {"rectanglelabels": _FAST_BOX, "ocrlabels": _FAST_BOX, "labels": _FAST_SPAN,
               "choices": _FAST_CHOICES}


@dataclass(frozen=True)
class _TypeSpec:
    """What a value of one result type must hold, computed once per type."""

    required_keys: tuple[str, ...]
    number_keys: tuple[str, ...]
    label_key: str | None
    geometry: str | None


def _type_spec(result_type: str) -> _TypeSpec:
    kind = RESULT_TYPES.get(result_type)
    if kind is None:
        return _TypeSpec((), (), None, None)
    return _TypeSpec(required_keys=kind.value_keys, number_keys=kind.number_keys,
                     label_key=kind.label_key, geometry=kind.geometry)


@dataclass(frozen=True)
class _ControlPlan:
    """A control with everything the hot loop asks about it precomputed."""

    control: Control
    to_names: frozenset[str]
    labels: frozenset[str]
    taxonomy_paths: frozenset[tuple[str, ...]]
    leafs_only: bool
    single: bool
    check_labels: bool
    range: tuple[float, float] | None  # rating / number bounds
    text_keys: dict[str, str]  # to_name -> task data key of a Text object with inline text


class LabelingConfigPack:
    """Checks result items against one labeling config (`extends: [builtin:labeling-config]`)."""

    RULES: ClassVar[dict[str, PackRule]] = {rule.id: rule for rule in LABELING_CONFIG_RULES}
    NAME = "builtin:labeling-config"

    def __init__(self, config: LabelingConfig):
        self.config = config
        self._objects = frozenset(config.objects)
        self._relation_labels = frozenset(config.relation_labels)
        self._plans = {name: self._plan(control, config) for name, control in config.controls.items()}
        self._specs: dict[str, _TypeSpec] = {}
        for control in config.controls.values():
            for result_type in control.accepted_types:
                self._specs[result_type] = _type_spec(result_type)
        self._required = [p for p in self._plans.values()
                          if p.control.required and not p.control.conditional]
        # The fast path proves "no finding" for common all-valid annotations; whenever it
        # sees anything else it gives up and the full check (`_check_slow`) runs instead,
        # so the findings are always those of the full check.
        self._fast = {name: fast for name, plan in self._plans.items()
                      if (fast := self._fast_plan(plan)) is not None}
        self._fast_required = frozenset(p.control.name for p in self._required)
        self._fast_enabled = bool(self._fast) and not any(
            p.control.per_region for p in self._required)

    @staticmethod
    def _fast_plan(plan: _ControlPlan) -> tuple[Any, ...] | None:
        """A flat tuple the fast path unpacks per item, or None when it cannot judge items."""
        control = plan.control
        kind = _FAST_KINDS.get(control.type)
        if kind is None or control.per_region or plan.range is not None \
                or control.label_key != control.type:
            return None
        return (kind, control.type, plan.to_names, control.label_key,
                plan.labels if plan.check_labels else None, plan.single,
                plan.text_keys, bool(control.label_max_usages))

    @staticmethod
    def _plan(control: Control, config: LabelingConfig) -> _ControlPlan:
        attributes = control.attributes
        value_range = None
        if control.type == "rating":
            value_range = (0.0, _float(attributes.get("maxrating"), 5.0))
        elif control.type == "number":
            value_range = (_float(attributes.get("min"), float("-inf")),
                           _float(attributes.get("max"), float("inf")))
        text_keys = {}
        for to_name in control.to_names:
            obj = config.objects.get(to_name)
            if (obj is not None and obj.type == "text" and obj.data_key
                    and (obj.value_type or "text").lower() == "text"):
                text_keys[to_name] = obj.data_key
        to_names = frozenset(control.to_names)
        labels, dynamic = control.labels, control.dynamic_labels
        if control.type == "pairwise":  # the editor writes its own name as the to_name
            to_names |= {control.name}
        elif control.type == "videorectangle":  # labels come from <Labels> on the video
            siblings = [other for other in config.controls.values() if other.type == "labels"
                        and set(other.to_names) & set(control.to_names)]
            labels = [label for other in siblings for label in other.labels]
            dynamic = any(other.dynamic_labels for other in siblings)
        return _ControlPlan(
            control=control, to_names=to_names,
            labels=frozenset(labels), taxonomy_paths=frozenset(control.label_paths),
            leafs_only=attributes.get("leafsonly", "").lower() == "true",
            single=control.choice in ("single", "single-radio"),
            check_labels=bool(labels) and not dynamic,
            range=value_range, text_keys=text_keys)

    def check(self, task: dict[str, Any], annotation: dict[str, Any]) -> list[PackFinding]:
        """All findings for one annotation (with its task); never raises."""
        if self._fast_enabled and annotation.__class__ is dict and self._fast_check(task, annotation):
            return []
        return self._check_slow(task, annotation)

    def _fast_check(self, task: Any, annotation: dict[str, Any]) -> bool:
        """True only when the full check would find nothing; False means "not sure".

        Handles plain valid boxes, spans and choices with direct lookups and exact class
        tests (`bool` is no number here, `str` subclasses are left to the full check); builds
        no message. Relations, per-region items, merged types, floats as span offsets and
        anything odd return False.
        """
        result = annotation.get("result")
        if result.__class__ is not list:
            return False
        score = annotation.get("score")
        if score is not None and not (
                (score.__class__ is float or score.__class__ is int) and 0 <= score <= 1):
            return False
        fast = self._fast
        required = self._fast_required
        filled: set[str] | None = set() if required else None
        usages: dict[tuple[str, str], int] | None = None
        data: Any = None
        low, high, box_kind, span_kind = _LOW, _HIGH, _FAST_BOX, _FAST_SPAN  # locals: faster
        try:  # a missing key raises KeyError: not the common case, so not sure
            for item in result:
                if item.__class__ is not dict:
                    return False
                from_name = item["from_name"]
                if from_name.__class__ is not str:
                    return False
                kind, item_type, to_names, label_key, labelset, single, text_keys, counted = \
                    fast[from_name]
                if item["type"] != item_type:
                    return False
                to_name = item["to_name"]
                if to_name.__class__ is not str or to_name not in to_names:
                    return False
                if "score" in item:
                    score = item["score"]
                    if score is not None and not ((score.__class__ is float or score.__class__ is int)
                                                  and 0 <= score <= 1):
                        return False
                value = item["value"]
                if value.__class__ is not dict:
                    return False
                labels = value[label_key]
                if labels.__class__ is not list:
                    return False
                if len(labels) == 1:
                    label = labels[0]
                    if label.__class__ is not str or (
                            labelset is not None and label not in labelset):
                        return False
                else:
                    if not labels or single:
                        return False
                    for label in labels:
                        if label.__class__ is not str or (
                                labelset is not None and label not in labelset):
                            return False
                if kind == box_kind:
                    x = value["x"]
                    y = value["y"]
                    width = value["width"]
                    height = value["height"]
                    rotation = value["rotation"] if "rotation" in value else 0
                    if not ((x.__class__ is float or x.__class__ is int)
                            and (y.__class__ is float or y.__class__ is int)
                            and (width.__class__ is float or width.__class__ is int)
                            and (height.__class__ is float or height.__class__ is int)
                            and (rotation.__class__ is float or rotation.__class__ is int)
                            and low <= x <= high and low <= y <= high
                            and width >= 0 and height >= 0):
                        return False
                    if not rotation and (x + width > high or y + height > high):
                        return False
                elif kind == span_kind:
                    start = value["start"]
                    end = value["end"]
                    if start.__class__ is not int or end.__class__ is not int or start > end:
                        return False
                    if to_name in text_keys:
                        if data is None:
                            data = task.get("data") if isinstance(task, dict) else None
                            if not isinstance(data, dict):
                                data = {}
                        text = data.get(text_keys[to_name])
                        if isinstance(text, str):
                            if start < 0 or end > len(text):
                                return False
                            if "text" in value:
                                span_text = value["text"]
                                if span_text is not None and span_text != text[start:end]:
                                    return False
                if filled is not None:
                    filled.add(from_name)
                if counted:
                    if usages is None:
                        usages = {}
                    for label in set(labels):
                        key = (from_name, label)
                        usages[key] = usages.get(key, 0) + 1
        except KeyError:
            return False
        if usages:
            plans = self._plans
            for (name, label), count in usages.items():
                limit = plans[name].control.label_max_usages.get(label)
                if limit is not None and count > limit:
                    return False
        if filled is not None and not annotation.get("was_cancelled") and not required <= filled:
            return False
        return True

    def _check_slow(self, task: dict[str, Any],
                    annotation: dict[str, Any]) -> list[PackFinding]:
        """The full check: every rule, with messages; what `check` falls back to."""
        findings: list[PackFinding] = []
        add = findings.append
        if not isinstance(annotation, dict):
            add(PackFinding("lc-result-not-list", "the annotation is not a JSON object"))
            return findings
        result = annotation.get("result")
        if not isinstance(result, list):
            add(PackFinding("lc-result-not-list",
                            f"`result` must be an array, got {json_type(result)}"))
            return findings
        data = task.get("data") if isinstance(task, dict) else None
        data = data if isinstance(data, dict) else {}
        _check_score(annotation.get("score"), None, "the annotation", add)

        region_ids: dict[Any, Any] = {}  # id -> to_name of region-making (not per-region) items
        per_region_items: list[tuple[Any, _ControlPlan]] = []
        filled: set[str] = set()  # controls with a non-empty item
        filled_regions: set[tuple[Any, str]] = set()  # (region id, control name)
        usages: dict[tuple[str, str], int] = {}
        relations: list[tuple[int, dict[str, Any]]] = []

        for index, item in enumerate(result):
            if not isinstance(item, dict):
                add(PackFinding("lc-item-not-object",
                                f"result[{index}] is {json_type(item)}, not an object"))
                continue
            if item.get("type") == "relation":
                relations.append((index, item))
                continue
            item_id = item.get("id")
            region_id = str(item_id) if isinstance(item_id, (str, int)) and item_id != "" else None
            where = f"result[{index}]" + (f" (region {region_id})" if region_id else "")
            plan = self._check_item(item, where, region_id, data, usages, add)
            if plan is None:
                continue
            name = plan.control.name
            if _has_content(item.get("value"), plan.control):
                filled.add(name)
                if region_id is not None:  # only such ids are looked up (and a list is unhashable)
                    filled_regions.add((item_id, name))
            if plan.control.per_region:
                per_region_items.append((item_id, plan))
            elif region_id is not None and plan.control.type not in CLASSIFICATIONS:
                region_ids.setdefault(item_id, item.get("to_name"))

        for index, item in relations:
            labels = item.get("labels")
            if self._relation_labels and isinstance(labels, list):
                unknown = [label for label in labels  # a list or object is no label either
                           if not (isinstance(label, str) and label in self._relation_labels)]
                if unknown:
                    add(PackFinding("lc-unknown-label",
                                    f"result[{index}]: relation label(s) "
                                    f"{', '.join(map(repr, unknown))} not in <Relations> "
                                    f"({', '.join(self.config.relation_labels)})"))
            for key in ("from_id", "to_id"):
                if not _is_in(item.get(key), region_ids) and not any(
                        item.get(key) == rid for rid, _ in per_region_items):
                    add(PackFinding("lc-relation-unknown-region",
                                    f"result[{index}]: relation {key} {item.get(key)!r} "
                                    "names no region of this annotation"))
        for item_id, plan in per_region_items:
            if not _is_in(item_id, region_ids):
                add(PackFinding("lc-per-region-orphan",
                                f"per-region {plan.control.name!r} item {item_id!r} belongs to no "
                                "region of this annotation", _region_key(item_id)))
        for (name, label), count in usages.items():
            limit = self._plans[name].control.label_max_usages.get(label)
            if limit is not None and count > limit:
                add(PackFinding("lc-max-usages-exceeded",
                                f"label {label!r} of {name!r} is used {count} times; "
                                f"maxUsages is {limit}"))
        if not annotation.get("was_cancelled"):
            self._check_required(region_ids, filled, filled_regions, add)
        return findings

    def _check_required(self, region_ids: dict[Any, Any], filled: set[str],
                        filled_regions: set[tuple[Any, str]], add: _Add) -> None:
        for plan in self._required:
            control = plan.control
            if not control.per_region:
                if control.name not in filled:
                    add(PackFinding("lc-required-missing",
                                    f"required control {control.name!r} has no answer"))
                continue
            for item_id, to_name in region_ids.items():
                if _is_in(to_name, plan.to_names) and (item_id, control.name) not in filled_regions:
                    add(PackFinding("lc-required-missing",
                                    f"required per-region control {control.name!r} has no answer "
                                    f"for region {item_id}", _region_key(item_id)))

    def _check_item(self, item: dict[str, Any], where: str, region_id: str | None,
                    data: dict[str, Any], usages: dict[tuple[str, str], int],
                    add: _Add) -> _ControlPlan | None:
        """Checks one non-relation item; returns its control's plan when the item is usable."""
        from_name = item.get("from_name")
        plan = self._plans.get(from_name) if isinstance(from_name, str) else None
        if plan is None:
            controls = ", ".join(sorted(self._plans)) or "none"
            problem = ("has no from_name" if from_name is None else
                       f"from_name {from_name!r} is no control of the labeling config")
            add(PackFinding("lc-unknown-from-name",
                            f"{where}: {problem} (controls: {controls})", region_id))
            return None
        control = plan.control
        to_name: Any = item.get("to_name")  # any JSON: _is_in tells what it is
        if not _is_in(to_name, plan.to_names):
            known = ("is not connected to" if _is_in(to_name, self._objects)
                     else "is no object; expected")
            add(PackFinding("lc-unknown-to-name",
                            f"{where}: to_name {to_name!r} {known} {control.name!r} "
                            f"({', '.join(control.to_names)})", region_id))
        item_type: Any = item.get("type")
        if not _is_in(item_type, control.accepted_types):
            add(PackFinding("lc-type-mismatch",
                            f"{where}: type {item_type!r} does not match {control.name!r}, "
                            f"which writes {' or '.join(sorted(control.accepted_types))!r}",
                            region_id))
            return None
        _check_score(item.get("score"), region_id, where, add)
        value = item.get("value")
        if not isinstance(value, dict):
            add(PackFinding("lc-value-not-object",
                            f"{where}: `value` must be an object, got {json_type(value)}",
                            region_id))
            return None
        spec = self._specs[item_type]
        missing = [key for key in spec.required_keys if key not in value]
        if control.per_region:  # per-region items carry their region's geometry too
            missing = [key for key in missing if key in control.value_keys]
        label_key = spec.label_key
        if label_key and label_key not in value and item_type != control.type and "labels" in value:
            label_key = "labels"  # merged <Labels> + tool results may keep the plain key
            missing = [key for key in missing if key != spec.label_key]
        if missing:
            add(PackFinding("lc-value-key-missing",
                            f"{where}: value lacks {', '.join(map(repr, missing))} "
                            f"required for type {item_type!r}", region_id))
        numbers_ok = self._check_numbers(value, spec, plan, where, region_id, add)
        if label_key and label_key in value:
            self._check_labels(value[label_key], label_key, plan, where, region_id, usages, add)
        if numbers_ok and spec.geometry:
            _check_geometry(value, spec.geometry, where, region_id, add)
        if numbers_ok and item_type == "labels" and _is_in(to_name, plan.text_keys):
            text = data.get(plan.text_keys[to_name])
            _check_span(value, text if isinstance(text, str) else None, where, region_id, add)
        elif numbers_ok and item_type in ("labels", "hypertextlabels", "paragraphlabels"):
            _check_span(value, None, where, region_id, add)
        check = _VALUE_CHECKS.get(item_type)
        if check is not None:
            check(value, plan, where, region_id, add)
        return plan

    @staticmethod
    def _check_numbers(value: dict[str, Any], spec: _TypeSpec, plan: _ControlPlan, where: str,
                       region_id: str | None, add: _Add) -> bool:
        """Number fields must be JSON numbers; True when all present ones are."""
        all_numbers = True
        for key in spec.number_keys:
            if key not in value:
                continue
            number = value[key]
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                all_numbers = False
                if isinstance(number, str):
                    add(PackFinding("lc-number-as-string",
                                    f"{where}: value.{key} is the string {number!r}, not a number",
                                    region_id))
                else:
                    add(PackFinding("lc-value-wrong-type",
                                    f"{where}: value.{key} must be a number, got "
                                    f"{json_type(number)}", region_id))
            elif plan.range is not None and key in ("rating", "number"):
                low, high = plan.range
                if not low <= number <= high:
                    add(PackFinding("lc-value-out-of-range",
                                    f"{where}: {key} {number} is outside {low:g}..{high:g} "
                                    f"of {plan.control.name!r}", region_id))
        return all_numbers

    @staticmethod
    def _check_labels(labels: Any, key: str, plan: _ControlPlan, where: str,
                      region_id: str | None, usages: dict[tuple[str, str], int],
                      add: _Add) -> None:
        control = plan.control
        if not isinstance(labels, list):
            add(PackFinding("lc-value-wrong-type",
                            f"{where}: value.{key} must be an array, got {json_type(labels)}",
                            region_id))
            return
        if not labels:
            add(PackFinding("lc-empty-labels", f"{where}: value.{key} is empty", region_id))
            return
        if control.type == "taxonomy":
            for path in labels:
                if not isinstance(path, list) or not all(isinstance(p, str) for p in path):
                    add(PackFinding("lc-value-wrong-type",
                                    f"{where}: each taxonomy entry must be an array of strings, got "
                                    f"{path!r}", region_id))
                elif plan.check_labels and tuple(path) not in plan.taxonomy_paths:
                    add(PackFinding("lc-unknown-label",
                                    f"{where}: taxonomy path {' / '.join(path)!r} is not in "
                                    f"{control.name!r}", region_id))
                elif plan.check_labels and plan.leafs_only and any(
                        p[:-1] == tuple(path) for p in plan.taxonomy_paths):
                    add(PackFinding("lc-taxonomy-not-leaf",
                                    f"{where}: taxonomy path {' / '.join(path)!r} is in "
                                    f"{control.name!r} but not a leaf, and it has leafsOnly",
                                    region_id))
            limit = control.max_usages
            if limit is not None and len(labels) > limit:
                add(PackFinding("lc-max-usages-exceeded",
                                f"{where}: {len(labels)} taxonomy selections; maxUsages is {limit}",
                                region_id))
            return
        flat = [p for label in labels for p in (label if isinstance(label, list) else [label])]
        if not all(isinstance(label, str) for label in flat):
            add(PackFinding("lc-value-wrong-type",
                            f"{where}: value.{key} must hold strings, got {labels!r}", region_id))
            return
        if plan.check_labels:
            unknown = [label for label in flat if label not in plan.labels]
            if unknown:
                add(PackFinding("lc-unknown-label",
                                f"{where}: {', '.join(map(repr, unknown))} not in {control.name!r} "
                                f"({', '.join(control.labels)})", region_id))
        if plan.single and len(labels) > 1:
            add(PackFinding("lc-single-choice-violated",
                            f"{where}: {len(labels)} values for {control.name!r}, which allows "
                            "one (choice=\"single\")", region_id))
        if control.label_max_usages:
            for label in set(flat):
                usage_key = (control.name, label)
                usages[usage_key] = usages.get(usage_key, 0) + 1


def _check_geometry(value: dict[str, Any], geometry: str, where: str, region_id: str | None,
                    add: _Add) -> None:
    def outside(number: Any) -> bool:
        return isinstance(number, (int, float)) and not (
            -_TOLERANCE <= number <= 100 + _TOLERANCE)

    if geometry == "polygon":
        points = value.get("points")
        if not isinstance(points, list) or not all(
                isinstance(p, list) and len(p) == 2 and all(
                    isinstance(c, (int, float)) and not isinstance(c, bool) for c in p)
                for p in points):
            add(PackFinding("lc-value-wrong-type",
                            f"{where}: value.points must be an array of [x, y] number pairs",
                            region_id))
            return
        if any(outside(x) or outside(y) for x, y in points):
            add(PackFinding("lc-geometry-out-of-bounds",
                            f"{where}: a polygon point lies outside 0..100", region_id))
        return
    x, y = value.get("x"), value.get("y")
    problems = [f"{key} {number}" for key, number in (("x", x), ("y", y)) if outside(number)]
    size_keys = {"box": ("width", "height"), "ellipse": ("radiusX", "radiusY")}.get(geometry, ())
    negative = [f"{key} {value[key]}" for key in size_keys
                if isinstance(value.get(key), (int, float)) and value[key] < 0]
    if negative:
        add(PackFinding("lc-negative-size", f"{where}: negative {', '.join(negative)}",
                        region_id))
    # A rotated box's corner-based x + width may pass 100 while the box stays inside.
    if geometry == "box" and not negative and not value.get("rotation"):
        width, height = value.get("width"), value.get("height")
        if isinstance(x, (int, float)) and isinstance(width, (int, float)) \
                and x + width > 100 + _TOLERANCE:
            problems.append(f"x + width {x + width:g}")
        if isinstance(y, (int, float)) and isinstance(height, (int, float)) \
                and y + height > 100 + _TOLERANCE:
            problems.append(f"y + height {y + height:g}")
    if problems:
        add(PackFinding("lc-geometry-out-of-bounds",
                        f"{where}: {', '.join(problems)} outside 0..100", region_id))


def _check_span(value: dict[str, Any], text: str | None, where: str, region_id: str | None,
                add: _Add) -> None:
    start, end = value.get("start"), value.get("end")
    if not (isinstance(start, (int, float)) and isinstance(end, (int, float))):
        return
    if start > end:
        add(PackFinding("lc-span-reversed", f"{where}: start {start} > end {end}",
                        region_id))
        return
    if text is None:
        return
    # Label Studio counts offsets in JavaScript (UTF-16) units; Python in code points.
    utf16 = text.encode("utf-16-le")
    length = max(len(text), len(utf16) // 2)
    if start < 0 or end > length or start != int(start) or end != int(end):
        add(PackFinding("lc-span-out-of-bounds",
                        f"{where}: span {start}..{end} is outside the text (length {length})",
                        region_id))
        return
    span_text = value.get("text")
    if not isinstance(span_text, str):
        return
    start, end = int(start), int(end)
    javascript_slice = utf16[2 * start:2 * end].decode("utf-16-le", errors="replace")
    if span_text not in (text[start:end], javascript_slice):
        add(PackFinding("lc-span-text-mismatch",
                        f"{where}: text {span_text!r} differs from the task's "
                        f"{text[start:end]!r} at {start}..{end}", region_id))


def _check_pairwise(value: dict[str, Any], plan: _ControlPlan, where: str,
                    region_id: str | None, add: _Add) -> None:
    """The editor writes `{"selected": "left"}` or `"right"` (no item at all for none)."""
    selected = value.get("selected")
    if selected not in ("left", "right"):
        add(PackFinding("lc-pairwise-selected",
                        f"{where}: selected {selected!r} is neither 'left' nor 'right'",
                        region_id))


def _check_video_rectangle(value: dict[str, Any], plan: _ControlPlan, where: str,
                           region_id: str | None, add: _Add) -> None:
    """Each keyframe: a box in 0..100 at a frame in 1..framesCount."""
    sequence = value.get("sequence")
    if not isinstance(sequence, list):
        add(PackFinding("lc-value-wrong-type",
                        f"{where}: value.sequence must be an array, got {json_type(sequence)}",
                        region_id))
        return
    frames = value.get("framesCount")
    last = frames if isinstance(frames, int) and not isinstance(frames, bool) else None
    for index, keyframe in enumerate(sequence):
        at = f"{where} keyframe {index}"
        if not isinstance(keyframe, dict):
            add(PackFinding("lc-value-wrong-type",
                            f"{at}: must be an object, got {json_type(keyframe)}", region_id))
            continue
        frame = keyframe.get("frame")
        if isinstance(frame, bool) or not isinstance(frame, int) or frame < 1 or (
                last is not None and frame > last):
            add(PackFinding("lc-video-frame-out-of-range",
                            f"{at}: frame {frame!r} is not a whole number in 1.."
                            f"{last if last is not None else 'framesCount'}", region_id))
        bad = [key for key in ("x", "y", "width", "height") if isinstance(
            keyframe.get(key), bool) or not isinstance(keyframe.get(key), (int, float))]
        if bad:
            add(PackFinding("lc-value-wrong-type",
                            f"{at}: {', '.join(bad)} must be numbers", region_id))
            continue
        _check_geometry(keyframe, "box", at, region_id, add)


def _check_ranker(value: dict[str, Any], plan: _ControlPlan, where: str,
                  region_id: str | None, add: _Add) -> None:
    """`{"ranker": {bucket: [item ids]}}`; the buckets are the control's (labeling config)."""
    ranker = value.get("ranker")
    if not isinstance(ranker, dict):
        add(PackFinding("lc-value-wrong-type",
                        f"{where}: value.ranker must be an object, got {json_type(ranker)}",
                        region_id))
        return
    buckets = plan.control.buckets
    unknown = [key for key in ranker if key not in buckets]
    if unknown:
        add(PackFinding("lc-ranker-unknown-bucket",
                        f"{where}: {', '.join(map(repr, unknown))} not a bucket of "
                        f"{plan.control.name!r} ({', '.join(buckets)})", region_id))
    for key, ids in ranker.items():
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            add(PackFinding("lc-value-wrong-type",
                            f"{where}: value.ranker[{key!r}] must be an array of item ids",
                            region_id))


_TIME = re.compile(r"\d\d:\d\d")


def _check_datetime(value: dict[str, Any], plan: _ControlPlan, where: str,
                    region_id: str | None, add: _Add) -> None:
    """The editor writes `only="time"` as HH:MM, `only="year"` as the year, and anything else
    in the control's `format` (strftime), by default `%Y-%m-%d` without time and
    `%Y-%m-%dT%H:%M` with it; `min`/`max` bound the date (ISO, or a year)."""
    text = value.get("datetime")
    if not isinstance(text, str):
        add(PackFinding("lc-value-wrong-type",
                        f"{where}: value.datetime must be a string, got {json_type(text)}",
                        region_id))
        return
    attributes = plan.control.attributes
    only = attributes.get("only", "")
    if only == "time":
        if not _TIME.fullmatch(text) or int(text[:2]) > 23 or int(text[3:]) > 59:
            add(PackFinding("lc-datetime-format",
                            f"{where}: {text!r} is not a time HH:MM", region_id))
        return
    if "year" in only and "date" not in only:
        expected, date = "%Y", text
    else:
        expected = attributes.get("format") or (
            "%Y-%m-%d" if only and "time" not in only else "%Y-%m-%dT%H:%M")
        date = None
    try:
        parsed = datetime.datetime.strptime(text, expected)
    except ValueError:
        add(PackFinding("lc-datetime-format",
                        f"{where}: {text!r} does not have the format {expected!r}", region_id))
        return
    day: str = parsed.strftime("%Y-%m-%d") if date is None else date
    for bound in ("min", "max"):
        limit = attributes.get(bound)
        if not limit or limit == "current":
            continue
        limit = limit[:len(day)]
        if (day < limit) if bound == "min" else (day > limit):
            add(PackFinding("lc-datetime-format",
                            f"{where}: {text!r} is outside {bound}={limit!r}", region_id))


def _check_text_area(value: dict[str, Any], plan: _ControlPlan, where: str,
                     region_id: str | None, add: _Add) -> None:
    """The editor writes `text` as an array of strings, even for one line."""
    text = value.get("text")
    if "text" in value and (not isinstance(text, list)
                            or not all(isinstance(line, str) for line in text)):
        add(PackFinding("lc-value-wrong-type",
                        f"{where}: value.text must be an array of strings, got "
                        f"{json_type(text)}", region_id))


def _check_ordered_span(value: dict[str, Any], plan: _ControlPlan, where: str,
                        region_id: str | None, add: _Add) -> None:
    """Time series spans (numbers, or times as text) and HTML spans within one node
    (`start == end` XPath: then the offsets order them) must not end before they start."""
    start: Any = value.get("start")
    end: Any = value.get("end")
    html = "startOffset" in value
    if html:
        if start != end:
            return  # nodes apart: their order is the page's
        start, end = value.get("startOffset"), value.get("endOffset")
    numbers = all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in (start, end))
    texts = (not html and isinstance(start, str) and isinstance(end, str)
             and len(start) == len(end))  # ISO times of one format order as text
    if (numbers or texts) and start > end:
        add(PackFinding("lc-span-reversed", f"{where}: start {start!r} > end {end!r}",
                        region_id))


def _check_timeline(value: dict[str, Any], plan: _ControlPlan, where: str,
                    region_id: str | None, add: _Add) -> None:
    """TimelineRegion.js: `ranges` is a list of `{start, end}` frame numbers (whole, or
    null for an open end); a range may not end before it starts."""
    ranges = value.get("ranges")
    if "ranges" not in value:
        return  # lc-value-key-missing says so
    if not isinstance(ranges, list) or not all(
            isinstance(r, dict) and _frame(r.get("start")) and _frame(r.get("end"))
            for r in ranges):
        add(PackFinding("lc-value-wrong-type", f"{where}: value.ranges must be an array of "
                        "{start, end} frame numbers", region_id))
        return
    for found in ranges:
        start, end = found.get("start"), found.get("end")
        if start is not None and end is not None and start > end:
            add(PackFinding("lc-span-reversed", f"{where}: range start {start} > end {end}",
                            region_id))


def _check_vector(value: dict[str, Any], plan: _ControlPlan, where: str,
                  region_id: str | None, add: _Add) -> None:
    """VectorRegion.jsx: `vertices` is a list of points `{id, x, y, ...}` in percent of the
    image (Bezier control points too), `closed` a boolean."""
    vertices = value.get("vertices")
    if "vertices" not in value:
        return
    if not isinstance(vertices, list) or not all(
            isinstance(p, dict) and _number(p.get("x")) and _number(p.get("y"))
            for p in vertices) or not isinstance(value.get("closed", False), bool):
        add(PackFinding("lc-value-wrong-type", f"{where}: value.vertices must be an array of "
                        "points with number x and y, and closed true or false", region_id))
        return
    points = [(p["x"], p["y"]) for p in vertices]
    for p in vertices:
        for key in ("controlPoint1", "controlPoint2"):
            control = p.get(key)
            if isinstance(control, dict) and _number(control.get("x")) \
                    and _number(control.get("y")):
                points.append((control["x"], control["y"]))
    if any(not (-_TOLERANCE <= c <= 100 + _TOLERANCE) for point in points for c in point):
        add(PackFinding("lc-geometry-out-of-bounds",
                        f"{where}: a vector point lies outside 0..100", region_id))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _frame(value: Any) -> bool:
    """A video frame number: whole, or null for an open end."""
    return value is None or (_number(value) and float(value).is_integer())


def _check_bitmask(value: dict[str, Any], plan: _ControlPlan, where: str,
                   region_id: str | None, add: _Add) -> None:
    """BitmaskRegion.jsx: the mask is `imageDataURL`, a PNG as a `data:image/...` URL."""
    url = value.get("imageDataURL")
    if "imageDataURL" in value and not (isinstance(url, str) and url.startswith("data:image/")):
        add(PackFinding("lc-value-wrong-type", f"{where}: value.imageDataURL must be a "
                        f"data:image/ URL, got {json_type(url)}", region_id))


_VALUE_CHECKS: dict[str, Callable[[dict[str, Any], _ControlPlan, str, str | None, _Add], None]] = {
    "pairwise": _check_pairwise, "videorectangle": _check_video_rectangle,
    "ranker": _check_ranker, "datetime": _check_datetime, "textarea": _check_text_area,
    # the newer tags, by the key their value holds
    **{name: check for name, kind in RESULT_TYPES.items()
       for key, check in (("ranges", _check_timeline), ("vertices", _check_vector),
                          ("imageDataURL", _check_bitmask)) if key in kind.value_keys},
    # spans that are not plain text offsets: time series, HTML and paragraph spans
    **{name: _check_ordered_span for name, kind in RESULT_TYPES.items()
       if "instant" in kind.value_keys or "startOffset" in kind.value_keys},
}


def _check_score(score: Any, region_id: str | None, where: str, add: _Add) -> None:
    if score is None:
        return
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        add(PackFinding("lc-value-wrong-type",
                        f"{where}: score must be a number, got {json_type(score)}", region_id))
    elif not 0 <= score <= 1:
        add(PackFinding("lc-score-out-of-range",
                        f"{where}: score {score} is outside 0..1", region_id))


def _has_content(value: Any, control: Control) -> bool:
    """Whether an item answers its control (an empty choice list does not)."""
    if not isinstance(value, dict):
        return False
    keys = [control.label_key] if control.label_key else list(control.value_keys)
    return any(value.get(key) not in (None, "", [], {}) for key in keys) if keys else True


def _is_in(value: Any, container: Any) -> bool:
    """`value in container` (a set or dict), False for a list or object: any JSON may stand
    where Label Studio writes a name or an id, and those are unhashable."""
    return not isinstance(value, (list, dict)) and value in container


def _region_key(item_id: Any) -> str | None:
    return str(item_id) if isinstance(item_id, (str, int)) else None


def _float(text: str | None, default: float) -> float:
    """A numeric attribute of the config; `default` when absent or not a number (NaN, as
    `min="nan"`, would make every comparison false and every value out of range)."""
    try:
        value = float(text) if text is not None else default
    except ValueError:
        return default
    return default if value != value else value
