"""Small hand-written exports in the shapes Label Studio 1.23 writes (see LABEL_STUDIO.md)."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace


def box_annotation(annotation_id: int, label: str = "Car", x: float = 10.0) -> dict:
    return {
        "id": annotation_id,
        "completed_by": 1,
        "result": [{
            "id": f"r{annotation_id}", "from_name": "label", "to_name": "image",
            "type": "rectanglelabels", "original_width": 640, "original_height": 480,
            "image_rotation": 0,
            "value": {"x": x, "y": 20.0, "width": 30.0, "height": 40.0, "rotation": 0,
                      "rectanglelabels": [label]},
        }],
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": "2026-11-28T03:31:47.340574Z",
        "lead_time": 3.2,
    }


def task(task_id: int, annotations: list[dict], image: str = "/data/1.jpg") -> dict:
    return {
        "id": task_id,
        "annotations": annotations,
        "drafts": [],
        "predictions": [],
        "data": {"image": image},
        "meta": {"source": "tests"},
        "created_at": "2026-11-28T03:31:46.538317Z",
        "inner_id": task_id,
    }


# three tasks: two annotations, none, one; ids chosen so that order errors show
LABEL_STUDIO_TASKS = [
    task(4, [box_annotation(2), box_annotation(3, "Truck")]),
    task(5, [], "/data/2.jpg"),
    task(6, [box_annotation(7, x=50.5)], "/data/3.jpg"),
]

# JSON_MIN as Label Studio writes it: one record per annotation, `type` removed
JSON_MIN_RECORDS = [
    {"text": "Alice works at Acme Corp.", "id": 6,
     "ner": [{"start": 0, "end": 5, "text": "Alice", "labels": ["PER"]},
             {"start": 15, "end": 24, "text": "Acme Corp", "labels": ["ORG"]}],
     "sentiment": "Positive",
     "annotator": 1, "annotation_id": 10, "created_at": "2026-11-28T03:33:31Z",
     "updated_at": "2026-11-28T03:33:31Z", "lead_time": 4.5},
    {"text": "Alice works at Acme Corp.", "id": 6,
     "ner": [{"start": 0, "end": 5, "text": "Alice", "labels": ["ORG"]}],
     "annotator": 2, "annotation_id": 11, "created_at": "2026-11-28T03:33:30Z",
     "updated_at": "2026-11-28T03:33:30Z", "lead_time": None},
    {"text": "Nobody labelled this.", "id": 7, "annotator": None, "annotation_id": None,
     "created_at": None, "updated_at": None, "lead_time": None},
    {"text": "Bob visited Berlin.", "id": 8,
     "ner": [{"start": 0, "end": 3, "text": "Bob", "labels": ["PER"]}],
     "annotator": 1, "annotation_id": 12, "created_at": "2026-11-28T03:33:29Z",
     "updated_at": "2026-11-28T03:33:29Z", "lead_time": 1.0},
]

NER_CONFIG = SimpleNamespace(controls={
    "ner": SimpleNamespace(type="Labels", to_names=["text"]),
    "sentiment": SimpleNamespace(type="Choices", to_names=["text"]),
})


def write_json(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, indent=1), encoding="utf-8")
    return path


def write_jsonl(path: Path, values: list) -> Path:
    path.write_text("".join(json.dumps(value) + "\n" for value in values), encoding="utf-8")
    return path
