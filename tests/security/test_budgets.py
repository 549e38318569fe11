"""Compute budgets: the hostile cases in `budget/` end, with a located error in `check` and a
`review` decision with an `lsrules-budget` finding in `run` and the engine -- never a hang,
never memory without bound. No timings: that these tests finish is what the budget buys."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import lsrules
from lsrules import cli
from lsrules.dsl.budget import CEILING, read_limits
from lsrules.streams.events import annotation_id

CASES = Path(__file__).parent / "budget"


def _copy(name: str, directory: Path) -> Path:
    target = directory / name
    shutil.copyfile(CASES / name, target)
    return target


def _boxes(count: int) -> list[dict]:
    """`count` small boxes on a grid, none overlapping."""
    return [{"id": f"b{n}", "type": "rectanglelabels", "from_name": "label", "to_name": "image",
             "value": {"x": (n % 100) * 1.0, "y": (n // 100) % 100 * 1.0, "width": 0.5,
                       "height": 0.5, "rectanglelabels": ["Car"]}}
            for n in range(count)]


def _budget_findings(decision) -> list[str]:
    return [finding.message for finding in decision.findings if finding.rule == "lsrules-budget"]


@pytest.mark.parametrize("name", ["nested-count.yaml", "list-build.yaml"])
def test_check_refuses_nested_loops_over_literals(name, tmp_path, capsys):
    ruleset = _copy(name, tmp_path)
    code = cli.main(["check", str(ruleset)])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert f"{ruleset}:7:13: error LSR124" in out, out  # the assert
    assert "3,375,000,000" in out and "limits.loop_product" in out, out


def test_check_stops_an_inline_test_at_its_step_budget(tmp_path, capsys):
    """Loops over the test's own data: no static bound sees their size; the budget does."""
    ruleset = _copy("nested-count-data.yaml", tmp_path)
    code = cli.main(["check", str(ruleset)])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert f"{ruleset}:10:5:" in out, out  # the test
    assert "limits.steps" in out, out


def test_run_reviews_the_annotation_and_goes_on(tmp_path, capsys):
    ruleset = _copy("nested-count-data.yaml", tmp_path)
    export = tmp_path / "export.json"
    export.write_text(json.dumps([
        {"id": 1, "data": {"n": [1] * 1500}, "annotations": [{"id": 10, "result": []}]},
        {"id": 2, "data": {"n": [1, 2]}, "annotations": [{"id": 20, "result": []}]},
    ]))
    output = tmp_path / "decisions.jsonl"
    code = cli.main(["run", str(ruleset), "--input", str(export), "--output", str(output),
                     "--jobs", "1", "--fail-on", "never"])
    assert code == 0, capsys.readouterr()
    first, second = [json.loads(line) for line in output.read_text().splitlines()]
    assert first["verdict"] == "review"
    assert [finding["rule"] for finding in first["findings"]] == ["lsrules-budget"]
    assert "limits.steps" in first["findings"][0]["message"]
    assert first["patch"] == []
    assert second["verdict"] == "accept"


def test_sixteen_thousand_boxes_are_over_the_region_cap(tmp_path):
    engine = lsrules.load(_copy("pairwise.yaml", tmp_path))
    decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": _boxes(16_000)})
    assert decision.verdict == "review"
    assert decision.fired == ["lsrules-budget"]
    (message,) = _budget_findings(decision)
    assert "16,000 result items" in message and "limits.regions" in message


@pytest.mark.parametrize("name", ["pairwise.yaml", "pairwise-count.yaml"])
@pytest.mark.parametrize("optimize", [True, False])
def test_a_pairwise_rule_over_many_boxes_runs_out_of_steps(name, optimize, tmp_path):
    """The optimized code pays for an inner loop from steps it holds (a `for` statement or
    a generator), the plain code with a call per loop: both stop."""
    engine = lsrules.load(_copy(name, tmp_path), optimize=optimize)
    # 4,000 boxes: under the region cap, 16 million pairs: over the 10 million steps
    decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": _boxes(4_000)})
    assert decision.verdict == "review"
    (message,) = _budget_findings(decision)
    assert "limits.steps" in message
    # the same rule on an ordinary annotation decides as usual
    decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": _boxes(50)})
    assert decision.verdict == "accept" and decision.findings == []


EXACT = """ruleset: exact
version: "1"
limits:
  steps: {steps}
rules:
  - id: has-id
    for: region
    assert: region.id != null
  - id: own-pair
    for: region
    assert: any(o.id == region.id for o in regions)
  - id: all-pairs
    assert: count(any(o.id == r.id for o in regions) for r in regions) >= 0
"""


@pytest.mark.parametrize("optimize", [True, False])
@pytest.mark.parametrize("boxes", [10, 40])
def test_steps_are_counted_exactly(optimize, boxes, tmp_path):
    """n boxes: two region loops (2n), two pair loops (n + n² each): a budget of exactly
    3n + 2n² steps is enough and one step fewer is not, in both forms of the code. The
    optimized form pays for the loops over `regions` that run once at the start of
    `evaluate`, and for the inner loops from steps it holds (taken up to 1,000 at a time,
    twice or more for 40 boxes) and gives back the rest: the total is the same."""
    needed = 3 * boxes + 2 * boxes * boxes
    for steps, verdict in ((needed, "accept"), (needed - 1, "review")):
        ruleset = tmp_path / f"exact-{steps}.yaml"
        ruleset.write_text(EXACT.format(steps=steps))
        engine = lsrules.load(ruleset, optimize=optimize)
        assert ("_held" in engine.source) is optimize
        decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": _boxes(boxes)})
        assert decision.verdict == verdict, (steps, decision.findings)
        assert decision.fired == ([] if verdict == "accept" else ["lsrules-budget"])


def test_the_steps_held_carry_over_to_the_next_loops(tmp_path):
    """A budget of 2,200 steps: the pair loop of 10 boxes takes 1,000 at a time and spends
    100, the rule after it loops over 2,000 items of the data: 2,110 fit, 2,201 do not."""
    ruleset = tmp_path / "held.yaml"
    ruleset.write_text('ruleset: held\nversion: "1"\nlimits:\n  steps: 2200\nrules:\n'
                       "  - id: pairs\n    for: region\n"
                       "    assert: any(o.id == region.id for o in regions)\n"
                       "  - id: data\n    assert: count(n > 0 for n in task.data.n) >= 0\n")
    engine = lsrules.load(ruleset)
    assert "_held" in engine.source
    task = {"id": 1, "data": {"n": list(range(2_000))}}
    # 10 + 100 + 2,000 = 2,110 steps
    assert engine.evaluate(task, {"id": 2, "result": _boxes(10)}).verdict == "accept"
    task["data"]["n"].extend(range(91))  # 2,201
    assert engine.evaluate(task, {"id": 2, "result": _boxes(10)}).verdict == "review"


@pytest.mark.parametrize("optimize", [True, False])
def test_strings_built_by_plus_pay_for_their_length(optimize, tmp_path):
    engine = lsrules.load(_copy("text-growth.yaml", tmp_path), optimize=optimize)
    task = {"id": 1, "data": {"text": "x" * 1_000_000}}
    # per box, strings of 2, 3 and 4 million characters: 9 million (7 when optimized: the
    # first `+`, of two fields as read, builds at most their size and is not counted, like
    # `lower` of a field); two boxes are too many
    decision = engine.evaluate(task, {"id": 2, "result": _boxes(2)})
    assert decision.verdict == "review"
    assert "limits.steps" in _budget_findings(decision)[0]
    decision = engine.evaluate(task, {"id": 2, "result": _boxes(1)})
    assert decision.verdict == "accept"


@pytest.mark.parametrize("optimize", [True, False])
def test_strings_that_plus_builds_from_what_it_built_pay(optimize, tmp_path):
    """Growth through values the rule computed: each `+` of a comprehension's variable
    pays, optimized or not (per box, 2 + 4 million characters)."""
    ruleset = tmp_path / "doubling.yaml"
    ruleset.write_text('ruleset: d\nversion: "1"\nrules:\n  - id: doubling\n    assert: >-\n'
                       "      count(any(len(b + b) > 0 for b in [a + a for a in "
                       "[task.data.text]]) for r in regions) >= 0\n")
    engine = lsrules.load(ruleset, optimize=optimize)
    assert "_concat(" in engine.source
    task = {"id": 1, "data": {"text": "x" * 1_000_000}}
    decision = engine.evaluate(task, {"id": 2, "result": _boxes(2)})
    assert decision.verdict == "review"
    assert "limits.steps" in _budget_findings(decision)[0]
    assert engine.evaluate(task, {"id": 2, "result": _boxes(1)}).verdict == "accept"


def test_the_limits_are_set_in_the_ruleset(tmp_path):
    ruleset = tmp_path / "limits.yaml"
    ruleset.write_text((CASES / "pairwise.yaml").read_text()
                       + "limits:\n  steps: 100\n  regions: 20\n")
    engine = lsrules.load(ruleset)
    ten = engine.evaluate({"id": 1}, {"id": 2, "result": _boxes(10)})  # 10 + 100 steps
    assert "limits.steps" in _budget_findings(ten)[0]
    assert "100 steps" in _budget_findings(ten)[0]
    many = engine.evaluate({"id": 1}, {"id": 2, "result": _boxes(21)})
    assert "21 result items" in _budget_findings(many)[0]
    assert engine.evaluate({"id": 1}, {"id": 2, "result": _boxes(9)}).verdict == "accept"


@pytest.mark.parametrize("limits, expect", [
    ("limits:\n  steps: 0\n", "steps"),
    ("limits:\n  step: 10\n", "step"),
    ("limits: 5\n", "limits"),
])
def test_a_bad_limit_is_a_located_error(limits, expect, tmp_path, capsys):
    ruleset = tmp_path / "bad.yaml"
    ruleset.write_text((CASES / "pairwise.yaml").read_text() + limits)
    code = cli.main(["check", str(ruleset)])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert f"{ruleset}:1" in out + err and expect in out + err, out + err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_jsonl_line_over_the_limit_is_refused_before_it_is_read(jobs, tmp_path, capsys):
    export = tmp_path / "export.jsonl"
    task = {"id": 1, "data": {"text": "a" * 3000}, "annotations": [{"id": 1, "result": []}]}
    export.write_text(json.dumps({"id": 0, "data": {}, "annotations": []}) + "\n"
                      + json.dumps(task) + "\n")
    argv = ["run", str(_copy("pairwise.yaml", tmp_path)), "--input", str(export), "--output",
            str(tmp_path / "out.jsonl"), "--jobs", jobs]
    assert cli.main(argv + ["--max-line-bytes", "1000"]) == 2
    err = capsys.readouterr().err
    assert f"{export}:2: task #1: a line longer than 1,000 bytes (--max-line-bytes)" in err, err
    assert cli.main(argv) == 0  # the default (100 MiB) reads it


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("size, limit", [(3_000, 1_500), (20_000_000, 12_000_000)])
def test_a_json_array_task_over_the_limit_is_refused(jobs, size, limit, tmp_path, capsys):
    """The same cap for an element of a JSON array: refused before much more than the
    limit is read for it, whether `json` decodes it or (over 4 MiB, when the limit allows
    that) the streaming parser does."""
    export = tmp_path / "export.json"
    big = {"id": 1, "data": {"text": "a" * size}, "annotations": [{"id": 1, "result": []}]}
    export.write_text(json.dumps([{"id": 0, "data": {}, "annotations": []}, big,
                                  {"id": 2, "data": {}, "annotations": []}]))
    argv = ["run", str(_copy("pairwise.yaml", tmp_path)), "--input", str(export), "--output",
            str(tmp_path / "out.jsonl"), "--jobs", jobs]
    assert cli.main(argv + ["--max-line-bytes", str(limit)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"{export}: task #1 at [1]: a task larger than {limit:,} bytes (--max-line-bytes)" in err, err
    assert cli.main(argv + ["--max-line-bytes", str(size + 1_000)]) == 0  # it fits
    assert cli.main(argv) == 0  # the default (100 MiB) reads it


def test_the_json_array_cap_counts_bytes_not_characters(tmp_path):
    """Two-byte characters: 1,500 of them are 3,000 bytes, over a cap of 2,000."""
    from lsrules.exports.reader import ExportReader
    from lsrules.errors import InputError

    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"id": 1, "data": {"text": "é" * 1_500}, "annotations": []}],
                                 ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match="larger than 2,000 bytes"):
        list(ExportReader(export, max_line_bytes=2_000).tasks())
    assert len(list(ExportReader(export, max_line_bytes=3_100).tasks())) == 1


def test_unique_of_a_long_list_from_the_data_is_linear(tmp_path):
    """`unique` compared each item with every earlier one: 100,000 distinct items were 5
    billion comparisons in one built-in call, which no step counted."""
    ruleset = tmp_path / "unique.yaml"
    ruleset.write_text('ruleset: u\nversion: "1"\nrules:\n  - id: distinct\n'
                       '    severity: error\n    assert: len(unique(task.data.ids)) == len(task.data.ids)\n')
    engine = lsrules.load(ruleset)
    ids = list(range(50_000)) + [[n] for n in range(50_000)]
    assert engine.evaluate({"id": 1, "data": {"ids": ids}}, {"id": 2, "result": []}).verdict == "accept"
    decision = engine.evaluate({"id": 1, "data": {"ids": ids + [7]}}, {"id": 2, "result": []})
    assert decision.fired == ["distinct"]


def test_explain_says_which_budget_ran_out(tmp_path, capsys):
    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"id": 1, "data": {},
                                   "annotations": [{"id": 2, "result": _boxes(10_001)}]}]))
    code = cli.main(["explain", str(_copy("pairwise.yaml", tmp_path)), "--input", str(export),
                     "--task", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "the trace stops here" in out and "verdict: review" in out, out
    assert "finding lsrules-budget [warning] 10,001 result items" in out, out


@pytest.mark.parametrize("limit, value", [("steps", 10**12), ("regions", 100_001),
                                          ("loop_product", 100_000_001)])
def test_a_ruleset_cannot_lift_its_budget_past_the_ceiling(limit, value, tmp_path, capsys):
    """A pull request that sets `limits.steps: 1000000000000` would keep `check` busy for
    hours: its budgets are capped, and the schema says so too (the loader checks alone when
    a cached verdict skips the schema)."""
    ruleset = tmp_path / "lifted.yaml"
    ruleset.write_text(f'ruleset: lifted\nversion: "1"\nlimits:\n  {limit}: {value}\n'
                       "rules:\n  - id: any-region\n    when: len(regions) > 0\n", encoding="utf-8")
    for no_cache in ([], ["--no-cache"]):
        code = cli.main(["check", str(ruleset), *no_cache])
        out, err = capsys.readouterr()
        assert code in (1, 2), out + err
        assert f"{ruleset}:4:" in out + err and f"limits.{limit}" in out + err, out + err
    assert read_limits({limit: value})[1], "the loader's own check"
    assert not read_limits({limit: getattr(CEILING, limit)})[1]


def _polygon(region_id: str, count: int) -> dict:
    """A convex polygon of `count` vertices on a circle (no edge crosses another)."""
    import math

    points = [[50 + 40 * math.cos(2 * math.pi * n / count),
               50 + 40 * math.sin(2 * math.pi * n / count)] for n in range(count)]
    return {"id": region_id, "type": "polygonlabels", "from_name": "outline",
            "to_name": "image", "value": {"points": points, "polygonlabels": ["Car"]}}


def test_polygon_geometry_pays_per_vertex(tmp_path):
    """Self-intersection tests edge against edge: a polygon of 5,000 vertices is 25 million
    steps (over the budget), one of 500 is 250,000; `area` pays one step per vertex."""
    ruleset = tmp_path / "polygons.yaml"
    ruleset.write_text('ruleset: p\nversion: "1"\nrules:\n  - id: simple\n    for: region\n'
                       '    assert: not self_intersects(region) and area(region) > 0\n')
    engine = lsrules.load(ruleset)
    decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": [_polygon("p", 5_000)]})
    assert decision.verdict == "review"
    assert "limits.steps" in _budget_findings(decision)[0]
    decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": [_polygon("p", 500)]})
    assert decision.verdict == "accept" and decision.findings == []


def test_a_brush_mask_pays_per_encoded_bit(tmp_path):
    """The mask's runs are read, never expanded to pixels; reading pays one step per bit,
    so a mask of two million bytes (16 million bits) is over the budget."""
    ruleset = tmp_path / "brush.yaml"
    ruleset.write_text('ruleset: b\nversion: "1"\nrules:\n  - id: painted\n    for: region\n'
                       '    assert: area(region) > 0\n')
    engine = lsrules.load(ruleset)
    item = {"id": "m", "type": "brushlabels", "from_name": "paint", "to_name": "image",
            "original_width": 1, "original_height": 1,
            "value": {"format": "rle", "rle": [0] * 2_000_000, "brushlabels": ["Sky"]}}
    decision = engine.evaluate({"id": 1, "data": {}}, {"id": 2, "result": [item]})
    assert decision.verdict == "review"
    assert "limits.steps" in _budget_findings(decision)[0]


ADDING = """ruleset: adding
version: "1"
labeling_config: config.xml
rules:
  - id: quality-missing
    assert: any(r.from_name == "quality" for r in regions)
    fix: add_item "quality" = "Good"
  - id: every-region
    for: region
    assert: region.id != "none"
"""


@pytest.mark.parametrize("boxes", [0, 3])
def test_a_region_a_fix_adds_is_paid_for_by_the_loops_after_it(boxes, tmp_path):
    """The optimized code pays for its loops over `regions` at the start, for the regions
    there then; a fix that adds one (add_item) pays for it in each of those loops: never
    less than the plain code, which pays each loop as it starts (2(n+1) against n + n+1)."""
    from lsrules.engine.evaluation import Evaluation

    (tmp_path / "config.xml").write_text(
        '<View><Image name="image" value="$image"/><RectangleLabels name="label" '
        'toName="image"><Label value="Car"/></RectangleLabels><Choices name="quality" '
        'toName="image"><Choice value="Good"/></Choices></View>')
    (tmp_path / "adding.yaml").write_text(ADDING)
    spent = {}
    for optimize in (True, False):
        engine = lsrules.load(tmp_path / "adding.yaml", optimize=optimize)
        assert ("_regions_after(" in engine.source) is optimize
        state = Evaluation(engine, {"id": 1, "data": {}}, {"id": 2, "result": _boxes(boxes)},
                           None)
        engine.namespace["evaluate"](state)
        assert len(state.regions) == boxes + 1  # the answer was added
        spent[optimize] = engine.limits.steps - state.steps
    assert spent[False] == boxes + boxes + 1
    assert spent[True] == 2 * (boxes + 1)


STREAM = """ruleset: stream-budget
version: "1"
limits:
  steps: {steps}
rules:
  - id: one-region
    assert: len(regions) <= 1
streams:
  - id: same-pairs
    key: annotator
    flag: true
    when: count(any(f.label == e.label for f in events) for e in events) > 1000
    message: "{{key}}: many pairs"
tests:
  - name: pairs
    events: [{{annotation: {{id: 1, completed_by: 7}}}}, {{annotation: {{id: 2, completed_by: 7}}}}]
    expect: {{fired: []}}
"""


@pytest.mark.stream
def test_a_stream_rule_has_the_step_budget_and_fails_closed(tmp_path, capsys):
    """A stream rule on one event pays for its loops like any rule: a pair loop over a
    key's events that runs out of `limits.steps` is a `review` record with an
    `lsrules-budget` finding (no flag, the key's events used up), and `run` goes on; in
    `check`, the stream test is an error."""
    from lsrules.streams.runtime import StreamRuntime

    path = tmp_path / "stream.yaml"
    path.write_text(STREAM.format(steps=50))  # 6 events: 6 + 36 steps; 7 events: 7 + 49 + 1
    runtime = StreamRuntime(lsrules.load(path).ruleset)
    found = []
    for number in range(10):
        found += runtime.feed({"id": number}, {"id": number, "completed_by": 7,
                                               "created_at": f"2024-05-01T00:00:{number:02d}Z",
                                               "result": []})
    assert [finding.exceeded for finding in found] == [True]
    assert len(found[0].events) == 7 and annotation_id(found[0].trigger) == 6
    assert "limits.steps" in found[0].message
    # the events were used up: the next three (9 + 1 steps) fit again
    assert runtime.state_size() == (1, 3)

    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps({"id": n, "data": {}, "annotations": [
        {"id": n, "completed_by": 7, "created_at": f"2024-05-01T00:00:{n:02d}Z",
         "result": []}]}) + "\n" for n in range(10)))
    output = tmp_path / "out.jsonl"
    assert cli.main(["run", str(path), "--input", str(export), "--output", str(output),
                     "--jobs", "1", "--fail-on", "never"]) == 0
    records = [json.loads(line) for line in output.read_text().splitlines()]
    streams = [record for record in records if "stream" in record]
    assert len(records) == 11 and len(streams) == 1
    (record,) = streams
    assert record["verdict"] == "review" and record["annotation_id"] == 6
    assert [f["rule"] for f in record["findings"]] == ["lsrules-budget"]
    assert record["stream"]["rule"] == "same-pairs" and record["stream"]["flag"] is False

    assert cli.main(["check", str(path)]) == 0  # two events: 2 + 4 steps
    capsys.readouterr()
    path.write_text(STREAM.format(steps=5))
    assert cli.main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "pairs" in out and "same-pairs" in out and "limits.steps" in out, out
