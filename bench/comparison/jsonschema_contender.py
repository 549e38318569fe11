"""jsonschema (Draft 2020-12) for the structural rules: one schema per rule over
`{"task": ..., "annotation": ...}`; an error under `annotation.result[i]` is a finding on
region i, any other error a finding on the annotation. Rules that need arithmetic across
fields, pairs of regions, lengths of another field, sums or a fix are out of its reach."""
from __future__ import annotations

from jsonschema import Draft202012Validator

from comparison.meta import SEVERITY, decide, normalized


def _item_rule(condition: dict, then: dict, scope="region") -> tuple:
    return (scope, {"properties": {"annotation": {"properties": {"result": {
        "items": {"if": condition, "then": then}}}}}})


def _value(properties: dict, required=()) -> dict:
    return {"properties": {"value": {"properties": properties, "required": list(required)}},
            "required": ["value"]}


def _type(kind: str) -> dict:
    return {"properties": {"type": {"const": kind}}, "required": ["type"]}


NOT_CANCELLED = {"not": {"properties": {"was_cancelled": {"const": True}},
                         "required": ["was_cancelled"]}}
SENTIMENT = {"properties": {"type": {"const": "choices"}, "from_name": {"const": "sentiment"}},
             "required": ["type", "from_name"]}


def _task_has(key: str, annotation: dict | None = None) -> dict:
    condition = {"properties": {"task": {"properties": {"data": {"required": [key]}},
                                         "required": ["data"]}}, "required": ["task"]}
    if annotation is not None:
        condition["properties"]["annotation"] = annotation
    return condition


RULES = {
    "image-not-empty": ("annotation", {
        "if": _task_has("image", NOT_CANCELLED),
        "then": {"properties": {"annotation": {"properties": {"result": {
            "contains": _type("rectanglelabels")}}, "required": ["result"]}}}}),
    "image-only-boxes": ("annotation", {
        "if": _task_has("image"),
        "then": {"properties": {"annotation": {"properties": {"result": {
            "items": _type("rectanglelabels")}}}}}}),
    "box-single-label": _item_rule(_type("rectanglelabels"), _value(
        {"rectanglelabels": {"type": "array", "minItems": 1, "maxItems": 1}}, ["rectanglelabels"])),
    "sentiment-required": ("annotation", {
        "if": _task_has("review", NOT_CANCELLED),
        "then": {"properties": {"annotation": {"properties": {"result": {
            "contains": _type("choices"), "minContains": 1, "maxContains": 1}},
            "required": ["result"]}}}}),
    "sentiment-valid": _item_rule(SENTIMENT, _value(
        {"choices": {"type": "array", "minItems": 1,
                     "prefixItems": [{"enum": ["Positive", "Negative", "Neutral"]}]}},
        ["choices"])),
    "sentiment-single": _item_rule(SENTIMENT, _value(
        {"choices": {"type": "array", "minItems": 1, "maxItems": 1}}, ["choices"])),
    "low-confidence": _item_rule(SENTIMENT, {"properties": {"score": {
        "if": {"type": "number"}, "then": {"minimum": 0.5}}}}),
    "span-whitespace": _item_rule(_type("labels"), _value(
        {"text": {"not": {"type": "string", "pattern": "^\\s|\\s$"}}})),
    "per-capitalized": _item_rule(
        _value({"labels": {"type": "array", "minItems": 1, "prefixItems": [{"const": "PER"}]}},
               ["labels"]),
        _value({"text": {"type": "string", "pattern": "^[A-Z]"}}, ["text"])),
}
RULE_IDS = list(RULES)
WHY_NOT = "not structural (arithmetic across fields, pairs, lengths, sums or a fix)"


def support() -> dict:
    return {rule_id: "schema" if rule_id in RULES else "no: " + WHY_NOT for rule_id in SEVERITY}


class JsonSchema:
    name = "jsonschema (structural subset)"

    def __init__(self, rule_ids=None):
        self.rule_ids = [rule_id for rule_id in (rule_ids or RULE_IDS) if rule_id in RULES]
        self.validators = []
        for rule_id in self.rule_ids:
            scope, schema = RULES[rule_id]
            Draft202012Validator.check_schema(schema)
            self.validators.append((rule_id, scope, Draft202012Validator(schema)))

    def evaluate(self, task: dict, annotation: dict) -> dict:
        document = {"task": task, "annotation": annotation}
        result = annotation.get("result") or []
        findings = []
        for rule_id, scope, validator in self.validators:
            seen = set()
            for error in validator.iter_errors(document):
                region_id = None
                path = error.absolute_path
                if scope == "region" and len(path) >= 3 and path[1] == "result":
                    region_id = result[path[2]].get("id")
                if region_id not in seen:
                    seen.add(region_id)
                    findings.append((rule_id, SEVERITY[rule_id], error.message, region_id, False))
        route, verdict = decide(findings, [])
        return {"findings": findings, "patch": [], "route": route, "verdict": verdict}

    @staticmethod
    def normalize(output, task, annotation):
        return normalized([(f[0], f[3]) for f in output["findings"]], output["route"],
                          output["verdict"], [])
