"""Validation of a ruleset document against `schemas/ruleset.schema.json`.

The schema is the single description of the file's shape: editors use it for completion,
and `lsrules check` uses it here, so the two can never disagree. jsonschema's own messages
speak in Python (`None is not of type 'string', 'boolean'`); users wrote YAML, so every
error is rewritten into one plain line that names the place (`rules[3].severity`), what is
wrong, and how to mend it, with a did-you-mean where one is likely. All errors are yielded
(like `Draft202012Validator.iter_errors`), in file order, the most relevant first at each
place; all carry the code `LSR001`, the message saying which check failed.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import importlib.resources
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported on first validation: a cached ruleset skips it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

from lsrules.diagnostics import ERROR, Diagnostic
from lsrules.errors import Location

SCHEMA_CODE = "LSR001"
RULESET_SCHEMA = "ruleset.schema.json"
DECISION_SCHEMA = "decision.schema.json"
PROJECT_SCHEMA = "project.schema.json"

JsonPath = tuple[str | int, ...]
Locate = Callable[[JsonPath], Location]

# Keywords whose error explains the problem best when several fail at the same place:
# a wrong type makes the others noise; a wrong key name is clearer than a missing one.
_KEYWORD_ORDER = (
    "type",
    "additionalProperties",
    "propertyNames",
    "required",
    "enum",
    "const",
    "pattern",
    "minLength",
    "minItems",
    "uniqueItems",
    "minProperties",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
)

_TYPE_NAMES = {
    "string": "a string",
    "boolean": "a boolean (true or false)",
    "integer": "an integer",
    "number": "a number",
    "object": "a mapping (key: value)",
    "array": "a list",
    "null": "null",
}

_NULL_EXPRESSION_HINT = (
    'is empty (null); write an expression or true/false — YAML reads "{key}:" with '
    "nothing after it as null"
)

# What a value matching each pattern of the schema looks like, in words.
_PATTERN_HINTS = {
    "^[A-Za-z0-9][A-Za-z0-9_.-]*$": (
        'a name of letters, digits, "-", "_" and ".", starting with a letter or digit'
    ),
    "^[a-z0-9]+(-[a-z0-9]+)*$": (
        'an id in kebab-case: lower-case letters and digits joined by single "-", '
        'e.g. "box-inside-image"'
    ),
    "^builtin:[a-z-]+$|\\.ya?ml$|^pack:[a-z0-9][a-z0-9-]*$": (
        'a built-in pack as "builtin:<name>", e.g. "builtin:labeling-config", a ruleset '
        'file (.yaml), or a shared pack as "pack:<name>"'),
    "^[0-9]+(ms|s|m|h|d)$": 'a number and a unit (ms, s, m, h, d), e.g. "10m"',
    "^(/([^~/]|~[01])*)*$": (
        'a JSON Pointer, e.g. "/result/0/value/x" ("~" written "~0", "/" as "~1")'
    ),
    "^[0-9a-f]{64}$": "64 lower-case hexadecimal digits (a sha256)",
}
_SCOPE_PATTERN_HINT = '"annotation", "region" or "region where <expression>"'


def validate_document(data: object, locate: Locate,
                      validator: Draft202012Validator | None = None) -> Iterator[Diagnostic]:
    """Yield one `LSR001` diagnostic per schema violation in a parsed ruleset document
    (or, given its validator, a project file).

    `data` is the document as the YAML loader parsed it; `locate` maps a JSON path such as
    `("rules", 3, "severity")` to where that value starts in the file.
    """
    validator = validator or ruleset_validator()
    found: list[tuple[tuple[int, int], int, Diagnostic]] = []
    for error in validator.iter_errors(data):
        for path, message, suggestion, keyword in _describe(_most_specific(error), data):
            location = _locate_nearest(locate, path)
            diagnostic = Diagnostic(
                code=SCHEMA_CODE,
                message=message,
                location=location,
                severity=ERROR,
                rule_id=_rule_id_at(data, path),
                suggestion=suggestion,
            )
            found.append(((location.line, location.column), _keyword_rank(keyword), diagnostic))
    found.sort(key=lambda item: (item[0], item[1]))
    seen: set[tuple[Location, str]] = set()
    for _, _, diagnostic in found:
        if (diagnostic.location, diagnostic.message) not in seen:
            seen.add((diagnostic.location, diagnostic.message))
            yield diagnostic


@functools.cache
def ruleset_validator() -> Draft202012Validator:
    """The ruleset validator, compiled on first use: `check` must start fast."""
    from jsonschema import Draft202012Validator, validators

    # `pattern` as a full-string match: Python's `$` also matches before a trailing newline
    strict = validators.extend(Draft202012Validator, {"pattern": _full_pattern})
    return strict(load_schema(RULESET_SCHEMA))


def _full_pattern(validator, pattern: str, instance: object, schema: dict):
    """jsonschema's `pattern`, except that a pattern's closing `$` is the end of the text."""
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _full_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.cache
def _full_regex(pattern: str) -> re.Pattern:
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + "\\Z"
    return re.compile(pattern)


@functools.cache
def project_validator() -> Draft202012Validator:
    """The project file's validator (`lsrules.project_file`)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(PROJECT_SCHEMA))


@functools.cache
def load_schema(file_name: str) -> dict[str, Any]:
    """One of lsrules' JSON Schemas (`ruleset.schema.json`, `decision.schema.json`), parsed."""
    schema: dict[str, Any] = json.loads(schema_text(file_name))
    return schema


@functools.cache
def schema_text(file_name: str) -> str:
    """The text of one of lsrules' JSON Schemas.

    Installed, they are package data (`lsrules/schemas`, a symlink in the source tree);
    the repository's `schemas/` folder is the fallback for a checkout whose package data
    was not installed.
    """
    try:
        resource = importlib.resources.files("lsrules").joinpath("schemas").joinpath(file_name)
        return resource.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, ModuleNotFoundError):
        repository_schemas = Path(__file__).resolve().parents[3] / "schemas"
        return (repository_schemas / file_name).read_text(encoding="utf-8")


def format_path(path: Iterable[str | int]) -> str:
    """A JSON path as users read it: `rules[3].severity`, `routes["night shift"]`."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$-]*", step):
            text += f".{step}" if text else step
        else:
            text += f"[{_show(step)}]"
    return text


def _most_specific(error: ValidationError) -> ValidationError:
    """Under `anyOf`/`oneOf`, the branch error that says most (jsonschema's `best_match`)."""
    from jsonschema.exceptions import best_match

    while error.context:
        deeper = best_match(error.context)
        if deeper is None:
            break
        error = deeper
    return error


def _describe(
    error: ValidationError, document: object
) -> Iterator[tuple[JsonPath, str, str | None, str]]:
    """(path, message, suggestion, keyword) for one jsonschema error; some give several."""
    path: JsonPath = tuple(error.absolute_path)
    keyword = str(error.validator)
    instance: Any = error.instance  # set on every error that validation yields
    place = format_path(path)
    schema = error.schema if isinstance(error.schema, dict) else {}

    if "propertyNames" in error.absolute_schema_path:
        # jsonschema reports a bad key at its object, with the key as the instance.
        key_path = path + (instance,)
        hint = _PATTERN_HINTS.get(str(error.validator_value), "")
        message = f"{place}: {_show(instance)} is not a valid key; expected {hint}"
        yield key_path, message, None, keyword
        return
    if keyword == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        for key in instance:
            if key in allowed or any(isinstance(key, str) and re.search(p, key) for p in patterns):
                continue
            guess = _did_you_mean(str(key), allowed)
            where = place or "top level"
            message = f"{where}: unknown key {_show(key)}"
            if not guess:
                message += f"; expected one of {', '.join(allowed)}"
            yield path + (key,), message, guess, keyword
        return
    if keyword == "type":
        message, suggestion = _type_message(path, place, instance, error.validator_value)
        yield path, message, suggestion, keyword
        return
    if keyword == "required":
        quoted = re.match(r"^'(.*)' is a required property$", str(error.message))
        missing = quoted.group(1) if quoted else str(error.message)
        where = f"{place}: " if place else ""
        yield path, f"{where}missing required key {_show(missing)}", None, keyword
        return
    if keyword == "enum":
        options: Any = error.validator_value  # the `enum` list
        choices = [str(choice) for choice in options]
        guess = _did_you_mean(str(instance), choices) if isinstance(instance, str) else None
        yield path, f"{place}: {_show(instance)} is not one of {', '.join(choices)}", guess, keyword
        return
    if keyword == "pattern":
        yield (
            path,
            _pattern_message(path, place, instance, str(error.validator_value)),
            _pattern_suggestion(path, instance),
            keyword,
        )
        return
    if keyword == "minLength":
        yield (
            path,
            f"{place}: is an empty string; write a value or leave the key out",
            None,
            keyword,
        )
        return
    if keyword == "minItems":
        yield (
            path,
            f"{place}: is an empty list; give at least one item or leave the key out",
            None,
            keyword,
        )
        return
    if keyword == "minProperties":
        yield path, f"{place}: is empty; give at least one key or leave it out", None, keyword
        return
    if keyword == "uniqueItems" and isinstance(instance, list):
        duplicates = _duplicates(instance)
        yield (
            path,
            f"{place}: lists {', '.join(_show(item) for item in duplicates)} more than once",
            None,
            keyword,
        )
        return
    bounds = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "greater than",
        "exclusiveMaximum": "less than",
    }
    if keyword in bounds:
        yield (
            path,
            f"{place}: {_show(instance)} must be {bounds[keyword]} {error.validator_value}",
            None,
            keyword,
        )
        return
    # Any other keyword: jsonschema's message, already one line, with the place in front.
    yield path, f"{place or 'top level'}: {' '.join(str(error.message).split())}", None, keyword


def _type_message(
    path: JsonPath, place: str, instance: object, expected: object
) -> tuple[str, str | None]:
    """A wrong type, with the YAML reading that most likely caused it."""
    key = path[-1] if path else ""
    types = [expected] if isinstance(expected, str) else list(expected)  # type: ignore
    wanted = " or ".join(_TYPE_NAMES.get(str(name), str(name)) for name in types)
    where = place or "top level"
    if instance is None:
        if key in ("when", "assert"):
            return f"{where}: " + _NULL_EXPRESSION_HINT.format(key=key), None
        return (
            f'{where}: is empty (null); expected {wanted} — YAML reads "{key}:" with '
            "nothing after it as null"
        ), None
    if path == ("version",) and _is_scalar(instance):
        quoted = json.dumps(str(instance))
        return (
            f"version: {_show(instance)} is read by YAML as {_kind(instance)}, not text; "
            f"quote it (version: {quoted})"
        ), None
    message = f"{where}: expected {wanted}, got {_kind(instance)}"
    if _is_scalar(instance):
        message += f" {_show(instance)}"
    if "string" in types:
        if isinstance(instance, dict):
            message += (
                '; YAML reads a value starting with "{" or containing ": " as a mapping '
                "— quote the text"
            )
        elif isinstance(instance, list):
            message += '; YAML reads a value starting with "[" or "- " as a list — quote the text'
        elif _is_scalar(instance):
            message += "; quote it to make it text"
    return message, None


def _pattern_message(path: JsonPath, place: str, instance: object, pattern: str) -> str:
    key = path[-1] if path else ""
    if key == "for":
        return f"{place}: {_show(instance)} is not a valid scope; expected {_SCOPE_PATTERN_HINT}"
    hint = _PATTERN_HINTS.get(pattern)
    if hint is None:
        return f"{place}: {_show(instance)} does not match the pattern {pattern}"
    return f"{place}: {_show(instance)} is not valid; expected {hint}"


def _pattern_suggestion(path: JsonPath, instance: object) -> str | None:
    """A corrected value where one is evident: a kebab-case id, a scope, a builtin prefix."""
    if not isinstance(instance, str) or not path:
        return None
    key = path[-1]
    if key == "id" or (len(path) >= 2 and path[-2] in ("fired", "not_fired")):
        words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", instance).lower())
        return "-".join(words) or None
    if key == "for":
        first, _, rest = instance.strip().partition(" ")
        scope = _did_you_mean(first, ["annotation", "region"])
        return f"{scope} {rest}".strip() if scope else None
    if len(path) >= 2 and path[-2] == "extends" and ":" not in instance:
        return f"builtin:{instance}"
    return None


def _did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    """The closest choice to a misspelt word, ignoring case, or None when nothing is close."""
    by_lower = {choice.lower(): choice for choice in choices}
    matches = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[matches[0]] if matches else None


def _locate_nearest(locate: Locate, path: JsonPath) -> Location:
    """Where `path` is, or its nearest ancestor that the loader can place."""
    for length in range(len(path), -1, -1):
        try:
            return locate(path[:length])
        except (LookupError, TypeError, ValueError):
            continue
    return Location("<ruleset>")


def _rule_id_at(document: object, path: JsonPath) -> str | None:
    """The id of the rule (or stream rule) a path points into, when it has a usable one."""
    if len(path) < 2 or path[0] not in ("rules", "streams") or not isinstance(path[1], int):
        return None
    if not isinstance(document, dict):
        return None
    items = document.get(path[0])
    if not isinstance(items, list) or not 0 <= path[1] < len(items):
        return None
    item = items[path[1]]
    rule_id = item.get("id") if isinstance(item, dict) else None
    return rule_id if isinstance(rule_id, str) else None


def _keyword_rank(keyword: str) -> int:
    return _KEYWORD_ORDER.index(keyword) if keyword in _KEYWORD_ORDER else len(_KEYWORD_ORDER)


def _duplicates(items: list[object]) -> list[object]:
    seen: list[object] = []
    repeated: list[object] = []
    for item in items:
        if item in seen and item not in repeated:
            repeated.append(item)
        seen.append(item)
    return repeated


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, bool, datetime.date)) or value is None


def _kind(value: object) -> str:
    """What YAML turned a value into, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime.datetime):
        return "a date and time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _show(value: object, limit: int = 60) -> str:
    """A value as it would be written in JSON, shortened to fit on one line."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        text = value.isoformat()
    elif isinstance(value, (dict, list)):
        text = _kind(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
