"""JSONL exports line by line: the one place that turns a line into a task object (and
back: `dumps`, the compact JSON every output line is written in).

`ExportReader` parses lines as it reads them; under `lsrules run --jobs N` it hands the
lines' text to the workers (`ExportReader.texts`), which parse them here. Both ways name a
bad line alike: `file:line:column`, task index.
"""
from __future__ import annotations

import json
import re
from typing import Any

from lsrules.errors import InputError
from lsrules.exports.json_array import DECODER, value_error_message
from lsrules.json_types import json_type


# A lone surrogate is valid in JSON text ("\ud800") and so in an annotation, but cannot be
# written as UTF-8: it stays an escape in the output, as it was in the input.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(value: Any) -> str:
    """Compact JSON, keys in the order given, non-ASCII text kept readable (all but lone
    surrogates, which are written as escapes)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def decode_line(line: bytes, path: str, index: int, line_number: int) -> str:
    """The line as text; `InputError` naming the line when it is not UTF-8."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"not valid UTF-8 (byte {error.start + 1} of the line)",
                         f"{path}:{line_number}", index) from None


def parse_line(text: str, path: str, index: int, line_number: int) -> dict:
    """A line that is not blank as a task object; `InputError` naming the line otherwise."""
    try:
        value = DECODER.decode(text)
    except json.JSONDecodeError as error:
        # json counts the line's own newline: an error at the end would be "column 1" of
        # the next line
        column = min(error.pos, len(text.rstrip("\r\n"))) + 1
        raise InputError(f"invalid JSON: {error.msg}", f"{path}:{line_number}:{column}",
                         index) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", f"{path}:{line_number}", index) from None
    except ValueError as error:  # NaN, Infinity, 1e400, an integer of over 4300 digits
        raise InputError(value_error_message(error), f"{path}:{line_number}", index) from None
    if not isinstance(value, dict):
        raise InputError(f"each line must be a JSON object (one task), found "
                         f"{json_type(value)}", f"{path}:{line_number}", index)
    return value
