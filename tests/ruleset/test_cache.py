"""The ruleset cache: same answers as without it, skips Lark and jsonschema, trusts no file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lsrules.dsl import ast_json, nodes
from lsrules.dsl.parser import parse, parse_action
from lsrules.engine.engine import check_and_load
from lsrules.ruleset.cache import RulesetCache, fingerprint

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "rulesets").glob("*.yaml"))

RULESET = """\
ruleset: cached
version: "1"
rules:
  - id: box-inside
    for: region where region.type == "rectanglelabels"
    assert: 0 <= region.x <= 100 and region.x + region.width <= 100
    message: "box {region.id} leaves the image by {region.x + region.width - 100}"
  - id: no-duplicates
    for: annotation
    assert: none(any(iou(r, o) > 0.9 and r.id != o.id for o in regions) for r in regions)
  - id: alias
    for: region
    when: lower(region.label) in ["auto", "automobile"]
    fix: set region.label = "Car"
"""


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("LSRULES_CACHE_DIR", str(directory))
    monkeypatch.delenv("LSRULES_NO_CACHE", raising=False)
    return directory


def _expressions(ruleset):
    for rule in ruleset.rules:
        for expression in (rule.where, rule.when, rule.assert_, *rule.fix):
            if expression is not None:
                yield getattr(expression, "node", expression)


def _entry(cache_dir: Path) -> tuple[Path, dict]:
    [file] = (cache_dir / "rulesets").glob("*.json")
    return file, json.loads(file.read_text())


TEXTS = [
    "none(any(iou(r, o) > 0.9 and r.id != o.id for o in regions) for r in regions)",
    'a if not -b.c[1] else [1, 2.5, "x\\n", null, true, false, -3]',
    "0 <= x not in [1] <= 3 and y in z or +w % 2 == 1 / 3 * 4 - 5",
    'config.labels("label") == [r.label for r in regions if r.x > 1e3]',
    "count(r for r in regions) + sum(area(r) for r in regions if r.label)",
    "[a + b for a in x if a for b in y if b if a != b] == [c for c in config.control('x').labels]",
]


@pytest.mark.parametrize("text", TEXTS)
def test_an_encoded_ast_decodes_to_the_same_nodes_and_spans(text):
    node = parse(text)
    stored = json.loads(json.dumps(ast_json.encode(node)))
    again = ast_json.decode(stored)
    assert again == node
    assert ast_json.encode(again) == stored  # spans included (they do not take part in ==)
    assert [n.span for n in again.walk()] == [n.span for n in node.walk()]


def test_actions_round_trip():
    for text in ('set region.label = "Car"', "drop region", 'add_label "x"', "remove_label 1",
                 'add_item "a b" = ["x"]', "set region.attrs.colour.choices = []"):
        node = parse_action(text)
        assert ast_json.encode(ast_json.decode(ast_json.encode(node))) == ast_json.encode(node)


def test_a_stored_add_item_names_its_control_with_a_string():
    # the compiler writes the control's name as a repr of a string literal: nothing else
    stored = ["AddItem", 0, 12, ["Name", 9, 10, "x"], ["Literal", 11, 12, 1]]
    assert isinstance(ast_json.decode(stored), object)
    with pytest.raises(ValueError, match="names its control with a string"):
        ast_json.decode_tree(stored, "action", 12)


@pytest.mark.parametrize("stored, why", [
    (["Name", 0, 8, "__import__('os')"], "a name that is not an identifier"),
    (["Binary", 0, 5, "+ __import__('os').system('x') +", ["Name", 0, 1, "a"],
      ["Name", 4, 5, "b"]], "an operator the grammar does not have"),
    (["Compare", 0, 5, [["Name", 0, 1, "a"], ["Name", 4, 5, "b"]], ["is"]], "`is`"),
    (["Comprehension", 0, 9, "any", ["Name", 0, 1, "x"], "x) or (1", ["Name", 0, 1, "y"], None],
     "a loop variable that is not an identifier"),
    (["Literal", 0, 1, {"an": "object"}], "a literal that is not a JSON scalar"),
    (["Literal", 0, 1, float("nan")], "a literal that is not finite"),
    (["Eval", 0, 1, "x"], "an unknown node class"),
    (["Name", -1, 1, "x"], "a negative offset"),
    (["Name", 0, 1], "a missing field"),
    (["Attribute", 0, 3, ["Name", 0, 1, "a"], "b", [0, 1], "extra"], "an extra field"),
    ("Name", "not a list"),
])
def test_decode_refuses_what_the_grammar_cannot_produce(stored, why):
    with pytest.raises(ValueError):
        ast_json.decode(stored)


def test_only_a_list_comprehension_is_flattened():
    """`Flatten` is what several `for` clauses make of a list; nothing else is read back."""
    good = ast_json.encode(parse("[a for a in x for b in y]"))
    assert ast_json.decode_tree(good, "expression", 25) == parse("[a for a in x for b in y]")
    with pytest.raises(ValueError):
        ast_json.decode_tree(["Flatten", 0, 1, ["Name", 0, 1, "x"]], "expression", 1)


def test_a_second_load_gives_the_same_ruleset_and_writes_an_entry(cache_dir, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    first, first_diagnostics = check_and_load(path)
    _, entry = _entry(cache_dir)
    assert entry["fingerprint"] == fingerprint()
    assert len(entry["expressions"]) == 7  # where, assert, 2 placeholders, assert, when, fix
    second, second_diagnostics = check_and_load(path)
    assert first_diagnostics == second_diagnostics == []
    assert [ast_json.encode(n) for n in _expressions(first)] == \
        [ast_json.encode(n) for n in _expressions(second)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_rulesets_check_the_same_cold_and_warm(path, cache_dir):
    cold, cold_diagnostics = check_and_load(path)
    warm, warm_diagnostics = check_and_load(path)
    assert cold_diagnostics == warm_diagnostics
    assert [ast_json.encode(n) for n in _expressions(cold)] == \
        [ast_json.encode(n) for n in _expressions(warm)]


def test_errors_are_reported_again_on_a_warm_load(cache_dir, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET + "  - id: Bad_Id\n    for: annotation\n"
                    "    assert: count(r for r in regions) >\n")
    first = [(d.code, str(d.location)) for d in check_and_load(path)[1]]
    second = [(d.code, str(d.location)) for d in check_and_load(path)[1]]
    assert first == second == [("LSR001", f"{path}:15:9"),  # the id breaks the schema's pattern
                               ("LSR100", f"{path}:17:40")]  # the syntax error


def test_an_edit_that_breaks_the_schema_is_validated_again(cache_dir, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    assert check_and_load(path)[1] == []
    path.write_text(RULESET.replace("  - id: alias\n", "  - id: alias\n    severity: fatal\n"))
    codes = [d.code for d in check_and_load(path)[1]]
    assert codes == ["LSR001"]


def test_a_damaged_entry_is_a_miss(cache_dir, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    expected = [ast_json.encode(n) for n in _expressions(check_and_load(path)[0])]
    file, _ = _entry(cache_dir)
    for damage in ("{not json", "[]", '{"fingerprint": 3}', "\x00" * 10, "[" * 100_000):
        file.write_text(damage)
        ruleset, diagnostics = check_and_load(path)
        assert diagnostics == []
        assert [ast_json.encode(n) for n in _expressions(ruleset)] == expected


def test_a_hostile_entry_never_reaches_the_code(cache_dir, tmp_path):
    """An entry with the right fingerprint whose ASTs are not what the grammar produces."""
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    expected = [ast_json.encode(n) for n in _expressions(check_and_load(path)[0])]
    file, entry = _entry(cache_dir)
    evil = ["Name", 0, 1, "__import__('os').system('touch pwned')"]
    entry["expressions"] = {key: evil for key in entry["expressions"]}
    file.write_text(json.dumps(entry))
    ruleset, diagnostics = check_and_load(path)
    assert diagnostics == []
    assert [ast_json.encode(n) for n in _expressions(ruleset)] == expected
    assert not (tmp_path / "pwned").exists()


def test_another_fingerprint_is_ignored(cache_dir, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    check_and_load(path)
    file, entry = _entry(cache_dir)
    key = next(iter(entry["expressions"]))
    entry["expressions"][key] = ast_json.encode(nodes.Literal(nodes.Span(0, 4), True))
    entry["fingerprint"] = "0" * 64
    file.write_text(json.dumps(entry))
    cache = RulesetCache(path)
    assert not cache.schema_clean("anything")
    assert not isinstance(cache.parse(key.split(":", 1)[1]), nodes.Literal)


def test_no_cache_writes_nothing_and_an_unwritable_directory_is_no_cache(tmp_path, monkeypatch):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    monkeypatch.setenv("LSRULES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LSRULES_NO_CACHE", "1")
    assert check_and_load(path)[1] == []
    assert not (tmp_path / "cache").exists()
    monkeypatch.delenv("LSRULES_NO_CACHE")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("LSRULES_CACHE_DIR", str(blocker / "cache"))  # cannot be created
    assert check_and_load(path)[1] == []


def test_check_no_cache_flag(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    environment = {**os.environ, "LSRULES_CACHE_DIR": str(tmp_path / "cache")}
    completed = subprocess.run([sys.executable, "-m", "lsrules.cli", "check", "--no-cache",
                                str(path)], capture_output=True, text=True, env=environment)
    assert completed.returncode == 0, completed.stderr
    assert not (tmp_path / "cache").exists()


def test_a_warm_check_imports_neither_lark_nor_jsonschema(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    environment = {**os.environ, "LSRULES_CACHE_DIR": str(tmp_path / "cache")}
    probe = ("import sys; from lsrules.commands.check import build_report; "
             f"report, unusable = build_report([{str(path)!r}]); "
             "print(unusable, len(report.diagnostics), 'lark' in sys.modules, "
             "'jsonschema' in sys.modules)")
    outputs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env=environment, check=True).stdout.split() for _ in range(2)]
    assert outputs[0] == ["False", "0", "True", "True"]  # cold: both needed
    assert outputs[1] == ["False", "0", "False", "False"]  # warm: neither


def test_no_cache_is_a_parameter_not_the_environment(tmp_path, cache_dir, capsys):
    """`check --no-cache` reads and writes no entry, and leaves the process as it found it
    (a library caller's later loads still use the cache)."""
    from lsrules import cli

    path = tmp_path / "r.yaml"
    path.write_text(RULESET)
    assert cli.main(["check", "--no-cache", str(path)]) == 0
    assert "LSRULES_NO_CACHE" not in os.environ
    assert not (cache_dir / "rulesets").exists()
    check_and_load(path)
    assert len(list((cache_dir / "rulesets").glob("*.json"))) == 1
