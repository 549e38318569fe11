"""The generated LALR tables (src/lsrules/dsl/lalr_tables.py) are those of grammar.lark:
after editing the grammar or upgrading Lark, run `python scripts/generate_lalr_tables.py`."""
from __future__ import annotations

import pytest
from lark import Lark
from lark.exceptions import UnexpectedInput

from lsrules.dsl import lalr_tables, parser

CORPUS = [
    ("expression", "none(any(iou(r, o) > 0.9 and r.id != o.id for o in regions) for r in regions)"),
    ("expression", 'a if not -b.c[1] else [1, 2.5, "x\\n", null, true, false, -3]'),
    ("expression", "0 <= region.x <= 100 and region.label not in ['a', 'b'] or x % 2 == 1"),
    ("expression", "[r.id for r in regions if r.type == 'choices']"),
    ("expression", "config.labels('label')"),
    ("action", "set region.x = clamp(region.x, 0, 100)"),
    ("action", "drop region"),
    ("action", "add_label 'Car'"),
    ("action", "remove_label lower(region.label)"),
    ("expression", "a =="),
    ("expression", "a b"),
    ("expression", "(a"),
    ("expression", "a && b"),
    ("action", "region.x = 1"),
]


def _outcome(lark: Lark, start: str, text: str):
    try:
        return lark.parse(text, start=start)
    except UnexpectedInput as error:
        return type(error).__name__, getattr(error, "pos_in_stream", None), getattr(
            error, "column", None)


def test_the_tables_are_made_from_this_grammar():
    assert lalr_tables.GRAMMAR_SHA256 == parser.grammar_sha256(), (
        "grammar.lark changed: run `python scripts/generate_lalr_tables.py`")


@pytest.mark.parametrize("start,text", CORPUS)
def test_the_tables_parse_as_the_grammar_does(start, text):
    built = parser.build_parser(parser._ToAst())
    loaded = Lark._load_from_dict(lalr_tables.DATA, lalr_tables.MEMO, transformer=parser._ToAst())
    expected = _outcome(built, start, text)
    assert _outcome(loaded, start, text) == expected
    assert _outcome(parser._parser(), start, text) == expected
