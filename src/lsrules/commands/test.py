"""`lsrules test`: the inline tests only, with rule coverage (rules no test fires)."""
from __future__ import annotations

import sys

from lsrules.commands.check import build_report
from lsrules.ruleset.containment import add_allow_outside_root_argument
from lsrules.terminal import Painter, add_verbosity_arguments, colour_enabled, one_line


def add_arguments(parser) -> None:
    parser.add_argument("rulesets", nargs="*", metavar="RULESET",
                        help="ruleset files or directories (default: the project file's)")
    parser.add_argument("--config", help="labeling config XML (overrides labeling_config:)")
    add_allow_outside_root_argument(parser)
    add_verbosity_arguments(parser)


def run(args) -> int:
    from lsrules.ruleset.files import rulesets_to_check

    paths = rulesets_to_check(args.rulesets, getattr(args, "_project", None))
    report, unusable = build_report(paths, args.config,
                                    allow_outside_root=args.allow_outside_root)
    errors = [d for d in report.diagnostics if d.severity == "error"]
    for diagnostic in errors:
        print(one_line(diagnostic), file=sys.stderr)
    if unusable:
        return 2
    paint = Painter(colour_enabled(sys.stdout))
    failed = 0
    for test in report.tests:
        mark = {"passed": "ok", "failed": "FAIL", "error": "ERROR"}.get(test.status, test.status)
        if test.status == "passed" and args.quiet:
            continue
        print(paint(f"{mark:5}", "green" if test.status == "passed" else "red")
              + f" {one_line(test.location)}: {one_line(test.name)}")
        for failure in test.failures:
            print(f"      {one_line(failure)}")
        failed += test.status != "passed"
    for file, rules in report.rules.items():
        fired: set[str] = set()
        for test in report.tests:
            if test.ruleset == file:
                fired.update(test.fired)
        uncovered = [rule_id for rule_id, _ in rules if rule_id not in fired]
        covered = len(rules) - len(uncovered)
        if args.quiet:
            continue
        if args.verbose:
            for rule_id, location in rules:
                if rule_id in uncovered:
                    print(f"{one_line(location)}: rule {rule_id} is fired by no test")
        print(f"coverage {one_line(file)}: {covered}/{len(rules)} rules fired by a test"
              + (f"; never fired: {', '.join(uncovered)}" if uncovered else ""))
    passed = len(report.tests) - failed
    print(paint(f"{passed} passed, {failed} failed", "red" if failed else "bold"))
    return 1 if failed or errors else 0
