"""Which rulesets `serve` runs and which projects' webhooks it accepts, from the project file.

A project file that binds projects to rulesets also says which projects a ruleset may
judge: `serve RULESET` accepts webhooks only from the projects bound to that ruleset, and
refuses any other project with 404 (evaluating nothing, writing nothing), so an annotation
is never judged by another project's rules. `serve` without a RULESET serves the ruleset
the file binds. A ruleset the file does not bind, or no project file, accepts every
project, as before. One process serves one ruleset: bindings to several rulesets are served
by one `serve RULESET` each.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from lsrules.errors import Location, LsrulesError


def served(arguments: Sequence[str], project) -> tuple[list[str], frozenset[int] | None]:
    """(the ruleset files to serve, the project ids accepted, or None for any)."""
    bindings = list(project.projects) if project is not None else []
    if not arguments:
        if not bindings:
            raise LsrulesError("no RULESET given, and no project file binds a project to one "
                               "([[projects]] id, ruleset in lsrules.toml)")
        distinct = list(dict.fromkeys(tuple(binding.rulesets) for binding in bindings))
        if len(distinct) > 1:
            raise LsrulesError(
                f"the project file binds {len(distinct)} different rulesets; one `lsrules "
                "serve` serves one: start one per ruleset (`lsrules serve RULESET`), each "
                "accepting the projects bound to its ruleset",
                Location(os.path.relpath(project.path)))
        arguments = list(distinct[0])
    wanted = _same(arguments)
    accepted = frozenset(binding.project for binding in bindings
                         if _same(binding.rulesets) == wanted)
    return list(arguments), (accepted or None)


def _same(paths: Sequence[str]) -> tuple[str, ...]:
    return tuple(os.path.realpath(path) for path in paths)
