"""Files a ruleset names stay inside its project.

A ruleset from a pull request may name any path: `labeling_config: /etc/passwd`,
`suggester.model: ../../home/ci/.ssh/id_rsa`, or be itself a symlink to `/dev/zero`. Every
file a ruleset names (and the ruleset file itself) must resolve, symlinks followed, inside
the ruleset's project root: the directory holding the project file that governs the
ruleset (`lsrules.toml`, or a `pyproject.toml` with `[tool.lsrules]`, found by walking up
from where the ruleset is, not from where a symlink points), else the ruleset's own
directory. `--allow-outside-root` is the way out for people who need it; a project file
cannot set it, since a pull request can change the project file.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from lsrules.errors import Location, LsrulesError
from lsrules.ruleset.project_root import project_file_in


def ruleset_root(ruleset_path: str | os.PathLike[str]) -> Path:
    """The project root of a ruleset (resolved), walking up from its path as written."""
    directory = Path(os.path.abspath(ruleset_path)).parent
    for candidate in (directory, *directory.parents):
        if project_file_in(candidate) is not None:
            return candidate.resolve()
    return directory.resolve()


def named_path(ruleset_path: str | os.PathLike[str], named: str, what: str,
               where: Location | str | None, allow_outside_root: bool = False) -> Path:
    """The file `named` (relative to the ruleset's directory) as it may be used: inside
    the ruleset's project root unless `allow_outside_root`; `LsrulesError` at `where`."""
    path = Path(os.path.dirname(os.path.abspath(ruleset_path))) / named
    if not allow_outside_root:
        check_inside(path, ruleset_root(ruleset_path), what, where)
    return path


def check_inside(path: str | os.PathLike[str], root: Path, what: str,
                 where: Location | str | None) -> None:
    """`LsrulesError` at `where` unless `path`, symlinks followed, lies inside `root`."""
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError) as error:  # a symlink loop
        raise LsrulesError(f"{what} {path}: cannot resolve ({error})", where) from None
    if resolved != root and root not in resolved.parents:
        raise LsrulesError(f"{what} {path} is outside the project root {root} "
                           "(--allow-outside-root allows it)", where)


def add_allow_outside_root_argument(parser: argparse.ArgumentParser) -> None:
    """`--allow-outside-root`, for every command that loads a ruleset."""
    parser.add_argument("--allow-outside-root", action="store_true",
                        help="let the ruleset (a symlink) and the files it names (labeling "
                             "config, suggester model) lie outside its project root")
