"""Report formatters: one `CheckReport`, written for a person, a program or a CI system.

`lsrules check` runs in CI, and each CI reads problems its own way: GitHub Actions from
workflow commands in the log, GitHub code scanning from SARIF, GitLab and Jenkins from JUnit
XML, scripts from JSON, and people from ruff-like text. Every format carries the same
facts (each diagnostic with its place, code and message; each inline test with its status)
so a team can switch formats without losing anything.

The `json` format is stable; its fields are (version 1):

    {
      "format_version": 1,
      "tool": {"name": "lsrules", "version": "0.1.0"},
      "files": ["rules.yaml"],
      "summary": {"errors": 1, "warnings": 0, "infos": 0,
                  "tests": {"passed": 3, "failed": 0, "error": 0, "not_run": 0}},
      "diagnostics": [{"file": "rules.yaml", "line": 3, "column": 5, "end_line": null,
                       "end_column": null, "severity": "error", "code": "LSR001",
                       "message": "...", "rule_id": "box-inside-image",
                       "suggestion": null}],
      "tests": [{"ruleset": "vehicles-bbox", "name": "...", "file": "rules.yaml",
                 "line": 40, "column": 5, "status": "passed", "failures": []}],
      "rules": {"rules.yaml": [{"id": "box-inside-image", "line": 12, "column": 9}]}
    }

Lines and columns are 1-based, and null when unknown. Keys are only ever added.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from lsrules.diagnostics import CODES, ERROR, INFO, WARNING, CheckReport, Diagnostic, TestResult
from lsrules.errors import Location, LsrulesError
from lsrules.terminal import SEVERITY_COLOURS, Painter, one_line, visible
from lsrules.version import __version__

FORMATS = ("text", "json", "sarif", "junit", "github")

JSON_FORMAT_VERSION = 1
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://lsrules.dev"

# Inline tests have no diagnostic code of their own; in SARIF and GitHub annotations they
# are reported under these ids so that CI can tell them from ruleset problems.
TEST_CODES = {
    "failed": "inline-test-failed",
    "error": "inline-test-error",
    "not-run": "inline-test-not-run",
}

# One-line titles for the ids SARIF consumers list as rules: the diagnostic codes' from
# their registry (`lsrules.diagnostics.CODES`), the inline tests' here.
CODE_TITLES = {code.id: code.title for code in CODES.values()} | {
    "inline-test-failed": "An inline test's expectation was not met",
    "inline-test-error": "An inline test could not be evaluated",
    "inline-test-not-run": "An inline test was not run",
}

_SARIF_LEVELS = {ERROR: "error", WARNING: "warning", INFO: "note"}
_GITHUB_COMMANDS = {ERROR: "error", WARNING: "warning", INFO: "notice"}
_TEST_LEVELS = {"failed": ERROR, "error": ERROR, "not-run": WARNING}
_TEST_OUTCOMES = {"failed": "failed", "error": "could not be evaluated", "not-run": "was not run"}


def format_report(report: CheckReport, format: str) -> str:
    """The report as text in one of `FORMATS`, ending with a newline."""
    formatters: dict[str, Callable[[CheckReport], str]] = {
        "text": format_text,
        "json": format_json,
        "sarif": format_sarif,
        "junit": format_junit,
        "github": format_github,
    }
    formatter = formatters.get(format)
    if formatter is None:
        raise LsrulesError(
            f"unknown report format {format!r}; expected one of {', '.join(FORMATS)}"
        )
    return formatter(report)


def diagnostic_text(diagnostic: Diagnostic) -> str:
    """A diagnostic's message with its did-you-mean, as every format shows it."""
    if diagnostic.suggestion:
        return f"{diagnostic.message} (did you mean `{diagnostic.suggestion}`?)"
    return diagnostic.message


def summary_line(report: CheckReport) -> str:
    """`Found 3 errors, 1 warning; 12 tests passed, 0 failed`: the last line of text output."""
    severities = Counter(diagnostic.severity for diagnostic in report.diagnostics)
    statuses = Counter(test.status for test in report.tests)
    found = [_plural(severities[ERROR], "error"), _plural(severities[WARNING], "warning")]
    if severities[INFO]:
        found.append(_plural(severities[INFO], "info", "info"))
    tests = [
        f"{_plural(statuses['passed'], 'test')} passed",
        f"{statuses['failed'] + statuses['error']} failed",
    ]
    if statuses["not-run"]:
        tests.append(f"{statuses['not-run']} not run")
    return f"Found {', '.join(found)}; {', '.join(tests)}"


# --- text ------------------------------------------------------------------------------


def format_text(report: CheckReport, paint: Painter | None = None, quiet: bool = False,
                verbose: bool = False) -> str:
    """ruff-like: `file:line:col: severity CODE message`, then tests that did not pass.

    `paint` colours it for a terminal; `quiet` leaves out the summary line, `verbose` adds
    the files checked and the tests that passed."""
    paint = paint or Painter(False)
    lines = [
        f"{visible(diagnostic.location)}: "
        f"{paint(diagnostic.severity, SEVERITY_COLOURS.get(diagnostic.severity))} "
        f"{paint(diagnostic.code, 'bold')} {one_line(diagnostic_text(diagnostic))}"
        for diagnostic in _ordered_diagnostics(report)
    ]
    for test in _ordered_tests(report):
        if test.status == "passed":
            if verbose:
                lines.append(f'{visible(test.location)}: inline test "{one_line(test.name)}" '
                             + paint("passed", "green"))
            continue
        detail = "; ".join(one_line(failure) for failure in test.failures)
        lines.append(
            f'{visible(test.location)}: inline test "{one_line(test.name)}" '
            + paint(_TEST_OUTCOMES.get(test.status, test.status), "red")
            + (f": {detail}" if detail else "")
        )
    if verbose:
        lines.extend(f"checked {file}: {_plural(len(report.rules.get(file, [])), 'rule')}"
                     for file in report.files)
    if not quiet:
        summary = summary_line(report)
        lines.append(paint(summary, "bold" if not report.errors() else "red"))
    return "\n".join(lines) + "\n" if lines else ""


# --- json ------------------------------------------------------------------------------


def format_json(report: CheckReport) -> str:
    """The stable JSON structure described in this module's docstring."""
    severities = Counter(diagnostic.severity for diagnostic in report.diagnostics)
    statuses = Counter(test.status for test in report.tests)
    document = {
        "format_version": JSON_FORMAT_VERSION,
        "tool": {"name": "lsrules", "version": __version__},
        "files": list(report.files),
        "summary": {
            "errors": severities[ERROR],
            "warnings": severities[WARNING],
            "infos": severities[INFO],
            "tests": {
                "passed": statuses["passed"],
                "failed": statuses["failed"],
                "error": statuses["error"],
                "not_run": statuses["not-run"],
            },
        },
        "diagnostics": [
            _diagnostic_json(diagnostic) for diagnostic in _ordered_diagnostics(report)
        ],
        "tests": [
            {
                "ruleset": test.ruleset,
                "name": test.name,
                **_location_json(test.location),
                "status": test.status,
                "failures": list(test.failures),
            }
            for test in _ordered_tests(report)
        ],
        "rules": {
            file: [
                {"id": rule_id, "line": location.line or None, "column": location.column or None}
                for rule_id, location in rules
            ]
            for file, rules in report.rules.items()
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _diagnostic_json(diagnostic: Diagnostic) -> dict[str, Any]:
    end = diagnostic.end
    return {
        **_location_json(diagnostic.location),
        "end_line": (end.line or None) if end else None,
        "end_column": (end.column or None) if end else None,
        "severity": diagnostic.severity,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "rule_id": diagnostic.rule_id,
        "suggestion": diagnostic.suggestion,
    }


def _location_json(location: Location) -> dict[str, Any]:
    return {"file": location.file, "line": location.line or None, "column": location.column or None}


# --- sarif -----------------------------------------------------------------------------


def format_sarif(report: CheckReport) -> str:
    """A SARIF 2.1.0 log with one run, for GitHub code scanning and other SARIF viewers."""
    results: list[dict[str, Any]] = []
    first_messages: dict[str, str] = {}
    for diagnostic in _ordered_diagnostics(report):
        first_messages.setdefault(diagnostic.code, diagnostic.message)
        result: dict[str, Any] = {
            "ruleId": diagnostic.code,
            "level": _SARIF_LEVELS.get(diagnostic.severity, "warning"),
            "message": {"text": diagnostic_text(diagnostic)},
            "locations": [_sarif_location(diagnostic.location, diagnostic.end)],
        }
        if diagnostic.rule_id:
            result["properties"] = {"ruleset_rule": diagnostic.rule_id}
        results.append(result)
    for test in _ordered_tests(report):
        if test.status == "passed":
            continue
        code = TEST_CODES.get(test.status, TEST_CODES["error"])
        first_messages.setdefault(code, _test_text(test))
        results.append(
            {
                "ruleId": code,
                "level": _SARIF_LEVELS[_TEST_LEVELS.get(test.status, ERROR)],
                "message": {"text": _test_text(test)},
                "locations": [_sarif_location(test.location, None)],
                "properties": {"ruleset": test.ruleset, "test": test.name},
            }
        )
    codes = list(first_messages)
    for result in results:
        result["ruleIndex"] = codes.index(result["ruleId"])
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODE_TITLES.get(code, _one_line(first_messages[code]))},
            "helpUri": f"{INFORMATION_URI}/codes/{urllib.parse.quote(code)}",
        }
        for code in codes
    ]
    log = {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lsrules",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "artifacts": [
                    {"location": _artifact_location(file)} for file in _all_files(report)
                ],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _sarif_location(location: Location, end: Location | None) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": _artifact_location(location.file),
    }
    if location.line >= 1:
        region = {"startLine": location.line, "startColumn": max(location.column, 1)}
        if end is not None and end.line >= location.line:
            region["endLine"] = end.line
            if end.column >= 1 and (
                end.line > location.line or end.column >= region["startColumn"]
            ):
                region["endColumn"] = end.column
        physical["region"] = region
    return {"physicalLocation": physical}


def _artifact_location(file: str) -> dict[str, str]:
    """A file as a URI relative to the source root (the working directory, where CI runs).

    Code scanning matches results to the repository's files by this relative URI; a file
    outside the working directory keeps an absolute `file:` URI.
    """
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return {"uri": path.resolve().as_uri()}
    return {"uri": urllib.parse.quote(path.as_posix()), "uriBaseId": "%SRCROOT%"}


# --- junit -----------------------------------------------------------------------------


def format_junit(report: CheckReport) -> str:
    """JUnit XML: a test suite per ruleset file; a test case per rule and per inline test.

    Each suite also has a `ruleset file` case for problems that belong to no rule (a broken
    YAML file, an unknown top-level key), so that a file whose rules could not even be read
    still fails in CI instead of showing no tests at all.
    """
    root = ElementTree.Element("testsuites", {"name": "lsrules check"})
    totals: Counter[str] = Counter()
    for file in _all_files(report):
        suite = ElementTree.SubElement(root, "testsuite", {"name": _xml_text(file), "time": "0"})
        counts: Counter[str] = Counter()
        diagnostics = [d for d in _ordered_diagnostics(report) if d.location.file == file]
        rules = report.rules.get(file, [])
        rule_ids = {rule_id for rule_id, _ in rules}
        file_level = [d for d in diagnostics if d.rule_id not in rule_ids]
        _junit_case(suite, counts, file, "ruleset file", Location(file, 1, 1), file_level)
        for rule_id, location in rules:
            _junit_case(
                suite,
                counts,
                file,
                f"rule {rule_id}",
                location,
                [d for d in diagnostics if d.rule_id == rule_id],
            )
        for test in _ordered_tests(report):
            if test.location.file == file:
                _junit_test_case(suite, counts, file, test)
        _set_counts(suite, counts)
        totals.update(counts)
    _set_counts(root, totals)
    ElementTree.indent(root)
    body = ElementTree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _junit_case(
    suite: ElementTree.Element,
    counts: Counter[str],
    file: str,
    name: str,
    location: Location,
    diagnostics: list[Diagnostic],
) -> None:
    """A case that fails when any of its diagnostics is an error; the others go to output."""
    case = _new_case(suite, counts, file, name, location)
    errors = [d for d in diagnostics if d.severity == ERROR]
    if errors:
        counts["failures"] += 1
        failure = ElementTree.SubElement(
            case,
            "failure",
            {
                "message": _xml_text(_one_line(f"{errors[0].code} {diagnostic_text(errors[0])}")),
                "type": _xml_text(errors[0].code),
            },
        )
        failure.text = _xml_text("\n".join(_diagnostic_line(d) for d in errors))
    others = [d for d in diagnostics if d.severity != ERROR]
    if others:
        output = ElementTree.SubElement(case, "system-out")
        output.text = _xml_text("\n".join(_diagnostic_line(d) for d in others))


def _junit_test_case(
    suite: ElementTree.Element, counts: Counter[str], file: str, test: TestResult
) -> None:
    case = _new_case(suite, counts, file, f"test {test.name}", test.location)
    details = _xml_text("\n".join(test.failures))
    message = _xml_text(_one_line(test.failures[0] if test.failures else f"test {test.status}"))
    if test.status == "failed":
        counts["failures"] += 1
        ElementTree.SubElement(
            case, "failure", {"message": message, "type": "inline-test"}
        ).text = details
    elif test.status == "error":
        counts["errors"] += 1
        ElementTree.SubElement(
            case, "error", {"message": message, "type": "inline-test"}
        ).text = details
    elif test.status != "passed":
        counts["skipped"] += 1
        reason = test.failures[0] if test.failures else "not run"
        ElementTree.SubElement(case, "skipped", {"message": _xml_text(_one_line(reason))})


def _new_case(
    suite: ElementTree.Element, counts: Counter[str], file: str, name: str, location: Location
) -> ElementTree.Element:
    counts["tests"] += 1
    # `time` is not measured; some JUnit readers reject a test case without one.
    attributes = {
        "classname": _xml_text(file),
        "name": _xml_text(name),
        "file": _xml_text(file),
        "time": "0",
    }
    if location.line:
        attributes["line"] = str(location.line)
    return ElementTree.SubElement(suite, "testcase", attributes)


def _set_counts(element: ElementTree.Element, counts: Counter[str]) -> None:
    for key in ("tests", "failures", "errors", "skipped"):
        element.set(key, str(counts[key]))


# Characters XML 1.0 cannot hold at all, even escaped: replaced so the file stays well-formed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


# --- github ----------------------------------------------------------------------------


def format_github(report: CheckReport) -> str:
    """GitHub Actions workflow commands: each problem becomes an annotation on the file."""
    lines = []
    for diagnostic in _ordered_diagnostics(report):
        command = _GITHUB_COMMANDS.get(diagnostic.severity, "warning")
        lines.append(
            github_command(
                command,
                diagnostic_text(diagnostic),
                {
                    **_github_location(diagnostic.location, diagnostic.end),
                    "title": f"{diagnostic.code}"
                    + (f" ({diagnostic.rule_id})" if diagnostic.rule_id else ""),
                },
            )
        )
    for test in _ordered_tests(report):
        if test.status == "passed":
            continue
        command = _GITHUB_COMMANDS[_TEST_LEVELS.get(test.status, ERROR)]
        lines.append(
            github_command(
                command,
                _test_text(test),
                {
                    **_github_location(test.location, None),
                    "title": TEST_CODES.get(test.status, TEST_CODES["error"]),
                },
            )
        )
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def github_command(command: str, message: str, properties: dict[str, str]) -> str:
    """`::command key=value,...::message`, escaped as GitHub's actions/toolkit does."""
    rendered = ",".join(
        f"{key}={escape_github_property(value)}" for key, value in properties.items() if value != ""
    )
    return f"::{command}{' ' + rendered if rendered else ''}::{escape_github_data(message)}"


def escape_github_data(text: str) -> str:
    """Escape a workflow command's message: `%`, carriage return and line feed."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_github_property(text: str) -> str:
    """Escape a workflow command's property value: as a message, plus `:` and `,`."""
    return escape_github_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_location(location: Location, end: Location | None) -> dict[str, str]:
    properties = {"file": location.file}
    if location.line:
        properties["line"] = str(location.line)
        properties["col"] = str(max(location.column, 1))
        if end is not None and end.line >= location.line:
            properties["endLine"] = str(end.line)
            if end.column:
                properties["endColumn"] = str(end.column)
    return properties


# --- shared ----------------------------------------------------------------------------


def _all_files(report: CheckReport) -> list[str]:
    """The report's files, then any other file a diagnostic or test names, each once."""
    files = dict.fromkeys(report.files)
    files.update(dict.fromkeys(d.location.file for d in report.diagnostics))
    files.update(dict.fromkeys(t.location.file for t in report.tests))
    files.update(dict.fromkeys(report.rules))
    return list(files)


def _position(report: CheckReport) -> Callable[[Location], tuple[int, int, int]]:
    order = {file: index for index, file in enumerate(_all_files(report))}
    return lambda location: (order[location.file], location.line, location.column)


def _ordered_diagnostics(report: CheckReport) -> list[Diagnostic]:
    """By file, then position; the stages' own order (most relevant first) breaks ties."""
    position = _position(report)
    return sorted(report.diagnostics, key=lambda diagnostic: position(diagnostic.location))


def _ordered_tests(report: CheckReport) -> list[TestResult]:
    position = _position(report)
    return sorted(report.tests, key=lambda test: position(test.location))


def _diagnostic_line(diagnostic: Diagnostic) -> str:
    return (
        f"{diagnostic.location}: {diagnostic.severity} {diagnostic.code} "
        f"{_one_line(diagnostic_text(diagnostic))}"
    )


def _test_text(test: TestResult) -> str:
    """`inline test "name" failed:` and then each failure on its own line."""
    outcome = f'inline test "{test.name}" {_TEST_OUTCOMES.get(test.status, test.status)}'
    return outcome + (":\n" + "\n".join(test.failures) if test.failures else "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


__all__ = [
    "FORMATS",
    "TEST_CODES",
    "diagnostic_text",
    "escape_github_data",
    "escape_github_property",
    "format_github",
    "format_json",
    "format_junit",
    "format_report",
    "format_sarif",
    "format_text",
    "github_command",
    "summary_line",
]
