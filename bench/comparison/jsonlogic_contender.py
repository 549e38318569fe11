"""JSON Logic (panzi-json-logic): the 25 rules as JSON Logic data.

JSON Logic has no notion of "for each region, report the region", so the harness does what
a user would: evaluate a rule's `where`/`when`/`assert` logic once per region with
`{"region", "regions", "task", "annotation"}` as data (once per annotation for
annotation-level rules). Pairs of regions come from the `combinations` extra operation;
counts and sums are `reduce`; `x.length` and dynamic `var` paths give string lengths and
characters. Four custom operations are registered (`iou`, `lower`, `trim`, `matches`):
JSON Logic has no string case, trimming or regex, and IoU would be ~40 nested nodes.
Null semantics differ from lsrules (`<` with null is numeric, `all` of [] is false), so
the rules guard for null and use `none` where lsrules says `all`.
"""
from __future__ import annotations

import re

from json_logic import jsonLogic
from json_logic.builtins import to_bool
from json_logic.extras import EXTRAS

from comparison.meta import ROUTE, SEVERITY, decide, contexts, normalize_output

_REGEX_CACHE: dict = {}


def _box(region):
    value = region.get("value") if isinstance(region, dict) else None
    if not isinstance(value, dict) or value.get("x") is None:
        return None
    return (value["x"], value["y"], value["x"] + value["width"], value["y"] + value["height"])


def op_iou(data, first=None, second=None, *_):
    a, b = _box(first), _box(second)
    if a is None or b is None:
        return None
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    inter = width * height if width > 0 and height > 0 else 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def op_matches(data, value=None, pattern=None, *_):
    if not isinstance(value, str):
        return None
    compiled = _REGEX_CACHE.get(pattern)
    if compiled is None:
        compiled = _REGEX_CACHE[pattern] = re.compile(pattern)
    return compiled.search(value) is not None


OPERATIONS = {
    **EXTRAS,
    "iou": op_iou,
    "lower": lambda data, value=None, *_: value.lower() if isinstance(value, str) else None,
    "trim": lambda data, value=None, *_: value.strip() if isinstance(value, str) else None,
    "matches": op_matches,
}
CUSTOM = {"iou", "lower", "trim", "matches"}


def V(path):  # noqa: N802 - reads like JSON Logic
    return {"var": path}


def AND(*parts):  # noqa: N802
    return {"and": list(parts)}


def NOT(part):  # noqa: N802
    return {"!": [part]}


def count(items, condition):
    return {"reduce": [{"filter": [items, condition]},
                       {"+": [V("accumulator"), 1]}, 0]}


def of_type(kind, items=None):
    return {"filter": [items or V("regions"), {"===": [V("type"), kind]}]}


def pairs_with_region(items):
    return {"combinations": [{"merge": [V("region")]}, items]}


HAS_IMAGE = NOT({"missing": ["task.data.image"]})
HAS_REVIEW = NOT({"missing": ["task.data.review"]})
HAS_TEXT = NOT({"missing": ["task.data.text"]})
NOT_CANCELLED = {"!==": [V("annotation.was_cancelled"), True]}
IS_BOX = {"===": [V("region.type"), "rectanglelabels"]}
IS_SENTIMENT = AND({"===": [V("region.type"), "choices"]},
                   {"===": [V("region.from_name"), "sentiment"]})
IS_SPAN = {"===": [V("region.type"), "labels"]}
BOX_LABEL = V("region.value.rectanglelabels.0")
SPAN_LABEL = V("region.value.labels.0")
X, Y, W, H = (V(f"region.value.{name}") for name in ("x", "y", "width", "height"))
START, END, TEXT = V("region.value.start"), V("region.value.end"), V("region.value.text")


def char_at(string_path, index):
    """`string[index]` through a dynamic var path (null out of range)."""
    return V({"cat": [string_path + ".", index]})


def overlaps_boxes(a, b):
    return AND({"<": [V(f"{a}.value.x"), {"+": [V(f"{b}.value.x"), V(f"{b}.value.width")]}]},
               {"<": [V(f"{b}.value.x"), {"+": [V(f"{a}.value.x"), V(f"{a}.value.width")]}]},
               {"<": [V(f"{a}.value.y"), {"+": [V(f"{b}.value.y"), V(f"{b}.value.height")]}]},
               {"<": [V(f"{b}.value.y"), {"+": [V(f"{a}.value.y"), V(f"{a}.value.height")]}]})


# rule id -> (scope, where, when, assert); None where lsrules has nothing
RULES = {
    "image-not-empty": ("annotation", None, AND(HAS_IMAGE, NOT_CANCELLED),
                        {">": [count(V("regions"), {"===": [V("type"), "rectanglelabels"]}), 0]}),
    # JSON Logic's `all` is false on an empty list; lsrules' is true: say `none` of the others
    "image-only-boxes": ("annotation", None, HAS_IMAGE,
                         {"none": [V("regions"), {"!==": [V("type"), "rectanglelabels"]}]}),
    "box-single-label": ("region", IS_BOX, None,
                         {"===": [V("region.value.rectanglelabels.length"), 1]}),
    "box-inside-image": ("region", IS_BOX, None,
                         AND({">=": [X, 0]}, {">=": [Y, 0]}, {"<=": [{"+": [X, W]}, 100]},
                             {"<=": [{"+": [Y, H]}, 100]})),
    "degenerate-box": ("region", IS_BOX, None,
                       AND({">": [W, 0.1]}, {">": [H, 0.1]}, {">=": [{"*": [W, H]}, 0.01]})),
    "duplicate-box": ("region", IS_BOX, None,
                      {"none": [pairs_with_region(of_type("rectanglelabels")),
                                AND({">": [{"iou": [V("0"), V("1")]}, 0.95]},
                                    {"!==": [V("0.id"), V("1.id")]})]}),
    "bus-truck-confusion": ("region", {"===": [BOX_LABEL, "Bus"]}, None,
                            {"none": [pairs_with_region(V("regions")),
                                      AND({"===": [V("1.value.rectanglelabels.0"), "Truck"]},
                                          {">": [{"iou": [V("0"), V("1")]}, 0.5]})]}),
    "pedestrian-shape": ("region", {"===": [BOX_LABEL, "Pedestrian"]}, None,
                         {">=": [H, {"*": [W, 0.8]}]}),
    "rider-on-motorcycle": (
        "region", {"===": [BOX_LABEL, "Pedestrian"]}, None,
        {"none": [pairs_with_region(V("regions")),
                  AND({"===": [V("1.value.rectanglelabels.0"), "Motorcycle"]},
                      {"<=": [V("1.value.x"), V("0.value.x")]},
                      {"<=": [V("1.value.y"), V("0.value.y")]},
                      {"<=": [{"+": [V("0.value.x"), V("0.value.width")]},
                              {"+": [V("1.value.x"), V("1.value.width")]}]},
                      {"<=": [{"+": [V("0.value.y"), V("0.value.height")]},
                              {"+": [V("1.value.y"), V("1.value.height")]}]})]}),
    # count(any(overlaps(r, o) ... for o in regions) for r in boxes): [box, regions] items
    "crowded-scene": (
        "annotation", None, HAS_IMAGE,
        {"<=": [count({"combinations": [of_type("rectanglelabels"), [V("regions")]]},
                      {"some": [{"combinations": [{"merge": [V("0")]}, V("1")]},
                                AND(overlaps_boxes("0", "1"),
                                    {"!==": [V("0.id"), V("1.id")]})]}), 12]}),
    "total-coverage": ("annotation", None, HAS_IMAGE,
                       {"<=": [{"reduce": [of_type("rectanglelabels"),
                                           {"+": [V("accumulator"),
                                                  {"*": [V("current.value.width"),
                                                         V("current.value.height")]}]}, 0]},
                               2500]}),
    "rushed": ("annotation", None,
               AND(HAS_IMAGE, {"<": [V("annotation.lead_time"), 3]},
                   {">": [count(V("regions"), {"===": [V("type"), "rectanglelabels"]}), 8]}),
               None),
    "sentiment-required": ("annotation", None, AND(HAS_REVIEW, NOT_CANCELLED),
                           {"===": [count(V("regions"), {"===": [V("type"), "choices"]}), 1]}),
    "sentiment-valid": ("region", IS_SENTIMENT, None,
                        {"in": [V("region.value.choices.0"), ["Positive", "Negative", "Neutral"]]}),
    "sentiment-single": ("region", IS_SENTIMENT, None,
                         {"===": [V("region.value.choices.length"), 1]}),
    "low-confidence": ("region", IS_SENTIMENT,
                       AND({"!==": [V("region.score"), None]}, {"<": [V("region.score"), 0.5]}),
                       None),
    "speed-read": ("annotation", None,
                   AND(HAS_REVIEW, {"<": [{"*": [V("annotation.lead_time"), 40]},
                                          V("task.data.review.length")]}), None),
    "span-bounds": ("region", IS_SPAN, None,
                    AND({"<=": [0, START]}, {"<": [START, END]},
                        {"<=": [END, V("task.data.text.length")]})),
    "span-text": ("region", IS_SPAN, None,
                  AND({"===": [V("region.value.text.length"), {"-": [END, START]}]},
                      {"===": [char_at("task.data.text", START), char_at("region.value.text", 0)]},
                      {"===": [char_at("task.data.text", {"-": [END, 1]}),
                               char_at("region.value.text",
                                       {"-": [V("region.value.text.length"), 1]})]})),
    "span-whitespace": ("region", IS_SPAN, None, {"===": [{"trim": [TEXT]}, TEXT]}),
    "overlapping-spans": ("region", IS_SPAN, None,
                          {"none": [pairs_with_region(of_type("labels")),
                                    AND({"<": [V("0.value.start"), V("1.value.end")]},
                                        {"<": [V("1.value.start"), V("0.value.end")]},
                                        {"!==": [V("0.id"), V("1.id")]})]}),
    "inconsistent-label": ("region", IS_SPAN, None,
                           {"none": [pairs_with_region(of_type("labels")),
                                     AND({"===": [{"lower": [V("1.value.text")]},
                                                  {"lower": [V("0.value.text")]}]},
                                         {"!==": [V("1.value.labels.0"), V("0.value.labels.0")]})]}),
    "per-capitalized": ("region", {"===": [SPAN_LABEL, "PER"]}, None,
                        {"matches": [TEXT, "^[A-Z]"]}),
    "entity-density": ("annotation", None, HAS_TEXT,
                       {"<=": [{"reduce": [of_type("labels"),
                                           {"+": [V("accumulator"),
                                                  {"-": [V("current.value.end"),
                                                         V("current.value.start")]}]}, 0]},
                               {"*": [V("task.data.text.length"), 0.5]}]}),
    "box-label-alias": ("region", IS_BOX,
                        AND(NOT({"in": [BOX_LABEL, ["Car", "Truck"]]}),
                            {"in": [{"lower": [BOX_LABEL]}, ["car", "auto", "truck", "lorry"]]}),
                        None),
}
# the fix: the new label, as JSON Logic
FIX_VALUE = {"if": [{"in": [{"lower": [BOX_LABEL]}, ["car", "auto"]]}, "Car", "Truck"]}


def _uses(logic, names) -> bool:
    if isinstance(logic, dict):
        return any(key in names or _uses(value, names) for key, value in logic.items())
    if isinstance(logic, list):
        return any(_uses(item, names) for item in logic)
    return False


def support() -> dict:
    """rule id -> how JSON Logic expresses it."""
    found = {}
    for rule_id, parts in RULES.items():
        used = sorted(name for name in CUSTOM if _uses(parts[1:], {name}))
        found[rule_id] = "custom op: " + ", ".join(used) if used else "native"
    return found


class JsonLogic:
    name = "JSON Logic (panzi-json-logic)"

    def __init__(self, rule_ids=None):
        self.rules = [(rule_id, *RULES[rule_id]) for rule_id in (rule_ids or RULES)]

    def evaluate(self, task: dict, annotation: dict) -> dict:
        result = annotation.get("result") or []
        whole, per_region = contexts(task, annotation)
        findings: list = []
        patch: list = []
        for rule_id, scope, where, when, check in self.rules:
            for data in (per_region if scope == "region" else (whole,)):
                if not self._fires(where, when, check, data):
                    continue
                region = data.get("region")
                region_id = region["id"] if region is not None else None
                fixed = False
                if rule_id == "box-label-alias":
                    fixed = self._fix(region, data, result, patch, where, when, check)
                findings.append((rule_id, SEVERITY[rule_id], f"{rule_id} {region_id}",
                                 region_id, fixed))
        route, verdict = decide(findings, patch)
        return {"findings": findings, "patch": patch, "route": route, "verdict": verdict}

    @staticmethod
    def _fires(where, when, check, data) -> bool:
        if where is not None and not to_bool(jsonLogic(where, data, OPERATIONS)):
            return False
        if when is not None and not to_bool(jsonLogic(when, data, OPERATIONS)):
            return False
        return check is None or not to_bool(jsonLogic(check, data, OPERATIONS))

    def _fix(self, region, data, result, patch, where, when, check) -> bool:
        value = jsonLogic(FIX_VALUE, data, OPERATIONS)
        position = next(i for i, item in enumerate(result) if item is region)
        patch.append({"op": "replace", "path": f"/result/{position}/value/rectanglelabels/0",
                      "value": value})
        fixed_region = dict(region, value=dict(region["value"], rectanglelabels=[value]))
        return not self._fires(where, when, check, dict(data, region=fixed_region))

    normalize = staticmethod(normalize_output)


assert set(ROUTE) == set(RULES)
