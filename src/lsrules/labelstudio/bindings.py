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


def connect_targets(ruleset: str | None, projects: Sequence[int], project
                    ) -> list[tuple[tuple[str, ...], int]]:
    """(ruleset files, project id) pairs for `connect`: those given, else the project file's.

    RULESET with --project: those projects; RULESET alone: the projects bound to it;
    --project alone: each project with the ruleset it is bound to; neither: every binding."""
    bindings = list(project.projects) if project is not None else []
    if ruleset is not None:
        if projects:
            return [((ruleset,), project_id) for project_id in projects]
        _, accepted = served([ruleset], project)
        if not accepted:
            raise LsrulesError(f"give --project: no project file binds a project to {ruleset}")
        return [((ruleset,), project_id) for project_id in sorted(accepted)]
    if not bindings:
        raise LsrulesError("no RULESET given, and no project file binds a project to one "
                           "([[projects]] id, ruleset in lsrules.toml)")
    chosen = [binding for binding in bindings if not projects or binding.project in projects]
    unbound = sorted(set(projects) - {binding.project for binding in bindings})
    if unbound:
        raise LsrulesError(f"project {unbound[0]} is bound to no ruleset in the project file; "
                           "give the RULESET", Location(os.path.relpath(project.path)))
    return [(tuple(binding.rulesets), binding.project) for binding in chosen]
