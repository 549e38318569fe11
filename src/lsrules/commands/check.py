"""`lsrules check`: schema, compile, static checks and inline tests, for CI.

Exit 0 when clean, 1 when a ruleset has errors (or warnings with --strict) or a failed
inline test, 2 when an input is unusable (broken YAML, schema violation, syntax error).
"""
from __future__ import annotations

import sys

from lsrules.diagnostics import ERROR, CheckReport, Diagnostic, TestResult
from lsrules.errors import Location, LsrulesError

FORMATS = ("text", "json", "sarif", "junit", "github")
# diagnostics that make a file unusable (exit 2): YAML, schema, config, syntax
UNUSABLE_CODES = {"LSR001", "LSR002", "LSR003", "LSR004", "LSR100", "LSR101", "LSR102",
                  "LSR148"}


def add_arguments(parser) -> None:
    parser.add_argument("rulesets", nargs="*", metavar="RULESET",
                        help="ruleset files or directories (default: the project file's)")
    parser.add_argument("--config", help="labeling config XML (overrides labeling_config:)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--no-tests", action="store_true", help="do not run inline tests")
    parser.add_argument("--output", "-o", help="write the report to a file")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the parse cache (see LSRULES_CACHE_DIR)")


def build_report(paths, config=None, run_tests=True, use_cache=True,
                 ) -> tuple[CheckReport, bool]:
    """The report for all files, and whether any input was unusable."""
    from lsrules.engine.engine import Engine, check_and_load

    report = CheckReport()
    unusable = False
    for path in paths:
        report.files.append(str(path))
        try:
            ruleset, diagnostics = check_and_load(path, config, use_cache)
        except LsrulesError as error:
            location = error.location if isinstance(error.location, Location) else Location(str(path))
            report.diagnostics.append(Diagnostic("LSR000", error.message, location))
            unusable = True
            continue
        report.diagnostics.extend(diagnostics)
        report.rules[str(path)] = [(rule.id, rule.location)
                                   for rule in [*ruleset.rules, *ruleset.streams]]
        if any(d.code in UNUSABLE_CODES and d.severity == ERROR for d in diagnostics):
            unusable = True
        if any(d.severity == ERROR for d in diagnostics):
            for test in [*ruleset.tests, *ruleset.stream_tests]:
                report.tests.append(TestResult(str(path), test.name, test.location, "not-run",
                                               ["the ruleset has errors"]))
            continue
        if run_tests:
            from lsrules.engine.testing import run_inline_tests

            try:
                engine = Engine(ruleset)
            except LsrulesError as error:
                report.diagnostics.append(Diagnostic("LSR000", error.message,
                                                     Location(str(path))))
                unusable = True
                continue
            report.tests.extend(run_inline_tests(engine))
            if ruleset.streams:
                from lsrules.streams.testing import run_stream_tests

                try:
                    report.tests.extend(run_stream_tests(engine))
                except LsrulesError as error:  # e.g. the stream extra is not installed
                    where = error.location if isinstance(error.location, Location) else \
                        Location(str(path))
                    report.diagnostics.append(Diagnostic("LSR148", error.message, where))
                    unusable = True
    return report, unusable


def run(args) -> int:
    from lsrules.report import format_report

    from lsrules.ruleset.files import rulesets_to_check

    paths = rulesets_to_check(args.rulesets, getattr(args, "_project", None))
    report, unusable = build_report(paths, args.config, not args.no_tests,
                                    use_cache=not args.no_cache)
    text = format_report(report, args.format)
    if args.output:
        from lsrules.exports.writer import AtomicOutput

        with AtomicOutput(args.output) as stream:
            stream.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    if unusable:
        return 2
    failed_tests = [t for t in report.tests if t.status in ("failed", "error")]
    return 1 if report.errors(args.strict) or failed_tests else 0
