"""The docs stay in step with the code: every built-in and comprehension has an entry."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from lsrules.dsl.builtins import BUILTINS, COMPREHENSIONS
from lsrules.engine.builtin_pack import LabelingConfigPack

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = (ROOT / "docs" / "language.md").read_text()
RULES = (ROOT / "docs" / "rules.md").read_text()


@pytest.mark.parametrize("name", sorted(set(BUILTINS) | set(COMPREHENSIONS)))
def test_every_builtin_is_documented(name):
    assert re.search(rf"^### {re.escape(name)}$", LANGUAGE, re.MULTILINE), name


@pytest.mark.parametrize("rule_id", sorted(LabelingConfigPack.RULES))
def test_every_pack_rule_is_documented(rule_id):
    assert rule_id in RULES
