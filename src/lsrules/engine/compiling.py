"""A checked ruleset compiled whole, when it is loaded, with failures located in the file.

The code generator writes a rule's message, fix, second-pass and trace functions when they are
first looked up. Compiling them all here means that what loads (and what `check` accepts)
always compiles: an expression the checker allows but Python's compiler does not (nested
deeper than its parser goes, such as 150 `not` in a list) is one located error now, not an
exception on the first annotation that needs that function.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from lsrules.dsl.checker import nesting_depth
from lsrules.errors import Location, LsrulesError

if TYPE_CHECKING:
    from lsrules.ruleset.model import Expression, Ruleset

# what compiling generated code raises when an expression is too deep for Python
COMPILE_ERRORS = (SyntaxError, RecursionError, MemoryError)
T = TypeVar("T")


class UncompilableError(LsrulesError):
    """An expression Python cannot compile; `check` reports it as `code` with the rule."""

    code = "LSR102"

    def __init__(self, message: str, location: Location | str | None,
                 rule_id: str | None = None) -> None:
        super().__init__(message, location)
        self.rule_id = rule_id


def compile_everything(ruleset: Ruleset, optimize: bool = True) -> Any:
    """`compile_ruleset`'s namespace with every rule's functions compiled; raises
    `UncompilableError` naming the rule (and its deepest expression) that does not compile."""
    return compile_locating(ruleset, "rules", lambda part: _compile_all(part, optimize))


def compile_locating(ruleset: Any, field: str, compile_part: Callable[[Any], T]) -> T:
    """`compile_part(ruleset)`; when Python cannot compile what it generates, an
    `UncompilableError` at the rule of `ruleset.<field>` (rules or streams) whose code fails,
    found by compiling each alone (only then: the usual case costs one compile)."""
    try:
        return compile_part(ruleset)
    except COMPILE_ERRORS as error:
        failure = error
    for rule in getattr(ruleset, field):
        try:
            compile_part(dataclasses.replace(ruleset, **{field: [rule]}))
        except COMPILE_ERRORS as error:
            raise too_deep(rule.id, rule_expressions(rule), rule.location, error) from None
    raise UncompilableError(f"the generated code does not compile: {failure}", ruleset.path)


def _compile_all(ruleset: Ruleset, optimize: bool) -> Any:
    from lsrules.dsl.compiler import compile_ruleset

    namespace = compile_ruleset(ruleset, optimize)
    for rule in ruleset.rules:
        namespace[f"message_{rule.index}"]  # compiles the rule's message, fix, second pass, trace
    return namespace


def rule_expressions(rule: Any) -> list[Expression]:
    """Every expression of a rule (or stream rule): scope, conditions, message, fix."""
    found = [getattr(rule, key, None) for key in ("where", "when", "assert_")]
    if rule.message is not None:
        found += [part for part in rule.message.parts if not isinstance(part, str)]
    found += list(getattr(rule, "fix", []))
    return [expression for expression in found if expression is not None]


def too_deep(rule_id: str, expressions: list[Expression], fallback: Location,
             error: BaseException) -> UncompilableError:
    """The error for a rule whose code does not compile, at its deepest expression."""
    deepest = max(expressions, key=lambda expression: nesting_depth(expression.node),
                  default=None)
    reason = getattr(error, "msg", None) or type(error).__name__
    return UncompilableError(
        f"expression nested too deeply for Python to compile ({reason}); split it into "
        "simpler parts", deepest.location if deepest is not None else fallback, rule_id)

