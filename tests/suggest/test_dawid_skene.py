"""Dawid-Skene on planted crowds: reliability follows who is right, not who labels last."""
from __future__ import annotations

import json
import random

import pytest

from lsrules.cli import main
from lsrules.suggest.annotators import AnnotatorAgreement
from lsrules.suggest.dawid_skene import estimate

LABELS = ["business", "sport", "tech"]


def planted_crowd(tasks: int = 600, seed: int = 3) -> tuple[list[dict], dict[str, str]]:
    """Each task: two of three careful annotators (90% right), then `last`, who labels every
    task last and is right only by chance. Returns the votes in labelling order and the truth."""
    generator = random.Random(seed)
    accuracy = {"ann": 0.9, "bob": 0.9, "cid": 0.85, "last": 0.3}
    votes, truth = [], {}
    for number in range(tasks):
        true = generator.choices(LABELS, weights=[5, 3, 2])[0]
        truth[str(number)] = true
        given = {}
        for annotator in generator.sample(["ann", "bob", "cid"], 2) + ["last"]:
            right = generator.random() < accuracy[annotator]
            given[annotator] = true if right else generator.choice(
                [label for label in LABELS if label != true])
        votes.append(given)
    return votes, truth


def test_the_annotator_who_always_labels_last_but_is_poor_gets_low_reliability():
    votes, truth = planted_crowd()
    model = estimate({str(number): given for number, given in enumerate(votes)})
    assert model.reliability("last") < 0.45
    for careful in ("ann", "bob", "cid"):
        assert model.reliability(careful) > 0.8
    assert model.reliability("ann") > model.reliability("last") + 0.4
    agreed = sum(model.label_of(task) == truth[task] for task in truth)
    assert agreed / len(truth) > 0.85


def test_the_live_estimate_is_not_fooled_by_approving_the_latest_label():
    """`annotator.reliability` in serve is the same estimate: approving each task's last
    label (which used to be taken as the truth, and made `last` look perfect) changes
    nothing, since no label is taken as the truth."""
    votes, _ = planted_crowd()
    live = AnnotatorAgreement()
    for number, given in enumerate(votes):
        for place, (annotator, label) in enumerate(given.items()):
            live.record(str(number), annotator, label, approved=place == len(given) - 1)
    model = estimate({str(number): given for number, given in enumerate(votes)})
    for annotator in ("ann", "bob", "cid", "last"):
        assert live.reliability(annotator) == pytest.approx(model.reliability(annotator))
    assert live.reliability("last") < 0.45 and live.count("last") == len(votes)
    assert live.reliability("nobody") is None and live.count("nobody") == 0


def test_tasks_with_one_label_are_left_out_and_an_empty_crowd_is_no_error():
    model = estimate({"1": {"ann": "sport"}, "2": {"ann": "tech", "bob": "tech"}})
    assert set(model.posteriors) == {"2"}
    assert model.label_of("2") == "tech"
    empty = estimate({"1": {"ann": "sport"}})
    assert empty.posteriors == {} and empty.converged and empty.iterations == 0


def test_a_tie_goes_to_the_label_that_sorts_first_every_time():
    votes = {"1": {"ann": "tech", "bob": "sport"}, "2": {"ann": "sport", "bob": "tech"}}
    first = estimate(votes)
    assert first.posteriors["1"]["sport"] == pytest.approx(first.posteriors["1"]["tech"])
    assert first.label_of("1") == "sport" and first.label_of("2") == "sport"
    assert estimate(dict(reversed(list(votes.items())))) == first


def test_iterations_are_bounded():
    votes, _ = planted_crowd(200)
    model = estimate({str(number): given for number, given in enumerate(votes)},
                     max_iterations=2, tolerance=0.0)
    assert model.iterations == 2 and not model.converged


def _export(votes: list[dict]) -> list[dict]:
    return [{"id": 100 + number, "data": {"text": "x"}, "annotations": [
        {"id": 10 * number + place, "completed_by": int(annotator, 36), "was_cancelled": False,
         "result": [{"from_name": "topic", "to_name": "text", "type": "choices",
                     "value": {"choices": [label]}}]}
        for place, (annotator, label) in enumerate(given.items())]}
        for number, given in enumerate(votes)]


def test_the_command_prints_reliabilities_and_aggregated_labels(tmp_path, capsys):
    votes, truth = planted_crowd(300)
    tasks = _export(votes)
    tasks.append({"id": 9999, "data": {"text": "x"}, "annotations": [
        {"completed_by": int("ann", 36), "result": [{"type": "choices", "from_name": "topic",
                                                     "to_name": "text",
                                                     "value": {"choices": ["tech"]}}]},
        {"completed_by": int("bob", 36), "was_cancelled": True, "result": []}]})
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks))
    assert main(["suggest", "annotators", str(export), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    reliability = {entry["annotator"]: entry["reliability"] for entry in report["annotators"]}
    assert reliability[str(int("last", 36))] < 0.45 < 0.8 < reliability[str(int("ann", 36))]
    rows = {row["task"]: row for row in report["tasks"]}
    assert rows[9999] == {"task": 9999, "label": "tech", "confidence": None, "annotators": 1}
    agreed = sum(rows[100 + int(task)]["label"] == label for task, label in truth.items())
    assert agreed / len(truth) > 0.85
    assert main(["suggest", "annotators", str(export)]) == 0
    text = capsys.readouterr().out
    assert "300 labelled by several people (used), 1 by one" in text


@pytest.mark.parametrize("content", ["[{", "[1, 2]", '[{"id": 1}]', '{"a": 1}',
                                     '[{"data": {}, "annotations": 5}]'])
def test_a_hostile_export_is_a_one_line_error(tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["suggest", "annotators", str(bad)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("lsrules:") and len(error.strip().splitlines()) == 1


def test_a_missing_export_is_a_one_line_error(tmp_path, capsys):
    assert main(["suggest", "annotators", str(tmp_path / "none.json")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
