"""`builtin:labeling-config` pack: µs per annotation, full check vs. `check` (fast path).

    /work/venv/bin/python bench/bench_pack.py [--annotations 2000] [--repeat 5] [--seed 7]

Seeded generated annotations: image boxes (5-20 rectanglelabels boxes, 5 labels), NER
spans and a single choice, all valid (the common path). "full" times `_check_slow`, the
complete check that `check` falls back to (the cost of `check` before the fast path);
"check" times the public method. Before timing, it also checks on mutated annotations that
`check` and `_check_slow` give identical findings. Not a test.
"""
from __future__ import annotations

import argparse
import copy
import random
import time

from lsrules.packs.builtin import LabelingConfigPack
from lsrules.ruleset.labeling_config import parse_labeling_config

LABELS = ["Car", "Person", "Bike", "Truck", "Sign"]
BOXES = ('<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image">'
         + "".join(f'<Label value="{label}"/>' for label in LABELS) + "</RectangleLabels></View>")
NER = ('<View><Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/>'
       '<Label value="LOC"/></Labels><Text name="text" value="$text"/></View>')
CHOICES = ('<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text" '
           'choice="single" required="true"><Choice value="Positive"/><Choice value="Negative"/>'
           '<Choice value="Neutral"/></Choices></View>')
WORDS = ["Alice", "works", "at", "Acme", "Corp", "in", "Paris", "and", "Bob", "visits", "Zürich"]


def box_annotation(rng: random.Random) -> dict:
    result = []
    for index in range(rng.randint(5, 20)):
        x, y = rng.uniform(0, 80), rng.uniform(0, 80)
        result.append({
            "id": f"r{index}", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
            "original_width": 640, "original_height": 480, "image_rotation": 0,
            "value": {"x": x, "y": y, "width": rng.uniform(0, 100 - x),
                      "height": rng.uniform(0, 100 - y), "rotation": 0,
                      "rectanglelabels": [rng.choice(LABELS)]}})
    return {"id": 1, "result": result, "was_cancelled": False}


def ner_case(rng: random.Random) -> tuple[dict, dict]:
    words = [rng.choice(WORDS) for _ in range(rng.randint(20, 60))]
    text = " ".join(words)
    result, offset = [], 0
    for index, word in enumerate(words):
        if rng.random() < 0.2:
            result.append({"id": f"n{index}", "from_name": "ner", "to_name": "text", "type": "labels",
                           "value": {"start": offset, "end": offset + len(word), "text": word,
                                     "labels": [rng.choice(["PER", "ORG", "LOC"])]}})
        offset += len(word) + 1
    return {"data": {"text": text}}, {"id": 2, "result": result}


def choices_annotation(rng: random.Random) -> dict:
    return {"id": 3, "result": [{"id": "c1", "from_name": "sentiment", "to_name": "text",
                                 "type": "choices",
                                 "value": {"choices": [rng.choice(["Positive", "Negative"])]}}]}


MUTATIONS = [
    lambda v: v.update(x=150), lambda v: v.update(x=-5), lambda v: v.update(width=-1),
    lambda v: v.update(x="10"), lambda v: v.update(x=None), lambda v: v.update(x=True),
    lambda v: v.update(x=float("nan")), lambda v: v.update(rotation=None),
    lambda v: v.update(rotation=45, x=90, width=30), lambda v: v.pop("height", None),
    lambda v: v.update(rectanglelabels=["Dog"]), lambda v: v.update(rectanglelabels=[]),
    lambda v: v.update(rectanglelabels=["Car", "Bike"]), lambda v: v.update(rectanglelabels=[["Car"]]),
    lambda v: v.update(labels=["Dog"]), lambda v: v.update(start=3, end=1),
    lambda v: v.update(end=10_000), lambda v: v.update(text="nope"), lambda v: v.update(start=1.0),
    lambda v: v.update(choices=["Positive", "Negative"]), lambda v: v.update(choices=["Dog"]),
    lambda v: v.update(choices=[]), lambda v: v.clear(),
]
ITEM_MUTATIONS = [
    lambda i: i.update(type="rectangle"), lambda i: i.update(to_name="nope"),
    lambda i: i.update(from_name="nope"), lambda i: i.update(score=1.5), lambda i: i.update(score=True),
    lambda i: i.update(value=None), lambda i: i.update(type="relation"),
]


def differential(cases, rng: random.Random, count: int = 3000) -> int:
    """`check` must equal `_check_slow` on valid and mutated annotations; returns how many fell back."""
    slow = 0
    for n in range(count):
        pack, task, annotation = copy.deepcopy(rng.choice(cases))
        if n % 4 and annotation["result"]:
            item = rng.choice(annotation["result"])
            if rng.random() < 0.3:
                rng.choice(ITEM_MUTATIONS)(item)
            elif isinstance(item.get("value"), dict):
                rng.choice(MUTATIONS)(item["value"])
        if n % 17 == 0:
            annotation["score"] = rng.choice([0.5, 2, "x", None])
        if n % 13 == 0:
            annotation["result"] = []
        expected = pack._check_slow(task, annotation)
        assert pack.check(task, annotation) == expected, (annotation, expected)
        slow += bool(expected)
    return slow


def per_annotation(function, cases, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for pack, task, annotation in cases:
            function(pack, task, annotation)
        best = min(best, time.perf_counter() - started)
    return best / len(cases) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--annotations", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    packs = {name: LabelingConfigPack(parse_labeling_config(xml))
             for name, xml in (("boxes", BOXES), ("ner", NER), ("choices", CHOICES))}
    image_task = {"data": {"image": "/data/upload/1/img.jpg"}}
    suites = {
        "image boxes (5-20)": [(packs["boxes"], image_task, box_annotation(rng))
                               for _ in range(args.annotations)],
        "ner spans": [(packs["ner"], *ner_case(rng)) for _ in range(args.annotations)],
        "choices": [(packs["choices"], {"data": {"text": "great"}}, choices_annotation(rng))
                    for _ in range(args.annotations)],
    }
    fell_back = differential([case for cases in suites.values() for case in cases[:50]], rng)
    print(f"differential check == full check on 3000 valid/mutated annotations: ok "
          f"({fell_back} with findings)")
    for cases in suites.values():
        for pack, task, annotation in cases:
            assert pack.check(task, annotation) == [], annotation
    print(f"{'case':<20} {'full µs':>9} {'check µs':>9} {'speed-up':>9}")
    for name, cases in suites.items():
        full = per_annotation(lambda p, t, a: p._check_slow(t, a), cases, args.repeat)
        fast = per_annotation(lambda p, t, a: p.check(t, a), cases, args.repeat)
        print(f"{name:<20} {full:9.2f} {fast:9.2f} {full / fast:8.1f}x")


if __name__ == "__main__":
    main()
