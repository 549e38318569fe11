"""A parse cache anyone could have written: each tree in `forged_cache_trees.json` is one the
grammar cannot make from its text, planted as that text's cache entry. Loading must ignore
it (parse the text again) and come to the same ruleset as without a cache."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsrules.dsl import ast_json
from lsrules.dsl.parser import parse
from lsrules.engine.engine import Engine, check_and_load
from lsrules.ruleset.cache import fingerprint

FORGED = json.loads((Path(__file__).parent / "forged_cache_trees.json").read_text())


def _ruleset(case: dict) -> str:
    key = "assert" if case["start"] == "expression" else "when: true\n    fix"
    return (f"ruleset: forged\nrules:\n  - id: r\n    for: region\n"
            f"    {key}: {json.dumps(case['text'])}\n")


@pytest.mark.parametrize("case", FORGED, ids=[case["why"] for case in FORGED])
def test_a_forged_tree_is_not_decoded(case):
    with pytest.raises(ValueError):
        ast_json.decode_tree(case["tree"], case["start"], len(case["text"]))


@pytest.mark.parametrize("case", FORGED, ids=[case["why"] for case in FORGED])
def test_a_forged_cache_entry_is_parsed_again(case, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LSRULES_CACHE_DIR", str(cache))
    monkeypatch.delenv("LSRULES_NO_CACHE", raising=False)
    path = tmp_path / "forged.yaml"
    path.write_text(_ruleset(case))
    check_and_load(path)  # writes the entry, which the attacker then rewrites
    [entry] = (cache / "rulesets").glob("*.json")
    data = json.loads(entry.read_text())
    data["fingerprint"] = fingerprint()
    data["expressions"] = {f"{case['start']}:{case['text']}": case["tree"]}
    entry.write_text(json.dumps(data))
    ruleset, diagnostics = check_and_load(path)
    assert [d for d in diagnostics if d.severity == "error"] == []
    [rule] = ruleset.rules
    node = rule.assert_.node if case["start"] == "expression" else rule.fix[0].node
    assert node == parse(case["text"], start=case["start"])
    Engine(ruleset)  # and it compiles
