"""The 25 rules of ruleset.yaml written by hand in plain Python: the limit for an engine.

One function per rule (so a subset can be timed like-for-like with a peer), each reading
Label Studio JSON directly, with the same semantics as the lsrules rule, including the
null cases the workload reaches (a missing score skips `low-confidence`; an offset past
the text reads as null in `span-text`). The output is what a decision needs: findings
with messages, the fix as a JSON Patch, the route and the verdict.
"""
from __future__ import annotations

import re

from comparison.meta import PRIORITY, ROUTE, normalize_output

_CAPITAL = re.compile("^[A-Z]")
_NUMBER = (int, float)
BOX_LABELS_OK = ("Car", "Truck")
ALIASES = {"car": "Car", "auto": "Car", "truck": "Truck", "lorry": "Truck"}


def _label(item):
    labels = item["value"].get(item["type"])
    return labels[0] if labels else None


def _corners(item):
    value = item["value"]
    x, y = value.get("x"), value.get("y")
    if x is None or y is None:
        return None
    return (x, y, x + value["width"], y + value["height"])


def _area(corners):
    x0, y0, x1, y1 = corners
    return max(x1 - x0, 0) * max(y1 - y0, 0)


def _iou(a, b):
    # conditional expressions, not min()/max(): a builtin call per term doubles the cost
    width = (a[2] if a[2] < b[2] else b[2]) - (a[0] if a[0] > b[0] else b[0])
    height = (a[3] if a[3] < b[3] else b[3]) - (a[1] if a[1] > b[1] else b[1])
    inter = width * height if width > 0 and height > 0 else 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _char(text, position):
    """`text[position]` as lsrules reads it: null when not a string or out of range."""
    if text.__class__ is not str or position.__class__ is not int:
        return None
    return text[position] if -len(text) <= position < len(text) else None


def _boxes(regions):
    return [(item, _corners(item)) for item in regions if item["type"] == "rectanglelabels"]


# -- image boxes ------------------------------------------------------------------------
def image_not_empty(task, annotation, regions, out, patch):
    if "image" in task["data"] and annotation.get("was_cancelled") is not True:
        if not any(item["type"] == "rectanglelabels" for item in regions):
            out.append(("image-not-empty", "error",
                        f"annotation {annotation['id']} has no boxes", None, False))


def image_only_boxes(task, annotation, regions, out, patch):
    if "image" in task["data"]:
        if not all(item["type"] == "rectanglelabels" for item in regions):
            out.append(("image-only-boxes", "error",
                        f"annotation {annotation['id']} holds something other than boxes",
                        None, False))


def box_single_label(task, annotation, regions, out, patch):
    for item in regions:
        if item["type"] == "rectanglelabels" and len(item["value"]["rectanglelabels"]) != 1:
            out.append(("box-single-label", "error", f"box {item['id']} has "
                        f"{len(item['value']['rectanglelabels'])} labels", item["id"], False))


def box_inside_image(task, annotation, regions, out, patch):
    for item in regions:
        if item["type"] == "rectanglelabels":
            v = item["value"]
            if not (v["x"] >= 0 and v["y"] >= 0 and v["x"] + v["width"] <= 100
                    and v["y"] + v["height"] <= 100):
                out.append(("box-inside-image", "error", f"box {item['id']} leaves the image "
                            f"(x={v['x']}, y={v['y']})", item["id"], False))


def degenerate_box(task, annotation, regions, out, patch):
    for item in regions:
        if item["type"] == "rectanglelabels":
            v = item["value"]
            if not (v["width"] > 0.1 and v["height"] > 0.1 and _area(_corners(item)) >= 0.01):
                out.append(("degenerate-box", "error", f"box {item['id']} is degenerate "
                            f"({v['width']} x {v['height']})", item["id"], False))


def duplicate_box(task, annotation, regions, out, patch):
    boxes = _boxes(regions)
    for item, corners in boxes:
        for other, other_corners in boxes:
            if _iou(corners, other_corners) > 0.95 and other["id"] != item["id"]:
                out.append(("duplicate-box", "warning", f"box {item['id']} ({_label(item)}) "
                            "duplicates another box", item["id"], False))
                break


def bus_truck_confusion(task, annotation, regions, out, patch):
    trucks = None
    for item in regions:
        if _label(item) == "Bus":
            corners = _corners(item)
            if corners is None:
                continue
            if trucks is None:
                trucks = [_corners(o) for o in regions if _label(o) == "Truck"]
            if any(c is not None and _iou(corners, c) > 0.5 for c in trucks):
                out.append(("bus-truck-confusion", "warning",
                            f"bus {item['id']} overlaps a truck box", item["id"], False))


def pedestrian_shape(task, annotation, regions, out, patch):
    for item in regions:
        if _label(item) == "Pedestrian":
            v = item["value"]
            if not v["height"] >= v["width"] * 0.8:
                out.append(("pedestrian-shape", "warning", f"pedestrian {item['id']} is wider "
                            f"({v['width']}) than tall ({v['height']})", item["id"], False))


def rider_on_motorcycle(task, annotation, regions, out, patch):
    motorcycles = None
    for item in regions:
        if _label(item) == "Pedestrian":
            if motorcycles is None:
                motorcycles = [_corners(o) for o in regions if _label(o) == "Motorcycle"]
            a = _corners(item)
            for m in motorcycles:
                if m[0] <= a[0] and m[1] <= a[1] and a[2] <= m[2] and a[3] <= m[3]:
                    out.append(("rider-on-motorcycle", "info",
                                f"pedestrian {item['id']} rides a motorcycle", item["id"], False))
                    break


def crowded_scene(task, annotation, regions, out, patch):
    if "image" not in task["data"]:
        return
    boxes = _boxes(regions)
    crowded = 0
    for item, a in boxes:
        for other, b in boxes:
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3] \
                    and other["id"] != item["id"]:
                crowded += 1
                break
    if crowded > 12:
        out.append(("crowded-scene", "info", "many boxes overlap another box", None, False))


def total_coverage(task, annotation, regions, out, patch):
    if "image" in task["data"]:
        total = sum(_area(c) for _, c in _boxes(regions))
        if not total <= 2500:
            out.append(("total-coverage", "warning",
                        f"boxes cover {round(total / 100, 1)}% of the image in total", None, False))


def rushed(task, annotation, regions, out, patch):
    if "image" in task["data"] and annotation["lead_time"] < 3:
        if sum(1 for item in regions if item["type"] == "rectanglelabels") > 8:
            out.append(("rushed", "warning",
                        f"{len(regions)} boxes in {annotation['lead_time']}s", None, False))


# -- text classification ------------------------------------------------------------------
def _sentiments(regions):
    return [item for item in regions
            if item["type"] == "choices" and item["from_name"] == "sentiment"]


def sentiment_required(task, annotation, regions, out, patch):
    if "review" in task["data"] and annotation.get("was_cancelled") is not True:
        if sum(1 for item in regions if item["type"] == "choices") != 1:
            out.append(("sentiment-required", "error",
                        f"review {task['id']} needs exactly one sentiment", None, False))


def sentiment_valid(task, annotation, regions, out, patch):
    for item in _sentiments(regions):
        label = _label(item)
        if label not in ("Positive", "Negative", "Neutral"):
            out.append(("sentiment-valid", "error",
                        f"sentiment {label} is not a configured choice", item["id"], False))


def sentiment_single(task, annotation, regions, out, patch):
    for item in _sentiments(regions):
        if len(item["value"]["choices"]) != 1:
            out.append(("sentiment-single", "error",
                        f"{len(item['value']['choices'])} sentiments chosen", item["id"], False))


def low_confidence(task, annotation, regions, out, patch):
    for item in _sentiments(regions):
        score = item.get("score")
        if score is not None and score < 0.5:
            out.append(("low-confidence", "warning", f"sentiment {_label(item)} has a score "
                        f"of {score}", item["id"], False))


def speed_read(task, annotation, regions, out, patch):
    review = task["data"].get("review")
    if review is not None and annotation["lead_time"] * 40 < len(review):
        out.append(("speed-read", "warning", f"{len(review)} characters read in "
                    f"{annotation['lead_time']}s", None, False))


# -- named entities -------------------------------------------------------------------------
def _spans(regions):
    return [item for item in regions if item["type"] == "labels"]


def span_bounds(task, annotation, regions, out, patch):
    length = len(task["data"]["text"]) if "text" in task["data"] else None
    for item in _spans(regions):
        v = item["value"]
        if length is None or not (0 <= v["start"] < v["end"] <= length):
            out.append(("span-bounds", "error", f"span {item['id']} ({v['start']}..{v['end']}) "
                        "is reversed or outside the text", item["id"], False))


def span_text(task, annotation, regions, out, patch):
    text = task["data"].get("text")
    for item in _spans(regions):
        v = item["value"]
        span = v["text"]
        if not (len(span) == v["end"] - v["start"]
                and _char(text, v["start"]) == _char(span, 0)
                and _char(text, v["end"] - 1) == _char(span, -1)):
            out.append(("span-text", "error", f"span {item['id']} '{span}' does not match the "
                        "text at its offsets", item["id"], False))


def span_whitespace(task, annotation, regions, out, patch):
    for item in _spans(regions):
        span = item["value"]["text"]
        if span.strip() != span:
            out.append(("span-whitespace", "warning",
                        f"span {item['id']} '{span}' has surrounding white space", item["id"], False))


def overlapping_spans(task, annotation, regions, out, patch):
    spans = [(item, item["value"]["start"], item["value"]["end"]) for item in _spans(regions)]
    for item, start, end in spans:
        for other, other_start, other_end in spans:
            if start < other_end and other_start < end and other["id"] != item["id"]:
                out.append(("overlapping-spans", "warning", f"span {item['id']} "
                            f"'{item['value']['text']}' overlaps another span", item["id"], False))
                break


def inconsistent_label(task, annotation, regions, out, patch):
    spans = [(item, item["value"]["text"].lower(), _label(item)) for item in _spans(regions)]
    for item, text, label in spans:
        for _other, other_text, other_label in spans:
            if other_text == text and other_label != label:
                out.append(("inconsistent-label", "warning", f"'{item['value']['text']}' is "
                            f"{label} here but labeled differently elsewhere", item["id"], False))
                break


def per_capitalized(task, annotation, regions, out, patch):
    for item in regions:
        if _label(item) == "PER" and not _CAPITAL.search(item["value"]["text"]):
            out.append(("per-capitalized", "warning",
                        f"PER span '{item['value']['text']}' is not capitalized", item["id"], False))


def entity_density(task, annotation, regions, out, patch):
    text = task["data"].get("text")
    if text is not None:
        covered = sum(item["value"]["end"] - item["value"]["start"] for item in _spans(regions))
        if not covered <= len(text) * 0.5:
            out.append(("entity-density", "info", "entities cover too much of the text",
                        None, False))


# -- the fix ------------------------------------------------------------------------------
def box_label_alias(task, annotation, regions, out, patch):
    for position, item in enumerate(annotation["result"]):
        if item["type"] != "rectanglelabels":
            continue
        label = _label(item)
        if label in BOX_LABELS_OK or label is None:
            continue
        fixed = ALIASES.get(label.lower())
        if fixed is not None:
            out.append(("box-label-alias", "info",
                        f"label {label} of box {item['id']} is an alias", item["id"], True))
            patch.append({"op": "replace", "path": f"/result/{position}/value/rectanglelabels/0",
                          "value": fixed})


RULES = {
    "image-not-empty": image_not_empty, "image-only-boxes": image_only_boxes,
    "box-single-label": box_single_label, "box-inside-image": box_inside_image,
    "degenerate-box": degenerate_box, "duplicate-box": duplicate_box,
    "bus-truck-confusion": bus_truck_confusion, "pedestrian-shape": pedestrian_shape,
    "rider-on-motorcycle": rider_on_motorcycle, "crowded-scene": crowded_scene,
    "total-coverage": total_coverage, "rushed": rushed,
    "sentiment-required": sentiment_required, "sentiment-valid": sentiment_valid,
    "sentiment-single": sentiment_single, "low-confidence": low_confidence,
    "speed-read": speed_read, "span-bounds": span_bounds, "span-text": span_text,
    "span-whitespace": span_whitespace, "overlapping-spans": overlapping_spans,
    "inconsistent-label": inconsistent_label, "per-capitalized": per_capitalized,
    "entity-density": entity_density, "box-label-alias": box_label_alias,
}


class HandWritten:
    """`evaluate(task, annotation) -> dict` with findings, patch, route, verdict."""

    name = "hand-written Python"

    def __init__(self, rule_ids=None):
        self.functions = [RULES[rule_id] for rule_id in (rule_ids or RULES)]

    def evaluate(self, task: dict, annotation: dict) -> dict:
        result = annotation.get("result") or []
        regions = [item for item in result if item.get("type") != "relation"]
        findings: list = []
        patch: list = []
        for function in self.functions:
            function(task, annotation, regions, findings, patch)
        best = None
        verdict = "accept"
        for rule, severity, _message, _region, fixed in findings:
            if severity == "error" and not fixed:
                verdict = "reject"
            route = ROUTE[rule]
            if route is not None and (best is None or PRIORITY[route] > PRIORITY[best]):
                best = route
        if verdict != "reject":
            verdict = "review" if best is not None else ("fixed" if patch else "accept")
        return {"findings": findings, "patch": patch, "route": best, "verdict": verdict}

    normalize = staticmethod(normalize_output)
