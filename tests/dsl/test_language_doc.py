"""The `Example: `expression` is `value`` lines of the language sections below, in
docs/language.md, give what the engine computes (tests/test_docs.py runs the Geometry
section's). A section's ```xml block is its labeling config, what its ```yaml block has
before `rules:` goes in the ruleset (its `defs:`), its ```json block the data: a list of
result items, or an object with the `task` and the `annotation`."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lsrules.engine.engine import Engine
from lsrules.engine.evaluation import Evaluation

from .support import HEADER, load, quoted

SECTIONS = ("The labeling config", "Comprehensions", "Definitions (`defs:`)",
            "Dates and times")
LANGUAGE = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text()


def _examples():
    for match in re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", LANGUAGE, re.MULTILINE | re.DOTALL):
        title, body = match.groups()
        if title not in SECTIONS:
            continue
        config = re.search(r"```xml\n(.*?)```", body, re.DOTALL)
        ruleset = re.search(r"```yaml\n(.*?)^rules:", body, re.DOTALL | re.MULTILINE)
        data = re.search(r"```json\n(.*?)```", body, re.DOTALL)
        for expression, expected in re.findall(r"^Example: `(.+?)` is `(.+?)`", body,
                                               re.MULTILINE):
            yield pytest.param(config and config.group(1), data and json.loads(data.group(1)),
                               ruleset.group(1) if ruleset else "", expression,
                               json.loads(expected), id=f"{title}: {expression}")


EXAMPLES = list(_examples())


def test_the_language_page_has_examples_outside_geometry():
    assert {example.id.split(': ', 1)[0] for example in EXAMPLES} == set(SECTIONS)


@pytest.mark.parametrize("config, data, head, expression, expected", EXAMPLES)
def test_each_example_gives_its_value(tmp_path, config, data, head, expression, expected):
    header = HEADER + head
    if config:
        (tmp_path / "c.xml").write_text(config)
        header += "labeling_config: c.xml\n"
    ruleset, diagnostics = load(header + "rules:\n  - id: probe\n    assert: "
                                + quoted(expression) + "\n", tmp_path / "r.yaml")
    assert not [str(d) for d in diagnostics], "the example is checked clean"
    task, annotation = {"id": 1, "data": {}}, {"id": 2, "result": []}
    if isinstance(data, list):
        annotation["result"] = data
    elif isinstance(data, dict):
        task, annotation = data["task"], data["annotation"]
    engine = Engine(ruleset)
    state = Evaluation(engine, task, annotation, None)
    assert engine.namespace["trace_0"](state, None)[2] == expected


@pytest.mark.parametrize("title", SECTIONS)
def test_each_sections_ruleset_checks_clean(title):
    body = LANGUAGE.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    for block in re.findall(r"```yaml\n(.*?)```", body, re.DOTALL):
        if block.lstrip().startswith(("defs:", "rules:")):
            _, diagnostics = load(HEADER + block)
            assert [str(d) for d in diagnostics] == []
