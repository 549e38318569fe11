"""What expressions can see: the top-level names and the fields of each kind of object.

The checker uses this table to catch typos (`annotation.lead_tme`) with a did-you-mean;
`docs/language.md` documents the same names. Open objects (`task.data`, `region.value`)
accept any field, since their keys come from the project's data.
"""
from __future__ import annotations

ANY, BOOL, NUMBER, STRING, LIST, NULL = "any", "bool", "number", "string", "list", "null"
OPEN = "object"  # an object whose fields are not known in advance

# type name -> {field: type}
OBJECT_FIELDS: dict[str, dict[str, str]] = {
    "task": {
        "id": NUMBER, "data": OPEN, "meta": OPEN, "project": NUMBER, "created_at": STRING,
        "updated_at": STRING, "annotations": "annotations", "predictions": LIST,
        "is_labeled": BOOL, "inner_id": NUMBER, "total_annotations": NUMBER,
        "cancelled_annotations": NUMBER, "total_predictions": NUMBER, "file_upload": STRING,
        "storage_filename": STRING, "drafts": LIST, "overlap": NUMBER, "updated_by": ANY,
        "comment_count": NUMBER, "unresolved_comment_count": NUMBER, "annotators": LIST,
        "comment_authors": LIST, "last_comment_updated_at": STRING,
    },
    "annotation": {
        "id": NUMBER, "result": LIST, "completed_by": ANY, "lead_time": NUMBER,
        "was_cancelled": BOOL, "ground_truth": BOOL, "created_at": STRING,
        "updated_at": STRING, "draft_created_at": STRING, "import_id": ANY,
        "last_action": ANY, "bulk_created": BOOL, "task": NUMBER, "project": NUMBER,
        "updated_by": ANY, "parent_prediction": ANY, "parent_annotation": ANY,
        "last_created_by": ANY, "unique_id": STRING, "result_count": NUMBER,
        "prediction": OPEN, "created_username": STRING, "created_ago": STRING,
    },
    "region": {
        "id": STRING, "type": STRING, "from_name": STRING, "to_name": STRING, "value": OPEN,
        "label": ANY, "labels": LIST, "x": NUMBER, "y": NUMBER, "width": NUMBER,
        "height": NUMBER, "rotation": NUMBER, "start": ANY, "end": ANY, "text": ANY,
        "points": LIST, "score": NUMBER, "attrs": OPEN, "origin": STRING,
        "parent_id": STRING, "readonly": BOOL, "hidden": BOOL, "original_width": NUMBER,
        "original_height": NUMBER, "image_rotation": NUMBER, "meta": OPEN,
        "item_index": NUMBER, "startOffset": NUMBER, "endOffset": NUMBER,
        "radiusX": NUMBER, "radiusY": NUMBER, "suggestion": "suggestion", "anomaly": NUMBER,
    },
    "relation": {"from_id": STRING, "to_id": STRING, "type": STRING, "direction": STRING,
                 "labels": LIST},
    "annotator": {"id": ANY, "reliability": NUMBER, "count": NUMBER},
    "suggestion": {"label": ANY, "confidence": NUMBER, "candidate": ANY,
                   "model_version": STRING},
    "config": {},
    # one event of a stream rule (`streams:`): an evaluated annotation, kept small
    "event": {
        "annotation": "annotation", "task": "task", "verdict": STRING, "annotator": ANY,
        "labels": LIST, "label": ANY, "rules": LIST, "route": ANY, "time": NUMBER,
    },
}

# list type -> element type
LIST_ELEMENTS = {"regions": "region", "relations": "relation", "annotations": "annotation",
                 "events": "event", LIST: ANY}

ROOT_NAMES: dict[str, str] = {
    "task": "task", "annotation": "annotation", "regions": "regions",
    "relations": "relations", "others": "annotations", "annotator": "annotator",
    "suggestion": "suggestion", "config": "config",
}

# names only stream rules see (`lsrules.ruleset.stream_checker` adds them to the environment)
STREAM_ROOT_NAMES: dict[str, str] = {"events": "events", "event": "event", "key": ANY}
STREAM_FUNCTIONS = frozenset({"window", "last"})

# region fields a `set` may write (the rest are read-only views)
SETTABLE_REGION_FIELDS = frozenset({
    "x", "y", "width", "height", "rotation", "start", "end", "text", "points", "label",
    "labels", "value", "score", "from_name", "to_name", "meta", "attrs", "hidden", "readonly",
    "startOffset", "endOffset", "radiusX", "radiusY",
})
READONLY_ANNOTATION_FIELDS = frozenset({"id", "result", "task", "project", "created_at",
                                        "updated_at"})

LIST_TYPES = frozenset(LIST_ELEMENTS)


def is_list(type_name: str) -> bool:
    return type_name in LIST_TYPES


def element_type(type_name: str) -> str:
    return LIST_ELEMENTS.get(type_name, ANY)
