"""RFC 6902 JSON Patch: apply a decision's corrections to an annotation (for `--fixed`)."""
from __future__ import annotations

import copy

from lsrules.errors import LsrulesError


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def escape(token) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*steps) -> str:
    return "".join("/" + escape(step) for step in steps)


def _walk(document, path: str):
    if not path.startswith("/"):
        raise LsrulesError(f"bad JSON pointer {path!r}")
    tokens = [_unescape(token) for token in path[1:].split("/")]
    parent = document
    for token in tokens[:-1]:
        parent = parent[int(token)] if isinstance(parent, list) else parent[token]
    return parent, tokens[-1]


def apply_patch(document, operations: list[dict]):
    """A new document with the operations applied in order; the input is not changed."""
    document = copy.deepcopy(document)
    for operation in operations:
        try:
            parent, key = _walk(document, operation["path"])
            op = operation["op"]
            if isinstance(parent, list):
                index = len(parent) if key == "-" else int(key)
                if op == "add":
                    parent.insert(index, copy.deepcopy(operation["value"]))
                elif op == "remove":
                    del parent[index]
                elif op == "replace":
                    parent[index] = copy.deepcopy(operation["value"])
                elif op == "test":
                    if parent[index] != operation["value"]:
                        raise LsrulesError(f"patch test failed at {operation['path']}")
            else:
                if op in ("add", "replace"):
                    parent[key] = copy.deepcopy(operation["value"])
                elif op == "remove":
                    del parent[key]
                elif op == "test":
                    if parent.get(key) != operation["value"]:
                        raise LsrulesError(f"patch test failed at {operation['path']}")
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise LsrulesError(f"cannot apply patch operation {operation}: {error}") from None
    return document
