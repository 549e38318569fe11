"""Output files that are complete or absent, and the writers that fill them.

`lsrules run` may be stopped by an error in task 900,000 or by Ctrl-C; a decisions file or
corrected export cut off there would look complete to the next tool. So every output is
written to a temporary file beside the target and renamed over it only on success.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TextIO

from lsrules.exports.lines import dumps

if TYPE_CHECKING:
    from typing_extensions import Self

    from lsrules.exports.reader import ExportReader, Item, TaskRecord


class JsonlWriter:
    """One compact JSON object per line (decision records, findings)."""

    def __init__(self, output: TextIO):
        self.output = output
        self.written = 0

    def write(self, record: Mapping[str, Any]) -> None:
        self.output.write(dumps(record))
        self.output.write("\n")
        self.written += 1


class FixedExportWriter:
    """Writes the corrected export: every task of the input, with the annotations given.

    Give it, in input order, every `Item` read with its annotation as corrected (the
    original when nothing changed): the items of one task arrive one after another, so
    only one task is held at a time. Tasks without annotations, which yield no `Item`,
    are copied through when the writer is given the `source` reader.

    Output format: a JSON array of tasks (one task per line inside it) when the input was a
    JSON array, JSONL when it was JSONL. JSON_MIN input is written as Label Studio JSON:
    JSON_MIN cannot hold what the rules may correct (ids, types), and Label Studio imports
    the JSON form directly.
    """

    def __init__(self, output: TextIO, format: str | None = None,
                 source: ExportReader | None = None):
        chosen = format or (source.format if source is not None else "json")
        if chosen not in ("json", "json_min", "jsonl", "jsonl_min"):
            raise ValueError(f"unknown export format {chosen!r}")
        self.output = output
        self.lines = chosen.startswith("jsonl")
        self.tasks_written = 0
        self._current: tuple[int, dict, list[dict]] | None = None
        self._waiting: list[tuple[int, dict, list[dict]]] = []  # tasks without annotations
        self._closed = False
        if source is not None:
            source.on_task_without_annotations.append(self._task_without_annotations)

    def write(self, item: Item, annotation: dict) -> None:
        """Add one (corrected) annotation to its task; a new task index ends the previous."""
        if self._current is not None and self._current[0] != item.index:
            if item.index < self._current[0]:
                raise ValueError(f"items out of order: task #{item.index} after "
                                 f"#{self._current[0]}")
            self._waiting.append(self._current)
            self._current = None
        if self._current is None:
            self._current = (item.index, item.task, [])
        self._current[2].append(annotation)
        self._emit_before(item.index)

    def close(self) -> None:
        """Write the last task and end the array; an interrupted run must not call this."""
        if self._closed:
            return
        self._closed = True
        if self._current is not None:
            self._waiting.append(self._current)
            self._current = None
        self._emit_before(None)
        if not self.lines:
            self.output.write("[]\n" if self.tasks_written == 0 else "\n]\n")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exception_type: type[BaseException] | None, *rest: object) -> None:
        if exception_type is None:
            self.close()

    def _task_without_annotations(self, record: TaskRecord) -> None:
        self._waiting.append((record.index, record.task, []))

    def _emit_before(self, index: int | None) -> None:
        """Write, in input order, the finished tasks that come before task `index`."""
        ready = [task for task in self._waiting if index is None or task[0] < index]
        if not ready:
            return
        self._waiting = [task for task in self._waiting if index is not None and task[0] >= index]
        for _, task, task_annotations in sorted(ready, key=lambda waiting: waiting[0]):
            self._write_task(task, task_annotations)

    def _write_task(self, task: dict, annotations: list[dict]) -> None:
        self.write_serialized(dumps(with_annotations(task, annotations)))

    def write_serialized(self, text: str) -> None:
        """Write the next task as `dumps(with_annotations(...))` already wrote it (in a
        worker of `run --jobs`); the caller keeps input order."""
        if self.lines:
            self.output.write(text + "\n")
        else:
            self.output.write(("[\n" if self.tasks_written == 0 else ",\n") + text)
        self.tasks_written += 1


def with_annotations(task: dict, annotations: list[dict]) -> dict:
    """The task with `annotations` put back where Label Studio puts it: after `id`."""
    rebuilt: dict = {}
    if "id" in task:
        rebuilt["id"] = task["id"]
    rebuilt["annotations"] = annotations
    rebuilt.update((key, value) for key, value in task.items() if key != "id")
    return rebuilt
