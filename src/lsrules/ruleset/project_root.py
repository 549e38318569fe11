"""Where a team's project starts: the nearest project file, found by walking up.

Like ruff's configuration, the project file is `lsrules.toml`, or a `pyproject.toml` with a
`[tool.lsrules]` table, in the working directory or the nearest directory above it; the
first one found wins (a `pyproject.toml` without the table is passed over). The directory
holding it is the project root: the paths the project file names are relative to it.
"""
from __future__ import annotations

import sys
from pathlib import Path

PROJECT_FILE = "lsrules.toml"
PYPROJECT = "pyproject.toml"
TOOL_TABLE = "[tool.lsrules]"


def find_project_file(start: str | Path | None = None) -> Path | None:
    """The project file that governs `start` (default: the working directory), or None."""
    directory = Path(start if start is not None else Path.cwd()).resolve()
    if not directory.is_dir():
        directory = directory.parent
    for candidate in (directory, *directory.parents):
        found = project_file_in(candidate)
        if found is not None:
            return found
    return None


def project_file_in(directory: Path) -> Path | None:
    """The project file in `directory` itself, or None."""
    own = directory / PROJECT_FILE
    if own.is_file():
        return own
    pyproject = directory / PYPROJECT
    if pyproject.is_file() and has_tool_table(pyproject):
        return pyproject
    return None


def project_root(start: str | Path | None = None) -> Path | None:
    """The directory of the project file that governs `start`, or None without one."""
    found = find_project_file(start)
    return found.parent if found is not None else None


def has_tool_table(pyproject: Path) -> bool:
    """Whether a pyproject.toml has a `[tool.lsrules]` table (read as TOML when it may)."""
    from lsrules.errors import LsrulesError
    from lsrules.files import read_regular_file

    try:  # a FIFO or a huge file planted as pyproject.toml is passed over
        text = read_regular_file(pyproject).decode("utf-8")
    except (LsrulesError, UnicodeDecodeError):
        return False
    if "lsrules" not in text:  # the common case, without parsing
        return False
    toml = toml_module()
    try:
        document = toml.loads(text)
    except toml.TOMLDecodeError:
        # broken TOML that mentions the table is ours to report, not to pass over
        return TOOL_TABLE in text or "[tool.lsrules." in text
    tool = document.get("tool")
    return isinstance(tool, dict) and "lsrules" in tool


def toml_module():
    """The TOML reader: the standard library's from Python 3.11, else its backport `tomli`."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    return tomllib
