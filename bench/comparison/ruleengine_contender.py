"""rule-engine 5.x: the 25 rules as rule-engine expressions.

Like JSON Logic, rule-engine evaluates one expression against one object, so the harness
evaluates a rule's `where`/`when`/`assert` once per region with `region`, `regions`,
`task`, `annotation` as symbols. Comprehensions (`[... for o in regions if ...]`), the
`$any`/`$all`/`$sum` built-ins, `.length`, `.as_lower`, regex `=~`/`=~~` and string
indexing cover everything but IoU, registered as the built-in `$iou`. rule-engine has no
chained comparison, raises on an index out of range (guarded with `? :`), and computes
with `Decimal`.
"""
from __future__ import annotations

import rule_engine
from rule_engine import builtins as re_builtins
from rule_engine import types as re_types

from comparison.meta import SEVERITY, decide, contexts, normalize_output


def _box(region):
    value = region.get("value")
    if value is None or value.get("x") is None:
        return None
    x, y = float(value["x"]), float(value["y"])
    return (x, y, x + float(value["width"]), y + float(value["height"]))


def builtin_iou(first, second):
    a, b = _box(first), _box(second)
    if a is None or b is None:
        return None
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    inter = width * height if width > 0 and height > 0 else 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def make_context() -> rule_engine.Context:
    context = rule_engine.Context(default_value=None)
    context.builtins = re_builtins.Builtins.from_defaults(
        values={"iou": builtin_iou},
        value_types={"iou": re_types.DataType.FUNCTION(
            "iou", return_type=re_types.DataType.FLOAT,
            argument_types=(re_types.DataType.MAPPING, re_types.DataType.MAPPING))},
        timezone=context.default_timezone)
    return context


HAS_IMAGE = "'image' in task['data']"
HAS_REVIEW = "'review' in task['data']"
HAS_TEXT = "'text' in task['data']"
NOT_CANCELLED = "annotation['was_cancelled'] != true"
IS_BOX = "region['type'] == 'rectanglelabels'"
IS_SENTIMENT = "region['type'] == 'choices' and region['from_name'] == 'sentiment'"
IS_SPAN = "region['type'] == 'labels'"
V = "region['value']"
BOX_LABEL = f"{V}['rectanglelabels'][0]"
# comprehension variables leak into the enclosing comprehension in rule-engine: a nested
# list must not reuse the outer variable's name, so these use their own
BOXES = "[bx for bx in regions if bx['type'] == 'rectanglelabels']"
SPANS = "[sp for sp in regions if sp['type'] == 'labels']"
TEXT = "task['data']['text']"


def _at(string: str, index: str) -> str:
    """`string[index]`, null out of range (rule-engine raises instead)."""
    return f"(({index}) >= 0 and ({index}) < {string}.length ? {string}[{index}] : null)"


def _label(name: str, key: str) -> str:
    return f"('{key}' in {name}['value'] ? {name}['value']['{key}'][0] : null)"


# rule id -> (scope, where, when, assert)
RULES = {
    "image-not-empty": ("annotation", None, f"{HAS_IMAGE} and {NOT_CANCELLED}",
                        f"{BOXES}.length > 0"),
    "image-only-boxes": ("annotation", None, HAS_IMAGE,
                         "$all([r['type'] == 'rectanglelabels' for r in regions])"),
    "box-single-label": ("region", IS_BOX, None, f"{V}['rectanglelabels'].length == 1"),
    "box-inside-image": ("region", IS_BOX, None,
                         f"{V}['x'] >= 0 and {V}['y'] >= 0 and {V}['x'] + {V}['width'] <= 100 "
                         f"and {V}['y'] + {V}['height'] <= 100"),
    "degenerate-box": ("region", IS_BOX, None,
                       f"{V}['width'] > 0.1 and {V}['height'] > 0.1 "
                       f"and {V}['width'] * {V}['height'] >= 0.01"),
    "duplicate-box": ("region", IS_BOX, None,
                      "not $any([$iou(region, o) > 0.95 and o['id'] != region['id'] "
                      f"for o in {BOXES}])"),
    "bus-truck-confusion": ("region", f"{IS_BOX} and {BOX_LABEL} == 'Bus'", None,
                            f"not $any([{_label('o', 'rectanglelabels')} == 'Truck' "
                            "and $iou(region, o) > 0.5 for o in regions])"),
    "pedestrian-shape": ("region", f"{IS_BOX} and {BOX_LABEL} == 'Pedestrian'", None,
                         f"{V}['height'] >= {V}['width'] * 0.8"),
    "rider-on-motorcycle": (
        "region", f"{IS_BOX} and {BOX_LABEL} == 'Pedestrian'", None,
        "not $any([m['value']['x'] <= region['value']['x'] and m['value']['y'] <= "
        "region['value']['y'] and region['value']['x'] + region['value']['width'] <= "
        "m['value']['x'] + m['value']['width'] and region['value']['y'] + "
        "region['value']['height'] <= m['value']['y'] + m['value']['height'] "
        f"for m in {BOXES} if m['value']['rectanglelabels'][0] == 'Motorcycle'])"),
    "crowded-scene": (
        "annotation", None, HAS_IMAGE,
        "[r for r in regions if r['type'] == 'rectanglelabels' and $any(["
        "r['value']['x'] < o['value']['x'] + o['value']['width'] "
        "and o['value']['x'] < r['value']['x'] + r['value']['width'] "
        "and r['value']['y'] < o['value']['y'] + o['value']['height'] "
        "and o['value']['y'] < r['value']['y'] + r['value']['height'] "
        "and o['id'] != r['id'] for o in regions if o['type'] == 'rectanglelabels'])]"
        ".length <= 12"),
    "total-coverage": ("annotation", None, HAS_IMAGE,
                       f"$sum([r['value']['width'] * r['value']['height'] for r in {BOXES}]) "
                       "<= 2500"),
    "rushed": ("annotation", None,
               f"{HAS_IMAGE} and annotation['lead_time'] < 3 and {BOXES}.length > 8", None),
    "sentiment-required": ("annotation", None, f"{HAS_REVIEW} and {NOT_CANCELLED}",
                           "[r for r in regions if r['type'] == 'choices'].length == 1"),
    "sentiment-valid": ("region", IS_SENTIMENT, None,
                        f"{_label('region', 'choices')} in ['Positive', 'Negative', 'Neutral']"),
    "sentiment-single": ("region", IS_SENTIMENT, None, f"{V}['choices'].length == 1"),
    "low-confidence": ("region", IS_SENTIMENT,
                       "'score' in region and region['score'] != null and region['score'] < 0.5",
                       None),
    "speed-read": ("annotation", None,
                   f"{HAS_REVIEW} and annotation['lead_time'] * 40 < task['data']['review'].length",
                   None),
    "span-bounds": ("region", IS_SPAN, None,
                    f"0 <= {V}['start'] and {V}['start'] < {V}['end'] "
                    f"and {V}['end'] <= {TEXT}.length"),
    "span-text": ("region", IS_SPAN, None,
                  f"{V}['text'].length == {V}['end'] - {V}['start'] "
                  f"and {_at(TEXT, V + chr(91) + repr('start') + chr(93))} == "
                  f"{_at(V + '[' + repr('text') + ']', '0')} "
                  f"and {_at(TEXT, V + '[' + repr('end') + '] - 1')} == "
                  f"{_at(V + '[' + repr('text') + ']', V + '[' + repr('text') + '].length - 1')}"),
    "span-whitespace": ("region", IS_SPAN, None, f"not {V}['text'] =~~ '^\\\\s|\\\\s$'"),
    "overlapping-spans": ("region", IS_SPAN, None,
                          f"not $any([region['value']['start'] < o['value']['end'] "
                          "and o['value']['start'] < region['value']['end'] "
                          f"and o['id'] != region['id'] for o in {SPANS}])"),
    "inconsistent-label": ("region", IS_SPAN, None,
                           "not $any([o['value']['text'].as_lower == "
                           "region['value']['text'].as_lower and o['value']['labels'][0] != "
                           f"region['value']['labels'][0] for o in {SPANS}])"),
    "per-capitalized": ("region", f"{IS_SPAN} and {V}['labels'][0] == 'PER'", None,
                        f"{V}['text'] =~ '[A-Z]'"),
    "entity-density": ("annotation", None, HAS_TEXT,
                       f"$sum([r['value']['end'] - r['value']['start'] for r in {SPANS}]) "
                       f"<= {TEXT}.length * 0.5"),
    "box-label-alias": ("region", IS_BOX,
                        f"{BOX_LABEL} not in ['Car', 'Truck'] and {BOX_LABEL}.as_lower in "
                        "['car', 'auto', 'truck', 'lorry']", None),
}
FIX_VALUE = f"{BOX_LABEL}.as_lower in ['car', 'auto'] ? 'Car' : 'Truck'"


def support() -> dict:
    return {rule_id: "built-in: $iou" if "$iou" in " ".join(p or "" for p in parts[1:])
            else "native" for rule_id, parts in RULES.items()}


class RuleEngine:
    name = "rule-engine 5.x"

    def __init__(self, rule_ids=None):
        context = make_context()

        def compiled(text):
            return None if text is None else rule_engine.Rule(text, context=context)

        self.rules = [(rule_id, scope, compiled(where), compiled(when), compiled(check))
                      for rule_id, (scope, where, when, check) in
                      ((rule_id, RULES[rule_id]) for rule_id in (rule_ids or RULES))]
        self.fix_value = compiled(FIX_VALUE)

    def evaluate(self, task: dict, annotation: dict) -> dict:
        result = annotation.get("result") or []
        whole, per_region = contexts(task, annotation)
        findings: list = []
        patch: list = []
        for rule_id, scope, where, when, check in self.rules:
            for data in (per_region if scope == "region" else (whole,)):
                if not _fires(where, when, check, data):
                    continue
                region = data.get("region")
                region_id = region["id"] if region is not None else None
                fixed = False
                if rule_id == "box-label-alias":
                    value = self.fix_value.evaluate(data)
                    position = next(i for i, item in enumerate(result) if item is region)
                    patch.append({"op": "replace", "value": value,
                                  "path": f"/result/{position}/value/rectanglelabels/0"})
                    fixed_region = dict(region, value=dict(region["value"],
                                                           rectanglelabels=[value]))
                    fixed = not _fires(where, when, check, dict(data, region=fixed_region))
                findings.append((rule_id, SEVERITY[rule_id], f"{rule_id} {region_id}",
                                 region_id, fixed))
        route, verdict = decide(findings, patch)
        return {"findings": findings, "patch": patch, "route": route, "verdict": verdict}

    normalize = staticmethod(normalize_output)


def _fires(where, when, check, data) -> bool:
    try:
        if where is not None and not where.matches(data):
            return False
        if when is not None and not when.matches(data):
            return False
        return check is None or not check.matches(data)
    except rule_engine.errors.EvaluationError:
        return check is not None  # null: `when` skips, `assert` fires
