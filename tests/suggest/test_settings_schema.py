"""The suggester's settings have one definition: the ruleset schema's `suggester` part is
generated from it, and the schema and the settings reader accept the same mappings."""
from __future__ import annotations

import importlib.util
import json
from dataclasses import fields
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from lsrules.errors import LsrulesError
from lsrules.suggest.settings import SuggesterSettings, json_schema, parse_settings

ROOT = Path(__file__).resolve().parents[2]
RULESET_SCHEMA = json.loads((ROOT / "schemas" / "ruleset.schema.json").read_text())
VALIDATOR = Draft202012Validator(RULESET_SCHEMA["$defs"]["suggester"])


def test_the_schema_file_is_generated_from_the_settings():
    spec = importlib.util.spec_from_file_location("suggester_schema",
                                                  ROOT / "scripts" / "suggester_schema.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert (ROOT / "schemas" / "ruleset.schema.json").read_text() == script.expected_text(), \
        "schemas/ruleset.schema.json is stale: run python scripts/suggester_schema.py"
    assert set(json_schema()["properties"]) == {setting.name for setting in fields(SuggesterSettings)}


def _accepted_by_the_reader(mapping: dict) -> bool:
    try:
        parse_settings(mapping)
    except LsrulesError:
        return False
    return True


def _candidates():
    """Each setting at, just inside and just outside its bounds, wrong types, and keys the
    two definitions once disagreed on."""
    yield {"min_approvals": 3}
    yield {"burn_in": 10, "seed": 7, "confidence": 0.9}
    yield {"explore": 0.5}
    yield {"explore": 0.75}
    yield {"explore": 1}
    for setting in fields(SuggesterSettings):
        if setting.metadata.get("switch"):
            for value in (True, False, "true", 1, 0, None):
                yield {setting.name: value}
            continue
        if "range" not in setting.metadata:
            for value in ("a-name", "", None, 3):
                yield {setting.name: value}
            continue
        lowest, highest, _ = setting.metadata["range"]
        step = 1 if setting.type == "int" else 1e-6
        for value in (lowest - step, lowest, lowest + step, highest - step, highest,
                      highest + step, "1", True, None):
            yield {setting.name: value}
        if setting.type == "int":
            yield {setting.name: lowest + 0.5}


@pytest.mark.parametrize("mapping", list(_candidates()), ids=repr)
def test_the_schema_and_the_reader_accept_the_same_settings(mapping):
    assert VALIDATOR.is_valid(mapping) == _accepted_by_the_reader(mapping)


def test_every_default_is_valid_and_documented():
    defaults = SuggesterSettings()
    for setting in fields(SuggesterSettings):
        schema = json_schema()["properties"][setting.name]
        assert schema["description"]
        if "range" in setting.metadata or setting.metadata.get("switch"):
            assert schema["default"] == getattr(defaults, setting.name)
            assert VALIDATOR.is_valid({setting.name: getattr(defaults, setting.name)})


@pytest.mark.parametrize("settings, status", [
    ("{burn_in: 10, seed: 3, confidence: 0.9, explore: 0.5}", 0),
    ("{min_approvals: 3}", 2),
    ("{explore: 0.75}", 2),
])
def test_check_accepts_what_suggest_accepts(tmp_path, capsys, settings, status):
    from lsrules.cli import main

    ruleset = tmp_path / "rules.yaml"
    ruleset.write_text(f'ruleset: t\nversion: "1"\nsuggester: {settings}\n'
                       "rules:\n  - id: a\n    assert: 'true'\n")
    assert main(["check", "--no-cache", str(ruleset)]) == status, capsys.readouterr()
