"""Tests of lsrules.report: each format carries every diagnostic and test, readably for its
consumer (people, scripts, SARIF viewers, JUnit readers, GitHub Actions)."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from jsonschema import Draft4Validator

from lsrules.diagnostics import CheckReport, Diagnostic, TestResult
from lsrules.errors import Location, LsrulesError
from lsrules.report import (
    FORMATS,
    TEST_CODES,
    escape_github_data,
    escape_github_property,
    format_report,
    github_command,
    summary_line,
)

FIXTURES = Path(__file__).parent / "fixtures"
FILE = "rulesets/vehicles.yaml"
OTHER_FILE = "rulesets/texts, v2.yaml"


def at(line: int, column: int = 5, file: str = FILE) -> Location:
    return Location(file, line, column)


def diagnostic(
    severity: str = "error",
    code: str = "LSR001",
    line: int = 3,
    rule_id: str | None = None,
    **fields: Any,
) -> Diagnostic:
    return Diagnostic(
        code=code,
        message=fields.pop("message", f"{code} problem"),
        location=fields.pop("location", at(line)),
        severity=severity,
        rule_id=rule_id,
        **fields,
    )


def inline_test_result(
    status: str,
    name: str = "a test",
    line: int = 40,
    failures: list[str] | None = None,
    file: str = FILE,
) -> TestResult:
    return TestResult(
        ruleset="vehicles-bbox",
        name=name,
        location=at(line, 5, file),
        status=status,
        failures=failures or [],
    )


def full_report() -> CheckReport:
    """A report with every kind of content, in an order the formatters must sort."""
    return CheckReport(
        files=[FILE, OTHER_FILE],
        diagnostics=[
            diagnostic(
                "warning", "LSR201", 30, "rushed", message="label `Auto` is not in the config"
            ),
            diagnostic(
                "error",
                "LSR001",
                12,
                "box-inside-image",
                message='rules[0]: unknown key "asert"',
                suggestion="assert",
            ),
            diagnostic(
                "error",
                "LSR101",
                14,
                "box-inside-image",
                message="unknown name `regoin`",
                suggestion="region",
                end=at(14, 15),
            ),
            diagnostic("info", "LSR301", 2, None, message="no labeling_config: labels unchecked"),
            diagnostic(
                "error",
                "LSR002",
                0,
                None,
                message="broken YAML: tab, % and a\nnewline",
                location=Location(OTHER_FILE),
            ),
        ],
        tests=[
            inline_test_result("passed", "clean box is accepted", 50),
            inline_test_result(
                "failed",
                'box <leaving> & "out"',
                60,
                ["expected verdict fixed, got reject", "expected fired [box-inside-image]"],
            ),
            inline_test_result("error", "bad task", 70, ["task.data: expected a mapping"]),
            inline_test_result("not-run", "skipped one", 80, ["the ruleset did not compile"]),
        ],
        rules={
            FILE: [
                ("box-inside-image", at(10, 5)),
                ("label-alias", at(20, 5)),
                ("rushed", at(28, 5)),
            ]
        },
    )


REPORTS = {
    "empty": CheckReport(),
    "clean": CheckReport(
        files=[FILE],
        tests=[inline_test_result("passed")],
        rules={FILE: [("box-inside-image", at(10))]},
    ),
    "full": full_report(),
    "no position": CheckReport(files=[FILE], diagnostics=[diagnostic(location=Location(FILE))]),
    "absolute path outside": CheckReport(
        files=["/nonexistent/elsewhere/rules.yaml"],
        diagnostics=[diagnostic(location=Location("/nonexistent/elsewhere/rules.yaml", 2, 0))],
    ),
    "control characters": CheckReport(
        files=[FILE],
        diagnostics=[diagnostic(message="bell \x07 and nul \x00 in a message")],
        tests=[inline_test_result("failed", "tab\tand \x1b escape", failures=["got \x0c"])],
    ),
}


def test_format_report_accepts_every_format_and_ends_with_a_newline() -> None:
    for name in FORMATS:
        assert format_report(full_report(), name).endswith("\n")


def test_an_unknown_format_is_a_user_error() -> None:
    with pytest.raises(LsrulesError, match="unknown report format 'xml'"):
        format_report(full_report(), "xml")


# --- text ------------------------------------------------------------------------------

SUMMARIES = [
    (CheckReport(), "Found 0 errors, 0 warnings; 0 tests passed, 0 failed"),
    (
        CheckReport(diagnostics=[diagnostic("error")]),
        "Found 1 error, 0 warnings; 0 tests passed, 0 failed",
    ),
    (
        CheckReport(
            diagnostics=[diagnostic("error")] * 3 + [diagnostic("warning")],
            tests=[inline_test_result("passed")] * 12,
        ),
        "Found 3 errors, 1 warning; 12 tests passed, 0 failed",
    ),
    (
        CheckReport(diagnostics=[diagnostic("info")] * 2, tests=[inline_test_result("passed")]),
        "Found 0 errors, 0 warnings, 2 info; 1 test passed, 0 failed",
    ),
    (
        CheckReport(
            tests=[
                inline_test_result("failed"),
                inline_test_result("error"),
                inline_test_result("not-run"),
            ]
        ),
        "Found 0 errors, 0 warnings; 0 tests passed, 2 failed, 1 not run",
    ),
]


@pytest.mark.parametrize("report, line", SUMMARIES, ids=[line for _, line in SUMMARIES])
def test_the_text_summary_counts(report: CheckReport, line: str) -> None:
    assert summary_line(report) == line
    assert format_report(report, "text").splitlines()[-1] == line


def test_text_lists_diagnostics_ruff_like_in_file_order_then_tests() -> None:
    lines = format_report(full_report(), "text").splitlines()
    assert lines == [
        f"{FILE}:2:5: info LSR301 no labeling_config: labels unchecked",
        f'{FILE}:12:5: error LSR001 rules[0]: unknown key "asert" (did you mean `assert`?)',
        f"{FILE}:14:5: error LSR101 unknown name `regoin` (did you mean `region`?)",
        f"{FILE}:30:5: warning LSR201 label `Auto` is not in the config",
        f"{OTHER_FILE}: error LSR002 broken YAML: tab, % and a newline",
        (
            f'{FILE}:60:5: inline test "box <leaving> & "out"" failed: expected verdict fixed, got '
            "reject; expected fired [box-inside-image]"
        ),
        (
            f'{FILE}:70:5: inline test "bad task" could not be evaluated: '
            "task.data: expected a mapping"
        ),
        f'{FILE}:80:5: inline test "skipped one" was not run: the ruleset did not compile',
        "Found 3 errors, 1 warning, 1 info; 1 test passed, 2 failed, 1 not run",
    ]


# --- json ------------------------------------------------------------------------------


def test_json_is_stable_and_carries_everything() -> None:
    text = format_report(full_report(), "json")
    assert text == format_report(full_report(), "json")
    document = json.loads(text)
    assert list(document) == [
        "format_version",
        "tool",
        "files",
        "summary",
        "diagnostics",
        "tests",
        "rules",
    ]
    assert document["format_version"] == 1
    assert document["summary"] == {
        "errors": 3,
        "warnings": 1,
        "infos": 1,
        "tests": {"passed": 1, "failed": 1, "error": 1, "not_run": 1},
    }
    assert [d["line"] for d in document["diagnostics"]] == [2, 12, 14, 30, None]
    unknown_name = document["diagnostics"][2]
    assert unknown_name == {
        "file": FILE,
        "line": 14,
        "column": 5,
        "end_line": 14,
        "end_column": 15,
        "severity": "error",
        "code": "LSR101",
        "message": "unknown name `regoin`",
        "rule_id": "box-inside-image",
        "suggestion": "region",
    }
    assert [t["status"] for t in document["tests"]] == ["passed", "failed", "error", "not-run"]
    assert document["rules"][FILE][0] == {"id": "box-inside-image", "line": 10, "column": 5}


# --- sarif -----------------------------------------------------------------------------


@cache
def sarif_validator() -> Draft4Validator:
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    return Draft4Validator(schema)


@pytest.mark.parametrize("report", list(REPORTS.values()), ids=list(REPORTS))
def test_sarif_validates_against_the_official_schema(report: CheckReport) -> None:
    log = json.loads(format_report(report, "sarif"))
    errors = [
        f"{list(error.absolute_path)}: {error.message}"
        for error in sarif_validator().iter_errors(log)
    ]
    assert errors == []
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1


def test_the_sarif_schema_rejects_a_broken_log() -> None:
    """The validation above could fail: a log missing what SARIF requires is refused."""
    log = json.loads(format_report(full_report(), "sarif"))
    del log["runs"][0]["tool"]["driver"]["name"]
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert len(list(sarif_validator().iter_errors(log))) == 2


def test_sarif_results_rules_levels_and_locations() -> None:
    run = json.loads(format_report(full_report(), "sarif"))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "lsrules"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    results = run["results"]
    assert sorted(rule_ids) == sorted({result["ruleId"] for result in results})
    assert set(rule_ids) == {
        "LSR001",
        "LSR002",
        "LSR101",
        "LSR201",
        "LSR301",
        TEST_CODES["failed"],
        TEST_CODES["error"],
        TEST_CODES["not-run"],
    }
    assert all(rule_ids[result["ruleIndex"]] == result["ruleId"] for result in results)
    assert [result["level"] for result in results] == [
        "note",
        "error",
        "error",
        "warning",
        "error",
        "error",
        "error",
        "warning",
    ]
    unknown_name = results[2]
    assert unknown_name["message"]["text"] == "unknown name `regoin` (did you mean `region`?)"
    assert unknown_name["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": FILE, "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 14, "startColumn": 5, "endLine": 14, "endColumn": 15},
    }
    broken_yaml = results[4]["locations"][0]["physicalLocation"]
    assert broken_yaml == {
        "artifactLocation": {"uri": "rulesets/texts%2C%20v2.yaml", "uriBaseId": "%SRCROOT%"}
    }
    failed_test = results[5]
    assert failed_test["ruleId"] == TEST_CODES["failed"]
    assert failed_test["locations"][0]["physicalLocation"]["region"]["startLine"] == 60
    assert "expected verdict fixed, got reject" in failed_test["message"]["text"]


def test_sarif_uses_a_file_uri_for_a_file_outside_the_working_directory() -> None:
    run = json.loads(format_report(REPORTS["absolute path outside"], "sarif"))["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "file:///nonexistent/elsewhere/rules.yaml"}
    assert location["region"] == {"startLine": 2, "startColumn": 1}


# --- junit -----------------------------------------------------------------------------


def parse_junit(report: CheckReport) -> ElementTree.Element:
    text = format_report(report, "junit")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ElementTree.fromstring(text.encode("utf-8"))


@pytest.mark.parametrize("report", list(REPORTS.values()), ids=list(REPORTS))
def test_junit_is_well_formed_and_its_counts_add_up(report: CheckReport) -> None:
    root = parse_junit(report)
    assert root.tag == "testsuites"
    cases = root.findall("testsuite/testcase")
    assert int(root.get("tests", "-1")) == len(cases)
    for kind, tag in [("failures", "failure"), ("errors", "error"), ("skipped", "skipped")]:
        assert int(root.get(kind, "-1")) == len(root.findall(f"testsuite/testcase/{tag}"))
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))


def test_junit_has_a_suite_per_file_and_a_case_per_rule_and_per_test() -> None:
    root = parse_junit(full_report())
    suites = root.findall("testsuite")
    assert [suite.get("name") for suite in suites] == [FILE, OTHER_FILE]
    cases = {case.get("name"): case for case in suites[0].findall("testcase")}
    assert list(cases) == [
        "ruleset file",
        "rule box-inside-image",
        "rule label-alias",
        "rule rushed",
        "test clean box is accepted",
        'test box <leaving> & "out"',
        "test bad task",
        "test skipped one",
    ]
    outcome = {name: [child.tag for child in case] for name, case in cases.items()}
    assert outcome == {
        "ruleset file": ["system-out"],  # the info diagnostic does not fail
        "rule box-inside-image": ["failure"],  # two error diagnostics, one failure
        "rule label-alias": [],
        "rule rushed": ["system-out"],  # a warning does not fail
        "test clean box is accepted": [],
        'test box <leaving> & "out"': ["failure"],
        "test bad task": ["error"],
        "test skipped one": ["skipped"],
    }
    failure = cases["rule box-inside-image"].find("failure")
    assert failure is not None and failure.text is not None
    assert failure.get("type") == "LSR001"
    assert "LSR101 unknown name `regoin`" in failure.text
    skipped = cases["test skipped one"].find("skipped")
    assert skipped is not None and skipped.get("message") == "the ruleset did not compile"
    assert cases["rule rushed"].get("line") == "28"
    assert cases["rule rushed"].get("file") == FILE
    other_cases = suites[1].findall("testcase")
    assert [case.get("name") for case in other_cases] == ["ruleset file"]
    assert [child.tag for child in other_cases[0]] == ["failure"]
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "9",
        "3",
        "1",
        "1",
    )


def test_junit_replaces_characters_xml_cannot_hold() -> None:
    root = parse_junit(REPORTS["control characters"])
    texts = [element.text or "" for element in root.iter()] + [
        value for element in root.iter() for value in element.attrib.values()
    ]
    joined = "".join(texts)
    assert "\x07" not in joined and "\x00" not in joined and "\x1b" not in joined
    assert "bell \ufffd and nul \ufffd in a message" in joined
    assert "tab\tand \ufffd escape" in joined


# --- github ----------------------------------------------------------------------------

ESCAPES = [
    ("plain text", "plain text", "plain text"),
    ("100%", "100%25", "100%25"),
    ("a\nb", "a%0Ab", "a%0Ab"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("key: value", "key: value", "key%3A value"),
    ("a, b", "a, b", "a%2C b"),
    ("%0A literal", "%250A literal", "%250A literal"),
    ("C:\\rules,v2.yaml", "C:\\rules,v2.yaml", "C%3A\\rules%2Cv2.yaml"),
]


@pytest.mark.parametrize("text, as_data, as_property", ESCAPES, ids=[case[0] for case in ESCAPES])
def test_github_escaping(text: str, as_data: str, as_property: str) -> None:
    assert escape_github_data(text) == as_data
    assert escape_github_property(text) == as_property


def test_github_command_renders_properties_in_order() -> None:
    assert (
        github_command("error", "x: 100%", {"file": "a,b.yaml", "line": "3", "title": "T:1"})
        == "::error file=a%2Cb.yaml,line=3,title=T%3A1::x: 100%25"
    )
    assert github_command("notice", "m", {}) == "::notice::m"


def test_github_annotates_every_problem_then_summarises() -> None:
    lines = format_report(full_report(), "github").splitlines()
    assert lines[:5] == [
        f"::notice file={FILE},line=2,col=5,title=LSR301::no labeling_config: labels unchecked",
        (
            f"::error file={FILE},line=12,col=5,title=LSR001 (box-inside-image)::rules[0]: unknown "
            'key "asert" (did you mean `assert`?)'
        ),
        (
            f"::error file={FILE},line=14,col=5,endLine=14,endColumn=15,title=LSR101 "
            "(box-inside-image)::unknown name `regoin` (did you mean `region`?)"
        ),
        (
            f"::warning file={FILE},line=30,col=5,title=LSR201 (rushed)::label `Auto` is not in "
            "the config"
        ),
        (
            "::error file=rulesets/texts%2C v2.yaml,title=LSR002::"
            "broken YAML: tab, %25 and a%0Anewline"
        ),
    ]
    assert lines[5].startswith(f"::error file={FILE},line=60,col=5,title={TEST_CODES['failed']}::")
    assert lines[5].endswith(
        "%0Aexpected verdict fixed, got reject%0Aexpected fired [box-inside-image]"
    )
    assert lines[7].startswith(f"::warning file={FILE},line=80,col=5,title={TEST_CODES['not-run']}")
    assert lines[-1] == summary_line(full_report())
    commands = Counter(line.split(" ", 1)[0] for line in lines if line.startswith("::"))
    assert commands == {"::error": 5, "::warning": 2, "::notice": 1}
