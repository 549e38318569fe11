"""Seeded workloads of small annotations for bench/compare_single_pass.py: 3-6 result
items each, a fix that fires on about 30% of annotations, no pack.

- boxes: RectangleLabels `label` on `image`; per box ~4% leave the image on the left (the
  crop fixes it; some of those also leave it on the right, or become a sliver), ~4% carry
  an alias (car, lorry, bike...), ~1% an unknown label, ~1% degenerate;
- spans: Labels `ner` on `text`; per span ~8% end in white space (trimmed; now and then
  white space only, which the trim empties), ~1% unknown label, ~1% wrong offsets;
- choices: 3-6 Choices controls (sentiment, topic, quality, ...); per choice ~8% in lower
  case (capitalised; "mixed" stays invalid), ~2% two choices, ~5% a low score.

`make_workload(shape, n, seed)` returns `[(task, annotation), ...]`.
"""
from __future__ import annotations

import random

BOX_LABELS = ["Car", "Truck", "Bus", "Pedestrian"]
BOX_ALIASES = ["car", "auto", "truck", "lorry", "bike"]
ENTITIES = {"PER": ["Alice", "Bob", "Carla", "Li"], "ORG": ["Acme", "Globex", "IBM"],
            "LOC": ["Berlin", "Lagos", "Lima"], "MISC": ["Euro", "Linux", "Nobel"]}
FILLER = "the a of and to in met visited with from said that for on at by".split()
CHOICES = {"sentiment": ["Positive", "Negative", "Neutral"],
           "topic": ["Sports", "Politics", "Tech"],
           "quality": ["Good", "Bad"], "tone": ["Positive", "Negative"],
           "clarity": ["Good", "Bad"], "genre": ["Sports", "Tech"]}


def _box(rng: random.Random, task_id: int, index: int) -> dict:
    x, y = round(rng.uniform(0, 70), 2), round(rng.uniform(0, 70), 2)
    width, height = round(rng.uniform(1, 25), 2), round(rng.uniform(1, 25), 2)
    label = rng.choice(BOX_LABELS)
    if label == "Pedestrian" and rng.random() < 0.9:
        width = round(height * rng.uniform(0.3, 0.7), 2)
    roll = rng.random()
    if roll < 0.04:
        x = round(-rng.uniform(0.5, 3), 2)  # leaves the image on the left: cropped
        if rng.random() < 0.2:
            width = round(-x + rng.uniform(0.01, 0.09), 2)  # the crop leaves a sliver
        elif rng.random() < 0.2:
            width = round(110 - x, 2)  # right edge too: the crop does not repair it
    elif roll < 0.08:
        label = rng.choice(BOX_ALIASES)
    elif roll < 0.09:
        label = "Tram"
    elif roll < 0.10:
        height = 0.05
    return {"id": f"b{task_id}-{index}", "from_name": "label", "to_name": "image",
            "type": "rectanglelabels", "original_width": 1920, "original_height": 1080,
            "image_rotation": 0,
            "value": {"x": x, "y": y, "width": width, "height": height, "rotation": 0,
                      "rectanglelabels": [label]}}


def _boxes(rng: random.Random, task_id: int) -> tuple[dict, dict]:
    result = [_box(rng, task_id, index) for index in range(rng.randint(3, 6))]
    if rng.random() < 0.02:
        result = []
    task = {"id": task_id, "data": {"image": f"s3://bench/{task_id}.jpg"}}
    return task, _annotation(rng, task_id, result)


def _spans(rng: random.Random, task_id: int) -> tuple[dict, dict]:
    words: list[str] = []
    spans = []
    for index in range(rng.randint(3, 6)):
        words.extend(rng.choice(FILLER) for _ in range(rng.randint(1, 4)))
        label = rng.choice(list(ENTITIES))
        entity = rng.choice(ENTITIES[label])
        start = len(" ".join(words)) + (1 if words else 0)
        words.append(entity)
        spans.append((index, label, entity, start))
    words.extend(rng.choice(FILLER) for _ in range(3))
    text = " ".join(words)
    result = []
    for index, label, entity, start in spans:
        end = start + len(entity)
        span = entity
        roll = rng.random()
        if roll < 0.08:
            if rng.random() < 0.15:
                span, end = " ", start + 1  # white space only: the trim empties it
            else:
                span, end = entity + " ", end + 1
        elif roll < 0.09:
            label = "PERSON"
        elif roll < 0.10:
            end += 2
        result.append({"id": f"s{task_id}-{index}", "from_name": "ner", "to_name": "text",
                       "type": "labels",
                       "value": {"start": start, "end": end, "text": span, "labels": [label]}})
    task = {"id": task_id, "data": {"text": text}}
    return task, _annotation(rng, task_id, result)


def _choices(rng: random.Random, task_id: int) -> tuple[dict, dict]:
    names = ["sentiment"] + rng.sample(list(CHOICES)[1:], rng.randint(2, 5))
    if rng.random() < 0.02:
        names = names[1:]
    result = []
    for index, name in enumerate(names):
        chosen = [rng.choice(CHOICES[name])]
        roll = rng.random()
        if roll < 0.08:
            chosen = ["mixed" if rng.random() < 0.1 else chosen[0].lower()]
        elif roll < 0.10:
            chosen.append(rng.choice(CHOICES[name]))
        item = {"id": f"c{task_id}-{index}", "from_name": name, "to_name": "review",
                "type": "choices", "value": {"choices": chosen}}
        if rng.random() < 0.8:
            item["score"] = round(rng.uniform(0.3, 1.0) if rng.random() < 0.07
                                  else rng.uniform(0.5, 1.0), 3)
        result.append(item)
    task = {"id": task_id, "data": {"review": "a short review " * 4}}
    return task, _annotation(rng, task_id, result)


def _annotation(rng: random.Random, task_id: int, result: list) -> dict:
    return {"id": 100000 + task_id, "completed_by": rng.randint(1, 20), "result": result,
            "was_cancelled": False, "ground_truth": False,
            "created_at": "2026-12-01T10:00:00.000000Z", "lead_time": round(rng.uniform(2, 60), 1)}


SHAPES = {"boxes": _boxes, "spans": _spans, "choices": _choices}


def make_workload(shape: str, n: int, seed: int = 15) -> list[tuple[dict, dict]]:
    rng = random.Random(f"{shape}-{seed}")
    make = SHAPES[shape]
    items = []
    for task_id in range(1, n + 1):
        task, annotation = make(rng, task_id)
        task["annotations"] = [annotation]
        items.append((task, annotation))
    return items
