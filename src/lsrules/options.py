"""Command-line options as the project file's `[defaults.COMMAND]` tables set them.

A table's keys are the commands' long options without the dashes (`fail-on = "warning"`),
so the command line and the file say the same thing the same way, and the commands' own
argparse definitions are the one home of every option: `options_schema` derives the
`defaults` part of `schemas/project.schema.json` from them (a test keeps the file equal),
and `apply_defaults` makes a table the parser's defaults, which the command line overrides.
"""
from __future__ import annotations

import argparse
from typing import Any

from lsrules.errors import Location, LsrulesError

# Options that are not defaults of a command: where the project file is, the Label Studio
# URL, whose home is the file's `[label-studio] url`, and --allow-outside-root, which a
# pull request could otherwise turn on by editing the project file.
NOT_SETTABLE = frozenset({"help", "version", "project_file", "isolated", "ls_url",
                          "allow_outside_root"})


def settable_options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """`{key: action}` for the options a `[defaults]` table may set."""
    options = {}
    for action in parser._actions:
        longs = [o for o in action.option_strings if o.startswith("--")]
        if not longs or action.required or action.dest in NOT_SETTABLE \
                or action.default == argparse.SUPPRESS:
            continue
        options[longs[0][2:]] = action
    return options


def sub_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """A command's own sub-commands (`suggest fit`), by name."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def apply_defaults(parser: argparse.ArgumentParser, table: dict[str, Any],
                   where: Location, name: str) -> None:
    """Make `table` (already valid against the schema) the parser's defaults."""
    options = settable_options(parser)
    nested = sub_parsers(parser)
    values = {}
    for key, value in table.items():
        if key in nested and isinstance(value, dict):
            apply_defaults(nested[key], value, where, f"{name}.{key}")
        elif key in options:
            values[options[key].dest] = value
        else:  # the schema and the commands disagree: say so rather than ignore it
            raise LsrulesError(f"[defaults.{name}] sets {key!r}, which is no option of "
                               f"`lsrules {name.replace('.', ' ')}`", where)
    parser.set_defaults(**values)


def options_schema(parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The JSON Schema of one command's `[defaults]` table."""
    properties: dict[str, Any] = {}
    for key, action in sorted(settable_options(parser).items()):
        properties[key] = _value_schema(action)
    for name, sub in sorted(sub_parsers(parser).items()):
        properties[name] = options_schema(sub)
        properties[name]["description"] = f"defaults of `{parser.prog} {name}`"
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _value_schema(action: argparse.Action) -> dict[str, Any]:
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        item: dict[str, Any] = {"type": "boolean"}
    elif isinstance(action, argparse._CountAction):
        item = {"type": "integer", "minimum": 0}
    else:
        kind = "integer" if action.type is int else "number" if action.type is float else "string"
        item = {"type": kind}
        if action.choices is not None:
            item["enum"] = list(action.choices)
    many = isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+")
    schema = {"type": "array", "items": item} if many else item
    if action.help and action.help != argparse.SUPPRESS:
        text = action.help.replace("%(default)s", str(action.default)).replace("%%", "%")
        schema = {"description": text, **schema}
    return schema
