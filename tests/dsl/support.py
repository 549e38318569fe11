"""Small rulesets built in memory, loaded, checked and compiled the way `lsrules` does it.

Two ways to read an expression's result through the compiled code:
- `value(expr)`: the three-valued value, as `lsrules explain` shows it (the rule's trace);
- `truth(expr)`: what a condition makes of it (true, false or null), from which of three
  rules fire: `when: E` (fires iff E is true), `when: not (E)` (iff false), and neither.
"""
from __future__ import annotations

import json
from pathlib import Path

from lsrules.ruleset.checks import check_ruleset
from lsrules.engine.engine import Engine
from lsrules.engine.evaluation import Evaluation
from lsrules.ruleset.loader import load_ruleset

HEADER = 'ruleset: t\nversion: "1"\nroutes:\n  review: {priority: 10}\n'
TASK = {"id": 1, "data": {"text": "Alice met Bob", "image": "s3://bucket/1.jpg", "price": "12",
                          "flag": True, "zero": 0, "items": [1, 2, 3], "nested": {"a": {"b": 1}}},
        "meta": {}}
CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car"/><Label value="Bus"/>
  </RectangleLabels>
</View>
"""


def box(region_id, x, y, width, height, label="Car", **extra):
    return {"id": region_id, "from_name": "label", "to_name": "image",
            "type": "rectanglelabels", **extra,
            "value": {"x": x, "y": y, "width": width, "height": height, "rotation": 0,
                      "rectanglelabels": [label]}}


def polygon(region_id, points, label="Car"):
    return {"id": region_id, "from_name": "outline", "to_name": "image",
            "type": "polygonlabels", "value": {"points": points, "polygonlabels": [label]}}


def keypoint(region_id, x, y, label="Eye"):
    return {"id": region_id, "from_name": "points", "to_name": "image",
            "type": "keypointlabels", "value": {"x": x, "y": y, "width": 0.5,
                                                "keypointlabels": [label]}}


def ellipse(region_id, x, y, radius_x, radius_y, label="Car"):
    return {"id": region_id, "from_name": "round", "to_name": "image",
            "type": "ellipselabels", "value": {"x": x, "y": y, "radiusX": radius_x,
                                               "radiusY": radius_y, "rotation": 0,
                                               "ellipselabels": [label]}}


def video_box(region_id, sequence, label="Car"):
    return {"id": region_id, "from_name": "box", "to_name": "video",
            "type": "videorectangle", "value": {"sequence": sequence, "labels": [label]}}


def span(region_id, start, end, label="PER", text=None):
    return {"id": region_id, "from_name": "ner", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": text, "labels": [label]}}


def quoted(expression: str) -> str:
    """The expression as a YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(expression)


def load(text: str, path: str | Path = "dsl.yaml"):
    """(ruleset, diagnostics) of a ruleset text: schema, syntax and static checks."""
    ruleset, diagnostics = load_ruleset(path, text=text)
    if ruleset is not None:
        diagnostics.extend(check_ruleset(ruleset))
    return ruleset, diagnostics


def compile_rules(rules: str, header: str = HEADER) -> Engine:
    """An engine for a `rules:` block; fails the test if the ruleset has an error."""
    ruleset, diagnostics = load(header + "rules:\n" + rules)
    errors = [str(d) for d in diagnostics if d.severity == "error"]
    assert not errors, errors
    return Engine(ruleset)


def _one_rule(expression: str, scope: str | None, negated: bool = False) -> str:
    lines = "  - id: probe\n"
    if scope:
        lines += f"    for: {scope}\n"
    lines += f"    when: {quoted(expression)}\n    assert: false\n"
    if negated:
        lines += f"  - id: negated\n    when: {quoted(f'not ({expression})')}\n"
        lines += "    assert: false\n"
    return lines


def value(expression: str, result=(), task=None, region: int | None = None):
    """The value of `expression`, as the rule's trace computes it (a data error is null)."""
    engine = compile_rules(_one_rule(expression, "region" if region is not None else None))
    state = Evaluation(engine, TASK if task is None else task, {"id": 2, "result": list(result)},
                       None)
    item = state.regions[region] if region is not None else None
    return engine.namespace["trace_0"](state, item)[1]


def truth(expression: str, result=(), task=None):
    """True, False or None: what `when:` conditions make of the expression."""
    engine = compile_rules(_one_rule(expression, None, negated=True))
    decision = engine.evaluate(TASK if task is None else task, {"id": 2, "result": list(result)})
    fired = set(decision.fired)
    assert fired != {"probe", "negated"}, "an expression cannot be both true and false"
    return True if "probe" in fired else False if "negated" in fired else None


def evaluate(rules: str, result=(), task=None, header: str = HEADER):
    """The decision of a `rules:` block on one annotation."""
    return compile_rules(rules, header).evaluate(TASK if task is None else task,
                                                 {"id": 2, "result": list(result)})
