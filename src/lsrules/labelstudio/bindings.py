"""Which rulesets `serve` runs and which projects' webhooks each judges, from the project file.

A project file that binds projects to rulesets also says which projects a ruleset may
judge: every annotation is judged by its own project's ruleset, never by another's, and a
webhook from a project bound to no ruleset the service runs is refused with 404
(evaluating nothing, writing nothing). `serve` without a RULESET runs every ruleset the
file binds, each for its projects; `serve RULESET` runs that one for the projects bound to
it. A ruleset the file does not bind, or no project file, accepts every project.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

from lsrules.errors import Location, LsrulesError


Served = tuple[tuple[str, ...], frozenset[int] | None]


def served(arguments: Sequence[str], project) -> list[Served]:
    """[(the ruleset files, the project ids they judge, or None for any)], one per ruleset."""
    bindings = list(project.projects) if project is not None else []
    if arguments:
        wanted = _same(arguments)
        accepted = frozenset(binding.project for binding in bindings
                             if _same(binding.rulesets) == wanted)
        return [(tuple(arguments), accepted or None)]
    if not bindings:
        raise LsrulesError("no RULESET given, and no project file binds a project to one "
                           "([[projects]] id, ruleset in lsrules.toml)")
    groups: dict[tuple[str, ...], tuple[tuple[str, ...], set[int]]] = {}
    for binding in bindings:  # the same files however spelt: one ruleset, loaded once
        files, projects = groups.setdefault(_same(binding.rulesets),
                                            (tuple(binding.rulesets), set()))
        projects.add(binding.project)
    return [(files, frozenset(projects)) for files, projects in groups.values()]


def _same(paths: Sequence[str]) -> tuple[str, ...]:
    return tuple(os.path.realpath(path) for path in paths)


def targets(ruleset: str | None, projects: Sequence[int], project
                    ) -> list[tuple[tuple[str, ...], int]]:
    """(ruleset files, project id) pairs for `connect` and `sync`: those given, else the
    project file's.

    RULESET with --project: those projects; RULESET alone: the projects bound to it;
    --project alone: each project with the ruleset it is bound to; neither: every binding."""
    bindings = list(project.projects) if project is not None else []
    if ruleset is not None:
        if projects:
            return [((ruleset,), project_id) for project_id in projects]
        [(_, accepted)] = served([ruleset], project)
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
