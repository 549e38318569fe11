"""Which files `check` and `test` read: the arguments, directories opened, or the project's.

A directory stands for the rulesets inside it, at any depth: the `*.yaml` and `*.yml` files
whose top level names a `ruleset:` (labeling configs, samples and other YAML are passed
over), in sorted order, skipping hidden directories. With no arguments, the rulesets the
project file names are checked.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from lsrules.errors import Location, LsrulesError

SUFFIXES = (".yaml", ".yml")
_RULESET_KEY = re.compile(rb"^ruleset[ \t]*:", re.MULTILINE)
_SNIFF_BYTES = 1 << 16


def rulesets_to_check(arguments: list[str], project, skip_other_yaml: bool = False
                      ) -> list[str]:
    """The ruleset files for `arguments`, or for the project file when there are none.

    With `skip_other_yaml`, a file argument that is not a ruleset is passed over as in a
    directory (a hook hands over every changed YAML file); none left is nothing to check."""
    if skip_other_yaml and arguments:
        arguments = [a for a in arguments if os.path.isdir(a) or looks_like_ruleset(a)]
        if not arguments:
            return []
    if not arguments:
        if project is None:
            raise LsrulesError("no ruleset given, and no project file (lsrules.toml, or "
                               "pyproject.toml with [tool.lsrules]) here or above names any")
        arguments = project.ruleset_paths()
        if not arguments:
            raise LsrulesError("the project file names no rulesets ([[projects]] ruleset "
                               "or rulesets)", Location(os.path.relpath(project.path)))
    files: list[str] = []
    for argument in arguments:
        if os.path.isdir(argument):
            found = rulesets_in(Path(argument))
            if not found:
                raise LsrulesError("the directory holds no rulesets (*.yaml or *.yml files "
                                   "with a top-level `ruleset:`)", Location(argument))
            files.extend(found)
        else:
            files.append(argument)
    return list(dict.fromkeys(files))


def rulesets_in(directory: Path) -> list[str]:
    found = []
    for parent, directories, names in os.walk(directory):
        directories[:] = sorted(d for d in directories if not d.startswith("."))
        for name in sorted(names):
            path = os.path.join(parent, name)
            if name.endswith(SUFFIXES) and looks_like_ruleset(path):
                found.append(path)
    return found


def looks_like_ruleset(path: str) -> bool:
    """A cheap look at the start of the file: a top-level `ruleset:` key."""
    try:
        with open(path, "rb") as stream:
            return _RULESET_KEY.search(stream.read(_SNIFF_BYTES)) is not None
    except OSError:
        return False
