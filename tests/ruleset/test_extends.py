"""`extends:` of ruleset files: a team's shared rules included by many rulesets, read with
the same checks, cache and project root, each file once, cycles refused where written."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import lsrules
from lsrules.cli import main
from lsrules.engine.engine import check_and_load
from lsrules.errors import LsrulesError

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="EMAIL"/></Labels>
</View>
"""
PII = """\
ruleset: pii
version: "2"
description: the team's PII rules, shared by every text project
labeling_config: pii.xml
routes:
  privacy: {priority: 50}
rules:
  - id: email-in-text
    severity: warning
    when: matches(task.data.text, "[a-z]+@[a-z]+[.][a-z]+")
    assert: any(r.label == "EMAIL" for r in regions)
    message: "the text holds an e-mail address no span marks"
    route: privacy
tests:
  - name: only run when the pack is checked on its own
    task: {id: 1, data: {text: "a@b.cd"}}
    annotation: {id: 1, result: []}
    expect: {fired: [email-in-text]}
"""
TASK = {"id": 1, "data": {"text": "mail ann@example.org now"}}


def span(region_id, label, start=5, end=20):
    return {"id": region_id, "from_name": "ner", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "labels": [label]}}


def ruleset(body: str, name: str = "ruleset") -> str:
    return f'ruleset: {name}\nversion: "1"\nlabeling_config: config.xml\n' + textwrap.dedent(body)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "lsrules.toml").write_text("")
    (tmp_path / "config.xml").write_text(CONFIG)
    (tmp_path / "packs").mkdir()
    (tmp_path / "packs" / "pii.xml").write_text(CONFIG)
    (tmp_path / "packs" / "pii.yaml").write_text(PII)
    return tmp_path


def test_a_files_rules_and_routes_come_first(project):
    path = project / "ner.yaml"
    path.write_text(ruleset("""\
        extends: [builtin:labeling-config, packs/pii.yaml]
        routes:
          review: {priority: 10}
        rules:
          - id: person-present
            severity: warning
            assert: any(r.label == "PER" for r in regions)
            route: review
        """))
    engine = lsrules.load(path)
    assert [rule.id for rule in engine.rules] == ["email-in-text", "person-present"]
    assert engine.routes == {"privacy": 50, "review": 10}
    decision = engine.evaluate(TASK, {"id": 2, "result": [span("a", "PER")]})
    assert [f.rule for f in decision.findings] == ["email-in-text"]
    assert decision.route["name"] == "privacy"
    decision = engine.evaluate(TASK, {"id": 2, "result": [span("a", "EMAIL")]})
    assert [f.rule for f in decision.findings] == ["person-present"]
    assert main(["check", str(path)]) == 0  # the pack's own test is the pack's, not run here


def test_the_audit_hash_covers_the_extended_file(project):
    path = project / "ner.yaml"
    path.write_text(ruleset("extends: [packs/pii.yaml]\nrules: []\n"))
    before = lsrules.load(path).sha256
    (project / "packs" / "pii.yaml").write_text(PII.replace('version: "2"', 'version: "3"'))
    assert lsrules.load(path).sha256 != before


def test_a_file_two_files_extend_is_included_once(project):
    for name in ("a", "b"):
        (project / "packs" / f"{name}.yaml").write_text(
            ruleset(f"extends: [pii.yaml]\nrules:\n  - id: {name}\n    assert: true\n", name))
    path = project / "top.yaml"
    path.write_text(ruleset("extends: [packs/a.yaml, packs/b.yaml]\nrules: []\n"))
    assert [rule.id for rule in lsrules.load(path).rules] == ["email-in-text", "a", "b"]


def test_a_cycle_is_refused_where_it_closes(project, capsys):
    (project / "packs" / "a.yaml").write_text(ruleset("extends: [b.yaml]\nrules: []\n", "a"))
    (project / "packs" / "b.yaml").write_text(
        ruleset("rules: []\nextends:\n  - pii.yaml\n  - a.yaml\n", "b"))
    path = project / "top.yaml"
    path.write_text(ruleset("extends: [packs/a.yaml]\nrules: []\n"))
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"{project / 'packs' / 'b.yaml'}:7:5: error LSR008 extends itself: " \
           "packs/a.yaml -> packs/b.yaml -> packs/a.yaml" in out


def test_a_file_that_extends_itself(project):
    path = project / "self.yaml"
    path.write_text(ruleset("extends: [self.yaml]\nrules: []\n"))
    with pytest.raises(LsrulesError, match="LSR008: extends itself: self.yaml -> self.yaml"):
        lsrules.load(path)


@pytest.mark.parametrize("entry, code, part", [
    ("packs/missing.yaml", "LSR007", "cannot read packs/missing.yaml"),
    ("../outside.yaml", "LSR006", "is outside the project root"),
    ("packs/pii.xml.yaml", "LSR007", "cannot read packs/pii.xml.yaml"),
    ("packs/list.yaml", "LSR007", "must be a YAML mapping"),
    ("pii", "LSR004", 'unknown rule pack "pii"'),
])
def test_a_file_that_cannot_be_extended_is_located(project, entry, code, part):
    (project.parent / "outside.yaml").write_text(PII)
    (project / "packs" / "list.yaml").write_text("- a\n")
    path = project / "ner.yaml"
    path.write_text(ruleset(f"rules: []\nextends: [{entry}]\n"))
    _, diagnostics = check_and_load(path)
    found = [d for d in diagnostics if d.code == code]
    assert found and part in found[0].message, [str(d) for d in diagnostics]
    assert (found[0].location.line, found[0].location.column) == (5, 11)


def test_problems_inside_the_file_are_reported_there(project):
    # its rules are checked against the extending ruleset's labeling config
    (project / "packs" / "bad.yaml").write_text(ruleset(
        "rules:\n  - id: org\n    assert: any(r.label == \"ORG\" for r in regions)\n"
        "    route: nowhere\n", "bad"))
    path = project / "ner.yaml"
    path.write_text(ruleset("extends: [packs/bad.yaml]\nrules: []\n"))
    _, diagnostics = check_and_load(path)
    found = {(d.code, Path(d.location.file).name, d.location.line) for d in diagnostics}
    assert ("LSR122", "bad.yaml", 7) in found
    assert any(code == "LSR132" and name == "bad.yaml" for code, name, _ in found)


def test_disable_and_overrides_reach_the_extended_rules(project):
    path = project / "ner.yaml"
    path.write_text(ruleset("""\
        extends: [packs/pii.yaml]
        overrides:
          email-in-text: {severity: error}
        rules: []
        """))
    engine = lsrules.load(path)
    assert [(rule.id, rule.severity) for rule in engine.rules] == [("email-in-text", "error")]
    path.write_text(ruleset("extends: [packs/pii.yaml]\ndisable: [email-in-text]\nrules: []\n"))
    assert lsrules.load(path).rules == []
    path.write_text(ruleset("extends: [packs/pii.yaml]\ndisable: [email-in-txt]\nrules: []\n"))
    _, diagnostics = check_and_load(path)
    assert [(d.code, d.suggestion) for d in diagnostics] == [("LSR128", "email-in-text")]


def test_a_rule_id_both_files_have_is_a_duplicate(project):
    path = project / "ner.yaml"
    path.write_text(ruleset("extends: [packs/pii.yaml]\nrules:\n  - id: email-in-text\n"
                            "    assert: true\n"))
    _, diagnostics = check_and_load(path)
    assert [(d.code, d.location.line) for d in diagnostics] == [("LSR120", 6)]


def test_a_warm_load_reads_the_extended_file_from_the_cache(project, tmp_path_factory,
                                                            monkeypatch):
    monkeypatch.delenv("LSRULES_NO_CACHE", raising=False)
    monkeypatch.setenv("LSRULES_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    path = project / "ner.yaml"
    path.write_text(ruleset("extends: [packs/pii.yaml]\nrules: []\n"))
    cold = lsrules.load(path)
    warm = lsrules.load(path)
    assert (warm.sha256, [r.id for r in warm.rules]) == (cold.sha256, ["email-in-text"])
    (project / "packs" / "pii.yaml").write_text(PII.replace("email-in-text", "mail"))
    assert [rule.id for rule in lsrules.load(path).rules] == ["mail"]


def test_a_cluster_worker_compiles_the_ruleset_with_the_files_it_extends(project, tmp_path_factory,
                                                                        monkeypatch):
    # run --cluster sends a worker the ruleset and its extended files by their paths from
    # the project root; the worker rebuilds that tree and compiles the same ruleset
    from lsrules.commands.cluster import work
    from lsrules.ruleset.selection import Selection

    monkeypatch.setenv("LSRULES_CACHE_DIR", str(tmp_path_factory.mktemp("worker")))
    (project / "rules").mkdir()
    path = project / "rules" / "ner.yaml"
    path.write_text(ruleset("extends: [../packs/pii.yaml]\nrules: []\n").replace(
        "config.xml", "../config.xml"))
    engine = lsrules.load(path)
    bundle = work.make_bundle(engine, Selection(frozenset(), frozenset()))
    assert (bundle["name"], sorted(bundle["extended"])) == ("rules/ner.yaml", ["packs/pii.yaml"])
    compiled = work._compile(bundle)
    assert compiled.sha256 == engine.sha256
    assert [rule.id for rule in compiled.rules] == ["email-in-text"]
    decision = compiled.evaluate(TASK, {"id": 2, "result": []})
    assert [f.rule for f in decision.findings] == ["email-in-text"]
    bundle["extended"] = {"../outside.yaml": PII}
    with pytest.raises(LsrulesError, match="leaves its tree"):
        work._compile({**bundle, "sha256": "0" * 64})


def test_an_extended_files_definitions_are_its_own(project):
    # the pack's rule uses the pack's `marked`; the ruleset's own `marked` is another one
    (project / "packs" / "defs.yaml").write_text(ruleset("""\
        defs:
          marked(label): any(r.label == label for r in regions)
        rules:
          - id: email-marked
            when: matches(task.data.text, "@")
            assert: marked("EMAIL")
        """, "defs"))
    path = project / "ner.yaml"
    path.write_text(ruleset("""\
        extends: [packs/defs.yaml]
        defs:
          marked(label): count(r.label == label for r in regions) > 1
        rules:
          - id: two-people
            assert: marked("PER")
        """))
    engine = lsrules.load(path)
    decision = engine.evaluate(TASK, {"id": 2, "result": [span("a", "EMAIL"), span("b", "PER")]})
    assert [f.rule for f in decision.findings] == ["two-people"]
    assert main(["check", str(path)]) == 0


def test_hostile_entries_are_refused_without_reading_them(project, tmp_path_factory):
    # a symlink out of the project, an absolute path, a FIFO: each one located line, exit 2
    import os

    outside = tmp_path_factory.mktemp("elsewhere") / "secret.yaml"
    outside.write_text(PII)
    (project / "packs" / "link.yaml").symlink_to(outside)
    os.mkfifo(project / "packs" / "fifo.yaml")
    for entry, code in (("packs/link.yaml", "LSR006"), (str(outside), "LSR006"),
                        ("packs/fifo.yaml", "LSR007")):
        path = project / "ner.yaml"
        path.write_text(ruleset(f"rules: []\nextends: [{entry}]\n"))
        _, diagnostics = check_and_load(path)
        assert [d.code for d in diagnostics] == [code], [str(d) for d in diagnostics]


def test_a_shared_pack_comes_from_the_operators_pack_path(project, tmp_path_factory,
                                                          monkeypatch):
    # `pack:NAME`: NAME.yaml in a directory LSRULES_PACK_PATH lists, outside any project
    # (the environment is the operator's; a ruleset cannot set it)
    shared = tmp_path_factory.mktemp("team-packs")
    (shared / "pii.yaml").write_text(PII.replace("labeling_config: pii.xml\n", ""))
    path = project / "ner.yaml"
    path.write_text(ruleset("extends: [pack:pii]\nrules: []\n"))
    monkeypatch.setenv("LSRULES_PACK_PATH", f"{project / 'nowhere'}:{shared}")
    engine = lsrules.load(path)
    assert [rule.id for rule in engine.rules] == ["email-in-text"]
    assert engine.ruleset.extended_files == [str((shared / "pii.yaml").resolve())]
    monkeypatch.setenv("LSRULES_PACK_PATH", str(project / "nowhere"))
    _, diagnostics = check_and_load(path)
    assert [(d.code, d.message) for d in diagnostics] == [
        ("LSR004", f'no shared pack "pii" in LSRULES_PACK_PATH ({project / "nowhere"})')]


@pytest.mark.parametrize("entry", ["pack:../pii", "pack:Pii", "pack:"])
def test_a_shared_pack_name_is_a_plain_word(project, entry):
    path = project / "ner.yaml"
    path.write_text(ruleset(f"rules: []\nextends: ['{entry}']\n"))
    _, diagnostics = check_and_load(path)
    assert {d.code for d in diagnostics} == {"LSR001", "LSR004"}
