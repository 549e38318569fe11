"""Write the `suggester` part of schemas/ruleset.schema.json from the settings' definitions
(`lsrules.suggest.settings`).

Run it after adding or changing a suggester setting (`python scripts/suggester_schema.py`);
tests/suggest/test_settings_schema.py fails while the file and the settings disagree.
"""
from __future__ import annotations

import json
from pathlib import Path

from lsrules.suggest.settings import json_schema

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "ruleset.schema.json"


def expected_text() -> str:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    schema["$defs"]["suggester"] = json_schema()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA.write_text(expected_text(), encoding="utf-8")
