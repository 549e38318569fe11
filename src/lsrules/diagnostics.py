"""Diagnostics: what `lsrules check` reports, one per problem, each with a stable code.

Like jsonschema's errors, the stages *yield* diagnostics and the CLI collects them all; the
report formatters (text, json, sarif, junit, github) live in `lsrules.report`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lsrules.errors import Location

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a ruleset: `code` is stable (e.g. `LSR101`), `message` one line."""

    code: str
    message: str
    location: Location
    severity: str = ERROR
    rule_id: str | None = None  # the ruleset rule it concerns, when there is one
    suggestion: str | None = None  # a did-you-mean replacement, when there is one
    end: Location | None = None  # end of the span, when known

    def __str__(self) -> str:
        hint = f" (did you mean `{self.suggestion}`?)" if self.suggestion else ""
        return f"{self.location}: {self.severity} {self.code}: {self.message}{hint}"


@dataclass
class TestResult:
    """The outcome of one inline test of a ruleset (`tests:`)."""

    __test__ = False  # not a pytest class

    ruleset: str
    name: str
    location: Location
    status: str  # passed | failed | error | not-run
    failures: list[str] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)  # the rules it fired, for `test`'s coverage


@dataclass
class CheckReport:
    """Everything `lsrules check` learnt about a set of ruleset files."""

    files: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    rules: dict[str, list[tuple[str, Location]]] = field(default_factory=dict)  # file -> [(rule id, where)]

    def errors(self, strict: bool = False) -> list[Diagnostic]:
        bad = {ERROR, WARNING} if strict else {ERROR}
        return [d for d in self.diagnostics if d.severity in bad]
