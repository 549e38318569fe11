"""Apply the engine's RFC 6902 patch to a copy of an annotation, to get the result to write.

The engine returns corrections as JSON Patch against the annotation; Label Studio wants the
whole corrected `result`. This is the small subset the engine emits (add, remove, replace,
plus move/copy/test for completeness), on JSON values only. When `lsrules.engine.patch`
offers an applier this module should defer to it.
"""
from __future__ import annotations

import copy
from typing import Any


class PatchError(ValueError):
    pass


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"bad JSON pointer {pointer!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _parent(document: Any, pointer: str) -> tuple[Any, str]:
    parts = _tokens(pointer)
    if not parts:
        raise PatchError("an operation on the whole document is not supported")
    target = document
    for part in parts[:-1]:
        target = target[_index(target, part)]
    return target, parts[-1]


def _index(container: Any, part: str) -> Any:
    if isinstance(container, list):
        if part == "-":
            return len(container)
        if not part.isdigit():
            raise PatchError(f"list index expected, got {part!r}")
        return int(part)
    if isinstance(container, dict):
        return part
    raise PatchError(f"cannot step into {type(container).__name__} with {part!r}")


def _get(document: Any, pointer: str) -> Any:
    target = document
    for part in _tokens(pointer):
        target = target[_index(target, part)]
    return target


def _add(document: Any, pointer: str, value: Any) -> None:
    parent, last = _parent(document, pointer)
    key = _index(parent, last)
    if isinstance(parent, list):
        parent.insert(key, value)
    else:
        parent[key] = value


def _remove(document: Any, pointer: str) -> Any:
    parent, last = _parent(document, pointer)
    return parent.pop(_index(parent, last))


def apply_patch(document: Any, operations: list[dict[str, Any]]) -> Any:
    """A patched deep copy of `document`; the input is never changed."""
    result = copy.deepcopy(document)
    try:
        for operation in operations:
            name, path = operation["op"], operation["path"]
            if name == "add":
                _add(result, path, copy.deepcopy(operation["value"]))
            elif name == "remove":
                _remove(result, path)
            elif name == "replace":
                parent, last = _parent(result, path)
                parent[_index(parent, last)] = copy.deepcopy(operation["value"])
            elif name == "move":
                _add(result, path, _remove(result, operation["from"]))
            elif name == "copy":
                _add(result, path, copy.deepcopy(_get(result, operation["from"])))
            elif name == "test":
                if _get(result, path) != operation["value"]:
                    raise PatchError(f"test failed at {path}")
            else:
                raise PatchError(f"unknown operation {name!r}")
    except (KeyError, IndexError, TypeError) as error:
        raise PatchError(f"cannot apply {operations!r}: {error!r}") from error
    return result
