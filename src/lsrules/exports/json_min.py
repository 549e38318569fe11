"""JSON_MIN records turned back into Label Studio JSON tasks and annotations.

Label Studio's JSON_MIN writer (the converter's `convert_to_json_min`) writes one flat
object per annotation: the task's data fields at top level, then `id`, `annotator`,
`annotation_id`, `created_at`, `updated_at`, `lead_time` (and `agreement` when known),
and one key per control (`from_name`) holding that control's values with their `type`
removed: a list of value objects (`{start, end, text, labels}`, `{x, y, width, height,
rotation, rectanglelabels, original_width, original_height}`, `{rating}`, ...), except
that a Choices or TextArea control with a single value becomes the bare string, and one
with several becomes `{"choices": [...]}` / `{"text": [...]}`. Cancelled annotations are
left out; a task without annotations is one record with `annotation_id: null`.

The engine works on Label Studio JSON, so each record is rebuilt into that form. JSON_MIN
is lossy and the rebuild cannot undo it:
- region ids are gone: each region gets a stable generated id (the same input gives the
  same id), so links between a region and its per-region choices or text are lost;
- relations, `score`, `ground_truth`, `was_cancelled`, the task's `meta` and predictions
  are not exported;
- without a labeling config, `to_name` is "" and `type` is guessed from the value's keys
  (`rectanglelabels` -> "rectanglelabels", `labels` -> "labels", a bare box -> "rectangle",
  `text` -> "textarea", ...); and a single choice or text, exported as a bare string,
  cannot be told from a data field, so it stays in `task.data`. Give the labeling config
  to get `type`, `to_name` and such controls back exactly;
- JSON_MIN stores no task `data` key of its own: a data field named like one of the keys
  above is read as that key.
"""
from __future__ import annotations

import hashlib
from typing import Any, Protocol

from lsrules.exports.validation import MalformedTask
from lsrules.json_types import json_type
from lsrules.result_types import CLASSIFICATIONS, VALUE_KEYS

# keys Label Studio's JSON_MIN writer adds to the task's data fields
META_KEYS = frozenset({"id", "annotator", "annotation_id", "created_at", "updated_at",
                       "lead_time", "agreement"})

# value keys that name a result type; the generic `labels` last
_TYPE_KEYS = tuple(sorted((name for name, keys in VALUE_KEYS.items() if name in keys),
                          key=lambda name: name == "labels"))


class Control(Protocol):
    type: str
    to_names: Any


class LabelingConfig(Protocol):
    """What the converter needs from a parsed labeling config (duck-typed)."""

    controls: Any  # a mapping from control name to an object with `.type` and `.to_names`


def looks_like_json_min(record: Any) -> bool:
    """True when an object reads as a JSON_MIN record rather than a Label Studio task."""
    if not isinstance(record, dict):
        return False
    if "annotations" in record or "completions" in record:
        return False
    return not (isinstance(record.get("data"), dict) and "annotation_id" not in record)


def convert_record(record: Any, labeling_config: LabelingConfig | None = None
                   ) -> tuple[dict, dict | None]:
    """One JSON_MIN record -> (task, annotation), annotation None for a task without one."""
    if not isinstance(record, dict):
        raise MalformedTask(f"a JSON_MIN record must be a JSON object, found {json_type(record)}")
    controls = _controls(labeling_config)
    data: dict = {}
    result: list[dict] = []
    for key, value in record.items():
        if key in META_KEYS:
            continue
        if controls is not None:
            control = controls.get(key)
            if control is None:
                data[key] = value
                continue
            control_type = str(getattr(control, "type", "") or "").lower()
            result.extend(_result_items(record, key, value, control_type, _to_name(control)))
        elif _looks_like_result(value):
            result.extend(_result_items(record, key, value, "", ""))
        else:
            data[key] = value
    task = {"id": record.get("id"), "data": data}
    if "agreement" in record:
        task["agreement"] = record["agreement"]
    if record.get("annotation_id") is None and not result:
        return task, None
    annotation = {
        "id": record.get("annotation_id"),
        "completed_by": record.get("annotator"),
        "result": result,
        "was_cancelled": False,  # the JSON_MIN writer leaves cancelled annotations out
        "created_at": record.get("created_at"),
        "updated_at": record.get("updated_at"),
        "lead_time": record.get("lead_time"),
    }
    return task, annotation


def _controls(labeling_config: LabelingConfig | None) -> dict | None:
    if labeling_config is None:
        return None
    return dict(getattr(labeling_config, "controls", None) or {})


def _to_name(control: Any) -> str:
    to_names = getattr(control, "to_names", None)
    if isinstance(to_names, str):
        return to_names
    if to_names:
        return str(next(iter(to_names)))
    return ""


def _looks_like_result(value: Any) -> bool:
    """Without a config: a list of value objects, or a multi-choice/multi-text object."""
    if isinstance(value, dict):
        return set(value) in ({"choices"}, {"text"})
    if isinstance(value, list) and value:
        return all(isinstance(element, dict) and _guess_type(element) for element in value)
    return False


def _guess_type(value: dict) -> str:
    for key in _TYPE_KEYS:
        if key in value:
            return key
    if "text" in value and "start" not in value:
        return "textarea"
    if {"x", "y", "width", "height"} <= value.keys():
        return "rectangle"
    if {"x", "y", "radiusX", "radiusY"} <= value.keys():
        return "ellipse"
    if "points" in value:
        return "polygon"
    if {"x", "y"} <= value.keys():
        return "keypoint"
    return ""


def _result_items(record: dict, key: str, value: Any, control_type: str,
                  to_name: str) -> list[dict]:
    if isinstance(value, (str, dict)):
        elements = [value]
    elif isinstance(value, list):
        elements = value
    else:
        raise MalformedTask(f"control `{key}` must hold an array, an object or a string, "
                            f"found {json_type(value)}", key)
    items = []
    for position, element in enumerate(elements):
        path = f"{key}[{position}]" if isinstance(value, list) else key
        if isinstance(element, str):
            element = {"text": [element]} if control_type == "textarea" else {"choices": [element]}
            item_type = control_type or "choices"
        elif isinstance(element, dict):
            item_type = control_type or _guess_type(element)
        else:
            raise MalformedTask(f"a value of control `{key}` must be an object or a string, "
                                f"found {json_type(element)}", path)
        items.append(_result_item(record, key, position, element, item_type, to_name))
    return items


def _result_item(record: dict, key: str, position: int, element: dict, item_type: str,
                 to_name: str) -> dict:
    value = {name: field for name, field in element.items()
             if name not in ("type", "original_width", "original_height")}
    item: dict = {}
    if item_type not in CLASSIFICATIONS:
        item["id"] = _stable_id(record, key, position)
    item.update({"from_name": key, "to_name": to_name, "type": item_type})
    for size in ("original_width", "original_height"):
        if size in element:
            item[size] = element[size]
    item["value"] = value
    return item


def _stable_id(record: dict, key: str, position: int) -> str:
    """Ten characters like Label Studio's region ids, the same for the same record."""
    seed = f"{record.get('id')}/{record.get('annotation_id')}/{key}/{position}"
    return hashlib.sha1(seed.encode("utf-8")).hexdigest()[:10]
