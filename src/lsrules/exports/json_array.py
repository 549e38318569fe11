"""The elements of a JSON array read from a byte stream, each decoded by `json`'s C scanner.

ijson's C backend builds Python objects event by event, about three times slower than
`json` decoding the same text in one call, and the main process of `lsrules run` spends
most of its time reading. Tasks are small, so here the array is read in chunks and each
element is decoded with `JSONDecoder.raw_decode` from the text buffered so far; an element
that runs past the buffer (decoding fails at the buffer's end, or on a string still open
there) reads more and is decoded again. Memory holds a chunk and the current element.

An element over `GIANT` characters (a task holding a 50 MB text) would cost several copies
of itself here, so `iter_elements` raises `GiantElement` with the bytes it holds and the
caller goes on with ijson, which holds such a string about once. An element over the
caller's `max_bytes` (one task's cap) is an `ArrayError`, raised before more than that is
read for it.
"""
from __future__ import annotations

import codecs
import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

CHUNK = 1 << 18
GIANT = 1 << 22
_SPACE = re.compile(r"[ \t\n\r]*")  # matches anywhere (maybe nothing): match() is never None
_CLOSING = re.compile(r"[\]}]")
_NUMBER_TAIL = re.compile(r"[0-9eE.+-]*")  # what could still continue a number


class ArrayError(Exception):
    """Malformed input; `index` is the element it is in (None: outside any element)."""

    def __init__(self, message: str, index: int | None):
        super().__init__(message)
        self.message = message
        self.index = index


class GiantElement(Exception):
    """Element `index` is too large to decode here: go on from `pending` (its bytes so far)."""

    def __init__(self, index: int, pending: bytes):
        super().__init__(f"element {index} is larger than {GIANT} characters")
        self.index = index
        self.pending = pending


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e400: `json` would make it inf, which no JSON output can hold
        raise ValueError(f"the number {text[:30]} is too large")
    return value


def value_error_message(error: ValueError) -> str:
    """The JSON decoder's ValueError in the user's terms (Python's own message for a huge
    integer talks about `sys.set_int_max_str_digits`)."""
    if "integer string conversion" in str(error):
        return "invalid JSON: an integer of more than 4300 digits"
    return f"invalid JSON: {error}"


# NaN, Infinity and numbers beyond a double are errors (ValueError), in arrays and lines
DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
_raw_decode = DECODER.raw_decode


def too_large(limit: int) -> str:
    """The message for a task over the byte cap (`run --max-line-bytes`)."""
    return f"a task larger than {limit:,} bytes (--max-line-bytes)"


class _Text:
    """The stream decoded as UTF-8, from the current element on."""

    def __init__(self, read: Callable[[int], bytes], chunk: int, max_bytes: int | None = None):
        self.read = read
        self.chunk = chunk
        self.max_bytes = max_bytes  # the largest element, in bytes (None: no cap)
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.text = ""
        self.position = 0
        self.start = 0  # where the element `element` returned last starts
        self.ended = False
        self.invalid = False  # the bytes after the text are not UTF-8

    def more(self, size: int, index: int | None) -> None:
        """Append the next `size` bytes' text, dropping what was consumed.

        Bytes that are not UTF-8 are an error of the element that reaches them: the text
        before them is appended, and the error raised when more is needed after it."""
        if self.invalid:
            raise ArrayError("not valid UTF-8", index)
        data = self.read(size)
        try:
            tail = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            pending, _ = self.decoder.getstate()
            tail = (pending + data)[:error.start].decode("utf-8")
            self.invalid = True
        self.ended = not data or self.invalid
        self.text = self.text[self.position:] + tail
        self.position = 0

    def peek(self, index: int | None) -> str | None:
        """The next character that is not white space (not consumed); None at the end."""
        while True:
            self.position = _SPACE.match(self.text, self.position).end()  # type: ignore[union-attr]
            if self.position < len(self.text):
                return self.text[self.position]
            if self.ended and not self.invalid:
                return None
            self.more(self.chunk, index)

    def element(self, index: int) -> Any:
        """Decode the element at the current position, reading more while it runs past."""
        size = self.chunk
        while True:
            try:
                value, end = _raw_decode(self.text, self.position)
            except json.JSONDecodeError as error:
                cut = error.pos >= len(self.text) - 8 or error.msg.startswith("Unterminated")
                if (not self.ended or self.invalid) and cut:
                    self._grow(size, index)
                    size *= 2
                    continue
                if self.ended and cut and not _CLOSING.search(self.text, error.pos):
                    raise ArrayError(f"truncated JSON: the file ends after {index} complete "
                                     "task(s)", index) from None
                raise ArrayError(f"invalid JSON: {error.msg}", index) from None
            except RecursionError:
                raise ArrayError("JSON nested too deeply", index) from None
            except ValueError as error:  # NaN, Infinity, an integer of over 4300 digits
                raise ArrayError(value_error_message(error), index) from None
            if not self.ended and _NUMBER_TAIL.fullmatch(self.text, end):  # may go on: read on
                self._grow(size, index)
                size *= 2
                continue
            # a character is at most 4 bytes: count the bytes only when they may be too many
            limit = self.max_bytes
            if limit is not None and 4 * (end - self.position) > limit and len(
                    self.text[self.position:end].encode("utf-8", "surrogatepass")) > limit:
                raise ArrayError(too_large(limit), index)
            self.start, self.position = self.position, end
            return value

    def _grow(self, size: int, index: int) -> None:
        held = len(self.text) - self.position  # characters: 1 to 4 bytes each
        limit = self.max_bytes
        if limit is not None:  # read no more than the limit allows (then one byte past it)
            if 4 * held <= limit:
                room = limit + 1 - 4 * held
            else:
                room = limit + 1 - len(self.text[self.position:].encode("utf-8", "surrogatepass"))
                if room <= 0:
                    raise ArrayError(too_large(limit), index)
            size = min(size, room)
        if held > GIANT:
            pending, _ = self.decoder.getstate()
            raise GiantElement(index, self.text[self.position:].encode("utf-8", "surrogatepass")
                               + pending)
        self.more(size, index)


def iter_elements(read: Callable[[int], bytes], chunk: int = CHUNK,
                  as_text: bool = False, max_bytes: int | None = None) -> Iterator[Any]:
    """Each element of the JSON array that `read` (a binary stream's read) delivers.

    With `as_text`, each element's JSON text instead (checked, then dropped: for `run
    --jobs`, whose workers parse it again, which costs less than pickling the objects).
    Raises `ArrayError` for malformed input or an element over `max_bytes`, and
    `GiantElement` for an element too large to decode here; white space before the `[` is
    skipped.
    """
    text = _Text(read, chunk, max_bytes)
    if text.peek(None) != "[":
        raise ArrayError("expected a JSON array", None)
    text.position += 1
    index = 0
    if text.peek(index) == "]":
        text.position += 1
    else:
        while True:
            if text.peek(index) is None:
                raise ArrayError(f"truncated JSON: the file ends after {index} complete "
                                 "task(s)", index)
            value = text.element(index)
            yield text.text[text.start:text.position] if as_text else value
            index += 1
            following = text.peek(index)
            if following == ",":
                text.position += 1
            elif following == "]":
                text.position += 1
                break
            elif following is None:
                raise ArrayError(f"truncated JSON: the file ends after {index} complete "
                                 "task(s)", index)
            else:
                raise ArrayError(f"invalid JSON: expected `,` or `]` after task #{index - 1}",
                                 index)
    if text.peek(None) is not None:
        raise ArrayError("unexpected text after the closing `]` of the task array", None)
