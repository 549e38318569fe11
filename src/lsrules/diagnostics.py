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
class Code:
    """A diagnostic code: its one-line title (SARIF lists it; docs/diagnostics.md heads its
    entry with it), its usual severity, and whether it makes the file unusable: nothing
    could be compiled or tested, so `check` exits 2."""

    id: str
    title: str
    severity: str = ERROR
    unusable: bool = False


# Every code lsrules reports, by stage: LSR0xx the file, LSR10x expression syntax, LSR11x
# names and types, LSR12x rules and tests, LSR13x the labeling config, LSR14x streams.
CODES: dict[str, Code] = {code.id: code for code in (
    Code("LSR000", "Unusable input", unusable=True),
    Code("LSR001", "Schema violation", unusable=True),
    Code("LSR002", "YAML problem", unusable=True),
    Code("LSR003", "Labeling config missing or unreadable", unusable=True),
    Code("LSR004", "Unknown rule pack", unusable=True),
    Code("LSR005", "` #` starts a comment", severity=WARNING),
    Code("LSR006", "File outside the project", unusable=True),
    Code("LSR007", "Extended file unreadable", unusable=True),
    Code("LSR008", "Extends cycle", unusable=True),
    Code("LSR100", "Syntax error", unusable=True),
    Code("LSR101", "Unknown `drop` target", unusable=True),
    Code("LSR102", "Expression too large", unusable=True),
    Code("LSR110", "Unknown name"),
    Code("LSR111", "Unknown function or method"),
    Code("LSR112", "Unknown field"),
    Code("LSR113", "Wrong number of arguments"),
    Code("LSR114", "Type error"),
    Code("LSR115", "`region` outside a region rule"),
    Code("LSR116", "Unsafe or non-literal regex"),
    Code("LSR117", "Comprehensions nested too deeply"),
    Code("LSR118", "`has` without a path"),
    Code("LSR119", "Invalid fix action"),
    Code("LSR120", "Duplicate rule id"),
    Code("LSR121", "Rule without a condition"),
    Code("LSR122", "Undeclared route"),
    Code("LSR123", "Inline test expects an unknown rule or route"),
    Code("LSR124", "Nested loops too large"),
    Code("LSR125", "`not` on a field that may be missing", severity=WARNING),
    Code("LSR126", "Geometry of a shape the function does not take"),
    Code("LSR127", "Rule id of a pack rule"),
    Code("LSR128", "Unknown pack rule in `overrides` or `disable`"),
    Code("LSR129", "Invalid definition"),
    Code("LSR130", "Unknown control or object"),
    Code("LSR131", "Region type the config cannot produce"),
    Code("LSR132", "Label not in the config"),
    Code("LSR133", "Field the labeling config does not define", severity=WARNING),
    Code("LSR140", "Stream name outside a stream rule"),
    Code("LSR141", "Bad `window` or `last` argument"),
    Code("LSR142", "`window`/`last` beyond what the rule keeps"),
    Code("LSR143", "Annotation names in a stream rule"),
    Code("LSR144", "Field not kept in stream events"),
    Code("LSR145", "Duplicate rule id across rules and stream rules"),
    Code("LSR146", "Undeclared route in a stream rule"),
    Code("LSR147", "Invalid stream test"),
    Code("LSR148", "Stream tests cannot run", unusable=True),
)}
UNUSABLE_CODES = frozenset(code.id for code in CODES.values() if code.unusable)


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
