"""The shapes of the names a ruleset gives: rule ids, route names, the ruleset's name.

These names end up in decision records, task metadata, reports and terminals, so the loader
checks them itself, whether or not the JSON Schema ran (a cached verdict may skip it), and
with full-string matches: `re.fullmatch` never lets a trailing newline through, where a
pattern ending in `$` does. The schema's patterns say the same for editors.
"""
from __future__ import annotations

import re

RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a ruleset's name, a route's name

RULE_ID_HINT = ('an id in kebab-case: lower-case letters and digits joined by single "-", '
                'e.g. "box-inside-image"')
NAME_HINT = 'a name of letters, digits, "-", "_" and ".", starting with a letter or digit'


def is_rule_id(value: object) -> bool:
    return isinstance(value, str) and RULE_ID.fullmatch(value) is not None


def is_name(value: object) -> bool:
    return isinstance(value, str) and NAME.fullmatch(value) is not None
