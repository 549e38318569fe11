"""`lsrules check`: schema, compile, static checks and inline tests, for CI.

Exit 0 when clean, 1 when a ruleset has errors (or warnings with --strict) or a failed
inline test, 2 when an input is unusable (broken YAML, schema violation, syntax error).
"""
from __future__ import annotations

import sys

from lsrules.diagnostics import ERROR, UNUSABLE_CODES, CheckReport, Diagnostic, TestResult
from lsrules.errors import Location, LsrulesError
from lsrules.ruleset.containment import add_allow_outside_root_argument
from lsrules.terminal import add_verbosity_arguments

FORMATS = ("text", "json", "sarif", "junit", "github")


def add_arguments(parser) -> None:
    parser.add_argument("rulesets", nargs="*", metavar="RULESET",
                        help="ruleset files or directories (default: the project file's)")
    parser.add_argument("--config", help="labeling config XML (overrides labeling_config:)")
    add_allow_outside_root_argument(parser)
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text for people (default), json, sarif (code scanning), junit, "
                             "github (annotations on a pull request)")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--no-tests", action="store_true", help="do not run inline tests")
    parser.add_argument("--output", "-o", help="write the report to a file")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the parse cache (see LSRULES_CACHE_DIR)")
    parser.add_argument("--skip-other-yaml", action="store_true",
                        help="pass over file arguments that are not rulesets (no top-level "
                             "`ruleset:`), as a directory does: for hooks given every changed "
                             "YAML file")
    add_verbosity_arguments(parser)
    parser.add_argument("--select", action="append", metavar="RULE",
                        help="report only these: rule ids, tags or diagnostic codes, "
                             "comma-separated, repeatable")
    parser.add_argument("--ignore", action="append", metavar="RULE",
                        help="do not report these: rule ids, tags or diagnostic codes")


def build_report(paths, config=None, run_tests=True, use_cache=True, selection=None,
                 allow_outside_root=False) -> tuple[CheckReport, bool]:
    """The report for all files, and whether any input was unusable; with a `selection`,
    only the diagnostics it keeps (see `lsrules.ruleset.selection`)."""
    from lsrules.engine.compiling import compile_everything
    from lsrules.engine.engine import Engine, check_and_load

    report = CheckReport()
    unusable = False
    names: set[str] = set()
    for path in paths:
        report.files.append(str(path))
        try:
            ruleset, diagnostics = check_and_load(path, config, use_cache, allow_outside_root)
        except LsrulesError as error:
            location = error.location if isinstance(error.location, Location) else Location(str(path))
            report.diagnostics.append(Diagnostic("LSR000", error.message, location))
            unusable = True
            continue
        reported = diagnostics  # what the report shows; the rest decides as before
        if selection:
            from lsrules.ruleset.selection import rule_names, select_diagnostics

            rules = [*ruleset.rules, *ruleset.streams]
            names.update(rule_names(rules))
            reported = select_diagnostics(diagnostics, rules, selection, UNUSABLE_CODES)
        report.diagnostics.extend(reported)
        report.rules[str(path)] = [(rule.id, rule.location)
                                   for rule in [*ruleset.rules, *ruleset.streams]]
        if any(d.code in UNUSABLE_CODES and d.severity == ERROR for d in diagnostics):
            unusable = True
        if any(d.severity == ERROR for d in diagnostics):
            for test in [*ruleset.tests, *ruleset.stream_tests]:
                report.tests.append(TestResult(str(path), test.name, test.location, "not-run",
                                               ["the ruleset has errors"]))
            continue
        # everything check accepts compiles: every rule's functions, every stream rule
        try:
            if run_tests:
                engine = Engine(ruleset)  # compiles it all (engine/compiling.py)
            else:
                compile_everything(ruleset)
            if ruleset.streams:
                from lsrules.streams.compiler import compile_streams

                compile_streams(ruleset)
        except LsrulesError as error:
            where = error.location if isinstance(error.location, Location) else \
                Location(str(path))
            report.diagnostics.append(Diagnostic(getattr(error, "code", "LSR000"), error.message,
                                                 where, rule_id=getattr(error, "rule_id", None)))
            unusable = True
            continue
        if run_tests:
            from lsrules.engine.testing import run_inline_tests

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
    if selection and not unusable:
        from lsrules.ruleset.packs import LABELING_CONFIG_RULES

        selection.require_known(names | {rule.id for rule in LABELING_CONFIG_RULES}, codes=True)
    return report, unusable


def run(args) -> int:
    from lsrules.report import format_report

    from lsrules.ruleset.files import rulesets_to_check
    from lsrules.ruleset.selection import Selection

    paths = rulesets_to_check(args.rulesets, getattr(args, "_project", None),
                              args.skip_other_yaml)
    report, unusable = build_report(paths, args.config, not args.no_tests,
                                    use_cache=not args.no_cache,
                                    allow_outside_root=args.allow_outside_root,
                                    selection=Selection.from_options(args.select, args.ignore))
    if args.format == "text":
        from lsrules.report import format_text
        from lsrules.terminal import Painter, colour_enabled

        paint = Painter(not args.output and colour_enabled(sys.stdout))
        text = format_text(report, paint, args.quiet, args.verbose)
    else:
        text = format_report(report, args.format)
    if args.output:
        from lsrules.files import AtomicOutput

        with AtomicOutput(args.output) as stream:
            stream.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    if unusable:
        return 2
    failed_tests = [t for t in report.tests if t.status in ("failed", "error")]
    return 1 if report.errors(args.strict) or failed_tests else 0
