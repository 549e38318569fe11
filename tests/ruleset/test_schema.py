"""Tests of lsrules.ruleset.schema: the two JSON Schemas and the plain messages of LSR001."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from lsrules.errors import Location
from lsrules.ruleset.schema import (
    DECISION_SCHEMA,
    RULESET_SCHEMA,
    SCHEMA_CODE,
    format_path,
    load_schema,
    ruleset_validator,
    validate_document,
)

SPEC_EXAMPLE = """
# yaml-language-server: $schema=../schemas/ruleset.schema.json
ruleset: vehicles-bbox
version: "3"
description: QA for the vehicle detection project
labeling_config: vehicles.xml
routes:
  review: {priority: 10}
suggester:
  target_accuracy: 0.98
  explore: 0.05
extends: [builtin:labeling-config]
fixes: apply
rules:
  - id: box-inside-image
    description: Boxes must lie inside the image.
    severity: error
    for: region where region.type == "rectanglelabels"
    when: true
    assert: region.x >= 0 and region.y >= 0 and region.x + region.width <= 100
    message: "box {region.id} leaves the image"
    fix:
      - set region.x = clamp(region.x, 0, 100)
      - set region.y = clamp(region.y, 0, 100)
  - id: label-alias
    severity: info
    for: region
    when: region.label in ["car", "auto", "Auto"]
    fix: set region.label = "Car"
  - id: rushed
    severity: warning
    when: annotation.lead_time < 2
    route: review
    tags: [speed]
    fixes: suggest
streams:
  - id: too-fast
    key: annotator
    window: 10m
    when: count > 5
    flag: true
    route: review
tests:
  - name: box leaving the image is clamped
    task: {id: 1, data: {image: "/data/1.jpg"}}
    annotation: {id: 7, result: []}
    others: [{id: 8, result: []}]
    expect:
      verdict: fixed
      fired: [box-inside-image]
      not_fired: [rushed]
      route: null
      findings: 1
      patch: [{op: replace, path: /result/0/value/x, value: 0}]
      suggestion: {label: Car, confidence: 0.9}
"""

MINIMAL = {"ruleset": "minimal", "rules": []}


def line_of_path(path: tuple[str | int, ...]) -> Location:
    """A stand-in for the loader's locator: a distinct, predictable line per path."""
    return Location("rules.yaml", 1 + len(path), 1 + len(format_path(path)))


def diagnose(document: object) -> list[Any]:
    return list(validate_document(document, line_of_path))


def with_changes(changes: dict[tuple[str | int, ...], Any]) -> dict[str, Any]:
    """The SPEC example with values set at JSON paths (a value of `...` deletes the key)."""
    document = copy.deepcopy(yaml.safe_load(SPEC_EXAMPLE))
    for path, value in changes.items():
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if value is ...:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return document


@pytest.mark.parametrize("file_name", [RULESET_SCHEMA, DECISION_SCHEMA])
def test_schemas_are_valid_2020_12_schemas(file_name: str) -> None:
    schema = load_schema(file_name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://lsrules.dev/schemas/{file_name}"


def object_schemas(schema: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    """Every subschema that declares `properties`, with where it is (`if` conditions aside)."""
    found = []
    if isinstance(schema, dict):
        if "properties" in schema:
            found.append((where, schema))
        for key, value in schema.items():
            if key == "properties":
                for name, property_schema in value.items():
                    found.extend(object_schemas(property_schema, f"{where}/properties/{name}"))
            elif key != "if":
                found.extend(object_schemas(value, f"{where}/{key}"))
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found.extend(object_schemas(value, f"{where}/{index}"))
    return found


@pytest.mark.parametrize("file_name", [RULESET_SCHEMA, DECISION_SCHEMA])
def test_every_object_is_closed_and_every_property_described(file_name: str) -> None:
    schema = load_schema(file_name)
    definitions = schema["$defs"]
    objects = object_schemas(schema)
    assert len(objects) >= 6
    for where, subschema in objects:
        assert subschema.get("additionalProperties") is False, where
        for name, property_schema in subschema["properties"].items():
            target = property_schema
            if "$ref" in property_schema and "description" not in property_schema:
                target = definitions[property_schema["$ref"].rsplit("/", 1)[-1]]
            assert target.get("description"), f"{where}/properties/{name} has no description"


def test_the_ruleset_validator_is_compiled_once() -> None:
    assert ruleset_validator() is ruleset_validator()


@pytest.mark.parametrize(
    "document",
    [
        MINIMAL,
        {"ruleset": "r", "rules": [{"id": "a", "when": False}]},
        {"$schema": "../schemas/ruleset.schema.json", "ruleset": "snake_case.v2", "rules": []},
        yaml.safe_load(SPEC_EXAMPLE),
    ],
    ids=["minimal", "boolean-when", "schema-key", "spec-example"],
)
def test_valid_rulesets_give_no_diagnostics(document: object) -> None:
    assert diagnose(document) == []


# (changes to the SPEC example, the path the message names, words the message must contain)
WRONG_TYPES = [
    ({("ruleset",): 42}, "ruleset", "expected a string, got an integer 42; quote it"),
    ({("description",): ["a"]}, "description", "expected a string, got a list"),
    ({("labeling_config",): True}, "labeling_config", "expected a string, got a boolean true"),
    ({("routes",): ["review"]}, "routes", "expected a mapping (key: value), got a list"),
    (
        {("routes", "review", "priority"): "high"},
        "routes.review.priority",
        'expected an integer, got a string "high"',
    ),
    ({("suggester",): 0.9}, "suggester", "expected a mapping"),
    ({("suggester", "target_accuracy"): "high"}, "suggester.target_accuracy", "expected a number"),
    ({("suggester", "burn_in"): 2.5}, "suggester.burn_in", "expected an integer"),
    ({("extends",): "builtin:labeling-config"}, "extends", "expected a list"),
    ({("fixes",): True}, "fixes", "true is not one of apply, suggest, off"),
    ({("rules",): {"id": "a"}}, "rules", "expected a list, got a mapping"),
    ({("rules", 0): "box-inside-image"}, "rules[0]", "expected a mapping"),
    ({("rules", 0, "id"): 7}, "rules[0].id", "expected a string, got an integer 7"),
    (
        {("rules", 0, "severity"): "critical"},
        "rules[0].severity",
        '"critical" is not one of error, warning, info',
    ),
    ({("rules", 0, "for"): ["region"]}, "rules[0].for", "expected a string, got a list"),
    (
        {("rules", 0, "when"): 1},
        "rules[0].when",
        "expected a string or a boolean (true or false), got an integer 1; quote it",
    ),
    (
        {("rules", 0, "assert"): {"region.x": 0}},
        "rules[0].assert",
        "as a mapping — quote the text",
    ),
    (
        {("rules", 0, "message"): {"region.id": None}},
        "rules[0].message",
        'YAML reads a value starting with "{"',
    ),
    ({("rules", 0, "fix"): 3}, "rules[0].fix", "expected a string or a list"),
    ({("rules", 0, "fix", 0): {"set region.x": 0}}, "rules[0].fix[0]", "expected a string"),
    ({("rules", 0, "route"): ["review"]}, "rules[0].route", "expected a string"),
    ({("rules", 2, "tags"): "speed"}, "rules[2].tags", "expected a list"),
    ({("streams",): {"id": "x"}}, "streams", "expected a list"),
    (
        {("streams", 0, "flag"): "yes"},
        "streams[0].flag",
        "expected a boolean (true or false), got a string",
    ),
    ({("streams", 0, "window"): 10}, "streams[0].window", "expected a string"),
    ({("tests",): {}}, "tests", "expected a list"),
    ({("tests", 0, "task"): "1"}, "tests[0].task", "expected a mapping"),
    ({("tests", 0, "annotation"): []}, "tests[0].annotation", "expected a mapping"),
    ({("tests", 0, "others"): {}}, "tests[0].others", "expected a list"),
    (
        {("tests", 0, "expect", "fired"): "box-inside-image"},
        "tests[0].expect.fired",
        "expected a list",
    ),
    ({("tests", 0, "expect", "route"): 3}, "tests[0].expect.route", "expected a string or null"),
    ({("tests", 0, "expect", "findings"): "1"}, "tests[0].expect.findings", "expected an integer"),
    (
        {("tests", 0, "expect", "patch", 0, "op"): "set"},
        "tests[0].expect.patch[0].op",
        '"set" is not one of add, remove, replace, move, copy, test',
    ),
]


@pytest.mark.parametrize("changes, path, words", WRONG_TYPES, ids=[case[1] for case in WRONG_TYPES])
def test_each_key_with_a_wrong_type_is_named_plainly(
    changes: dict[tuple[str | int, ...], Any], path: str, words: str
) -> None:
    diagnostics = diagnose(with_changes(changes))
    assert len(diagnostics) == 1, [str(d) for d in diagnostics]
    (diagnostic,) = diagnostics
    assert diagnostic.code == SCHEMA_CODE
    assert diagnostic.severity == "error"
    assert diagnostic.message.startswith(f"{path}: ")
    assert words in diagnostic.message
    assert "\n" not in diagnostic.message
    assert "None" not in diagnostic.message and "'" not in diagnostic.message  # no Python repr


# (changes, path of the unknown key, the unknown key, the suggestion)
UNKNOWN_KEYS = [
    ({("rules", 0, "asert"): "true"}, ("rules", 0), "asert", "assert"),
    ({("rules", 0, "Severity"): "error"}, ("rules", 0), "Severity", "severity"),
    ({("rule",): []}, (), "rule", "rules"),
    ({("labelling_config",): "x.xml"}, (), "labelling_config", "labeling_config"),
    ({("suggester", "explor"): 0.1}, ("suggester",), "explor", "explore"),
    ({("routes", "review", "priorty"): 3}, ("routes", "review"), "priorty", "priority"),
    ({("streams", 0, "windw"): "1m"}, ("streams", 0), "windw", "window"),
    ({("tests", 0, "expected"): {}}, ("tests", 0), "expected", "expect"),
    ({("tests", 0, "expect", "not-fired"): []}, ("tests", 0, "expect"), "not-fired", "not_fired"),
    (
        {("tests", 0, "expect", "patch", 0, "val"): 1},
        ("tests", 0, "expect", "patch", 0),
        "val",
        "value",
    ),
    ({("rules", 0, "zzz"): 1}, ("rules", 0), "zzz", None),
]


@pytest.mark.parametrize(
    "changes, parent, key, suggestion", UNKNOWN_KEYS, ids=[case[2] for case in UNKNOWN_KEYS]
)
def test_unknown_keys_are_reported_at_the_key_with_a_did_you_mean(
    changes: dict[tuple[str | int, ...], Any],
    parent: tuple[str | int, ...],
    key: str,
    suggestion: str | None,
) -> None:
    (diagnostic,) = diagnose(with_changes(changes))
    place = format_path(parent) or "top level"
    assert diagnostic.message.startswith(f'{place}: unknown key "{key}"')
    assert diagnostic.suggestion == suggestion
    assert diagnostic.location == line_of_path(parent + (key,))
    if suggestion:
        assert f"(did you mean `{suggestion}`?)" in str(diagnostic)
    else:
        assert "expected one of" in diagnostic.message


@pytest.mark.parametrize("key", ["when", "assert"])
def test_a_null_expression_explains_the_yaml_reading(key: str) -> None:
    document = yaml.safe_load(f"ruleset: r\nrules:\n  - id: a\n    {key}:\n")
    (diagnostic,) = diagnose(document)
    assert diagnostic.message == (
        f"rules[0].{key}: is empty (null); write an expression or true/false — YAML reads "
        f'"{key}:" with nothing after it as null'
    )
    assert diagnostic.rule_id == "a"


@pytest.mark.parametrize(
    "text, shown",
    [
        ("version: 3", "3 is read by YAML as an integer"),
        ("version: 1.10", "1.1 is read by YAML as a number"),
        ("version: 2024-01-31", "2024-01-31 is read by YAML as a date"),
    ],
)
def test_an_unquoted_version_asks_for_quotes(text: str, shown: str) -> None:
    document = yaml.safe_load(f"ruleset: r\n{text}\nrules: []\n")
    (diagnostic,) = diagnose(document)
    assert diagnostic.message.startswith(f"version: {shown}")
    assert "quote it (version: " in diagnostic.message


# (changes, the message expected, the suggestion expected)
OTHER_PROBLEMS = [
    ({("ruleset",): ...}, 'missing required key "ruleset"', None),
    ({("rules",): ...}, 'missing required key "rules"', None),
    ({("rules", 0, "id"): ...}, 'rules[0]: missing required key "id"', None),
    (
        {("ruleset",): "my rules"},
        'ruleset: "my rules" is not valid; expected a name of letters',
        None,
    ),
    (
        {("rules", 0, "id"): "BoxInside"},
        ('rules[0].id: "BoxInside" is not valid; expected an id in kebab-case'),
        "box-inside",
    ),
    (
        {("rules", 0, "for"): "regions where x > 1"},
        ('rules[0].for: "regions where x > 1" is not a valid scope'),
        "region where x > 1",
    ),
    ({("rules", 0, "severity"): "warn"}, 'rules[0].severity: "warn" is not one of', "warning"),
    ({("rules", 0, "when"): ""}, "rules[0].when: is an empty string", None),
    ({("rules", 0, "fix"): []}, "rules[0].fix: is an empty list", None),
    (
        {("extends",): ["labeling-config"]},
        ('extends[0]: "labeling-config" is not valid; expected a built-in pack as '
         '"builtin:<name>", e.g. "builtin:labeling-config", a ruleset file (.yaml), or a '
         'shared pack as "pack:<name>"'),
        "builtin:labeling-config",
    ),
    ({("extends",): ["builtin:x", "builtin:x"]}, 'extends: lists "builtin:x" more than once', None),
    ({("routes", "night shift"): {}}, 'routes: "night shift" is not a valid key', None),
    (
        {("suggester", "target_accuracy"): 0},
        "suggester.target_accuracy: 0 must be greater than 0",
        None,
    ),
    ({("suggester", "explore"): 0.75}, "suggester.explore: 0.75 must be at most 0.5", None),
    ({("suggester", "burn_in"): -1}, "suggester.burn_in: -1 must be at least 0", None),
    (
        {("streams", 0, "key"): "user"},
        ('streams[0].key: "user" is not one of annotator, task, project'),
        None,
    ),
    (
        {("streams", 0, "window"): "10 minutes"},
        ('streams[0].window: "10 minutes" is not valid; expected a number and a unit'),
        None,
    ),
    ({("tests", 0, "expect"): {}}, "tests[0].expect: is empty", None),
    (
        {("tests", 0, "expect", "verdict"): "pass"},
        ('tests[0].expect.verdict: "pass" is not one of accept, fixed, review, reject'),
        None,
    ),
    (
        {("tests", 0, "expect", "patch", 0, "value"): ...},
        ('tests[0].expect.patch[0]: missing required key "value"'),
        None,
    ),
    (
        {("tests", 0, "expect", "patch", 0, "path"): "result/0"},
        ('tests[0].expect.patch[0].path: "result/0" is not valid; expected a JSON Pointer'),
        None,
    ),
    ({("tests", 0, "task"): ...}, 'tests[0]: missing required key "task"', None),
]


@pytest.mark.parametrize(
    "changes, message, suggestion", OTHER_PROBLEMS, ids=[case[1][:40] for case in OTHER_PROBLEMS]
)
def test_other_problems_read_plainly(
    changes: dict[tuple[str | int, ...], Any], message: str, suggestion: str | None
) -> None:
    (diagnostic,) = diagnose(with_changes(changes))
    assert diagnostic.message.startswith(message), diagnostic.message
    assert diagnostic.suggestion == suggestion


def test_a_document_that_is_not_a_mapping_is_one_error() -> None:
    (diagnostic,) = diagnose(["ruleset", "r"])
    assert diagnostic.message == "top level: expected a mapping (key: value), got a list"
    assert diagnostic.location == line_of_path(())


def test_all_errors_come_in_file_order_with_their_rule() -> None:
    document = with_changes(
        {
            ("tests", 0, "expect", "verdict"): "pass",
            ("rules", 2, "severity"): "bad",
            ("rules", 0, "severity"): "worse",
            ("ruleset",): ...,
        }
    )
    lines = {"tests": 50, "rules": 10}

    def locate(path: tuple[str | int, ...]) -> Location:
        base = lines.get(str(path[0]), 1) if path else 1
        index = path[1] if len(path) > 1 and isinstance(path[1], int) else 0
        return Location("rules.yaml", base + 10 * index + len(path), 3)

    diagnostics = list(validate_document(document, locate))
    assert [d.message.split(":")[0] for d in diagnostics] == [
        'missing required key "ruleset"',
        "rules[0].severity",
        "rules[2].severity",
        "tests[0].expect.verdict",
    ]
    assert [d.rule_id for d in diagnostics] == [None, "box-inside-image", "rushed", None]
    assert [d.location.line for d in diagnostics] == sorted(d.location.line for d in diagnostics)


def test_a_path_the_loader_cannot_place_falls_back_to_its_parent() -> None:
    def locate(path: tuple[str | int, ...]) -> Location:
        if len(path) > 2:
            raise KeyError(path)
        return Location("rules.yaml", 7, len(path))

    (diagnostic,) = validate_document(with_changes({("rules", 0, "asert"): "x"}), locate)
    assert diagnostic.location == Location("rules.yaml", 7, 2)


@pytest.mark.parametrize(
    "path, text",
    [
        ((), ""),
        (("rules", 3, "severity"), "rules[3].severity"),
        (("routes", "night shift", "priority"), 'routes["night shift"].priority'),
        (("tests", 0, "expect", "not_fired", 1), "tests[0].expect.not_fired[1]"),
    ],
)
def test_format_path(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


SHA = "a" * 64
DECISION = {
    "task_id": 1,
    "annotation_id": "7",
    "verdict": "fixed",
    "findings": [
        {
            "rule": "box-inside-image",
            "severity": "error",
            "message": "box r1 leaves",
            "region_id": "r1",
            "fixed": True,
        }
    ],
    "patch": [
        {"op": "replace", "path": "/result/0/value/x", "value": 0},
        {"op": "remove", "path": "/result/1"},
        {"op": "move", "path": "/result/0", "from": "/result/2"},
    ],
    "route": {"name": "review", "priority": 10, "rules": ["rushed"]},
    "suggestions": [
        {"region_id": None, "label": "Car", "confidence": 0.9, "model_version": "nb-3"}
    ],
    "audit": {
        "ruleset": "vehicles-bbox",
        "version": "3",
        "sha256": SHA,
        "lsrules_version": "0.1.0",
        "input_sha256": SHA,
        "time": "2026-11-28T04:50:39.123456Z",
        "duration_us": 812,
        "rules": ["box-inside-image", "rushed"],
    },
}


def decision_with(changes: dict[tuple[str | int, ...], Any]) -> dict[str, Any]:
    record = copy.deepcopy(DECISION)
    for path, value in changes.items():
        parent: Any = record
        for step in path[:-1]:
            parent = parent[step]
        if value is ...:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
    return record


VALID_DECISIONS = {
    "full": {},
    "no route, null ids": {("route",): None, ("task_id",): None, ("annotation_id",): None},
    "empty lists": {("findings",): [], ("patch",): [], ("suggestions",): []},
    "abstaining suggestion": {
        ("suggestions", 0, "label"): None,
        ("suggestions", 0, "confidence"): None,
    },
    "integer region id": {("findings", 0, "region_id"): 3},
    "stream rule": {("stream",): {"rule": "too-fast", "key": 12, "events": [
        {"annotation_id": 1, "task_id": 3, "time": "2026-11-28T04:50:39Z"}]}},
    "whole-second time": {("audit", "time"): "2026-11-28T04:50:39Z"},
}

INVALID_DECISIONS = {
    "unknown verdict": {("verdict",): "ok"},
    "missing audit": {("audit",): ...},
    "missing route": {("route",): ...},
    "extra top-level key": {("extra",): 1},
    "extra finding key": {("findings", 0, "rule_id"): "x"},
    "finding without fixed": {("findings", 0, "fixed"): ...},
    "bad severity": {("findings", 0, "severity"): "fatal"},
    "bad op": {("patch", 0, "op"): "set"},
    "pointer without slash": {("patch", 0, "path"): "result/0"},
    "replace without value": {("patch", 0, "value"): ...},
    "move without from": {("patch", 2, "from"): ...},
    "route without rules": {("route", "rules"): ...},
    "string priority": {("route", "priority"): "10"},
    "confidence above 1": {("suggestions", 0, "confidence"): 1.2},
    "suggestion without model version": {("suggestions", 0, "model_version"): ...},
    "short sha": {("audit", "sha256"): "abc"},
    "upper-case sha": {("audit", "input_sha256"): "A" * 64},
    "local time": {("audit", "time"): "2026-11-28T04:50:39+01:00"},
    "negative duration": {("audit", "duration_us"): -1},
    "float duration": {("audit", "duration_us"): 1.5},
    "stream without events": {("stream",): {"rule": "too-fast", "key": 12}},
    "stream event without time": {("stream",): {"rule": "too-fast", "key": 12, "events": [
        {"annotation_id": 1, "task_id": 3}]}},
}


@pytest.mark.parametrize("changes", list(VALID_DECISIONS.values()), ids=list(VALID_DECISIONS))
def test_valid_decision_records(changes: dict[tuple[str | int, ...], Any]) -> None:
    validator = Draft202012Validator(load_schema(DECISION_SCHEMA))
    assert list(validator.iter_errors(decision_with(changes))) == []


@pytest.mark.parametrize("changes", list(INVALID_DECISIONS.values()), ids=list(INVALID_DECISIONS))
def test_invalid_decision_records(changes: dict[tuple[str | int, ...], Any]) -> None:
    validator = Draft202012Validator(load_schema(DECISION_SCHEMA))
    assert list(validator.iter_errors(decision_with(changes))) != []


def test_the_schemas_are_found_in_the_repository_when_package_data_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import lsrules.ruleset.schema as schema_module

    monkeypatch.setattr(schema_module.importlib.resources, "files", lambda package: tmp_path)
    schema = load_schema.__wrapped__(RULESET_SCHEMA)
    assert schema["$id"] == "https://lsrules.dev/schemas/ruleset.schema.json"
