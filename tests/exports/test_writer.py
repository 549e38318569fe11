"""Writing outputs: whole or absent, compact JSONL, a corrected export in the input's shape."""
from __future__ import annotations

import io
import json
import os
import stat

import pytest

from lsrules.errors import LsrulesError
from lsrules.exports.reader import iter_annotations
from lsrules.exports.writer import FixedExportWriter, JsonlWriter, with_annotations
from lsrules.files import AtomicOutput

from .fixtures import JSON_MIN_RECORDS, LABEL_STUDIO_TASKS, write_json, write_jsonl


def corrected(annotation: dict) -> dict:
    """A stand-in for the engine's fix: every box moves to x = 0."""
    result = [{**item, "value": {**item["value"], "x": 0.0}} for item in annotation["result"]]
    return {**annotation, "result": result}


def leftovers(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(".tmp"))


# -- AtomicOutput --------------------------------------------------------------------


def test_a_successful_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "decisions.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with AtomicOutput(target) as stream:
        stream.write("new\n")
        assert target.read_text(encoding="utf-8") == "old\n"  # not visible until the end
    assert target.read_text(encoding="utf-8") == "new\n"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("interruption", [RuntimeError("task 900000 is broken"),
                                          KeyboardInterrupt()])
@pytest.mark.parametrize("existed", [False, True])
def test_an_interrupted_write_leaves_nothing_behind(tmp_path, interruption, existed):
    target = tmp_path / "fixed.json"
    if existed:
        target.write_text("previous run\n", encoding="utf-8")
    with pytest.raises(type(interruption)), AtomicOutput(target) as stream:
        stream.write("[\n{\"id\": 1}")
        raise interruption
    assert leftovers(tmp_path) == []
    if existed:
        assert target.read_text(encoding="utf-8") == "previous run\n"
    else:
        assert not target.exists()


@pytest.mark.parametrize("path", ["-", None])
def test_a_dash_or_none_writes_to_standard_output(tmp_path, capsys, path):
    with AtomicOutput(path) as stream:
        stream.write("to the terminal\n")
    assert capsys.readouterr().out == "to the terminal\n"


def test_a_missing_directory_is_a_user_error(tmp_path):
    with pytest.raises(LsrulesError, match="cannot write"), \
            AtomicOutput(tmp_path / "absent" / "out.jsonl"):
        pass


def test_a_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "shared.jsonl"
    target.write_text("", encoding="utf-8")
    target.chmod(0o640)
    with AtomicOutput(target) as stream:
        stream.write("x\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path):
    previous = os.umask(0o022)
    try:
        with AtomicOutput(tmp_path / "new.jsonl") as stream:
            stream.write("x\n")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "new.jsonl").stat().st_mode) == 0o644


# -- JsonlWriter ---------------------------------------------------------------------


def test_jsonl_is_compact_keeps_key_order_and_non_ascii_text(tmp_path):
    target = tmp_path / "decisions.jsonl"
    with AtomicOutput(target) as stream:
        writer = JsonlWriter(stream)
        writer.write({"verdict": "fixed", "task_id": 1, "message": "Straße ✓"})
        writer.write({"b": [1, 2.5, None], "a": True})
    assert target.read_bytes().decode("utf-8") == (
        '{"verdict":"fixed","task_id":1,"message":"Straße ✓"}\n{"b":[1,2.5,null],"a":true}\n')
    assert writer.written == 2


# -- FixedExportWriter ---------------------------------------------------------------


def write_fixed(source_path, target, correct=corrected, **reader_options):
    reader = iter_annotations(source_path, **reader_options)
    with AtomicOutput(target) as stream, FixedExportWriter(stream, source=reader) as fixed:
        for item in reader:
            fixed.write(item, correct(item.annotation))
    return reader


def test_a_json_export_comes_back_as_json_with_every_task_in_order(tmp_path):
    source = write_json(tmp_path / "export.json", LABEL_STUDIO_TASKS)
    write_fixed(source, tmp_path / "fixed.json")
    written = json.loads((tmp_path / "fixed.json").read_text(encoding="utf-8"))
    expected = [{**task, "annotations": [corrected(a) for a in task["annotations"]]}
                for task in LABEL_STUDIO_TASKS]
    assert written == expected
    assert list(written[0]) == list(LABEL_STUDIO_TASKS[0])  # `annotations` back after `id`


def test_a_jsonl_export_comes_back_as_jsonl(tmp_path):
    source = write_jsonl(tmp_path / "export.jsonl", LABEL_STUDIO_TASKS)
    write_fixed(source, tmp_path / "fixed.jsonl", correct=lambda annotation: annotation)
    lines = (tmp_path / "fixed.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == LABEL_STUDIO_TASKS


def test_tasks_without_annotations_at_the_start_and_end_are_kept(tmp_path):
    empty_first = {**LABEL_STUDIO_TASKS[1], "id": 1}
    empty_last = {**LABEL_STUDIO_TASKS[1], "id": 9}
    tasks = [empty_first, LABEL_STUDIO_TASKS[0], empty_last]
    source = write_json(tmp_path / "export.json", tasks)
    write_fixed(source, tmp_path / "fixed.json", correct=lambda annotation: annotation)
    written = json.loads((tmp_path / "fixed.json").read_text(encoding="utf-8"))
    assert [task["id"] for task in written] == [1, 4, 9]
    assert written == tasks


def test_json_min_comes_back_as_label_studio_json(tmp_path):
    source = write_json(tmp_path / "min.json", JSON_MIN_RECORDS)
    reader = write_fixed(source, tmp_path / "fixed.json", correct=lambda annotation: annotation)
    written = json.loads((tmp_path / "fixed.json").read_text(encoding="utf-8"))
    assert reader.format == "json_min"
    assert [(task["id"], [a["id"] for a in task["annotations"]]) for task in written] == [
        (6, [10, 11]), (7, []), (8, [12])]
    assert written[0]["annotations"][0]["result"][0]["value"]["labels"] == ["PER"]


def test_an_export_without_tasks_is_an_empty_array(tmp_path):
    source = write_json(tmp_path / "export.json", [])
    write_fixed(source, tmp_path / "fixed.json")
    assert (tmp_path / "fixed.json").read_text(encoding="utf-8") == "[]\n"


def test_items_that_lag_behind_the_reader_still_come_out_in_order(tmp_path):
    """A caller may read ahead (batches): tasks without annotations wait their turn."""
    source = write_json(tmp_path / "export.json", LABEL_STUDIO_TASKS)
    reader = iter_annotations(source)
    with AtomicOutput(tmp_path / "fixed.json") as stream, \
            FixedExportWriter(stream, source=reader) as fixed:
        items = list(reader)  # the whole batch is read before anything is written
        for item in items:
            fixed.write(item, item.annotation)
    written = json.loads((tmp_path / "fixed.json").read_text(encoding="utf-8"))
    assert [task["id"] for task in written] == [4, 5, 6]


def test_an_error_mid_export_leaves_no_fixed_file(tmp_path):
    source = write_json(tmp_path / "export.json", LABEL_STUDIO_TASKS)
    target = tmp_path / "fixed.json"
    with pytest.raises(RuntimeError), iter_annotations(source) as reader, \
            AtomicOutput(target) as stream, FixedExportWriter(stream, source=reader) as fixed:
        for number, item in enumerate(reader):
            if number == 2:
                raise RuntimeError("the engine failed")
            fixed.write(item, item.annotation)
    assert not target.exists() and leftovers(tmp_path) == []


def test_items_out_of_order_are_refused(tmp_path):
    items = list(iter_annotations(write_json(tmp_path / "e.json", LABEL_STUDIO_TASKS)))
    with AtomicOutput(tmp_path / "fixed.json") as stream:
        fixed = FixedExportWriter(stream)
        fixed.write(items[2], items[2].annotation)
        with pytest.raises(ValueError, match="out of order"):
            fixed.write(items[0], items[0].annotation)


def test_an_unknown_output_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        FixedExportWriter(io.StringIO(), format="csv")


def test_with_annotations_puts_them_after_the_id():
    assert list(with_annotations({"data": {}, "id": 3, "meta": {}}, [])) == [
        "id", "annotations", "data", "meta"]
    assert list(with_annotations({"data": {}}, [])) == ["annotations", "data"]
