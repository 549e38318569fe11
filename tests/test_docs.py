"""The docs stay in step with the code: every built-in and comprehension has an entry in
docs/language.md, and every diagnostic code one in docs/diagnostics.md whose example triggers it."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lsrules.diagnostics import CODES
from lsrules.dsl.builtins import BUILTINS, COMPREHENSIONS
from lsrules.packs.builtin import LabelingConfigPack

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = (ROOT / "docs" / "language.md").read_text()
RULES = (ROOT / "docs" / "rules.md").read_text()


@pytest.mark.parametrize("name", sorted(set(BUILTINS) | set(COMPREHENSIONS)))
def test_every_builtin_is_documented(name):
    assert re.search(rf"^### {re.escape(name)}$", LANGUAGE, re.MULTILINE), name


@pytest.mark.parametrize("rule_id", sorted(LabelingConfigPack.RULES))
def test_every_pack_rule_is_documented(rule_id):
    assert rule_id in RULES


DIAGNOSTICS = (ROOT / "docs" / "diagnostics.md").read_text()
SOURCE_CODES = {code for path in (ROOT / "src" / "lsrules").rglob("*.py")
                for code in re.findall(r'"(LSR\d{3})"', path.read_text())}
DOCUMENTED_CODES = set(re.findall(r"^## (LSR\d{3})$", DIAGNOSTICS, re.MULTILINE))


def test_the_registry_is_every_code_the_source_emits():
    assert SOURCE_CODES == set(CODES)


def test_the_docs_list_exactly_the_registry():
    assert DOCUMENTED_CODES == set(CODES)


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_documented_code_says_what_the_registry_says(code):
    """Title, usual severity and exit 2: the page heads each entry with the registry's."""
    entry = re.search(rf"^## {code}\n\n\*\*(.+?)\.\*\* Severity: (\w+)(.*)$", DIAGNOSTICS,
                      re.MULTILINE)
    assert entry, f"docs/diagnostics.md has no `## {code}` headed **Title.** Severity: ..."
    title, severity, rest = entry.groups()
    assert (title, severity, "exit 2" in rest) == (
        CODES[code].title, CODES[code].severity, CODES[code].unusable)


def _examples():
    for match in re.finditer(r"^## (LSR\d{3})\n(.*?)(?=^## |\Z)", DIAGNOSTICS,
                             re.MULTILINE | re.DOTALL):
        example = re.search(r"```yaml\n(.*?)```", match.group(2), re.DOTALL)
        if example:
            yield match.group(1), example.group(1)


@pytest.mark.parametrize("code, example", list(_examples()))
def test_every_diagnostic_example_triggers_its_code(tmp_path, code, example):
    from lsrules.commands.check import build_report

    (tmp_path / "vehicles.xml").write_text((ROOT / "rulesets" / "vehicles.xml").read_text())
    path = tmp_path / "ruleset.yaml"
    path.write_text(example.replace("...\n", 'ruleset: t\nversion: "1"\n'))
    report, _ = build_report([str(path)])
    assert code in {diagnostic.code for diagnostic in report.diagnostics}, [
        str(diagnostic) for diagnostic in report.diagnostics]


def _geometry_examples():
    section = LANGUAGE[LANGUAGE.index("## Geometry\n"):LANGUAGE.index("## Fix actions\n")]
    shapes = json.loads(re.search(r"```json\n(.*?)```", section, re.DOTALL).group(1))
    for match in re.finditer(r"^### (\w+)\n(.*?)(?=^### |\Z)", section, re.MULTILINE | re.DOTALL):
        example = re.search(r"^Example: `(.+?)` is `(.+?)`", match.group(2), re.MULTILINE)
        yield match.group(1), shapes, example and example.groups()


@pytest.mark.parametrize("name, shapes, example", list(_geometry_examples()))
def test_every_geometry_example_is_what_the_function_gives(name, shapes, example):
    from tests.dsl.support import value

    assert example, f"### {name} in docs/language.md has no `Example: `...` is `...`` line"
    expression, expected = example
    assert name in expression
    assert value(expression, result=shapes) == json.loads(expected)


def test_the_geometry_section_lists_every_geometry_function():
    from lsrules.dsl.builtins import GEOMETRY

    assert {name for name, _, _ in _geometry_examples()} == set(GEOMETRY)
