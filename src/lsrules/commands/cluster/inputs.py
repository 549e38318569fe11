"""The input of a cluster run, cut into blocks that a worker reads on its own.

The input is a file, a glob of shards or an fsspec URL (`s3://bucket/export-*.jsonl`). The
workers read it through fsspec; the driver reads only names, sizes and each shard's first
bytes. A JSONL shard is cut into byte ranges: a line belongs to the block its first byte is
in, so a worker finds its lines without reading anyone else's. A JSON array (or JSON_MIN)
cannot be cut without parsing it from the start, so it is one block. Shards are taken in
the order of their names, which is the order of the output.
"""
from __future__ import annotations

import glob
from collections.abc import Iterator

from lsrules.errors import InputError

SNIFF_BYTES = 1 << 16
_UTF8_BOM = b"\xef\xbb\xbf"
_PIECE = 1 << 20  # what is read at a time of a line that is only skipped or counted


MIN_BLOCK_BYTES = 1 << 16
MAX_BLOCK_BYTES = 1 << 26


def plan(pattern: str, format: str, pieces: int) -> list[dict]:
    """The blocks of the input, in input order, about `pieces` of them (JSONL is cut to
    between 64 KiB and 64 MiB a block): plain dicts (`url`, `name`, `format`, `start`,
    `end`), which is all a worker is sent about its share."""
    import fsspec

    try:
        files = sorted(fsspec.open_files(pattern, mode="rb"), key=lambda file: file.path)
    except (OSError, ValueError, ImportError) as error:
        raise InputError(f"cannot open: {error}", pattern) from None
    if not files:
        raise InputError("no file matches", pattern)
    single = len(files) == 1 and "://" not in pattern and not glob.has_magic(pattern)
    shards = []
    for file in files:
        url = file.fs.unstrip_protocol(file.path)
        local = "file" in _protocols(file.fs)
        name = pattern if single else (file.path if local else url)
        try:
            if file.fs.isdir(file.path):
                raise InputError("is a directory, not an export file", name)
            size = file.fs.size(file.path)
            chosen = _format(file, format, name) if size else format
        except FileNotFoundError:
            raise InputError("no such file", name) from None
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror or error}", name) from None
        shards.append((url, name, size, chosen))
    total = sum(size for _, _, size, _ in shards)
    block_bytes = min(max(total // max(pieces, 1), MIN_BLOCK_BYTES), MAX_BLOCK_BYTES)
    blocks: list[dict] = []
    for url, name, size, chosen in shards:
        if chosen == "jsonl" and size:
            for start in range(0, size, block_bytes):
                blocks.append({"url": url, "name": name, "format": "jsonl", "start": start,
                               "end": min(start + block_bytes, size)})
        else:
            blocks.append({"url": url, "name": name, "format": chosen, "start": 0, "end": -1})
    return blocks


def _protocols(fs) -> tuple:
    protocol = fs.protocol
    return protocol if isinstance(protocol, tuple) else (protocol,)


def _format(file, format: str, name: str) -> str:
    """How a shard is read: "jsonl" (cut into blocks) or a format for `ExportReader` over the
    whole shard. `auto` looks at the first bytes, as `lsrules run` does."""
    if format != "auto":
        return format
    from lsrules.exports.json_min import looks_like_json_min
    from lsrules.exports.lines import parse_line

    with file as stream:
        head = stream.read(SNIFF_BYTES)
    if head.startswith(_UTF8_BOM):
        head = head[len(_UTF8_BOM):]
    stripped = head.lstrip()
    if not stripped.startswith(b"{"):
        return "auto"  # an array (json or json_min), or something `ExportReader` names
    first, newline, _ = stripped.partition(b"\n")
    if newline:
        try:
            if looks_like_json_min(parse_line(first.decode("utf-8"), name, 0, 1)):
                return "jsonl_min"  # records of a task follow each other: not cut
        except (InputError, UnicodeDecodeError):
            pass  # the worker reading that line names the problem
    return "jsonl"


def block_lines(block: dict, limit: int) -> Iterator[bytes]:
    """The lines of a JSONL block: those whose first byte lies in [start, end). A line over
    `limit` bytes comes as its first `limit + 1` bytes (the caller refuses it): a line
    without an end never takes all memory."""
    import fsspec

    with fsspec.open(block["url"], "rb") as stream:
        position = block["start"]
        if position > 0:  # the line running into the block belongs to the one before
            stream.seek(position - 1)
            position += _skip_line(stream) - 1
        end = block["end"]
        while position < end:
            line = stream.readline(limit + 1)
            if not line:
                return
            start, position = position, position + len(line)
            yield line[len(_UTF8_BOM):] if start == 0 and line.startswith(_UTF8_BOM) else line


def _skip_line(stream) -> int:
    """Read to the end of the current line, a piece at a time; returns the bytes read."""
    skipped = 0
    while True:
        piece = stream.readline(_PIECE)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped


def lines_before(block: dict) -> tuple[int, int]:
    """(lines, tasks) of the shard before a JSONL block, so that an error found in the block
    names its line and task as a one-process run would. Read only when there is an error."""
    import fsspec

    lines = tasks = 0
    with fsspec.open(block["url"], "rb") as stream:
        position = 0
        while position < block["start"]:
            piece = stream.readline(_PIECE)
            if not piece:
                break
            position += len(piece)
            if not piece.endswith(b"\n"):  # a long line: it is no blank line
                position += _skip_line(stream)
                piece = b"x"
            lines += 1
            tasks += bool(piece.decode("utf-8", "replace").lstrip("\ufeff").strip())
    return lines, tasks
