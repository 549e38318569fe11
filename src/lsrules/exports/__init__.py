"""Label Studio exports (JSON, JSON_MIN, JSONL) read and written as streams.

`lsrules run` evaluates exports of millions of annotations, so nothing here holds more
than one task in memory, and nothing it writes is left half-done.
"""
from __future__ import annotations

from lsrules.exports.reader import (
                                    ExportReader,
                                    Item,
                                    ReadStats,
                                    TaskRecord,
                                    count_tasks,
                                    iter_annotations,
                                    iter_tasks,
)
from lsrules.exports.writer import FixedExportWriter, JsonlWriter

__all__ = [
    "ExportReader", "FixedExportWriter", "Item", "JsonlWriter", "ReadStats",
    "TaskRecord", "count_tasks", "iter_annotations", "iter_tasks",
]
