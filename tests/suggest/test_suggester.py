"""The suggester facade: learning, abstaining, exploring, spans, boxes and annotators."""
from __future__ import annotations

import random

import pytest

from lsrules.errors import LsrulesError
from lsrules.suggest import Suggester, Suggestion

from .conftest import choice_annotation, make_items


def test_abstains_with_no_data():
    suggester = Suggester.new({})
    assert suggester.suggest({"id": 1, "data": {"text": "anything"}}) == Suggestion(None, None)
    assert suggester.region_suggestion({}, "Acme") == Suggestion(None, None)
    assert suggester.anomaly("Car", 1, 2, 3, 4) is None
    assert suggester.reliability(1) is None


def test_learning_online_changes_the_model_version(items):
    suggester = Suggester.new({})
    versions = {suggester.model_version}
    for task, annotation, _ in items[:5]:
        suggester.learn(task, annotation, approved_by="test")
        versions.add(suggester.model_version)
    assert len(versions) == 6


def test_learns_enough_to_suggest_and_is_right(items):
    suggester = Suggester.new({"target_accuracy": 0.95, "explore": 0.0})
    for task, annotation, _ in items[:300]:
        suggester.learn(task, annotation, approved_by="test")
    answered = [(suggester.suggest(task).label, label) for task, _, label in items[300:]]
    given = [(suggested, label) for suggested, label in answered if suggested is not None]
    assert len(given) > 50
    assert sum(suggested == label for suggested, label in given) / len(given) >= 0.95


def test_abstains_on_labels_that_cannot_be_learned():
    generator = random.Random(3)
    suggester = Suggester.new({"target_accuracy": 0.95})
    items = make_items(500, seed=1)
    for task, _, _ in items:
        suggester.learn(task, choice_annotation(generator.choice(["x", "y", "z"])),
                        approved_by="test")
    assert all(suggester.suggest(task).label is None for task, _, _ in make_items(50, seed=9))


@pytest.mark.parametrize("through", ["argument", "the task's predictions"])
def test_never_learns_from_its_own_accepted_suggestion(items, through):
    suggester = Suggester.new({})
    task, annotation, _ = items[0]
    prediction = {"id": 9, "model_version": "lsrules-suggest-0.4",
                  "result": [dict(annotation["result"][0], id="other-id", score=0.97)]}
    annotation = {**annotation, "parent_prediction": 9}
    if through == "argument":
        learned = suggester.learn(task, annotation, "engine", prediction)
    else:
        learned = suggester.learn({**task, "predictions": [prediction]}, annotation, "engine")
    assert learned is False
    assert suggester.updates == 0 and suggester.text_model.example_count == 0
    changed = dict(prediction, result=[dict(prediction["result"][0],
                                            value={"choices": ["something else"]})])
    assert suggester.learn(task, annotation, "engine", changed) is True


def test_another_models_prediction_accepted_unchanged_is_a_persons_label(items):
    suggester = Suggester.new({})
    task, annotation, _ = items[0]
    prediction = {"id": 9, "model_version": "vendor-model-3", "result": annotation["result"]}
    assert suggester.learn({**task, "predictions": [prediction]},
                           {**annotation, "parent_prediction": 9}, "engine") is True


def test_skips_cancelled_annotations_and_rejects_non_objects(items):
    suggester = Suggester.new({})
    task, annotation, _ = items[0]
    assert suggester.learn(task, {**annotation, "was_cancelled": True}, "engine") is False
    with pytest.raises(LsrulesError):
        suggester.learn(task, "not an annotation", "engine")  # type: ignore[arg-type]


def test_explore_share_is_deterministic_and_close_to_the_setting():
    first = Suggester.new({"explore": 0.1, "seed": 4})
    second = Suggester.new({"explore": 0.1, "seed": 4})
    draws = [first.should_explore(task_id) for task_id in range(5000)]
    assert draws == [second.should_explore(task_id) for task_id in range(5000)]
    assert 0.08 < sum(draws) / len(draws) < 0.12
    assert not any(Suggester.new({"explore": 0}).should_explore(n) for n in range(100))
    other_seed = Suggester.new({"explore": 0.1, "seed": 5})
    assert draws != [other_seed.should_explore(task_id) for task_id in range(5000)]


def test_text_field_and_from_name_can_be_set():
    suggester = Suggester.new({"text_field": "body", "from_name": "topic"})
    task = {"id": 1, "data": {"title": "goal", "body": "match goal team"}}
    other = {"result": [{"from_name": "mood", "to_name": "body", "type": "choices",
                         "value": {"choices": ["happy"]}}]}
    assert suggester.learn(task, other, "engine") is False
    assert suggester.learn(task, choice_annotation("sport"), "engine") is True
    assert suggester.text_model.classes == ["sport"]


def _box(x, y, width, height, label="Car"):
    return {"completed_by": 1, "result": [{
        "id": "b", "from_name": "box", "to_name": "image", "type": "rectanglelabels",
        "value": {"x": x, "y": y, "width": width, "height": height,
                  "rectanglelabels": [label]}}]}


def test_anomaly_is_in_unit_range_and_high_for_an_odd_box():
    suggester = Suggester.new({})
    generator = random.Random(1)
    for number in range(60):
        suggester.learn({"id": number, "data": {"image": "x.jpg"}},
                        _box(generator.uniform(20, 40), generator.uniform(30, 50),
                             generator.uniform(18, 22), generator.uniform(9, 11)), "engine")
    typical = suggester.anomaly("Car", 30, 40, 20, 10)
    odd = suggester.anomaly("Car", 30, 40, 2, 60)
    assert 0 <= typical < 0.8
    assert 0.99 < odd <= 1
    assert suggester.anomaly("Car", 30, 40, -1, 10) is None
    assert suggester.anomaly("Car", "30", 40, 1, 10) is None
    assert suggester.anomaly("Truck", 30, 40, 20, 10) is None


def test_region_suggestion_repeats_how_a_surface_was_labelled():
    suggester = Suggester.new({})
    task = {"id": 1, "data": {"text": "Alice works at Acme Corp"}}
    for label in ["ORG", "ORG", "ORG", "LOC"]:
        suggester.learn(task, {"completed_by": 1, "result": [
            {"id": "n", "from_name": "ner", "to_name": "text", "type": "labels",
             "value": {"start": 15, "end": 24, "labels": [label]}}]}, "engine")
    by_text = suggester.region_suggestion(task, "acme  CORP")
    assert by_text.label == "ORG" and by_text.confidence == pytest.approx(3 / 5)
    item = {"to_name": "text", "value": {"start": 15, "end": 24, "labels": ["LOC"]}}
    assert suggester.region_suggestion(task, item).label == "ORG"
    assert suggester.region_suggestion(task, "Bob").label is None


def test_reliability_from_approved_labels_and_overlap():
    suggester = Suggester.new({})
    generator = random.Random(2)
    for number in range(1, 201):
        task = {"id": number, "data": {"text": f"item {number}"}}
        truth = generator.choice(["a", "b", "c"])
        careless = truth if generator.random() < 0.5 else generator.choice(["a", "b", "c"])
        suggester.observe(task, choice_annotation(careless, annotator=8))
        suggester.observe(task, choice_annotation(truth, annotator=9))
        if number % 2:
            suggester.learn(task, choice_annotation(truth, annotator=7), "reviewer")
    careful, careless_score = suggester.reliability(9), suggester.reliability(8)
    assert 0.9 < careful <= 1
    assert careless_score < 0.8
    assert suggester.reliability("nobody") is None


@pytest.mark.parametrize("settings, message", [
    ({"target_acuracy": 0.9}, "not a suggester setting"),
    ({"target_accuracy": 1.5}, "must lie in"),
    ({"explore": "lots"}, "must be a number"),
    ({"seed": 1.5}, "must be an integer"),
    ("fast", "must be a mapping"),
])
def test_bad_settings_are_clear_errors(settings, message):
    with pytest.raises(LsrulesError, match=message):
        Suggester.new(settings)


def test_burn_in_keeps_the_untrained_models_scores_out_of_calibration(items):
    suggester = Suggester.new({"burn_in": 30, "recalibrate_every": 10**6})
    for task, annotation, _ in items[:30]:
        suggester.learn(task, annotation, approved_by="test")
    assert len(suggester.calibrator.records) == 0
    assert suggester.text_model.example_count == 30  # the model still learns them
    for task, annotation, _ in items[30:40]:
        suggester.learn(task, annotation, approved_by="test")
    assert len(suggester.calibrator.records) == 10
    every = Suggester.new({"burn_in": 0, "recalibrate_every": 10**6})
    for task, annotation, _ in items[:40]:
        every.learn(task, annotation, approved_by="test")
    assert len(every.calibrator.records) == 39  # all but the first, which has no model


def test_burn_in_is_a_checked_setting_kept_in_the_model_file(items, tmp_path):
    with pytest.raises(LsrulesError, match="burn_in must lie in"):
        Suggester.new({"burn_in": -1})
    suggester = Suggester.new({"burn_in": 7})
    suggester.save(tmp_path / "model.json")
    assert Suggester.load(tmp_path / "model.json").settings.burn_in == 7
