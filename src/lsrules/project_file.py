"""The project file: a team's Label Studio server, project bindings and option defaults.

```toml
[label-studio]
url = "http://localhost:8080"        # the token comes from LABEL_STUDIO_API_KEY

[[projects]]
id = 3                               # the Label Studio project id
ruleset = "rulesets/vehicles.yaml"

[defaults.check]                     # any option of a command, named as on the command line
strict = true
```

It is `lsrules.toml`, or `[tool.lsrules]` in `pyproject.toml`, found by
`lsrules.ruleset.project_root`. `schemas/project.schema.json` describes it (its
`defaults` part is generated from the commands' own options, and a test keeps the two
equal); a file that breaks it stops every command with one line naming file:line, as a
ruleset does. Paths are relative to the project file and stay inside its directory.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsrules.errors import Location, LsrulesError
from lsrules.ruleset.project_root import (PROJECT_FILE, PYPROJECT, find_project_file,
                                          has_tool_table, toml_module)

@dataclass(frozen=True)
class Binding:
    """A Label Studio project and the ruleset files that judge its annotations."""

    project: int
    rulesets: tuple[str, ...]  # paths relative to the working directory
    location: Location


@dataclass(frozen=True)
class ProjectFile:
    path: Path
    url: str | None = None
    projects: tuple[Binding, ...] = ()
    rulesets: tuple[str, ...] = ()  # more files or directories for check and test
    defaults: dict[str, Any] = field(default_factory=dict)  # command -> {option: value}

    @property
    def root(self) -> Path:
        return self.path.parent

    def ruleset_paths(self) -> list[str]:
        """Every ruleset file or directory the file names, bound ones first, each once."""
        named = [path for binding in self.projects for path in binding.rulesets]
        return list(dict.fromkeys([*named, *self.rulesets]))

    def binding(self, project: int) -> Binding | None:
        return next((b for b in self.projects if b.project == project), None)


def load_project_file(explicit: str | None = None, start: Path | None = None
                      ) -> ProjectFile | None:
    """The project file given (`--project-file`) or found from `start`, or None."""
    if explicit is None:
        found = find_project_file(start)
        return read_project_file(found) if found is not None else None
    path = Path(explicit)
    if not path.is_file():
        raise LsrulesError("no such project file", Location(explicit))
    if path.name == PYPROJECT and not has_tool_table(path):
        raise LsrulesError("has no [tool.lsrules] table", Location(explicit))
    return read_project_file(path)


def read_project_file(path: Path, text: str | None = None) -> ProjectFile:
    """The project file at `path` (or `text`, the one about to be written there)."""
    shown = _shown(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise LsrulesError(f"cannot read the project file: {error}",
                               Location(shown)) from None
    toml = toml_module()
    try:
        document = toml.loads(text)
    except toml.TOMLDecodeError as error:
        raise _syntax_error(str(error), shown) from None
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        prefix = ("tool", "lsrules")
        document = document.get("tool", {}).get("lsrules", {})
    _validate(document, text, shown, prefix, path)
    locate = TomlLocator(text, shown, prefix)
    root = path.parent
    projects = []
    seen: dict[int, int] = {}
    for index, entry in enumerate(document.get("projects", [])):
        where = locate.nearest(("projects", index, "id"))
        if entry["id"] in seen:
            raise LsrulesError(f"project {entry['id']} is bound twice (also entry "
                               f"{seen[entry['id']] + 1} of [[projects]])", where)
        seen[entry["id"]] = index
        rulesets = entry["ruleset"] if isinstance(entry["ruleset"], list) else [entry["ruleset"]]
        paths = tuple(_inside(root, ruleset, locate.nearest(("projects", index, "ruleset")))
                      for ruleset in rulesets)
        projects.append(Binding(entry["id"], paths, where))
    extra = tuple(_inside(root, ruleset, locate.nearest(("rulesets", index)))
                  for index, ruleset in enumerate(document.get("rulesets", [])))
    return ProjectFile(path, document.get("label-studio", {}).get("url"), tuple(projects), extra,
                       document.get("defaults", {}))


def with_binding(project: ProjectFile | None, directory: Path, project_id: int,
                 ruleset: Path, url: str | None) -> tuple[Path, str]:
    """Where the project file is and its text with `[[projects]]` for `project_id` added
    (a new `lsrules.toml` in `directory`, with the URL, when there is none). The text is
    appended, so the user's comments and layout stay, and read back before it is used."""
    require_unbound(project, project_id)
    path = project.path if project is not None else directory / PROJECT_FILE
    root = path.parent
    relative = Path(os.path.relpath(ruleset.resolve(), root.resolve())).as_posix()
    table = "[[tool.lsrules.projects]]" if path.name == PYPROJECT else "[[projects]]"
    entry = f"{table}\nid = {project_id}\nruleset = {json.dumps(relative)}\n"
    if project is None:
        text = (f"[label-studio]\nurl = {json.dumps(url)}\n\n" if url else "") + entry
    else:
        text = path.read_text(encoding="utf-8")
        text = text + ("" if text.endswith("\n") or not text else "\n") + "\n" + entry
    read_project_file(path, text)
    return path, text


def require_unbound(project: ProjectFile | None, project_id: int) -> None:
    bound = project.binding(project_id) if project is not None else None
    if bound is not None:
        raise LsrulesError(f"project {project_id} is bound already, to "
                           f"{', '.join(bound.rulesets)}", bound.location)


def _validate(document: dict, text: str, shown: str, prefix: tuple[str, ...],
              path: Path) -> None:
    """One line for the first violation of the schema (file order), exit 2.

    The verdict for an unchanged text is cached like a ruleset's, so a cached `check`
    does not import jsonschema for it."""
    from lsrules.ruleset.cache import RulesetCache
    from lsrules.ruleset.schema import (PROJECT_SCHEMA, project_validator, schema_text,
                                        validate_document)

    digest = hashlib.sha256((schema_text(PROJECT_SCHEMA) + "\0" + text).encode()).hexdigest()
    cache = RulesetCache(path)
    if cache.schema_clean(digest):
        return
    problems = list(validate_document(document, TomlLocator(text, shown, prefix),
                                      project_validator()))
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        hint = f" (did you mean `{first.suggestion}`?)" if first.suggestion else ""
        raise LsrulesError(first.message + hint + more, first.location)
    cache.save(digest, True)


def _inside(root: Path, relative: str, where: Location) -> str:
    """A path the project file names, as the working directory sees it; it must stay in the
    project (no absolute paths, no `..` out of it, no symbolic link leading out)."""
    candidate = root / relative
    try:
        inside = candidate.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):
        inside = False
    if Path(relative).is_absolute() or not inside:
        raise LsrulesError(f"{relative!r} is outside the project ({_shown(root) or '.'}); "
                           "name rulesets by paths inside it", where)
    return _shown(candidate)


def _shown(path: Path) -> str:
    """A path relative to the working directory, as reports and annotations name files."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _syntax_error(message: str, shown: str) -> LsrulesError:
    found = _TOML_POSITION.search(message)
    if found is None:
        return LsrulesError(f"not valid TOML: {message}", Location(shown))
    return LsrulesError(f"not valid TOML: {message[:found.start()]}",
                        Location(shown, int(found.group(1)), int(found.group(2))))


# -- locations ----------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]#]+?)\s*\]\]?")
_KEY = re.compile(r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
                  r"(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")


class TomlLocator:
    """Where a value of a TOML document starts, by its path (`("projects", 0, "id")`).

    tomllib keeps no positions, so the lines are read again: table headers, arrays of
    tables (counted) and keys, dotted or not. Values inside inline tables and arrays are
    placed at their key; anything else raises LookupError (the caller tries the parent)."""

    def __init__(self, text: str, file: str, prefix: tuple[str, ...] = ()):
        self.file = file
        self.places: dict[tuple, Location] = {(): Location(file)}
        table: tuple = ()
        counts: dict[tuple, int] = {}
        in_multiline = False
        for number, line in enumerate(text.splitlines(), 1):
            if line.count('"""') % 2 or line.count("'''") % 2:
                in_multiline = not in_multiline
                continue
            if in_multiline:
                continue
            header = _HEADER.match(line)
            if header:
                keys = _split_key(header.group(2))
                if keys[:len(prefix)] != prefix:
                    table = ("<elsewhere>",)
                    continue
                keys = keys[len(prefix):]
                if header.group(1) == "[[":
                    index = counts.get(keys, 0)
                    counts[keys] = index + 1
                    table = (*keys, index)
                    self.places.setdefault(keys, Location(file, number, 1))
                else:
                    table = keys
                self.places.setdefault(table, Location(file, number, header.start(2) + 1))
                continue
            key = _KEY.match(line)
            if key and table[:1] != ("<elsewhere>",):
                self.places.setdefault((*table, *_split_key(key.group(1))),
                                       Location(file, number, key.start(1) + 1))

    def __call__(self, path: tuple) -> Location:
        found = self.places.get(tuple(path))
        if found is None:
            raise LookupError(path)
        return found

    def nearest(self, path: tuple) -> Location:
        """Where `path` is, or its nearest ancestor that has a place."""
        while tuple(path) not in self.places:
            path = tuple(path)[:-1]
        return self.places[tuple(path)]


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", text)
    return tuple(next(p for p in part if p) if any(part) else "" for part in parts)
