"""The docs stay in step with the code: every built-in and comprehension has an entry in
docs/language.md, and every diagnostic code one in docs/diagnostics.md whose example triggers it."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from lsrules.diagnostics import CODES
from lsrules.dsl.builtins import BUILTINS, COMPREHENSIONS
from lsrules.packs.builtin import LabelingConfigPack
from lsrules.ruleset.labeling_config import parse_labeling_config

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = (ROOT / "docs" / "language.md").read_text()
RULES = (ROOT / "docs" / "rules.md").read_text()


@pytest.mark.parametrize("name", sorted(set(BUILTINS) | set(COMPREHENSIONS)))
def test_every_builtin_is_documented(name):
    assert re.search(rf"^### {re.escape(name)}$", LANGUAGE, re.MULTILINE), name


@pytest.mark.parametrize("rule_id", sorted(LabelingConfigPack.RULES))
def test_every_pack_rule_is_documented(rule_id):
    assert rule_id in RULES


RULES_DATA = {"image": "https://example.com/1.jpg", "text": "Alice works"}  # as rules.md says


def _pack_examples():
    """Per rule of docs/rules.md: its config (its own, else the page's) and its two JSON
    blocks, the example and what to use instead."""
    page_config = re.search(r"```xml\n(.*?)```", RULES, re.DOTALL).group(1)
    for section in re.finditer(r"^## `(lc-[a-z-]+)`\n(.*?)(?=^## |^# |\Z)", RULES,
                               re.MULTILINE | re.DOTALL):
        own = re.search(r"```xml\n(.*?)```", section.group(2), re.DOTALL)
        blocks = re.findall(r"```json\n(.*?)```", section.group(2), re.DOTALL)
        yield section.group(1), own.group(1) if own else page_config, blocks


@pytest.mark.parametrize("rule_id, config, blocks", list(_pack_examples()))
def test_every_pack_rule_example_gets_its_finding_and_its_fix_none(rule_id, config, blocks):
    assert len(blocks) == 2, f"{rule_id}: an **Example** and a **Use instead** JSON block"
    pack = LabelingConfigPack(parse_labeling_config(config))
    found = []
    for block in blocks:
        document = json.loads(block)
        if isinstance(document, list):
            document = {"result": document}
        data = document.pop("data", RULES_DATA)
        found.append([f.rule_id for f in pack.check({"id": 1, "data": data}, document)])
    example, use_instead = found
    assert rule_id in example
    assert use_instead == []


def test_every_pack_rule_has_a_runnable_example():
    assert {rule_id for rule_id, _, _ in _pack_examples()} == set(LabelingConfigPack.RULES)


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


def _language_examples():
    """Every `Example: `EXPRESSION` is `VALUE`` line of docs/language.md, with what it runs
    on: the JSON (regions, or a task and an annotation), XML (a labeling config) and
    `defs:` last shown before it in its section."""
    for section in re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", LANGUAGE, re.MULTILINE | re.DOTALL):
        context: dict = {"json": None, "xml": None, "defs": None}
        subsection = section.group(1)
        for match in re.finditer(r"^### (\w+)$|```(json|xml|yaml)\n(.*?)```"
                                 r"|^Example: `([^\n]+?)` is `([^\n]+?)`[^`\n]*$", section.group(2),
                                 re.MULTILINE | re.DOTALL):
            if match.group(1):
                subsection = match.group(1)
            elif match.group(2) == "yaml":
                document = yaml.safe_load(match.group(3))
                if isinstance(document, dict) and "defs" in document:
                    context["defs"] = document["defs"]
            elif match.group(2):
                context[match.group(2)] = match.group(3)
            else:
                yield subsection, match.group(4), match.group(5), dict(context)


LANGUAGE_EXAMPLES = list(_language_examples())


@pytest.mark.parametrize("where, expression, expected, context", LANGUAGE_EXAMPLES,
                         ids=[f"{where}: {expression}" for where, expression, _, _
                              in LANGUAGE_EXAMPLES])
def test_every_language_example_is_what_the_expression_gives(tmp_path, where, expression,
                                                               expected, context):
    from lsrules.engine.engine import Engine
    from lsrules.engine.evaluation import Evaluation
    from lsrules.ruleset.checks import check_ruleset
    from lsrules.ruleset.loader import load_ruleset
    from tests.dsl.support import TASK

    header = 'ruleset: t\nversion: "1"\n'
    if context["xml"]:
        (tmp_path / "config.xml").write_text(context["xml"])
        header += "labeling_config: config.xml\n"
    if context["defs"]:
        header += yaml.safe_dump({"defs": context["defs"]}, sort_keys=False)
    path = tmp_path / "probe.yaml"
    path.write_text(header + f"rules:\n  - id: probe\n    when: {json.dumps(expression)}\n"
                    "    assert: false\n")
    ruleset, diagnostics = load_ruleset(path)
    diagnostics += list(check_ruleset(ruleset))
    assert not [str(d) for d in diagnostics if d.severity == "error"]
    engine = Engine(ruleset)
    data = json.loads(context["json"]) if context["json"] else []
    task, annotation = (TASK, {"id": 2, "result": data}) if isinstance(data, list) else (
        data.get("task", TASK), data.get("annotation", {"id": 2, "result": []}))
    state = Evaluation(engine, task, annotation, None)
    assert engine.namespace["trace_0"](state, None)[1] == json.loads(expected)


def _language_rulesets():
    """The ```yaml blocks of docs/language.md that hold rules, each with the labeling
    config last shown before it in its section."""
    for section in re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", LANGUAGE, re.MULTILINE | re.DOTALL):
        config = None
        for match in re.finditer(r"```(xml|yaml)\n(.*?)```", section.group(2), re.DOTALL):
            if match.group(1) == "xml":
                config = match.group(2)
                continue
            document = yaml.safe_load(match.group(2))
            if isinstance(document, list) or (isinstance(document, dict) and "rules" in document):
                yield section.group(1), match.group(2), config


@pytest.mark.parametrize("section, text, config", list(_language_rulesets()))
def test_every_ruleset_example_in_the_language_passes_check(tmp_path, section, text, config):
    from lsrules.commands.check import build_report

    document = yaml.safe_load(text)
    header = 'ruleset: t\nversion: "1"\n'
    if config:
        (tmp_path / "config.xml").write_text(config)
        header += "labeling_config: config.xml\n"
    body = text if isinstance(document, dict) else "rules:\n" + textwrap.indent(text, "  ")
    (tmp_path / "example.yaml").write_text(header + body)
    report, _ = build_report([str(tmp_path / "example.yaml")])
    assert [str(d) for d in report.diagnostics] == []


@pytest.mark.parametrize("name", sorted(set(BUILTINS) | set(COMPREHENSIONS)))
def test_every_function_has_an_example_the_docs_test_runs(name):
    assert name in {where for where, _, _, _ in LANGUAGE_EXAMPLES}, (
        f"### {name} in docs/language.md has no `Example: `...` is `...`` line")


def test_the_geometry_section_lists_every_geometry_function():
    from lsrules.dsl.builtins import GEOMETRY

    section = LANGUAGE[LANGUAGE.index("## Geometry\n"):LANGUAGE.index("## Fix actions\n")]
    assert set(re.findall(r"^### (\w+)$", section, re.MULTILINE)) == set(GEOMETRY)


API = (ROOT / "docs" / "api.md").read_text()


def test_every_api_example_prints_what_the_page_shows(monkeypatch):
    """The ```python blocks of docs/api.md, run in order in one namespace from the
    repository's root as the page says, each `>>>` compared with the output shown."""
    import doctest

    monkeypatch.chdir(ROOT)
    parser, globs = doctest.DocTestParser(), {"__name__": "api_md"}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS, verbose=False)
    reports: list[str] = []
    for block in re.finditer(r"^```python\n(.*?)^```", API, re.MULTILINE | re.DOTALL):
        line = API.count("\n", 0, block.start()) + 1  # failures name the page's own lines
        test = parser.get_doctest(block.group(1), globs, "docs/api.md", "docs/api.md", line)
        assert test.examples, f"docs/api.md:{line}: a python block without a >>> example"
        runner.run(test, out=reports.append, clear_globs=False)
        globs = test.globs  # a DocTest runs on a copy: the next block starts from this one's
    assert runner.failures == 0, "".join(reports)
    assert runner.tries >= 30, "docs/api.md lost its examples"


def test_the_api_page_names_every_export():
    import lsrules

    for name in lsrules.__all__:
        assert f"`{name}" in API, f"docs/api.md does not describe lsrules.{name}"


SUGGEST = (ROOT / "docs" / "suggest.md").read_text()


def test_the_suggest_commands_print_what_docs_suggest_shows(tmp_path, monkeypatch, capsys):
    """Every `$ lsrules suggest ...` of docs/suggest.md, run on the simulated export the page
    describes with the page's `suggester:` block, prints exactly the lines shown under it."""
    from lsrules.cli import main
    from tests.suggest.conftest import noisy_export

    tasks, wrong = noisy_export(1000, seed=11, wrong_share=0.03)
    assert len(wrong) == 30  # "3% of them labelled wrongly"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "news.json").write_text(json.dumps(tasks))
    block = re.search(r"```yaml\n(suggester:\n.*?)```", SUGGEST, re.DOTALL).group(1)
    (tmp_path / "news.yaml").write_text(f'ruleset: news\nversion: "1"\nrules: []\n{block}')
    shown = re.findall(r"^```console\n\$ lsrules (.*?)\n(.*?)^```", SUGGEST,
                       re.MULTILINE | re.DOTALL)
    assert [command.split()[1] for command, _ in shown] == ["fit", "eval", "audit"]
    for command, output in shown:
        capsys.readouterr()
        assert main(command.split()) == 0, command
        printed = capsys.readouterr().out.replace(os.path.realpath(tmp_path), "/srv/news")
        assert printed == output, command
    assert main(["suggest", "audit", "news.yaml", "--input", "news.json", "--top", "1000"]) == 0
    flagged = re.findall(r"^ {2}(\d+) +\d+ .* yes$", capsys.readouterr().out, re.MULTILINE)
    assert len(wrong - {int(task_id) for task_id in flagged}) == 1  # "29 of the 30 ..."
    assert len(flagged) == 29  # "... and nothing else"


def test_docs_suggest_lists_every_setting_as_the_settings_define_it():
    spec = importlib.util.spec_from_file_location("suggester_schema",
                                                  ROOT / "scripts" / "suggester_schema.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert SUGGEST == script.expected_docs(), (
        "docs/suggest.md's table of settings is stale: run python scripts/suggester_schema.py")


def test_the_newest_version_in_the_changelog_is_the_packages():
    """The version has one home (lsrules/version.py); CHANGELOG.md names it as the newest
    release, below [Unreleased]."""
    from lsrules.version import __version__

    changelog = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.MULTILINE)
    assert versions and versions[0] == __version__
    assert changelog.index("## [Unreleased]") < changelog.index(f"## [{__version__}]")
