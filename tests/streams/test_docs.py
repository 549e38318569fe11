"""The stream functions and names are documented next to the other built-ins."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from lsrules.dsl.names import OBJECT_FIELDS, STREAM_FUNCTIONS

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE = (ROOT / "docs" / "language.md").read_text()
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", sorted(STREAM_FUNCTIONS))
def test_every_stream_function_is_documented(name):
    assert re.search(rf"^### {re.escape(name)}$", LANGUAGE, re.MULTILINE), name


@pytest.mark.parametrize("field", sorted(OBJECT_FIELDS["event"]))
def test_every_event_field_is_documented(field):
    assert f"`{field}`" in LANGUAGE.split("## Stream rules", 1)[1]


def test_the_readme_has_a_streams_section():
    assert "## Stream rules" in README and "streams:" in README
