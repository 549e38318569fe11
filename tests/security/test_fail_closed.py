"""Fail closed: whatever an annotation holds, it gets a decision. Odd result items (a list
as `from_name`, values of every JSON type) go through fixes without stopping `run`; where the
engine itself fails, `Engine.evaluate` answers `review` with an `lsrules-error` finding."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lsrules
from lsrules import cli
from lsrules.engine.engine import Engine

FIXES = """\
ruleset: fixes
version: "1"
fixes: apply
rules:
  - id: label-case
    severity: info
    for: region
    when: region.label == "car"
    fix: set region.label = "Car"
  - id: crop
    severity: info
    for: region
    when: region.x < 0
    fix: set region.x = 0
  - id: tag
    severity: info
    for: region
    when: region.type == "choices"
    fix: add_label "Checked"
  - id: untag
    severity: info
    for: region
    when: '"Drop" in region.labels'
    fix: remove_label "Drop"
  - id: drop-empty
    severity: info
    for: region
    when: region.width == 0
    fix: drop region
  - id: note
    severity: info
    when: len(regions) > 1
    fix: set task.meta.checked = true
  - id: attrs
    severity: warning
    for: region
    assert: region.attrs.x == null and region.text + "" != "boom"
"""


def _engine(tmp_path) -> Engine:
    path = tmp_path / "fixes.yaml"
    path.write_text(FIXES)
    return lsrules.load(path)


def test_a_list_as_from_name_does_not_stop_run(tmp_path, capsys):
    path = tmp_path / "fixes.yaml"
    path.write_text(FIXES)
    odd = [{"id": "a", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
            "value": {"x": 1, "width": 2, "rectanglelabels": ["car"]}},
           {"id": "a", "type": "choices", "from_name": ["x"], "to_name": "image",
            "value": {"choices": ["y"]}}]
    export = tmp_path / "export.jsonl"
    export.write_text("\n".join(json.dumps(task) for task in [
        {"id": 1, "data": {}, "annotations": [{"id": 11, "result": odd}]},
        {"id": 2, "data": {}, "annotations": [{"id": 12, "result": []}]},
    ]) + "\n")
    output = tmp_path / "decisions.jsonl"
    code = cli.main(["run", str(path), "--input", str(export), "--output", str(output),
                     "--jobs", "1", "--fail-on", "never"])
    assert code == 0, capsys.readouterr()
    first, second = [json.loads(line) for line in output.read_text().splitlines()]
    assert first["verdict"] == "fixed"
    assert first["patch"] == [{"op": "replace", "path": "/result/0/value/rectanglelabels/0",
                               "value": "Car"}]
    assert second["annotation_id"] == 12


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-5, 5) | st.sampled_from(
        ["car", "Drop", "", "a", "choices", "label", "rectanglelabels", "x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["x", "width", "rectanglelabels", "choices", "labels", "text", "a"]),
        inner, max_size=3),
    max_leaves=8)
_ITEM = st.fixed_dictionaries({}, optional={
    "id": st.sampled_from(["a", "b", 1]) | _JSON,
    "type": st.sampled_from(["rectanglelabels", "choices", "labels", "relation", "taxonomy"])
    | _JSON,
    "from_name": st.sampled_from(["label", "x"]) | _JSON,
    "to_name": _JSON,
    "value": st.fixed_dictionaries({}, optional={
        "x": _JSON, "width": _JSON, "text": _JSON,
        "rectanglelabels": st.lists(st.sampled_from(["car", "Drop", "Car"]) | _JSON, max_size=2),
        "choices": st.lists(st.sampled_from(["car", "Drop"]) | _JSON, max_size=2)}) | _JSON,
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.lists(_ITEM | _JSON, max_size=5), _JSON)
def test_odd_result_items_get_a_decision_from_the_rules(tmp_path, result, meta):
    """The engine evaluates odd items itself: no decision falls back to `lsrules-error`."""
    engine = _engine(tmp_path)
    task = {"id": 1, "data": {}, "meta": meta}
    annotation = {"id": 2, "result": result}
    decision = engine.evaluate(task, annotation)
    assert decision.verdict in ("accept", "fixed", "review", "reject")
    assert "lsrules-error" not in decision.fired, decision.findings
    json.dumps(decision.to_dict())  # the record is JSON


class _BrokenSuggester:
    """A suggester that fails: an engine part the rules call, failing on this annotation."""

    model_version = "broken"

    def suggest(self, task):
        raise RuntimeError("the model file is damaged")

    def reliability(self, annotator):
        return None


def test_an_internal_failure_is_a_review_decision(tmp_path):
    path = tmp_path / "suggest.yaml"
    path.write_text('ruleset: s\nversion: "1"\nrules:\n  - id: confident\n    severity: error\n'
                    '    assert: suggestion.confidence == null or suggestion.confidence > 0.5\n')
    engine = lsrules.load(path, suggester=_BrokenSuggester())
    decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": []})
    assert decision.verdict == "review"
    assert [finding.rule for finding in decision.findings] == ["lsrules-error"]
    assert "RuntimeError: the model file is damaged" in decision.findings[0].message
    assert decision.patch == [] and decision.to_dict()["verdict"] == "review"
