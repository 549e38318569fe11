"""One root exception for everything a user can get wrong, each with a location.

The CLI prints any `LsrulesError` on one line as `location: message` and exits 2; it never
shows a traceback for one.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where in a user's file something is: 1-based line and column (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file

    def shifted(self, line_offset: int, column: int) -> "Location":
        return Location(self.file, self.line + line_offset, column)


class LsrulesError(Exception):
    """A problem with user input (ruleset, config, export, model file); exit code 2."""

    def __init__(self, message: str, location: Location | str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        where = str(self.location) if self.location else ""
        return f"{where}: {self.message}" if where else self.message


class InputError(LsrulesError):
    """A malformed Label Studio export, task or annotation: names the task index and JSON path."""

    def __init__(self, message: str, file: str = "<input>", task_index: int | None = None,
                 json_path: str = ""):
        where = file
        if task_index is not None:
            where += f": task #{task_index}"
        if json_path:
            where += f" at {json_path}"
        super().__init__(message, where)
        self.file = file
        self.task_index = task_index
        self.json_path = json_path

    def __reduce__(self):  # as raised in a worker of `run --jobs`, with its location
        return (type(self), (self.message, self.file, self.task_index, self.json_path))


class ExpressionError(Exception):
    """A problem at `offset` in an expression's text; the caller adds the file location.

    Defined here, not in the parser, so that code catching it need not import Lark.
    """

    def __init__(self, message: str, offset: int = 0, code: str = "LSR100"):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.code = code
