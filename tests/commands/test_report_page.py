"""`lsrules report`: decisions (a file or the audit store) as one HTML page, rendered by a
real headless Chromium: no error while loading, every section and plot drawn, and
annotation text that tries to run script shown as text."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from lsrules.cli import main
from lsrules.exports.report.page import SECTIONS, render
from lsrules.exports.report.statistics import AnnotationFacts, ReportData
from tests.browser import render as browse

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'

# what the page shows, read in the browser: sections, drawn plots, summary cards, text
PROBE = """JSON.stringify({
  sections: Array.from(document.querySelectorAll('section')).map(s => s.id),
  plots: Array.from(document.querySelectorAll('section')).map(s => [s.id,
    Array.from(s.querySelectorAll('svg.plot')).map(svg => {
      const box = svg.getBoundingClientRect();
      return [Math.round(box.width), Math.round(box.height), svg.querySelectorAll('rect').length];
    })]),
  cards: Object.fromEntries(Array.from(document.querySelectorAll('.card')).map(
    c => [c.dataset.name, c.querySelector('b').textContent])),
  scripts: document.querySelectorAll('script').length,
  handlers: Array.from(document.querySelectorAll('*')).filter(
    e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
  images: document.querySelectorAll('img').length,
  pwned: window.__pwned === undefined ? null : window.__pwned,
  text: document.body.innerText,
})"""


def _demo():
    spec = importlib.util.spec_from_file_location("report_screenshot",
                                                  ROOT / "scripts" / "report_screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory) -> Path:
    return _demo().build_demo(tmp_path_factory.mktemp("demo"))


def record(verdict="accept", findings=(), route=None, suggestions=(), task=1, annotation=1,
            time="2026-11-16T08:00:00.000000Z", stream=None):
    record = {"task_id": task, "annotation_id": annotation, "verdict": verdict,
              "findings": [{"rule": rule, "severity": severity, "message": message,
                            "region_id": None, "fixed": fixed}
                           for rule, severity, message, fixed in findings],
              "patch": [], "route": route, "suggestions": list(suggestions),
              "audit": {"ruleset": "demo", "version": "1", "sha256": "0" * 64,
                        "lsrules_version": "0", "input_sha256": "0" * 64, "time": time,
                        "duration_us": 1, "rules": []}}
    if stream is not None:
        record["stream"] = stream
    return record


# -- the counts ------------------------------------------------------------------------------

def test_counts_verdicts_rules_routes_and_keeps_stream_findings_apart():
    data = ReportData()
    data.add(record("reject", [("a", "error", "m1", False), ("a", "error", "m2", False)]))
    data.add(record("fixed", [("a", "error", "m3", True), ("b", "info", "m4", False)],
                     annotation=2), AnnotationFacts(7, 120.0, ("Cat",)))
    data.add(record("review", route={"name": "expert", "priority": 1, "rules": ["c"]},
                     annotation=3), AnnotationFacts(7, 60.0, ()))
    data.add(record("review", [("streak", "warning", "3 rejections", False)],
                     route={"name": "review", "priority": 1, "rules": ["streak"]}, annotation=3,
                     stream={"rule": "streak", "key_kind": "annotator", "key": 7, "matched": 3,
                             "events": []}))
    assert data.annotations == 3
    assert data.verdicts == {"reject": 1, "fixed": 1, "review": 1}
    a = data.rules["a"]
    assert (a.fired, a.findings, a.fixed) == (2, 3, 1)  # fired on two annotations
    assert [example.message for example in a.examples] == ["m1", "m2", "m3"]
    assert [stats.rule for stats in data.rules_by_fire_rate()] == ["a", "b"]
    assert data.routes == {"expert": 1} and data.stream_routes == {"review": 1}
    assert data.stream_rules == {"streak": 1}
    assert data.annotators == {7: {"fixed": 1, "review": 1}} and data.unknown_annotator == 1
    width, buckets = data.time_buckets()
    # two annotations timed by created_at (minutes 1 and 2), one by audit.time (2026)
    assert data.timed_by_creation == 2 and sum(sum(c.values()) for _, c in buckets) == 3
    assert len(buckets) <= 49 and width >= 60


def test_suggester_share_and_accuracy_against_the_export_labels():
    data = ReportData()
    suggestion = {"region_id": None, "model_version": "lsrules-1"}
    data.add(record(suggestions=[dict(suggestion, label="Cat", confidence=0.95)]),
             AnnotationFacts(1, None, ("Cat",)))
    data.add(record(suggestions=[dict(suggestion, label="Dog", confidence=0.91)]),
             AnnotationFacts(1, None, ("Cat",)))
    data.add(record(suggestions=[dict(suggestion, label="Dog", confidence=0.99)]))  # no facts
    data.add(record(suggestions=[dict(suggestion, label=None, confidence=0.4)]))
    data.add(record())  # the suggester did not run
    stats = data.suggester
    assert (stats.seen, stats.auto_accepted, stats.checked, stats.correct) == (4, 3, 2, 1)
    assert stats.auto_accepted_share == 0.75 and stats.accuracy == 0.5
    assert stats.confidences == {9: 3, 4: 1}


def test_the_page_is_the_same_for_the_same_records():
    records = [record("reject", [("a", "error", "m", False)]), record(annotation=2)]

    def page():
        data = ReportData()
        for record in records:
            data.add(record)
        return render(data, "decisions d.jsonl")

    assert page() == page()


def test_text_from_records_is_escaped_everywhere():
    data = ReportData()
    data.add(record("reject", [(HOSTILE, "error", HOSTILE, False)], task=HOSTILE,
                     route={"name": HOSTILE, "priority": 1, "rules": [HOSTILE]},
                     suggestions=[{"region_id": None, "label": HOSTILE, "confidence": 0.9,
                                   "model_version": HOSTILE}]),
             AnnotationFacts(HOSTILE, None, (HOSTILE,)))
    data.add(record("review", [("s", "warning", HOSTILE + "\x00\ud800", False)],
                     stream={"rule": HOSTILE, "key_kind": "annotator", "key": HOSTILE,
                             "matched": 1, "events": []}))
    page = render(data, HOSTILE)
    assert "<script" not in page and "<img" not in page and "onerror=\"" not in page
    assert page.count("&lt;script&gt;window.__pwned=1&lt;/script&gt;") >= 8
    assert "\x00" not in page and "\ud800" not in page
    page.encode("utf-8")  # writable as UTF-8


# -- the command -----------------------------------------------------------------------------

def test_report_from_run_decisions_and_export(tmp_path):
    decisions, page = tmp_path / "d.jsonl", tmp_path / "report.html"
    export = ROOT / "rulesets" / "samples" / "vehicles-export.json"
    assert main(["run", str(ROOT / "rulesets" / "vehicles.yaml"), "--input", str(export),
                 "-o", str(decisions), "--fail-on", "never", "-j", "1", "-q"]) == 0
    assert main(["report", str(decisions), "--input", str(export), "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    lines = decisions.read_text().splitlines()
    assert f"<b>{len(lines)}</b>annotations" in html
    rejected = sum(json.loads(line)["verdict"] == "reject" for line in lines)
    assert f"<b>{rejected} (" in html
    assert "(the export's created_at)" in html
    for anchor, _ in SECTIONS:
        assert f'<section id="{anchor}">' in html


@pytest.mark.parametrize("arguments, content, expected", [
    ([], None, "give a decisions file or --store, one of them"),
    (["DECISIONS", "--since", "2026-01-01"], "", "--since reads the audit store"),
    (["DECISIONS"], '{"verdict": "accept"}\nnot json\n', "d.jsonl:1: not a decision record"),
    (["DECISIONS"], "\n" + json.dumps(record()) + "\n[1,\n", "d.jsonl:3: not JSON"),
    (["DECISIONS"], json.dumps(record("maybe")), "d.jsonl:1: not a decision record: no verdict"),
    (["--store", "missing.sqlite"], None, "missing.sqlite: no such audit store"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, arguments, content,
                                          expected):
    monkeypatch.chdir(tmp_path)
    if content is not None:
        (tmp_path / "d.jsonl").write_text(content)
    arguments = ["d.jsonl" if argument == "DECISIONS" else argument for argument in arguments]
    assert main(["report", *arguments, "-o", "out.html"]) == 2
    error = capsys.readouterr().err
    assert expected in error and error.count("\n") == 1
    assert not (tmp_path / "out.html").exists()


# -- in the browser --------------------------------------------------------------------------

def test_chromium_renders_every_section_and_plot_without_an_error(demo_page):
    rendered = browse(demo_page, PROBE)
    assert rendered.errors == []
    shown = json.loads(rendered.value)
    assert shown["sections"] == [anchor for anchor, _ in SECTIONS]
    plots = dict(shown["plots"])
    # every section but the summary draws at least one plot, each with a size and bars
    for anchor, _ in SECTIONS[1:]:
        assert plots[anchor], anchor
        for width, height, bars in plots[anchor]:
            assert width > 300 and height > 20 and bars > 0, (anchor, width, height, bars)
    decisions = [json.loads(line) for line in
                 (demo_page.parent / "decisions.jsonl").read_text().splitlines()]
    own = [record for record in decisions if "stream" not in record]
    assert shown["cards"]["annotations"] == str(len(own))
    assert shown["cards"]["stream findings"] == str(len(decisions) - len(own))
    for name in ("rushers", "rejection-streak", "task-disagreement", "one-topic"):
        assert name in shown["text"]
    assert re.search(r"auto-accept \d+\.\d% of them. Accuracy of the auto-accepted: "
                     r"\d+\.\d% of \d+", shown["text"])


def test_chromium_shows_hostile_annotation_text_as_text(tmp_path):
    """Annotators, labels, texts and ids from the export, and the messages built from
    them, all try to inject markup: the page shows them and nothing runs or loads."""
    ruleset = tmp_path / "annotators.yaml"
    ruleset.write_text((ROOT / "rulesets" / "annotators.yaml").read_text())
    (tmp_path / "annotators.xml").write_text((ROOT / "rulesets" / "annotators.xml").read_text())
    def annotation(identifier, who, choices):
        return {"id": identifier, "completed_by": who, "lead_time": 5,
                "created_at": "2026-11-16T08:00:00Z",
                "result": [{"id": HOSTILE, "type": "choices", "from_name": "topic",
                            "to_name": "text", "value": {"choices": choices}}] if choices else []}

    tasks = [{"id": number, "data": {"text": HOSTILE}, "annotations": [
        annotation(10 * number, {"email": HOSTILE}, [HOSTILE]),
        annotation(10 * number + 1, 2, ["Sports"]),
        annotation(HOSTILE + str(number), 3, [])]} for number in range(1, 4)]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks))
    decisions, page = tmp_path / "d.jsonl", tmp_path / "report.html"
    main(["run", str(ruleset), "--input", str(export), "-o", str(decisions), "-j", "1",
          "-q", "--fail-on", "never", "--lenient"])
    assert HOSTILE in decisions.read_text().replace("\\", "")  # the messages quote it
    assert main(["report", str(decisions), "--input", str(export), "-o", str(page)]) == 0
    rendered = browse(page, PROBE)
    assert rendered.errors == []  # a blocked script would be reported as a CSP violation
    shown = json.loads(rendered.value)
    assert (shown["scripts"], shown["handlers"], shown["images"], shown["pwned"]) == (0, 0, 0, None)
    assert HOSTILE in shown["text"]


def test_the_browser_harness_sees_errors(tmp_path):
    """The assertions above could fail: a page that throws and logs is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('logged');"
                    "null.property;</script>")
    rendered = browse(page, "document.querySelectorAll('p').length")
    assert rendered.value == 1
    assert any("logged" in error for error in rendered.errors)
    assert any("exception" in error for error in rendered.errors)
