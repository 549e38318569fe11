"""A seeded, reproducible workload: Label Studio annotations for three projects.

- boxes: an Image with RectangleLabels `label` (Car Truck Bus Motorcycle Pedestrian),
  5-20 boxes per annotation;
- sentiment: text classification, Choices `sentiment` (Positive Negative Neutral) on
  `review`;
- ner: Labels `ner` (PER ORG LOC MISC) on `text`, 3-30 spans, with the task text so span
  offsets and span text can be checked against it.

Each project injects the mistakes the shared rules look for (boxes leaving the image,
double clicks, aliases, reversed/whitespace/mismatched spans, missing choices...) at a few
percent, so every rule fires on some annotations and most annotations are clean.
`make_workload(n, seed)` returns `[(task, annotation), ...]`, projects interleaved.
"""
from __future__ import annotations

import random

BOX_LABELS = ["Car", "Truck", "Bus", "Motorcycle", "Pedestrian"]
BOX_ALIASES = ["car", "auto", "truck", "lorry"]
SENTIMENTS = ["Positive", "Negative", "Neutral"]
ENTITIES = {
    "PER": ["Alice", "Bob", "Carla", "Dmitri", "Emeka", "Fatima", "Goran", "Hiro"],
    "ORG": ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay"],
    "LOC": ["Berlin", "Lagos", "Lima", "Osaka", "Quito", "Tallinn", "Perth"],
    "MISC": ["Olympics", "Euro", "Linux", "Python", "Nobel"],
}
FILLER = ("the a of and to in met visited with from said that for on at by about "
          "after before during while report meeting trip deal plan news").split()
REVIEW_WORDS = ("great terrible fine okay love hate product service delivery price "
                "quality slow fast would buy again never support broken works").split()


def _box(rng: random.Random, task_id: int, index: int) -> dict:
    x, y = rng.uniform(0, 80), rng.uniform(0, 80)
    width, height = rng.uniform(1, 20), rng.uniform(1, 20)
    label = rng.choice(BOX_LABELS)
    if label == "Pedestrian":  # people are taller than wide, but for a few mislabels
        width = min(width, height) * rng.uniform(0.3, 0.7)
        if rng.random() < 0.1:
            width, height = height, width
    labels = [label]
    roll = rng.random()
    if roll < 0.02:
        x = -rng.uniform(0.5, 5)  # leaves the image
    elif roll < 0.03:
        width = rng.uniform(0.01, 0.09)  # a stray click
    elif roll < 0.04:
        labels = [rng.choice(BOX_ALIASES)]  # an alias the fix corrects
    elif roll < 0.05:
        labels = [label, rng.choice(BOX_LABELS)]  # two labels on one box
    return {"id": f"b{task_id}-{index}", "from_name": "label", "to_name": "image",
            "type": "rectanglelabels", "original_width": 1920, "original_height": 1080,
            "image_rotation": 0,
            "value": {"x": round(x, 2), "y": round(y, 2), "width": round(width, 2),
                      "height": round(height, 2), "rotation": 0, "rectanglelabels": labels}}


def box_task(rng: random.Random, task_id: int) -> tuple[dict, dict]:
    result = [_box(rng, task_id, index) for index in range(rng.randint(5, 20))]
    extra = len(result)
    if rng.random() < 0.04:  # a double click: the same box again, shifted a hair
        copy = dict(result[0], id=f"b{task_id}-{extra}", value=dict(result[0]["value"]))
        copy["value"]["x"] = round(copy["value"]["x"] + 0.05, 2)
        result.append(copy)
        extra += 1
    if rng.random() < 0.04:  # a bus and a truck on the same object
        bus = dict(result[1], id=f"b{task_id}-{extra}", value=dict(result[1]["value"]))
        bus["value"]["rectanglelabels"] = ["Bus"]
        truck = dict(bus, id=f"b{task_id}-{extra + 1}", value=dict(bus["value"]))
        truck["value"]["rectanglelabels"] = ["Truck"]
        truck["value"]["y"] = round(truck["value"]["y"] + 0.3, 2)
        result += [bus, truck]
        extra += 2
    if rng.random() < 0.03:  # a rider inside a motorcycle box
        moto = dict(result[0], id=f"b{task_id}-{extra}", value=dict(result[0]["value"]))
        moto["value"].update(x=40, y=40, width=20, height=30, rectanglelabels=["Motorcycle"])
        rider = dict(moto, id=f"b{task_id}-{extra + 1}", value=dict(moto["value"]))
        rider["value"].update(x=45, y=42, width=8, height=20, rectanglelabels=["Pedestrian"])
        result += [moto, rider]
    if rng.random() < 0.02:  # a stray per-image choice in a box project
        result.append({"id": f"q{task_id}", "from_name": "quality", "to_name": "image",
                       "type": "choices", "value": {"choices": ["blurry"]}})
    if rng.random() < 0.04:
        result = []
    task = {"id": task_id, "data": {"image": f"/data/upload/7/frame-{task_id:06d}.jpg"},
            "meta": {}, "project": 7}
    annotation = {"id": task_id * 10, "completed_by": 1 + task_id % 40, "result": result,
                  "was_cancelled": rng.random() < 0.01, "ground_truth": False,
                  "lead_time": round(rng.uniform(0.5, 2.9) if rng.random() < 0.06
                                     else rng.uniform(3, 90), 1),
                  "task": task_id, "project": 7}
    return task, annotation


def sentiment_task(rng: random.Random, task_id: int) -> tuple[dict, dict]:
    words = [rng.choice(REVIEW_WORDS) for _ in range(rng.randint(4, 60))]
    review = " ".join(words) + rng.choice([".", "!", "!!", "?"])
    choices = [rng.choice(SENTIMENTS)]
    roll = rng.random()
    if roll < 0.04:
        choices = ["Mixed"]
    elif roll < 0.08:
        choices = rng.sample(SENTIMENTS, 2)
    item = {"id": f"s{task_id}", "from_name": "sentiment", "to_name": "review",
            "type": "choices", "value": {"choices": choices}}
    if rng.random() < 0.5:
        item["score"] = round(rng.uniform(0.2, 1.0), 3)
    result = [item] if rng.random() > 0.03 else []
    task = {"id": task_id, "data": {"review": review}, "meta": {}, "project": 8}
    annotation = {"id": task_id * 10, "completed_by": 1 + task_id % 40, "result": result,
                  "was_cancelled": False, "ground_truth": False,
                  "lead_time": round(rng.uniform(0.5, 40), 1), "task": task_id, "project": 8}
    return task, annotation


def ner_task(rng: random.Random, task_id: int) -> tuple[dict, dict]:
    spans_wanted = rng.randint(3, 30)
    dense = rng.random() < 0.05  # an annotator who labels nearly everything
    parts: list[str] = []
    spans = []
    position = 0
    for _ in range(spans_wanted):
        for _ in range(1 if dense else rng.randint(1, 4)):
            word = rng.choice(FILLER[:3] if dense else FILLER)
            parts.append(word + " ")
            position += len(word) + 1
        label = rng.choice(list(ENTITIES))
        word = rng.choice(ENTITIES[label])
        spans.append((position, position + len(word), word, label))
        parts.append(word + " ")
        position += len(word) + 1
    text = "".join(parts).rstrip() + "."
    result = []
    for index, (start, end, word, label) in enumerate(spans):
        roll = rng.random()
        value = {"start": start, "end": end, "text": word, "labels": [label]}
        if roll < 0.02:  # includes the space before it
            value.update(start=start - 1, text=" " + word)
        elif roll < 0.035:  # text from another place
            value["text"] = rng.choice(ENTITIES[label] + ["Zanzibar"])
            if value["text"] == word:
                value["text"] = word + "s"
        elif roll < 0.05:  # a different label for the same word
            value["labels"] = [rng.choice([name for name in ENTITIES if name != label])]
        elif roll < 0.06 and label == "PER":
            value["text"] = word.lower()
            text = text[:start] + word.lower() + text[end:]
        elif roll < 0.07 and index + 1 < len(spans):  # runs into the next entity
            value["end"] = spans[index + 1][0] + 2
            value["text"] = text[start:value["end"]]
        elif roll < 0.075:  # reversed
            value.update(start=end, end=start)
        elif roll < 0.08:  # past the end of the text
            value.update(start=len(text) - 2, end=len(text) + 5, text=text[-2:] + "xxxxx")
        result.append({"id": f"n{task_id}-{index}", "from_name": "ner", "to_name": "text",
                       "type": "labels", "value": value})
    if rng.random() < 0.02:
        result = []
    task = {"id": task_id, "data": {"text": text}, "meta": {}, "project": 9}
    annotation = {"id": task_id * 10, "completed_by": 1 + task_id % 40, "result": result,
                  "was_cancelled": False, "ground_truth": False,
                  "lead_time": round(rng.uniform(2, 120), 1), "task": task_id, "project": 9}
    return task, annotation


def make_workload(count: int = 900, seed: int = 20261128) -> list[tuple[dict, dict]]:
    """`count` annotations, a third of each project, interleaved; same seed, same data."""
    rng = random.Random(seed)
    makers = (box_task, sentiment_task, ner_task)
    return [makers[task_id % 3](rng, task_id) for task_id in range(1, count + 1)]
