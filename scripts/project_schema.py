"""Write schemas/project.schema.json: its `defaults` part comes from the commands' options.

Run it after adding or changing an option (`python scripts/project_schema.py`);
tests/test_project_file.py fails while the file and the commands disagree.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from lsrules.cli import COMMANDS, build_parser
from lsrules.options import options_schema

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "project.schema.json"


def defaults_schema() -> dict:
    properties = {}
    for name in COMMANDS:
        parser = build_parser(name, ["--isolated"])
        command = next(action for action in parser._actions if action.choices
                       and name in action.choices).choices[name]
        properties[name] = {"description": f"defaults of `lsrules {name}`",
                            **options_schema(command)}
    return {"description": "Defaults of the commands' options, one table per command "
                           "(`[defaults.check]`), keys named as the long options without "
                           "their dashes; the command line overrides them.",
            "type": "object", "additionalProperties": False, "properties": properties}


def expected_schema() -> dict:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    schema["properties"]["defaults"] = defaults_schema()
    return schema


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMA.write_text(render(expected_schema()), encoding="utf-8")
    sys.exit(0)
