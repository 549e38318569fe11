"""Reading and writing model files: versioned JSON, atomic, never pickle.

JSON because a model file is data that may cross trust boundaries: loading it must never
run code, which pickle cannot promise. The text is canonical (sorted keys, no spaces,
floats in Python's shortest round-trip form), so save -> load -> save gives the same bytes
and a model file diffs and hashes reliably. Writes go to a temporary file in the same
directory, are flushed to disk and renamed over the target, so a crash leaves either the
old model or the new one, never half of one.
"""
from __future__ import annotations

import json
import os

from lsrules import files
from lsrules.errors import LsrulesError
from lsrules.suggest.store.validation import ModelFileError

FORMAT_NAME = "lsrules-suggester"
FORMAT_VERSION = 1
MAXIMUM_FILE_BYTES = 1 << 30


def dumps(document: dict) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False,
                      ensure_ascii=False)


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` whole or not at all; `ModelFileError` when it cannot be."""
    try:
        files.write_atomically(path, text)
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        reason = getattr(error, "strerror", None) or str(error)
        where = str(path) if str(path).isprintable() else repr(str(path))
        raise ModelFileError(f"{where}: cannot write model file: {reason}") from None


def read_document(path: str | os.PathLike) -> dict:
    """Parse a model file into plain data, checking size, syntax and the header.

    The content is then checked field by field by each part's `from_dict`, which never
    recurses into values of unexpected shape, so nesting cannot exhaust the stack.
    """
    where = str(path)
    try:  # a regular file, bounded: never a FIFO or a device
        raw = files.read_regular_file(path, MAXIMUM_FILE_BYTES)
    except LsrulesError as error:
        raise ModelFileError(f"{where}: cannot read model file: {error.message}") from None
    return parse_document(raw, where)


def parse_document(raw: bytes, where: str) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{where}: model file is not UTF-8 text") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{where}:{error.lineno}:{error.colno}: model file is not valid "
                             f"JSON ({error.msg}; truncated or damaged?)") from None
    except RecursionError:
        raise ModelFileError(f"{where}: model file is nested too deeply") from None
    except ValueError as error:
        raise ModelFileError(f"{where}: model file holds an unusable value ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{where}: not an lsrules suggester model "
                             f"(expected \"format\": \"{FORMAT_NAME}\")")
    version = document.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ModelFileError(f"{where}: model format version {version!r} is not supported "
                             f"(this lsrules reads version {FORMAT_VERSION})")
    return document


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number a model may hold")
