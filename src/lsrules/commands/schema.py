"""`lsrules schema`: print one of lsrules' JSON Schemas, for editors outside this repository.

Save it next to your rulesets and point the YAML language server at it
(`# yaml-language-server: $schema=ruleset.schema.json`), or a TOML editor at the project
file's. The text printed is the one `lsrules check` validates with.
"""
from __future__ import annotations

import argparse
import sys

from lsrules.ruleset.schema import DECISION_SCHEMA, PROJECT_SCHEMA, RULESET_SCHEMA, schema_text

SCHEMAS = {"ruleset": RULESET_SCHEMA, "decision": DECISION_SCHEMA, "project": PROJECT_SCHEMA}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", nargs="?", choices=sorted(SCHEMAS), default="ruleset",
                        help="ruleset (the default), decision (a record of `run`'s output) or "
                             "project (the project file)")


def run(args: argparse.Namespace) -> int:
    text = schema_text(SCHEMAS[args.which])
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0
