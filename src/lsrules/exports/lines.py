"""JSONL exports line by line: the one place that turns a line into a task object.

`ExportReader` parses lines as it reads them. `lsrules run --jobs N` reads a JSONL file as
raw lines instead (`RawLines`) and its workers parse them (`decode_line`, `parse_line`),
so that the main process only moves bytes: parsing and pickling tasks there cost as much
as a worker's share of the rules. Both ways name a bad line alike: `file:line`, task index.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from lsrules.errors import InputError
from lsrules.exports.validation import json_type

_UTF8_BOM = b"\xef\xbb\xbf"
_READ_SIZE = 1 << 20


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
        value = json.loads(text)
    except json.JSONDecodeError as error:
        # json counts the line's own newline: an error at the end would be "column 1" of
        # the next line
        column = min(error.pos, len(text.rstrip("\r\n"))) + 1
        raise InputError(f"invalid JSON: {error.msg}", f"{path}:{line_number}:{column}",
                         index) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", f"{path}:{line_number}", index) from None
    if not isinstance(value, dict):
        raise InputError(f"each line must be a JSON object (one task), found "
                         f"{json_type(value)}", f"{path}:{line_number}", index)
    return value


def is_blank(line: bytes) -> bool:
    """Blank as `str.strip()` sees it (which also strips non-ASCII spaces)."""
    if not line.strip():
        return True
    return not line.isascii() and not line.decode("utf-8", "replace").strip()


class RawLines:
    """(task index, line number, bytes) of each line that is not blank, read from `path`.

    `size` and `bytes_read` feed the progress bar as the reader's do."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.bytes_read = 0
        try:
            self.size: int | None = Path(path).stat().st_size
        except OSError:
            self.size = None

    def __iter__(self) -> Iterator[tuple[int, int, bytes]]:
        index = 0
        try:
            stream = open(self.path, "rb", buffering=_READ_SIZE)  # noqa: SIM115
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror or error}", self.path) from None
        with stream:
            for line_number, line in enumerate(stream, 1):
                if line_number == 1 and line.startswith(_UTF8_BOM):
                    line = line[len(_UTF8_BOM):]
                self.bytes_read += len(line)
                if is_blank(line):
                    continue
                yield index, line_number, line
                index += 1
