"""Reading exports: every format, every malformed case a user can produce, flat memory."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

import pytest

from lsrules.errors import InputError
from lsrules.exports.reader import ExportReader, count_tasks, iter_annotations, iter_tasks

from .fixtures import (
    JSON_MIN_RECORDS,
    LABEL_STUDIO_TASKS,
    NER_CONFIG,
    box_annotation,
    task,
    write_json,
    write_jsonl,
)


def first_item(path: Path, *args, **options):
    """The first item, with the file closed: a reader left half-read keeps its file open."""
    with iter_annotations(path, *args, **options) as reader:
        return next(reader)


def summary(reader: ExportReader) -> list[tuple]:
    """(task index, task id, annotation id, position, ids of the others) per item."""
    return [(item.index, item.task["id"], item.annotation["id"], item.annotation_index,
             [other["id"] for other in item.others]) for item in reader]


LABEL_STUDIO_SUMMARY = [(0, 4, 2, 0, [3]), (0, 4, 3, 1, [2]), (2, 6, 7, 0, [])]
JSON_MIN_SUMMARY = [(0, 6, 10, 0, [11]), (0, 6, 11, 1, [10]), (3, 8, 12, 0, [])]


@pytest.mark.parametrize("name, writer, records, requested, detected, expected, tasks, empty", [
    ("export.json", write_json, LABEL_STUDIO_TASKS, "auto", "json", LABEL_STUDIO_SUMMARY, 3, 1),
    ("export.json", write_json, LABEL_STUDIO_TASKS, "json", "json", LABEL_STUDIO_SUMMARY, 3, 1),
    ("export.jsonl", write_jsonl, LABEL_STUDIO_TASKS, "auto", "jsonl", LABEL_STUDIO_SUMMARY, 3, 1),
    ("export.ndjson", write_jsonl, LABEL_STUDIO_TASKS, "jsonl", "jsonl", LABEL_STUDIO_SUMMARY,
     3, 1),
    ("no-extension", write_jsonl, LABEL_STUDIO_TASKS, "auto", "jsonl", LABEL_STUDIO_SUMMARY, 3, 1),
    ("min.json", write_json, JSON_MIN_RECORDS, "auto", "json_min", JSON_MIN_SUMMARY, 3, 1),
    ("min.json", write_json, JSON_MIN_RECORDS, "json_min", "json_min", JSON_MIN_SUMMARY, 3, 1),
    ("min.jsonl", write_jsonl, JSON_MIN_RECORDS, "auto", "jsonl_min", JSON_MIN_SUMMARY, 3, 1),
    ("empty-array.json", write_json, [], "auto", "json", [], 0, 0),
])
def test_each_format_yields_every_annotation_with_its_task(
        tmp_path, name, writer, records, requested, detected, expected, tasks, empty):
    reader = iter_annotations(writer(tmp_path / name, records), requested)
    assert reader.format == detected
    assert summary(reader) == expected
    annotations = sum(len(item[4]) == 0 or True for item in expected)
    assert (reader.stats.tasks, reader.stats.annotations,
            reader.stats.tasks_without_annotations) == (tasks, annotations, empty)


def test_the_task_keeps_everything_but_its_annotations(tmp_path):
    item = first_item(write_json(tmp_path / "e.json", LABEL_STUDIO_TASKS))
    expected = {key: value for key, value in LABEL_STUDIO_TASKS[0].items()
                if key != "annotations"}
    assert item.task == expected
    assert item.annotation == box_annotation(2)


def test_old_exports_with_completions_are_read_as_annotations(tmp_path):
    old = {"id": 1, "data": {"text": "x"}, "completions": [{"id": 9, "result": []}]}
    assert summary(iter_annotations(write_json(tmp_path / "old.json", [old]))) == [
        (0, 1, 9, 0, [])]


def test_iter_tasks_includes_tasks_without_annotations(tmp_path):
    records = list(iter_tasks(write_json(tmp_path / "e.json", LABEL_STUDIO_TASKS)))
    assert [(record.index, record.task["id"], len(record.annotations)) for record in records] \
        == [(0, 4, 2), (1, 5, 0), (2, 6, 1)]


def test_a_utf8_byte_order_mark_is_skipped(tmp_path):
    for name, text in [("bom.json", json.dumps(LABEL_STUDIO_TASKS)),
                       ("bom.jsonl", "\n".join(map(json.dumps, LABEL_STUDIO_TASKS)))]:
        path = tmp_path / name
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        assert summary(iter_annotations(path)) == LABEL_STUDIO_SUMMARY


def test_standard_input_is_read_when_the_path_is_a_dash(tmp_path, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps(LABEL_STUDIO_TASKS).encode("utf-8")))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert summary(iter_annotations("-")) == LABEL_STUDIO_SUMMARY


def test_blank_lines_in_jsonl_are_skipped_and_not_counted(tmp_path):
    path = tmp_path / "gaps.jsonl"
    path.write_text("\n" + json.dumps(LABEL_STUDIO_TASKS[0]) + "\n\n   \n"
                    + json.dumps(LABEL_STUDIO_TASKS[2]) + "\n", encoding="utf-8")
    assert [item.index for item in iter_annotations(path)] == [0, 0, 1]


def test_bytes_read_reaches_the_file_size_for_a_progress_bar(tmp_path):
    reader = iter_annotations(write_json(tmp_path / "e.json", LABEL_STUDIO_TASKS))
    assert reader.size == (tmp_path / "e.json").stat().st_size
    list(reader)
    assert reader.bytes_read == reader.size


def test_count_tasks_counts_jsonl_lines_and_declines_json_arrays(tmp_path):
    assert count_tasks(write_jsonl(tmp_path / "e.jsonl", LABEL_STUDIO_TASKS)) == 3
    (tmp_path / "unterminated.jsonl").write_text('{"a": 1}\n{"a": 2}', encoding="utf-8")
    assert count_tasks(tmp_path / "unterminated.jsonl") == 2
    assert count_tasks(write_json(tmp_path / "e.json", LABEL_STUDIO_TASKS)) is None


# -- JSON_MIN -------------------------------------------------------------------------


def test_json_min_spans_become_label_studio_results(tmp_path):
    first = first_item(write_json(tmp_path / "min.json", JSON_MIN_RECORDS))
    assert first.task == {"id": 6, "data": {"text": "Alice works at Acme Corp.",
                                            "sentiment": "Positive"}}
    annotation = first.annotation
    assert (annotation["id"], annotation["completed_by"], annotation["lead_time"],
            annotation["was_cancelled"]) == (10, 1, 4.5, False)
    span = annotation["result"][0]
    assert {key: span[key] for key in ("from_name", "to_name", "type", "value")} == {
        "from_name": "ner", "to_name": "", "type": "labels",
        "value": {"start": 0, "end": 5, "text": "Alice", "labels": ["PER"]}}
    assert len(span["id"]) == 10 and span["id"] != annotation["result"][1]["id"]


def test_json_min_region_ids_are_the_same_on_every_read(tmp_path):
    path = write_json(tmp_path / "min.json", JSON_MIN_RECORDS)
    first = [result["id"] for item in iter_annotations(path) for result in item.annotation["result"]]
    second = [result["id"] for item in iter_annotations(path) for result in item.annotation["result"]]
    assert first == second and len(set(first)) == len(first)


def test_a_labeling_config_gives_to_name_type_and_bare_string_choices(tmp_path):
    path = write_json(tmp_path / "min.json", JSON_MIN_RECORDS)
    first = first_item(path, labeling_config=NER_CONFIG)
    assert first.task["data"] == {"text": "Alice works at Acme Corp."}
    assert [(result["from_name"], result["to_name"], result["type"], result["value"])
            for result in first.annotation["result"]][1:] == [
        ("ner", "text", "labels", {"start": 15, "end": 24, "text": "Acme Corp",
                                   "labels": ["ORG"]}),
        ("sentiment", "text", "choices", {"choices": ["Positive"]}),
    ]
    assert "id" not in first.annotation["result"][2]  # classifications have no region id


@pytest.mark.parametrize("key, value, config_type, expected_type, expected_value, extra", [
    ("box", [{"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0, "rotation": 0,
              "rectanglelabels": ["Car"], "original_width": 640, "original_height": 480}],
     None, "rectanglelabels",
     {"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0, "rotation": 0,
      "rectanglelabels": ["Car"]}, {"original_width": 640, "original_height": 480}),
    ("tags", {"choices": ["A", "B"]}, None, "choices", {"choices": ["A", "B"]}, {}),
    ("stars", [{"rating": 4}], None, "rating", {"rating": 4}, {}),
    ("notes", {"text": ["one", "two"]}, None, "textarea", {"text": ["one", "two"]}, {}),
    ("notes", "just one", "TextArea", "textarea", {"text": ["just one"]}, {}),
    ("sentiment", "Positive", "Choices", "choices", {"choices": ["Positive"]}, {}),
    ("box", [{"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}], None, "rectangle",
     {"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0}, {}),
])
def test_json_min_values_of_each_control_kind(tmp_path, key, value, config_type, expected_type,
                                              expected_value, extra):
    record = {"image": "/data/1.jpg", "id": 1, key: value, "annotator": 1,
              "annotation_id": 2, "created_at": None, "updated_at": None, "lead_time": None}
    config = None
    if config_type:
        config = SimpleNamespace(controls={key: SimpleNamespace(type=config_type,
                                                                to_names="image")})
    item = first_item(write_json(tmp_path / "min.json", [record]), "json_min",
                      labeling_config=config)
    (result,) = item.annotation["result"]
    assert (result["type"], result["value"]) == (expected_type, expected_value)
    assert {name: result[name] for name in extra} == extra
    assert item.task["data"] == {"image": "/data/1.jpg"}


# -- malformed exports ---------------------------------------------------------------


def _tasks_json(*tasks: object) -> bytes:
    return json.dumps(list(tasks)).encode("utf-8")


GOOD = task(1, [box_annotation(1)])
WITHOUT_VALUE = task(2, [{"id": 3, "result": [box_annotation(1)["result"][0],
                                               {"id": "r9", "from_name": "label",
                                                "to_name": "image", "type": "choices"}]}])
MALFORMED = [
    # (name, file name, content, words in the message, task index, json path)
    ("truncated", "e.json", _tasks_json(GOOD, GOOD)[:-40], "truncated JSON", 1, "[1]"),
    ("truncated before ]", "e.json", _tasks_json(GOOD)[:-1], "truncated JSON", 1, "[1]"),
    ("task is a list", "e.json", _tasks_json(GOOD, [GOOD]), "task must be a JSON object", 1,
     "[1]"),
    ("result item without value", "e.json", _tasks_json(GOOD, WITHOUT_VALUE),
     "needs a `value`", 1, "[1].annotations[0].result[1]"),
    ("annotation not an object", "e.json",
     _tasks_json(GOOD, GOOD, task(3, [box_annotation(1), "oops"])),
     "annotation must be a JSON object, found a string", 2, "[2].annotations[1]"),
    ("annotations not a list", "e.json", _tasks_json({"id": 1, "data": {}, "annotations": {}}),
     "`annotations` must be an array", 0, "[0].annotations"),
    ("data not an object", "e.json", _tasks_json({"id": 1, "data": "x", "annotations": []}),
     "`data` is a string", 0, "[0].data"),
    ("result not a list", "e.json", _tasks_json(task(1, [{"id": 1, "result": None}])),
     "`result` must be an array, found null", 0, "[0].annotations[0].result"),
    ("result item not an object", "e.json", _tasks_json(task(1, [{"id": 1, "result": [3]}])),
     "result item must be a JSON object", 0, "[0].annotations[0].result[0]"),
    ("invalid UTF-8", "e.json", _tasks_json(GOOD).replace(b"/data/1.jpg", b"/data/\xff.jpg"),
     "not valid UTF-8", 0, "[0]"),
    ("invalid JSON", "e.json", b'[{"id": 1,, }]', "invalid JSON", 0, "[0]"),
    ("empty file", "e.json", b"", "empty", None, ""),
    ("only spaces", "e.json", b"  \n\t ", "empty", None, ""),
    ("top-level object", "e.json", json.dumps(GOOD, indent=1).encode("utf-8"),
     "expected a JSON array of tasks, found an object", None, ""),
    ("top-level number", "e.json", b"42", "expected a JSON array", None, ""),
    ("text after the array", "e.json", _tasks_json(GOOD) + b" []", "after the closing", None,
     ""),
    ("UTF-16", "e.json", "[]".encode("utf-16"), "UTF-16", None, ""),
    ("JSON_MIN record not an object", "e.json", _tasks_json(JSON_MIN_RECORDS[0], 5),
     "record must be a JSON object", 1, "[1]"),
]


@pytest.mark.parametrize("name, file_name, content, words, task_index, json_path", MALFORMED,
                         ids=[case[0] for case in MALFORMED])
def test_a_malformed_export_is_one_located_input_error(tmp_path, name, file_name, content,
                                                       words, task_index, json_path):
    path = tmp_path / file_name
    path.write_bytes(content)
    with pytest.raises(InputError) as raised:
        list(iter_annotations(path))
    error = raised.value
    assert words in error.message
    assert (error.task_index, error.json_path) == (task_index, json_path)
    assert str(error).startswith(str(path))
    assert "\n" not in str(error)


@pytest.mark.parametrize("lines, words, location, task_index", [
    ([GOOD, GOOD, "{not json", GOOD], "invalid JSON", ":3:2", 2),
    ([GOOD, [GOOD]], "must be a JSON object (one task), found an array", ":2", 1),
    ([GOOD, {"id": 1, "data": {}, "annotations": [None]}], "found null", ":2", 1),
    # what the array reader refuses too: `json` would give NaN, inf or a ValueError
    ([GOOD, '{"id": 1, "data": {"n": NaN}}'], "invalid JSON: NaN is not JSON", ":2", 1),
    ([GOOD, '{"id": 1, "data": {"n": 1e400}}'], "invalid JSON: the number 1e400 is too large",
     ":2", 1),
    ([GOOD, '{"id": 1, "data": {"n": ' + "9" * 5000 + "}}"], "invalid JSON: an integer of more than 4300 digits",
     ":2", 1),
])
def test_a_bad_jsonl_line_is_named_by_its_line_number(tmp_path, lines, words, location,
                                                      task_index):
    path = tmp_path / "e.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line)
                              for line in lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        list(iter_annotations(path))
    assert words in raised.value.message
    assert str(raised.value).startswith(f"{path}{location}: task #{task_index}")


def test_invalid_utf8_in_a_jsonl_line_is_named_by_its_line(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"data": {"text": "\xc3("}}\n')
    with pytest.raises(InputError, match=r"e\.jsonl:2: task #1: not valid UTF-8"):
        list(iter_annotations(path))


def test_json_min_read_as_label_studio_json_says_what_it_looks_like(tmp_path):
    path = write_json(tmp_path / "min.json", JSON_MIN_RECORDS)
    with pytest.raises(InputError, match=r"task #0 at \[0\]: .*looks like a JSON_MIN export"):
        list(iter_annotations(path, "json"))


def test_integers_beyond_64_bits_are_read_exactly(tmp_path):
    huge = {"id": 2, "data": {"external_id": 10**30}, "annotations": [{"id": 5, "result": []}]}
    path = write_json(tmp_path / "e.json", [GOOD, huge, GOOD])
    reader = iter_annotations(path)
    items = list(reader)
    assert [item.task["id"] for item in items] == [1, 2, 1]
    assert items[1].task["data"]["external_id"] == 10**30
    assert reader.stats.tasks == 3


def test_a_missing_file_fails_when_the_reader_is_created(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        iter_annotations(tmp_path / "absent.json")


def test_an_unknown_format_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="unknown export format 'csv'"):
        iter_annotations(write_json(tmp_path / "e.json", []), "csv")


def test_a_json_min_control_of_the_wrong_shape_is_located(tmp_path):
    record = {**JSON_MIN_RECORDS[3], "ner": [{"start": 0}, 7]}
    path = write_json(tmp_path / "min.json", [JSON_MIN_RECORDS[3], record])
    with pytest.raises(InputError) as raised:
        list(iter_annotations(path, "json_min", labeling_config=NER_CONFIG))
    assert (raised.value.task_index, raised.value.json_path) == (1, "[1].ner[1]")


def test_items_without_value_reach_the_rules_when_not_strict(tmp_path):
    odd = task(1, [{"id": 1, "result": [{"foo": "bar"}, "text"]}])
    (item,) = iter_annotations(write_json(tmp_path / "e.json", [odd]), strict_items=False)
    assert item.annotation["result"] == [{"foo": "bar"}, "text"]


def test_relations_have_no_value_and_are_not_an_error(tmp_path):
    relation = {"from_id": "r1", "to_id": "r2", "type": "relation", "direction": "right"}
    annotation = {**box_annotation(1), "result": box_annotation(1)["result"] + [relation]}
    (item,) = iter_annotations(write_json(tmp_path / "e.json", [task(1, [annotation])]))
    assert item.annotation["result"][-1] == relation


# -- size ----------------------------------------------------------------------------


def test_a_50_megabyte_string_costs_about_its_own_size(tmp_path):
    size = 50_000_000
    path = tmp_path / "big.json"
    with open(path, "wb") as stream:
        stream.write(b'[{"id": 1, "data": {"text": "')
        stream.write(b"a" * size)
        stream.write(b'"}, "annotations": [{"id": 2, "result": []}]}]')
    tracemalloc.start()
    try:
        (item,) = iter_annotations(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(item.task["data"]["text"]) == size
    assert peak < 1.5 * size


def test_python_memory_stays_flat_while_reading(tmp_path):
    """tracemalloc sees every Python object: the peak is a fraction of one read."""
    path = tmp_path / "texts.json"
    text = "word " * 400
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("[" + ",".join(json.dumps({"id": number, "data": {"text": text},
                                                "annotations": [{"id": number, "result": []}]})
                                    for number in range(10_000)) + "]")
    tracemalloc.start()
    try:
        reader = iter_annotations(path)
        count = sum(1 for _ in reader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10_000
    assert peak < 2_000_000, f"peak {peak} bytes for a {path.stat().st_size} byte export"


CHILD = """
import resource, sys
from lsrules.exports import iter_annotations
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
reader = iter_annotations(sys.argv[1])
count = sum(1 for _ in reader)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(count, reader.stats.tasks, (after - before) * 1024)
"""


def test_memory_stays_flat_over_200000_tasks(tmp_path):
    """The whole process, C parser included, in a child whose peak is its own
    (tracemalloc over 200,000 tasks would take half a minute; this takes seconds)."""
    path = tmp_path / "many.json"
    box = {"id": "r1", "from_name": "label", "to_name": "image", "type": "rectanglelabels",
           "value": {"x": 1.5, "y": 2, "width": 30, "height": 40, "rectanglelabels": ["Car"]}}
    with open(path, "w", encoding="utf-8") as stream:
        stream.write("[")
        stream.write(",".join(
            f'{{"id":{number},"data":{{"image":"/data/{number}.jpg"}},"annotations":'
            f'[{{"id":{number},"result":[{json.dumps(box)}]}}]}}' for number in range(200_000)))
        stream.write("]")
    size = path.stat().st_size
    finished = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True,
                              text=True, timeout=120, check=True)
    count, tasks, growth = map(int, finished.stdout.split())
    assert (count, tasks) == (200_000, 200_000)
    assert growth < 20_000_000, f"resident memory grew {growth} bytes reading {size} bytes"
    assert size > 40_000_000
