"""Regular expressions for `matches`: run by RE2 (linear time), checked before they run.

`matches` patterns run on RE2 (google-re2), whose running time is linear in the text
whatever the pattern, so no ruleset can stall the engine with a regex (`a.*a.*a.*a.*b` on
300 characters took 50 s with Python's `re`). `check` still applies the rules below, from
when patterns ran on `re`, so a ruleset stays portable to a backtracking engine:

Python's `re` backtracks; a pattern like `(a+)+$` takes exponential time on a crafted
string. A ruleset may come from an untrusted author, so `check` refuses, before anything
runs, an unbounded repeat that contains another unbounded repeat, or an alternation of
more than single characters, and backreferences; a counted repeat (`{2,}`, `{5}`) counts as
a repeat when it holds an unbounded one, and one of more than 10 may hold no optional or
variable part. What remains runs in polynomial time.
"""
from __future__ import annotations

import re
import sys
from typing import Any, Protocol

if sys.version_info >= (3, 11):  # the parser moved (mypy checks the 3.10 branch)
    import re._parser as sre_parse
    from re._constants import MAXREPEAT
else:  # pragma: no cover - Python 3.10
    import sre_parse
    from sre_constants import MAXREPEAT

MAX_PATTERN_LENGTH = 1000
MAX_COUNTED_NESTING = 10  # `(\d{1,3}\.){3}` is fine; `(a?){25}` is not
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


class CompiledPattern(Protocol):
    """What `matches` calls: Python's `re.Pattern` and RE2's pattern both have it."""

    def search(self, text: str, /) -> object: ...


def check_pattern(pattern: str) -> str | None:
    """None when the pattern is safe to run; otherwise why not."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"regular expression longer than {MAX_PATTERN_LENGTH} characters"
    try:
        re.compile(pattern)
        parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        return f"invalid regular expression: {error}"
    problem = _walk(parsed, inside_unbounded=False)
    if problem is None:
        try:
            compile_pattern(pattern)
        except ValueError as error:
            return str(error)
    return problem


def compile_pattern(pattern: str) -> CompiledPattern:
    """The compiled pattern (`.search(text)`); ValueError if RE2 refuses it.

    A pattern with no choice of how often to repeat (`^[A-Z]`, `colou?r`, `\\d{4}`) cannot
    backtrack, and Python's `re` runs it 20 times faster than the RE2 wrapper (which converts
    the text on every call): it gets `re`, in ASCII mode so that classes mean what they mean
    in RE2. Every other pattern runs on RE2, in linear time."""
    import re2

    compiled = _re2(re2, pattern)  # RE2 must accept it either way: one language for all
    if _cannot_backtrack(sre_parse.parse(pattern), inside_repeat=False):
        return re.compile(pattern, re.ASCII)
    return compiled


def _cannot_backtrack(items: Any, inside_repeat: bool) -> bool:
    """No repeat with a choice of count, apart from a `?` that is not itself repeated."""
    for operator, argument in items:
        name = str(operator)
        if name in _REPEATS:
            low, high, body = argument
            if high == MAXREPEAT or (low != high and (high > 1 or inside_repeat)):
                return False
            if not _cannot_backtrack(body, inside_repeat=True):
                return False
        elif name == "SUBPATTERN":
            if not _cannot_backtrack(argument[-1], inside_repeat):
                return False
        elif name == "BRANCH":
            if not all(_cannot_backtrack(branch, inside_repeat) for branch in argument[1]):
                return False
    return True


def _re2(re2: Any, pattern: str) -> CompiledPattern:
    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr; the error is reported instead
    try:
        compiled: CompiledPattern = re2.compile(pattern, options=options)
        return compiled
    except re2.error as error:
        reason = error.args[0] if error.args else error
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ValueError(f"regular expression not supported by RE2: {reason}") from None


def _walk(items: Any, inside_unbounded: bool, outer_count: int = 0) -> str | None:
    for operator, argument in items:
        name = str(operator)
        if name in ("GROUPREF", "GROUPREF_EXISTS"):
            return "backreferences are not allowed in patterns (they can take exponential time)"
        if name in _REPEATS:
            low, high, body = argument
            unbounded = high == MAXREPEAT or high > 100
            if unbounded and inside_unbounded and _can_repeat(body):
                return ("nested quantifiers such as `(a+)+` can take exponential time; "
                        "rewrite without a repeat inside a repeat")
            # a counted repeat multiplies the ways to split the text as much as `+` does:
            # `(.*a){12}` and `(a?){25}a{25}` backtrack for seconds on 25 characters
            if outer_count > 1 and unbounded and _can_repeat(body):
                return ("a repeat inside a counted repeat, such as `(.*a){5}`, can take "
                        "exponential time; rewrite without a repeat inside a repeat")
            if outer_count > MAX_COUNTED_NESTING and low != high:
                return (f"an optional or variable part inside a repeat of more than "
                        f"{MAX_COUNTED_NESTING}, such as `(a?){{20}}`, can take exponential "
                        "time; rewrite it")
            problem = _walk(body, inside_unbounded or unbounded, max(outer_count, high))
            if problem:
                return problem
        elif name == "BRANCH":
            _, branches = argument
            if (inside_unbounded or outer_count > MAX_COUNTED_NESTING) and any(
                    _width(branch) != (1, 1) for branch in branches):
                return ("an alternation under a quantifier, such as `(a|ab)*`, can take "
                        "exponential time; use a character class or rewrite it")
            for branch in branches:
                problem = _walk(branch, inside_unbounded, outer_count)
                if problem:
                    return problem
        elif name == "SUBPATTERN":
            problem = _walk(argument[-1], inside_unbounded, outer_count)
            if problem:
                return problem
        elif name in ("ASSERT", "ASSERT_NOT"):
            problem = _walk(argument[1], inside_unbounded, outer_count)
            if problem:
                return problem
    return None


def _can_repeat(body: Any) -> bool:
    low, high = _width(body)
    return high > 0


def _width(items: Any) -> tuple[int, int]:
    try:
        width: tuple[int, int] = items.getwidth()
        return width
    except (AttributeError, OverflowError):
        return (0, MAXREPEAT)
