"""Label Studio exports read one task at a time, whatever their size.

An export of a million annotations is several gigabytes, so tasks are parsed as they
arrive (`json`'s decoder one array element at a time, see `json_array`, with ijson's
C backend taking over at a task of several megabytes; `json.loads` per line for JSONL) and each
annotation is handed on with its task before the next task is read: memory stays flat.
A malformed export stops with one `InputError` naming the file, the task's index (or the
line, for JSONL) and the JSON path of the problem, never with a Python traceback.

Formats: `json` (Label Studio JSON: an array of tasks, each with its `annotations`),
`json_min` (Label Studio's JSON_MIN: one flat record per annotation, see `json_min`),
`jsonl` and `jsonl_min` (the same objects, one per line), and `auto`, which picks one from
the first non-space byte (`[` an array, `{` one object per line) and the first object's
keys (`annotations` or a `data` object make a task; flat records are JSON_MIN).

Known limits: JSON_MIN is lossy (see `json_min`); after a giant task, an integer beyond 64
bits in a JSON array switches to ijson's pure-Python parser for the rest of the file
(slower, exact), and is an error when the export comes from standard input, which cannot
be read twice.
"""
from __future__ import annotations

import ast
import io
import os
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import ijson

from lsrules.errors import InputError
from lsrules.exports.json_array import ArrayError, GiantElement, iter_elements, too_large
from lsrules.exports.json_min import LabelingConfig, convert_record, looks_like_json_min
from lsrules.exports.lines import decode_line, dumps, parse_line
from lsrules.exports.validation import MalformedTask, split_task

if TYPE_CHECKING:
    from typing_extensions import Self

FORMATS = ("auto", "json", "json_min", "jsonl", "jsonl_min")
LINE_SUFFIXES = (".jsonl", ".ndjson")

# ijson's C backend turns each read into Python objects before handing any on, so one
# read of N bytes holds about 16 N bytes of tasks: reads start small. But it also copies
# a string that spans reads once per read, so reads double while no task completes: a
# 50 MB string then takes a fraction of a second, not the seconds 64 KiB reads take.
_FIRST_READ = 1 << 16
_READ_SIZE = 1 << 20
# one task: a JSONL line, read whole before it is parsed, or an element of a JSON array
# (run --max-line-bytes)
MAX_LINE_BYTES = 100 << 20
_SNIFF_SIZE = 1 << 16
_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\xfe\xff", b"\xff\xfe")


@dataclass(frozen=True, slots=True)
class Item:
    """One annotation with its task: what the engine evaluates.

    `index` is the task's 0-based position in the file (the array element, or the
    non-blank line, where the task starts); `task` is the task without its `annotations`
    list, shared by the items of one task (do not mutate it); `others` are the task's
    other annotations; `annotation_index` is the annotation's position in the task.
    """

    index: int
    task: dict
    annotation: dict
    others: list[dict]
    annotation_index: int


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One task as read: without its annotations, which come beside it, in file order."""

    index: int
    task: dict
    annotations: list[dict]


@dataclass
class ReadStats:
    """Counts so far, for the summary `lsrules run` prints."""

    tasks: int = 0
    annotations: int = 0
    tasks_without_annotations: int = 0


class _CountingSource:
    """The file's bytes after the ones sniffing consumed, counting what was read.

    ijson calls `read` directly; JSONL goes through a `BufferedReader` for its lines.
    """

    def __init__(self, raw: BinaryIO | _CountingSource, prefix: bytes):
        self._raw = raw
        self._prefix = prefix
        self.bytes_read = 0
        self.next_read = _FIRST_READ  # reset by the reader each time a task completes
        # ijson's tasks: the most bytes read since one completed (`task_done`), None: no cap
        self.max_task_bytes: int | None = None
        self.task_start = 0

    def task_done(self) -> None:
        self.next_read = _FIRST_READ
        self.task_start = self.bytes_read

    def read(self, size: int = -1) -> bytes:
        if (self.max_task_bytes is not None
                and self.bytes_read - self.task_start > self.max_task_bytes):
            raise TaskTooLarge()
        if size > 0:
            size, self.next_read = min(size, self.next_read), min(size, 2 * self.next_read)
        if self._prefix:
            if size < 0:
                data, self._prefix = self._prefix + self._raw.read(), b""
            else:
                data, self._prefix = self._prefix[:size], self._prefix[size:]
        else:
            data = self._raw.read(size)
        self.bytes_read += len(data)
        return data


class TaskTooLarge(Exception):
    """ijson read more than one task may take since the last task it completed."""


class _RawSource(io.RawIOBase):
    """A `_CountingSource` seen as a raw stream, so that `BufferedReader` can split lines."""

    def __init__(self, source: _CountingSource):
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._source.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


class ExportReader:
    """Iterate over an export's annotations as `Item`s (or its tasks, with `tasks()`).

    Opening the file, choosing the format and parsing the first task happen here, so a
    missing or unreadable file fails before any output is started.
    """

    def __init__(self, path: str | Path, format: str = "auto", *,
                 labeling_config: LabelingConfig | None = None, strict_items: bool = True,
                 as_text: bool = False, stream: BinaryIO | None = None,
                 max_line_bytes: int = MAX_LINE_BYTES):
        if format not in FORMATS:
            raise InputError(f"unknown export format {format!r} (one of {', '.join(FORMATS)})",
                             str(path))
        self.path = str(path)
        self.labeling_config = labeling_config
        self.strict_items = strict_items
        self.as_text = as_text  # records are each task's JSON text, unparsed (see `texts`)
        self.max_line_bytes = max_line_bytes  # one task: a JSONL line or an array element
        self.stats = ReadStats()
        # called with each task that has no annotations, which yields no Item
        self.on_task_without_annotations: list[Callable[[TaskRecord], None]] = []
        self.size: int | None = None
        # an open binary stream instead of the file `path` names (a shard a cluster worker
        # opened through fsspec); `path` then only names it in messages
        self._raw = stream if stream is not None else self._open()
        self._started = False
        self._items: Iterator[Item] | None = None
        try:
            prefix, first_byte = self._sniff()
            self._source = _CountingSource(self._raw, prefix)
            self.format, self._records = self._choose_format(format, first_byte)
        except BaseException:
            self.close()
            raise

    # -- public -----------------------------------------------------------------------

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far: with `size`, a progress bar that costs nothing."""
        return self._source.bytes_read

    def tasks(self) -> Iterator[TaskRecord]:
        """Every task in file order, including those without annotations."""
        if self._started:
            raise RuntimeError("an ExportReader can be iterated only once")
        self._started = True
        return self._tasks()

    def texts(self) -> Iterator[tuple[int, str, int]]:
        """(task index, the task's JSON text, line number or 0) of each task, for workers
        that parse and check the tasks themselves (`lsrules run --jobs`): a JSON array's
        elements are checked to be JSON here, a JSONL line is only decoded. Needs
        `as_text=True` and the format given (json or jsonl), not guessed."""
        if not self.as_text or self.format not in ("json", "jsonl"):
            raise ValueError("texts() needs as_text=True and format json or jsonl")
        if self._started:
            raise RuntimeError("an ExportReader can be iterated only once")
        self._started = True
        return self._records

    def __iter__(self) -> ExportReader:
        return self

    def __next__(self) -> Item:
        if self._items is None:
            self._items = self._generate_items()
        return next(self._items)

    def close(self) -> None:
        if self._raw is not sys.stdin.buffer:
            self._raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- opening and sniffing -----------------------------------------------------------

    def _open(self) -> BinaryIO:
        if self.path == "-":
            return sys.stdin.buffer
        try:
            raw = open(self.path, "rb")  # noqa: SIM115 (closed by close())
        except FileNotFoundError:
            raise InputError("no such file", self.path) from None
        except IsADirectoryError:
            raise InputError("is a directory, not an export file", self.path) from None
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror or error}", self.path) from None
        try:
            status = os.fstat(raw.fileno())
            self.size = status.st_size if stat.S_ISREG(status.st_mode) else None
        except OSError:
            self.size = None
        return raw

    def _sniff(self) -> tuple[bytes, bytes]:
        """Read until the first non-space byte; return the bytes read and that byte."""
        prefix = b""
        while True:
            chunk = self._raw.read(_SNIFF_SIZE)
            prefix += chunk
            if prefix.startswith(_UTF8_BOM):
                prefix = prefix[len(_UTF8_BOM):]
            elif any(prefix.startswith(bom) for bom in _OTHER_BOMS):
                raise InputError("the file is UTF-16 or UTF-32; Label Studio exports are UTF-8",
                                 self.path)
            stripped = prefix.lstrip()
            if stripped:
                return prefix, stripped[:1]
            if not chunk:
                raise InputError("the file is empty: expected a Label Studio export", self.path)

    def _choose_format(self, format: str, first_byte: bytes
                       ) -> tuple[str, Iterator[tuple[int, Any, int]]]:
        lines = format in ("jsonl", "jsonl_min") or (
            format == "auto" and (first_byte == b"{" or self.path.endswith(LINE_SUFFIXES)))
        if lines:
            records = self._line_records()
        elif first_byte == b"[":
            records = self._array_records()
        else:
            found = {b"{": "an object"}.get(first_byte, f"{first_byte.decode('latin-1')!r}")
            hint = " (one task per line? use format jsonl)" if first_byte == b"{" else ""
            raise InputError(f"expected a JSON array of tasks, found {found} at the top "
                             f"level{hint}", self.path)
        if format in ("json", "json_min", "jsonl_min"):
            return format, records
        try:
            first = next(records)
        except StopIteration:
            return ("jsonl" if lines else "json"), iter(())
        except InputError as error:
            guessed = lines and not self.path.endswith(LINE_SUFFIXES)
            if guessed and error.task_index == 0 and error.message.startswith("invalid JSON"):
                raise InputError("expected a JSON array of tasks, found an object at the top "
                                 "level that spans several lines (a single task? put it in "
                                 "[ ])", self.path) from None
            raise
        minimal = looks_like_json_min(first[1])
        chosen = ("jsonl" if lines else "json") + ("_min" if minimal else "")
        return chosen, chain([first], records)

    # -- records: (index, object, line number or 0) -----------------------------------

    def _array_records(self) -> Iterator[tuple[int, Any, int]]:
        """Elements decoded by `json` (see `json_array`); a giant task hands on to ijson."""
        index = 0
        try:
            for value in iter_elements(self._source.read, as_text=self.as_text,
                                       max_bytes=self.max_line_bytes):
                yield index, value, 0
                index += 1
            return
        except ArrayError as error:
            if error.index is None:
                raise InputError(error.message, self.path) from None
            raise self._error(error.message, error.index, "", 0) from None
        except GiantElement as giant:
            source = _CountingSource(self._source, b"[" + giant.pending)
            source.bytes_read = self._source.bytes_read - len(giant.pending)
            self._source = source
        yield from self._ijson_records(index)

    def _ijson_records(self, index: int) -> Iterator[tuple[int, Any, int]]:
        """ijson's C backend from element `index` on (the source restarts the array there).
        A task's size is the bytes read while ijson builds it: exact to within one read
        (at most `_READ_SIZE`), which is fine for the tasks over `json_array.GIANT` that
        come here."""
        parsed = ijson.items(self._source, "item", use_float=True, buf_size=_READ_SIZE)
        self._source.task_done()
        self._source.max_task_bytes = self.max_line_bytes
        while True:
            try:
                value = next(parsed)
            except StopIteration:
                return
            except TaskTooLarge:
                raise self._error(too_large(self.max_line_bytes), index, "", 0) from None
            except ijson.JSONError as error:
                if "integer overflow" in str(error) and self._raw.seekable():
                    parsed = self._reread_with_big_integers(index)
                    continue
                raise self._parse_error(str(error), index) from None
            except UnicodeDecodeError:  # the pure-Python backend decodes as it reads
                raise self._error("not valid UTF-8", index, "", 0) from None
            self._source.task_done()
            yield index, dumps(value) if self.as_text else value, 0
            index += 1

    def _reread_with_big_integers(self, done: int) -> Iterator[Any]:
        """The C parser stops at an integer beyond 64 bits (an id from another system, say);
        the pure-Python one, about ten times slower, does not: read on with it from the
        task that failed."""
        self._raw.seek(0)
        if self._raw.read(len(_UTF8_BOM)) != _UTF8_BOM:
            self._raw.seek(0)
        self._source = _CountingSource(self._raw, b"")
        parsed = ijson.get_backend("python").items(self._source, "item", use_float=True)
        for _ in range(done):
            next(parsed)
        self._source.task_done()
        self._source.max_task_bytes = self.max_line_bytes
        return parsed

    def _parse_error(self, text: str, index: int) -> InputError:
        if text.startswith(("b'", 'b"')):
            try:
                text = ast.literal_eval(text).decode("utf-8", "replace")
            except (ValueError, SyntaxError):
                pass
        first_line = (text.strip().splitlines() or ["invalid JSON"])[0]
        if "premature EOF" in first_line:
            message = f"truncated JSON: the file ends after {index} complete task(s)"
        elif "UTF8" in first_line:
            message = "not valid UTF-8"
        elif "integer overflow" in first_line:
            message = "a number is outside the 64-bit integer range"
        elif "trailing garbage" in first_line:
            return InputError("unexpected text after the closing `]` of the task array",
                              self.path)
        else:
            message = f"invalid JSON: {first_line}"
        return self._error(message, index, "", 0)

    def _line_records(self) -> Iterator[tuple[int, Any, int]]:
        index = 0
        lines = io.BufferedReader(_RawSource(self._source), buffer_size=_READ_SIZE)
        limit = self.max_line_bytes
        line_number = 0
        while line := lines.readline(limit + 1):  # never more than the limit in memory
            line_number += 1
            if len(line) > limit:
                raise self._error(f"a line longer than {limit:,} bytes (--max-line-bytes)",
                                  index, "", line_number)
            text = decode_line(line, self.path, index, line_number)
            del line  # a 50 MB line is then held once as text, not also as bytes
            if not text.strip():
                continue
            if self.as_text:
                yield index, text, line_number
            else:
                value = parse_line(text, self.path, index, line_number)
                del text
                yield index, value, line_number
            index += 1

    def _error(self, message: str, index: int, relative_path: str,
               line_number: int) -> InputError:
        return located_error(self.path, message, index, relative_path, line_number)

    # -- tasks and items ----------------------------------------------------------------

    def _tasks(self) -> Iterator[TaskRecord]:
        try:
            grouped = (self._json_min_tasks() if self.format.endswith("_min")
                       else self._label_studio_tasks())
            for record in grouped:
                self.stats.tasks += 1
                self.stats.annotations += len(record.annotations)
                if not record.annotations:
                    self.stats.tasks_without_annotations += 1
                yield record
        finally:
            self.close()

    def _label_studio_tasks(self) -> Iterator[TaskRecord]:
        for index, value, line_number in self._records:
            try:
                task, annotations = split_task(value, self.strict_items)
            except MalformedTask as problem:
                raise self._error(problem.message, index, problem.json_path,
                                  line_number) from None
            yield TaskRecord(index, task, annotations)

    def _json_min_tasks(self) -> Iterator[TaskRecord]:
        """Consecutive records with the same task `id` are one task's annotations."""
        current: TaskRecord | None = None
        for index, value, line_number in self._records:
            try:
                task, annotation = convert_record(value, self.labeling_config)
            except MalformedTask as problem:
                raise self._error(problem.message, index, problem.json_path,
                                  line_number) from None
            same_task = (current is not None and task["id"] is not None
                         and task["id"] == current.task["id"])
            if current is None or not same_task:  # (the same task: current is not None)
                if current is not None:
                    yield current
                current = TaskRecord(index, task, [])
            if annotation is not None:
                current.annotations.append(annotation)
        if current is not None:
            yield current

    def _generate_items(self) -> Iterator[Item]:
        for record in self.tasks():
            annotations = record.annotations
            if not annotations:
                for listener in self.on_task_without_annotations:
                    listener(record)
                continue
            for position, annotation in enumerate(annotations):
                others = annotations[:position] + annotations[position + 1:]
                yield Item(record.index, record.task, annotation, others, position)


def located_error(path: str, message: str, index: int, relative_path: str,
                  line_number: int) -> InputError:
    """A problem in task `index` at `relative_path` inside it (e.g. `annotations[0]`): a
    JSONL task is named by its line, an array element by its JSON path."""
    if line_number:
        return InputError(message, f"{path}:{line_number}", index, relative_path)
    json_path = f"[{index}]"
    if relative_path:
        json_path += relative_path if relative_path.startswith("[") else "." + relative_path
    return InputError(message, path, index, json_path)


def iter_annotations(path: str | Path, format: str = "auto", *,
                     labeling_config: LabelingConfig | None = None,
                     strict_items: bool = True,
                     max_line_bytes: int = MAX_LINE_BYTES) -> ExportReader:
    """Each annotation of an export with its task; the reader also keeps `stats`.

    `path` "-" reads standard input. `labeling_config` (anything with
    `.controls[name].type` and `.to_names`) makes JSON_MIN results exact. With
    `strict_items` (the default) a result item that is not an object or lacks `value` is an
    `InputError`; pass False to hand such items to the rules instead.
    """
    return ExportReader(path, format, labeling_config=labeling_config,
                        strict_items=strict_items, max_line_bytes=max_line_bytes)


def iter_tasks(path: str | Path, format: str = "auto", *,
               labeling_config: LabelingConfig | None = None,
               strict_items: bool = True) -> Iterator[TaskRecord]:
    """Each task of an export with its annotations, tasks without any included."""
    return ExportReader(path, format, labeling_config=labeling_config,
                        strict_items=strict_items).tasks()


def count_tasks(path: str | Path) -> int | None:
    """Lines of a JSONL export (an upper bound: blank lines count); None for a JSON array,
    which cannot be counted without parsing it (use `ExportReader.bytes_read` and `size`)."""
    text_path = str(path)
    try:
        with open(text_path, "rb") as stream:
            head = stream.read(_SNIFF_SIZE)
            if not (text_path.endswith(LINE_SUFFIXES)
                    or head.lstrip(_UTF8_BOM + b" \t\r\n")[:1] == b"{"):
                return None
            count, last = 0, b""
            chunk = head
            while chunk:
                count += chunk.count(b"\n")
                last = chunk
                chunk = stream.read(_READ_SIZE)
            return count + (1 if last and not last.endswith(b"\n") else 0)
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", text_path) from None
