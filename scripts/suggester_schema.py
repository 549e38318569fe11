"""Write what is derived from the suggester's settings (`lsrules.suggest.settings`): the
`suggester` part of schemas/ruleset.schema.json and the table of settings in
docs/suggest.md.

Run it after adding or changing a suggester setting (`python scripts/suggester_schema.py`);
tests/suggest/test_settings_schema.py (the schema) and tests/test_docs.py (the table) fail
while either file and the settings disagree.
"""
from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

from lsrules.suggest.settings import SuggesterSettings, json_schema

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schemas" / "ruleset.schema.json"
DOCS = ROOT / "docs" / "suggest.md"
TABLE = re.compile(r"(<!-- settings: .*? -->\n).*?(<!-- end of settings -->)", re.DOTALL)


def expected_text() -> str:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    schema["$defs"]["suggester"] = json_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def settings_table() -> str:
    """Every setting, its default, what it may be and what it does, as a Markdown table."""
    rows = ["| setting | default | allowed | what it does |", "|---|---|---|---|"]
    for setting in fields(SuggesterSettings):
        if setting.metadata.get("switch"):
            default, allowed = f"`{str(setting.default).lower()}`", "`true`, `false`"
        elif "range" in setting.metadata:
            lowest, highest, exclusive = setting.metadata["range"]
            default = f"`{setting.default:g}`"
            integer = setting.type in (int, "int")
            allowed = (f"{'an integer' if integer else 'a number'} in "
                       f"{'(' if exclusive else '['}{_number(lowest)}, {_number(highest)}]")
        else:
            default, allowed = "not set", "a text"
        description = setting.metadata["description"].replace("|", "\\|")
        rows.append(f"| `{setting.name}` | {default} | {allowed} | {description} |")
    return "\n".join(rows) + "\n"


def _number(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() and abs(value) >= 10_000 else f"{value:g}"


def expected_docs() -> str:
    text = DOCS.read_text(encoding="utf-8")
    if not TABLE.search(text):
        raise SystemExit(f"{DOCS}: no `<!-- settings: ... -->` ... `<!-- end of settings -->`")
    return TABLE.sub(lambda match: match.group(1) + settings_table() + match.group(2), text)


if __name__ == "__main__":
    SCHEMA.write_text(expected_text(), encoding="utf-8")
    DOCS.write_text(expected_docs(), encoding="utf-8")
