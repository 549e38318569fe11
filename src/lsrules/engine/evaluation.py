"""The state of evaluating one annotation: what the generated code reads and records.

Copy-on-write: rules read the caller's annotation as is; a fix copies only what it writes
(the annotation, its result list, the item, and the containers on the way to the field),
so the caller's input is never mutated and annotations without fixes cost no copy.
"""
from __future__ import annotations

import json
from typing import Any

from lsrules.dsl.budget import BudgetExceeded
from lsrules.dsl.compiler.effects import GEOMETRY_KEYS
from lsrules.engine.decision import Finding
from lsrules.engine.patch import pointer
from lsrules.dsl.regions import VALUE_FIELDS, Region, attributes_of, build_regions
from lsrules.result_types import (ANSWER_KEY_OF, ANSWER_TYPES, ANSWER_VALUE_KEYS,
                                  LIST_ANSWER_KEYS)

_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
# value fields that never hold a region's labels (unless the region's type names them)
_LABEL_FREE_FIELDS = VALUE_FIELDS - frozenset(ANSWER_VALUE_KEYS)


class Evaluation:
    __slots__ = ("engine", "task", "annotation", "regions", "relations", "others", "config",
                 "findings", "patch", "task_patch", "route_requests", "copied", "owned", "fired",
                 "patch_by_rule", "task_patch_by_rule", "_annotator", "_suggestion", "steps",
                 "finding_regions", "again", "unsure", "written")

    def __init__(self, engine: Any, task: dict[str, Any], annotation: dict[str, Any],
                 others: Any, regions: tuple[list[Region], list[dict[str, Any]]] | None = None,
                 ) -> None:
        """`regions`: the annotation's regions and relations, when built already."""
        self.engine = engine  # the Engine (not imported: its module imports this one)
        self.steps = engine.limits.steps  # what is left of the budget (dsl/budget.py)
        self.task = task
        self.annotation = annotation
        self.regions, self.relations = (build_regions(annotation.get("result"))
                                        if regions is None else regions)
        self.others = others if others.__class__ is list else []
        self.config = engine.config
        self.findings: list[Finding] = []
        self.patch: list[dict[str, Any]] = []
        self.task_patch: list[dict[str, Any]] = []
        self.task_patch_by_rule: list[tuple[int, dict[str, Any]]] = []
        self.route_requests: list[int] = []
        self.copied = False  # the annotation and its result list are copies (ours)
        self.owned: dict[int, Any] = {}  # id -> each dict or list copied so far (ours)
        self.fired: list[str] = []
        self.patch_by_rule: list[tuple[int, dict[str, Any]]] = []
        self.finding_regions: list[Region | None] = []  # the region of each rule finding
        self.again: list[tuple[int, Region | None]] = []  # the second pass: what fires
        self.unsure = False  # a write the read/write analysis cannot follow (effects.py)
        self.written: list[Region] = []  # the regions fixes wrote to
        self._annotator: dict[str, Any] | None = None
        self._suggestion: dict[str, Any] | None = None
        if engine.uses_suggester:
            for region in self.regions:
                region.context = self

    # -- what rules see ---------------------------------------------------------------------
    def annotator(self) -> dict[str, Any]:
        if self._annotator is None:
            annotator_id = self.annotation.get("completed_by")
            if isinstance(annotator_id, dict):
                annotator_id = annotator_id.get("id")
            suggester = self.engine.suggester
            self._annotator = {
                "id": annotator_id,
                "reliability": suggester.reliability(annotator_id) if suggester else None,
                "count": suggester.annotation_count(annotator_id) if suggester else None,
            }
        return self._annotator

    def suggestion(self) -> dict[str, Any]:
        if self._suggestion is None:
            suggester = self.engine.suggester
            found = suggester.suggest(self.task) if suggester else None
            self._suggestion = {
                "label": getattr(found, "label", None),
                "confidence": getattr(found, "confidence", None),
                "candidate": getattr(found, "candidate", None),
                "model_version": suggester.model_version if suggester else None,
            }
        return self._suggestion

    def region_field(self, region: Region, name: str) -> Any:
        suggester = self.engine.suggester
        if suggester is None:
            return None
        if name == "anomaly":
            value = region.value
            return suggester.anomaly(region.label, value.get("x"), value.get("y"),
                                     value.get("width"), value.get("height"))
        found = suggester.region_suggestion(self.task, region.item)
        return {"label": getattr(found, "label", None),
                "confidence": getattr(found, "confidence", None),
                "candidate": getattr(found, "candidate", None)}

    # -- what rules do --------------------------------------------------------------------------
    def fire(self, rule_index: int, region: Region | None) -> None:
        rule_id, severity, message_of, fix, routes, description = \
            self.engine.firing[rule_index]
        try:
            message = message_of(self, region)
        except BudgetExceeded:
            raise
        except Exception:  # a message must never stop the evaluation
            message = description or f"rule {rule_id} failed"
        self.findings.append(Finding(rule_id, severity, message,
                                     region.id if region is not None else None))
        self.finding_regions.append(region)
        self.fired.append(rule_id)
        if fix is not None:  # whether the finding is fixed, the second pass says (engine.py)
            fix(self, region)
        if routes:
            self.route_requests.append(rule_index)

    def found(self, rule_index: int, region: Region | None) -> None:
        """The second pass: the rule fires on this item of the corrected annotation."""
        self.again.append((rule_index, region))

    def _result(self) -> Any:
        """First write: the annotation and its result list copied (shallow), once."""
        if not self.copied:
            self.copied = True
            annotation = self.annotation = dict(self.annotation)
            owned = self.owned
            owned[id(annotation)] = annotation
            result = annotation.get("result")
            if result.__class__ is list:
                result = annotation["result"] = list(result)
                owned[id(result)] = result
            return result
        return self.annotation.get("result")

    def _own(self, container: Any, key: Any) -> Any:
        """`container[key]` (a dict or list), copied into `container` before its first
        write, so that no write reaches the caller's input. `container` is ours already."""
        child = container[key]
        owned = self.owned
        if id(child) in owned:
            return child
        child = container[key] = dict(child) if isinstance(child, dict) else list(child)
        owned[id(child)] = child  # the object is kept: its id cannot be reused
        return child

    def _own_region(self, region: Region) -> int:
        """The region's first item (and its value) copied before a write; its index."""
        return self._own_item(region, 0)

    def _own_item(self, region: Region, position: int) -> int:
        """The region's item at `position` copied before a write (the first one with its
        value, which the region reads); its index in the result."""
        result = self._result()
        index = self._item_index(region.items[position])
        item = region.items[position] = self._own(result, index)
        if position == 0:
            region.item = item
            if item.get("value").__class__ is dict:
                region.value = self._own(item, "value")
            else:
                value: dict[str, Any] = {}
                item["value"] = value
                self.owned[id(value)] = value
                region.value = value
        return index

    def _item_index(self, item: dict[str, Any]) -> int:
        for position, candidate in enumerate(self.annotation["result"]):
            if candidate is item:
                return position
        raise LookupError("region item not in the result")

    def _record(self, operation: dict[str, Any], rule_index: int) -> None:
        self.patch.append(operation)
        self.patch_by_rule.append((rule_index, operation))

    def set_value(self, region: Region | None, target: tuple[Any, ...], value: Any,
                  rule_index: int) -> None:
        if region is not None and value is not None and len(target) == 2 \
                and target[1] in VALUE_FIELDS and target[0] == "region":
            self._set_value_field(region, target[1], value, rule_index)  # the usual fix
            return
        self._set_value(region, target, value, rule_index)
        if region is not None:
            self._writing(region)
            region.changed()  # after the write: its labels are read again

    def _set_value_field(self, region: Region, field: str, value: Any,
                         rule_index: int) -> None:
        """`set region.x = value` (any of VALUE_FIELDS, value not null): what `set_value`
        does for it, without `_set_in`'s general walk (no key to escape); the labels are
        read again only when the field may hold them."""
        index = self._own_region(region)
        container = region.value
        exists = field in container
        current = container.get(field)
        if not (exists and current == value and type(current) is type(value)):
            container[field] = value
            self._record({"op": "replace" if exists else "add",
                          "path": f"/result/{index}/value/{field}", "value": value},
                         rule_index)
        self._writing(region)
        if field in _LABEL_FREE_FIELDS and field != region.type:
            region.moved()
        else:
            region.changed()

    def _writing(self, region: Region) -> None:
        """A region typed like a geometry key may keep its labels there: a write on it
        could change what any rule reads (see dsl/compiler/effects.py)."""
        self.written.append(region)
        kind = region.type
        if kind.__class__ is str and kind in GEOMETRY_KEYS:
            self.unsure = True

    def _set_value(self, region: Region | None, target: tuple[Any, ...], value: Any,
                   rule_index: int) -> None:
        if value is None:
            return  # a `set` to null changes nothing (documented)
        root = target[0]
        if root == "task":
            self._set_task_meta(target[2:], value, rule_index)
            return
        if root == "annotation":  # `annotation.result` is read-only: no region is reached
            self._result()
            self._set_in(self.annotation, [], target[1:], value, rule_index)
            return
        assert region is not None  # a region's field is set only by a rule over regions
        field = target[1]
        index = self._own_region(region)
        if field in ("label", "labels"):
            key = region.label_key or _label_key_for(region)
            current = region.value.get(key)
            if field == "label":
                if isinstance(current, list) and current:
                    if current[0] == value and type(current[0]) is type(value):
                        return
                    self._set_in(region.value, ["result", index, "value"], (key, 0), value,
                                 rule_index)
                else:
                    self._set_in(region.value, ["result", index, "value"], (key,), [value],
                                 rule_index)
            else:
                self._set_in(region.value, ["result", index, "value"], (key,), value,
                             rule_index)
            return
        if field == "attrs":
            self._set_attribute(region, target[2], target[3:], value, rule_index)
        elif field in VALUE_FIELDS:
            self._set_in(region.value, ["result", index, "value"], (field,), value, rule_index)
        elif field == "value":
            if len(target) == 2:
                if isinstance(value, dict):
                    self._set_in(region.item, ["result", index], ("value",), value, rule_index)
                    region.value = self._own(region.item, "value")
            else:
                self._set_in(region.value, ["result", index, "value"], target[2:], value,
                             rule_index)
        else:
            self._set_in(region.item, ["result", index], target[1:], value, rule_index)

    def _set_in(self, container: Any, prefix: list[Any], keys: tuple[Any, ...], value: Any,
                rule_index: int) -> None:
        """`container` (ours) at `keys` = value; the containers on the way are made ours."""
        for depth, key in enumerate(keys[:-1]):
            following = container[key] if isinstance(container, list) else container.get(key)
            if isinstance(following, (dict, list)):
                following = self._own(container, key)
            else:
                following = {}
                self.owned[id(following)] = following
                self._record({"op": "add", "path": pointer(*prefix, *keys[: depth + 1]),
                              "value": {}}, rule_index)
                container[key] = following
            container = following
        last = keys[-1]
        if isinstance(container, list):
            if not (isinstance(last, int) and 0 <= last < len(container)):
                return
            exists = True
            current = container[last]
        else:
            exists = last in container
            current = container.get(last)
        if exists and current == value and type(current) is type(value):
            return
        container[last] = value
        self._record({"op": "replace" if exists else "add", "path": pointer(*prefix, *keys),
                      "value": value}, rule_index)

    def _set_attribute(self, region: Region, name: Any, keys: tuple[Any, ...], value: Any,
                       rule_index: int) -> None:
        """`set region.attrs.NAME.KEY... = value`: in the region's item from control NAME,
        or in a new one (with the region's id) when the region has no answer from it."""
        for position, item in enumerate(region.items):
            if item.get("from_name") == name:
                index = self._own_item(region, position)
                item = region.items[position]
                if item.get("value").__class__ is not dict:
                    self._set_in(item, ["result", index], ("value",), {}, rule_index)
                self._set_in(self._own(item, "value"), ["result", index, "value"], keys, value,
                             rule_index)
                if position == 0:
                    region.value = item["value"]
                region.attrs = attributes_of(region.items[1:])
                return
        answer: dict[str, Any] = {}
        container = answer
        for key in keys[:-1]:
            container = container.setdefault(key, {})
        container[keys[-1]] = value
        self._attach(region, name, ANSWER_TYPES.get(keys[0]), answer, rule_index)

    def _attach(self, region: Region, name: str, kind: str | None, value: dict[str, Any],
                rule_index: int) -> None:
        """A new result item of control `name` on `region` (same id: Label Studio's way of
        giving a region per-region answers)."""
        control = self.config.controls.get(name) if self.config is not None else None
        if control is not None:
            kind = control.type
        region_id = region.id
        if kind is None or not (region_id.__class__ is str or region_id.__class__ is int):
            return  # no type to write, or an id that groups nothing: nothing to attach to
        to_name = region.to_name
        if control is not None and to_name not in control.to_names:
            to_name = control.to_names[0]
        item = {"id": region_id, "from_name": name, "to_name": to_name, "type": kind,
                "value": value}
        if self._append(item, rule_index):
            region.add(item)

    def _append(self, item: dict[str, Any], rule_index: int) -> bool:
        result = self._result()
        if result.__class__ is not list:
            return False  # no result list to add to (the pack reports it)
        result.append(item)
        self._record({"op": "add", "path": pointer("result", "-"),
                      "value": json.loads(json.dumps(item))}, rule_index)
        return True

    def add_item(self, region: Region | None, name: str, value: Any, rule_index: int) -> None:
        """`add_item "NAME" = value`: control NAME's answer, unless there is one already
        (on the region, for a per-region control; in the annotation, for another)."""
        control = self.config.controls.get(name) if self.config is not None else None
        if value is None or control is None:
            return
        key = ANSWER_KEY_OF.get(control.type)
        if key is None:
            return
        if key in LIST_ANSWER_KEYS and value.__class__ is str:
            value = [value]
        elif key == "taxonomy" and value.__class__ is list and all(
                step.__class__ is str for step in value):
            value = [value]  # one path
        if control.per_region:
            if region is None or any(item.get("from_name") == name for item in region.items):
                return
            self._writing(region)
            self._attach(region, name, control.type, {key: value}, rule_index)
            region.changed()
            return
        result = self.annotation.get("result")
        if result.__class__ is list and any(
                item.__class__ is dict and item.get("from_name") == name for item in result):
            return
        item = {"from_name": name, "to_name": control.to_names[0], "type": control.type,
                "value": {key: value}}
        if self._append(item, rule_index):
            added = Region(item)
            if self.engine.uses_suggester:
                added.context = self
            self.regions = [*self.regions, added]
            self.unsure = True  # a new region: any rule may find something on it

    def _set_task_meta(self, keys: tuple[Any, ...], value: Any, rule_index: int) -> None:
        meta = self.task.get("meta") if isinstance(self.task.get("meta"), dict) else {}
        current = meta
        for key in keys[:-1]:
            current = current.get(key) if isinstance(current, dict) else None
        if isinstance(current, dict) and current.get(keys[-1]) == value:
            return
        operation = {"op": "add", "path": pointer("meta", *keys), "value": value}
        self.task_patch.append(operation)
        self.task_patch_by_rule.append((rule_index, operation))

    def drop_region(self, region: Region, rule_index: int) -> None:
        result = self._result()
        for item in sorted(region.items, key=self._item_index, reverse=True):
            index = self._item_index(item)
            del result[index]
            self._record({"op": "remove", "path": pointer("result", index)}, rule_index)
        region.dropped = True
        self.regions = [other for other in self.regions if not other.dropped]

    def add_label(self, region: Region, label: Any, rule_index: int) -> None:
        if not isinstance(label, str):
            return
        labels = region.labels or []
        if label in labels:
            return
        index = self._own_region(region)
        self._writing(region)
        key = region.label_key or _label_key_for(region)
        current = region.value.get(key)
        if isinstance(current, list):
            self._own(region.value, key).append(label)
            self._record({"op": "add", "path": pointer("result", index, "value", key, "-"),
                          "value": label}, rule_index)
        else:
            region.value[key] = [label]
            self._record({"op": "add", "path": pointer("result", index, "value", key),
                          "value": [label]}, rule_index)
        region.changed()

    def remove_label(self, region: Region, label: Any, rule_index: int) -> None:
        key = region.label_key
        current = region.value.get(key) if key else None
        if not key or not isinstance(current, list) or label not in current:
            return
        index = self._own_region(region)
        self._writing(region)
        current = self._own(region.value, key)
        position = current.index(label)
        del current[position]
        self._record({"op": "remove", "path": pointer("result", index, "value", key, position)},
                     rule_index)
        region.changed()


def _label_key_for(region: Region) -> str:
    kind = region.type
    if kind.__class__ is str and (kind.endswith("labels") or kind in ("choices", "taxonomy")):
        return kind
    return "labels"  # the generic key, as on a text span
