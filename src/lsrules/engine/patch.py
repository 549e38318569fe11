"""RFC 6902 JSON Patch: apply a decision's corrections to an annotation (for `--fixed`)."""
from __future__ import annotations

import copy
from typing import Any

from lsrules.errors import LsrulesError


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def escape(token: object) -> str:
    text = str(token)
    if "~" in text or "/" in text:
        return text.replace("~", "~0").replace("/", "~1")
    return text


def pointer(*steps: object) -> str:
    return "".join(["/" + escape(step) for step in steps])


def _walk(document: Any, path: str) -> tuple[Any, str]:
    if not path.startswith("/"):
        raise LsrulesError(f"bad JSON pointer {path!r}")
    tokens = [unescape(token) for token in path[1:].split("/")]
    parent = document
    for token in tokens[:-1]:
        parent = parent[int(token)] if isinstance(parent, list) else parent[token]
    return parent, tokens[-1]


def _get(document: Any, path: str) -> Any:
    parent, key = _walk(document, path)
    return parent[int(key)] if isinstance(parent, list) else parent[key]


def _add(document: Any, path: str, value: Any) -> None:
    parent, key = _walk(document, path)
    if isinstance(parent, list):
        index = len(parent) if key == "-" else int(key)
        if not 0 <= index <= len(parent):
            raise IndexError(f"index {index} out of range")
        parent.insert(index, value)
    else:
        parent[key] = value


def _remove(document: Any, path: str) -> Any:
    parent, key = _walk(document, path)
    if isinstance(parent, list):
        return parent.pop(int(key))
    return parent.pop(key)


def _replace(document: Any, path: str, value: Any) -> None:
    parent, key = _walk(document, path)
    if isinstance(parent, list):
        parent[int(key)] = value
    elif key in parent:
        parent[key] = value
    else:
        raise KeyError(key)


def apply_patch(document: Any, operations: list[dict[str, Any]]) -> Any:
    """A new document with the operations applied in order; the input is not changed.

    The one RFC 6902 applier: `run --fixed` and `serve`'s corrections both use it."""
    document = copy.deepcopy(document)
    for operation in operations:
        try:
            op, path = operation["op"], operation["path"]
            if op == "add":
                _add(document, path, copy.deepcopy(operation["value"]))
            elif op == "remove":
                _remove(document, path)
            elif op == "replace":
                _replace(document, path, copy.deepcopy(operation["value"]))
            elif op == "move":
                _add(document, path, _remove(document, operation["from"]))
            elif op == "copy":
                _add(document, path, copy.deepcopy(_get(document, operation["from"])))
            elif op == "test":
                if _get(document, path) != operation["value"]:
                    raise LsrulesError(f"patch test failed at {path}")
            else:
                raise LsrulesError(f"unknown patch operation {op!r}")
        except (KeyError, IndexError, ValueError, TypeError, AttributeError) as error:
            raise LsrulesError(f"cannot apply patch operation {operation}: {error}") from None
    return document
