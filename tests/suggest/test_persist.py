"""Model files: exact JSON round-trip, and clear errors for damaged or hostile files."""
from __future__ import annotations

import json

import pytest

from lsrules.errors import LsrulesError
from lsrules.suggest import Suggester

from .conftest import make_items


@pytest.fixture
def trained() -> Suggester:
    suggester = Suggester.new({"target_accuracy": 0.9, "explore": 0.05})
    for task, annotation, _ in make_items(150):
        suggester.learn(task, annotation, approved_by="test")
    span_task = {"id": 999, "data": {"text": "Alice works at Acme"}}
    suggester.learn(span_task, {"completed_by": 2, "result": [
        {"id": "s1", "from_name": "ner", "to_name": "text", "type": "labels",
         "value": {"start": 15, "end": 19, "text": "Acme", "labels": ["ORG"]}},
        {"id": "b1", "from_name": "box", "to_name": "image", "type": "rectanglelabels",
         "value": {"x": 10, "y": 20, "width": 30.5, "height": 40, "rectanglelabels": ["Car"]}}]},
        approved_by="test")
    return suggester


def test_save_load_save_gives_the_same_bytes(trained, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    trained.save(first)
    loaded = Suggester.load(first)
    loaded.save(second)
    assert first.read_bytes() == second.read_bytes()
    assert loaded.model_version == trained.model_version
    task = make_items(1, seed=5)[0][0]
    assert loaded.suggest(task) == trained.suggest(task)


def test_save_is_atomic_and_leaves_no_temporary_file(trained, tmp_path):
    path = tmp_path / "model.json"
    trained.save(path)
    trained.save(path)
    assert [entry.name for entry in tmp_path.iterdir()] == ["model.json"]


@pytest.mark.parametrize("where", ["missing-directory/model.json", "a-directory", "nul\0.json"])
def test_an_unwritable_model_path_is_a_clear_error_and_leaves_nothing(trained, tmp_path,
                                                                     where):
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(LsrulesError, match="cannot write model file"):
        trained.save(tmp_path / where)
    assert [entry.name for entry in tmp_path.iterdir()] == ["a-directory"]
    assert list((tmp_path / "a-directory").iterdir()) == []


def _document(trained: Suggester) -> dict:
    return json.loads(json.dumps(trained.to_document()))


def _mutations():
    def set_path(path, value):
        def mutate(document):
            target = document
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        return mutate
    deep = {"a": 1}
    for _ in range(5000):
        deep = {"a": deep}
    return {
        "wrong format": set_path(["format"], "pickle"),
        "future version": set_path(["format_version"], 99),
        "boolean version": set_path(["format_version"], True),
        "weights not an object": set_path(["text_model", "weights"], []),
        "weight a string": set_path(["text_model", "bias"], ["0.1", 0.2, 0.3]),
        "huge number": set_path(["text_model", "bias_squared_gradient"], 1e308 * 10),
        "huge integer": set_path(["state", "updates"], 10**40),
        "negative count": set_path(["text_model", "class_counts"], [-1, 2, 3]),
        "class key": set_path(["__class__"], "os.system"),
        "reduce in settings": set_path(["settings", "__reduce__"], ["os.system", ["true"]]),
        "bad feature key": set_path(["text_model", "weights", "__import__('os')"], [0.0]),
        "deep nesting": set_path(["spans"], deep),
        "calibration record shape": set_path(["calibration", "records"], [[0.5, "a"]]),
        "settings out of range": set_path(["settings", "target_accuracy"], 7),
        "geometry wrong size": set_path(["geometry", "Car", "mean"], [0.0]),
    }


@pytest.mark.parametrize("name", sorted(_mutations()))
def test_a_hostile_model_file_is_a_clear_error(trained, tmp_path, name):
    document = _document(trained)
    _mutations()[name](document)
    path = tmp_path / "model.json"
    try:
        text = json.dumps(document)
    except RecursionError:
        text = '{"spans":' * 5000 + "1" + "}" * 5000
    path.write_text(text)
    with pytest.raises(LsrulesError) as raised:
        Suggester.load(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("text", [
    "", "{", '{"format": "lsrules-suggester", "format_version": 1',
    "[" * 100_000, '{"a": NaN}', '{"a": Infinity}', "1" * 10_000, "\xff\xfe",
])
def test_a_damaged_model_file_is_a_clear_error(tmp_path, text):
    path = tmp_path / "model.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(LsrulesError):
        Suggester.load(path)


def test_a_truncated_model_file_is_a_clear_error(trained, tmp_path):
    path = tmp_path / "model.json"
    trained.save(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(LsrulesError, match="not valid JSON"):
        Suggester.load(path)


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(LsrulesError, match="cannot read"):
        Suggester.load(tmp_path / "absent.json")


def test_ruleset_settings_override_the_saved_policy(trained, tmp_path):
    path = tmp_path / "model.json"
    trained.save(path)
    assert Suggester.load(path, {"explore": 0.2}).settings.explore == 0.2
    assert Suggester.open({"model": "model.json"}, tmp_path).updates == trained.updates
    assert Suggester.open({"model": "absent.json"}, tmp_path).updates == 0


def test_save_keeps_the_permissions_of_the_file_it_replaces(trained, tmp_path):
    path = tmp_path / "model.json"
    path.write_text("{}")
    path.chmod(0o640)
    trained.save(path)
    assert path.stat().st_mode & 0o777 == 0o640
