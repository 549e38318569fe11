"""`lsrules check` on the example rulesets, and on mutations that must fail at the right place."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from lsrules.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "rulesets").glob("*.yaml"))


def test_examples_are_clean(capsys):
    assert main(["check", "--strict", *map(str, EXAMPLES)]) == 0
    out = capsys.readouterr().out
    assert "0 failed" in out


MUTATIONS = [
    # (example, text, mutated text, code, offset of the reported column inside the text)
    ("vehicles", "clamp(region.x", "clampp(region.x", "LSR111", 0),
    ("vehicles", "area(region)", "areaa(region)", "LSR111", 0),
    ("vehicles", "annotation.lead_time", "annotation.lead_tme", "LSR112", len("annotation.")),
    ("sentiment", "annotation.lead_time", "annotation.lead_tme", "LSR112", len("annotation.")),
    ("sentiment", "lower(trim", "lowr(trim", "LSR111", 0),
    ("sentiment", "len(task.data.text)", "length(task.data.text)", "LSR111", 0),
    ("ner", "region.start", "region.begin", "LSR112", len("region.")),
    ("ner", "len(task.data.text)", "len(task.dta.text)", "LSR112", len("len(task.")),
    ("ner", "region.label", "region.lable", "LSR112", len("region.")),
]


@pytest.mark.parametrize("example, old, new, code, offset", MUTATIONS)
def test_mutated_rule_fails_with_its_location(tmp_path, capsys, example, old, new, code, offset):
    source = ROOT / "rulesets" / f"{example}.yaml"
    text = source.read_text()
    if old not in text:
        pytest.fail(f"{source.name} no longer contains {old!r}: update this table")
    shutil.copy(ROOT / "rulesets" / f"{example}.xml", tmp_path / f"{example}.xml")
    position = text.index(old) + offset
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    mutated = tmp_path / source.name
    mutated.write_text(text.replace(old, new, 1))
    assert main(["check", str(mutated)]) == 1
    out = capsys.readouterr().out
    assert f"{source.name}:{line}:{column}: error {code}" in out, out


def test_set_to_an_undefined_label_is_an_error(tmp_path, capsys):
    example = ROOT / "rulesets" / "vehicles.yaml"
    shutil.copy(ROOT / "rulesets" / "vehicles.xml", tmp_path / "vehicles.xml")
    text = example.read_text()
    old = '"Car" if lower(region.label)'
    assert old in text
    position = text.index(old)
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    (tmp_path / "vehicles.yaml").write_text(text.replace(old, '"Kar" if lower(region.label)', 1))
    assert main(["check", str(tmp_path / "vehicles.yaml")]) == 1
    out = capsys.readouterr().out
    assert f"vehicles.yaml:{line}:{column}: error LSR132" in out
    assert "did you mean `Car`" in out


@pytest.mark.parametrize("report_format", ["json", "sarif", "junit", "github", "text"])
def test_every_format_renders(capsys, report_format):
    assert main(["check", "--format", report_format, *map(str, EXAMPLES)]) == 0
    out = capsys.readouterr().out
    if report_format in ("json", "sarif"):
        json.loads(out)
    elif report_format == "junit":
        suites = ElementTree.fromstring(out)
        cases = suites.findall(".//testcase")
        assert len(cases) >= 30
    else:
        assert out.strip() != "" or report_format == "github"


def test_broken_yaml_exits_2_with_location(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("ruleset: x\nrules:\n  - id: a\n    assert: [region.x\n")
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out
    assert "bad.yaml:" in out and "quote" in out
