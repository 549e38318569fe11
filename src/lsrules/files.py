"""The one way lsrules writes a file (whole or not at all), and reads one it was named.

Outputs, new rulesets, suggester models and the ruleset cache all go through `AtomicFile`,
so they share one behaviour: the text goes to a hidden temporary file beside the target
(the final rename is atomic on one file system), is flushed to disk, and replaces the
target keeping its mode, or gets the mode a plain `open` would give (0666 less the umask);
on any exception, KeyboardInterrupt included, the temporary file is deleted and the target
is left as it was. `AtomicOutput` adds `-` for standard output and one-line errors.

A file that a ruleset or a model names is read with `read_regular_file`: only a regular
file (a FIFO would block forever, `/dev/zero` would fill memory), at most a byte cap
(`LSRULES_MAX_FILE_BYTES`, default 10 MB), whatever a symlink points at.
"""
from __future__ import annotations

import os
import secrets
import shutil
import stat
import sys
from pathlib import Path
from types import TracebackType
from typing import TextIO

from lsrules.errors import LsrulesError


class AtomicFile:
    """`with AtomicFile(path) as stream:` writes `path` whole, or not at all.

    `exclusive=True` refuses to replace a file that exists (`FileExistsError`, also when
    another process creates it meanwhile). Failures are `OSError` (`ValueError` for a path
    with a NUL byte): callers say them in their own terms.
    """

    def __init__(self, path: str | os.PathLike[str], *, exclusive: bool = False,
                 encoding: str = "utf-8"):
        self.path = Path(path)
        self.exclusive = exclusive
        self.encoding = encoding
        self.temporary_path = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        self._stream: TextIO | None = None

    def __enter__(self) -> TextIO:
        # O_EXCL: never reuse someone's file; mode 0o666 lets the umask decide, as open()
        descriptor = os.open(self.temporary_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        self._stream = open(descriptor, "w", encoding=self.encoding, newline="\n")
        return self._stream

    def __exit__(self, exception_type: type[BaseException] | None,
                 exception: BaseException | None, traceback: TracebackType | None) -> None:
        assert self._stream is not None
        try:
            if exception_type is None:
                self._stream.flush()
                os.fsync(self._stream.fileno())
                self._stream.close()
                self._commit()
        finally:
            self._discard()

    def _commit(self) -> None:
        if not self.exclusive:
            if self.path.exists():
                shutil.copymode(self.path, self.temporary_path)
            os.replace(self.temporary_path, self.path)
            return
        try:
            os.link(self.temporary_path, self.path)  # fails if the target exists
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links
            if self.path.exists():
                raise FileExistsError(17, "File exists", str(self.path)) from None
            os.replace(self.temporary_path, self.path)

    def _discard(self) -> None:
        if self._stream is not None and not self._stream.closed:
            try:
                self._stream.close()
            except OSError:
                pass
        try:
            os.unlink(self.temporary_path)
        except FileNotFoundError:
            pass


def write_atomically(path: str | os.PathLike[str], text: str, *, exclusive: bool = False) -> None:
    """`text` written to `path` by `AtomicFile` (its errors, unchanged)."""
    with AtomicFile(path, exclusive=exclusive) as stream:
        stream.write(text)


class AtomicOutput:
    """An output a command names: `-` or None is standard output, written directly; any
    other path is an `AtomicFile`. A failure is an `LsrulesError` naming the path."""

    def __init__(self, path: str | os.PathLike[str] | None, encoding: str = "utf-8"):
        self.path = None if path is None or str(path) == "-" else Path(path)
        self._file = None if self.path is None else AtomicFile(self.path, encoding=encoding)

    def __enter__(self) -> TextIO:
        if self._file is None:
            return sys.stdout
        try:
            return self._file.__enter__()
        except (OSError, ValueError) as error:
            raise cannot_write(error, self.path) from None

    def __exit__(self, exception_type: type[BaseException] | None,
                 exception: BaseException | None, traceback: TracebackType | None) -> None:
        if self._file is None:
            if exception_type is None:
                sys.stdout.flush()
            return
        try:
            self._file.__exit__(exception_type, exception, traceback)
        except OSError as error:
            if exception_type is None:
                raise cannot_write(error, self.path) from None


def cannot_write(error: BaseException, path: object) -> LsrulesError:
    """The one-line error for a file that could not be written."""
    reason = getattr(error, "strerror", None) or str(error)
    return LsrulesError(f"cannot write: {reason}", str(path))


DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


def max_file_bytes() -> int:
    """The byte cap of `read_regular_file`: `$LSRULES_MAX_FILE_BYTES`, else 10 MB."""
    configured = os.environ.get("LSRULES_MAX_FILE_BYTES", "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else \
        DEFAULT_MAX_FILE_BYTES


def read_regular_file(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (default `max_file_bytes()`);
    `LsrulesError` (at `path`) for anything else, never a hang on a FIFO or a device."""
    limit = max_file_bytes() if limit is None else limit
    where = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | \
        getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)  # O_NONBLOCK: opening a FIFO does not wait
    except FileNotFoundError:
        raise LsrulesError("no such file", where) from None
    except OSError as error:
        raise LsrulesError(f"cannot read: {error.strerror or error}", where) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise LsrulesError("is a directory, not a file", where)
        if not stat.S_ISREG(mode):
            raise LsrulesError(f"not a regular file (a {_file_kind(mode)})", where)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise LsrulesError(f"cannot read: {error.strerror or error}", where) from None
    finally:
        os.close(descriptor)
    if size > limit:
        raise LsrulesError(f"file larger than {limit} bytes (LSRULES_MAX_FILE_BYTES)", where)
    return b"".join(chunks)


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"
