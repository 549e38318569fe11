"""The compute budget: every evaluation of one annotation (or inline test) may take only so
many steps, so a hostile ruleset or annotation costs a bounded time and memory.

A step is one item of a loop the generated code runs (charged as a whole before the loop
starts, so nested loops pay their real total) or one character or item of a string or list
that `+` builds from a computed value (the code generator leaves out `+` of two fields read
as they are: at most their size, like `lower` of one, and no growth). Counting steps, not seconds, keeps decisions deterministic. `check` also
bounds, statically, the worst case of a rule's nested loops where their sizes are known.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sized, TypeVar

from lsrules.dsl import nodes

BUDGET_RULE = "lsrules-budget"  # the finding of an annotation that exceeded a budget


@dataclass(frozen=True)
class Limits:
    """The budgets of a ruleset (`limits:`); docs/security.md lists them with their defaults."""

    steps: int = 10_000_000  # per annotation and per inline test
    regions: int = 10_000  # result items per annotation
    loop_product: int = 10_000_000  # static: one rule's nested loops over list literals


DEFAULT_LIMITS = Limits()
# How far a ruleset may raise its own budgets: the ruleset comes from a pull request, so the
# budget it sets must still bound what `check` of that pull request can cost.
CEILING = Limits(steps=100_000_000, regions=100_000, loop_product=100_000_000)
LIMIT_NAMES = ("steps", "regions", "loop_product")


class BudgetExceeded(Exception):
    """An evaluation ran out of its budget; not a data error (no rule may swallow it)."""

    def __init__(self, budget: str, limit: int, message: str | None = None):
        super().__init__(message or f"the evaluation exceeded its budget of {limit:,} "
                         f"{budget} (limits.{budget})")
        self.budget = budget
        self.limit = limit


def read_limits(value: Any) -> tuple[Limits, list[tuple[str, tuple[Any, ...]]]]:
    """`limits:` of a ruleset -> (Limits, problems as (message, path below `limits`)).
    The loader checks what it uses itself, whether or not the schema ran."""
    if value is None:
        return DEFAULT_LIMITS, []
    if not isinstance(value, dict):
        return DEFAULT_LIMITS, [("`limits` must be a mapping", ())]
    problems: list[tuple[str, tuple[Any, ...]]] = []
    chosen: dict[str, int] = {}
    for key, number in value.items():
        if key not in LIMIT_NAMES:
            problems.append((f"unknown limit {key!r} (known: {', '.join(LIMIT_NAMES)})",
                             (key,)))
        elif number.__class__ is not int or number < 1:
            problems.append((f"limits.{key} must be a whole number of at least 1", (key,)))
        elif number > getattr(CEILING, key):
            problems.append((f"limits.{key} may be at most {getattr(CEILING, key):,}: a "
                             f"ruleset cannot lift its budget further", (key,)))
        else:
            chosen[key] = number
    return Limits(**chosen), problems


# -- run time: what the generated code calls --------------------------------------------

_Items = TypeVar("_Items", bound=Sized)


# `state` is the engine's Evaluation (a layer above): it has `steps` and `engine.limits`
def charge(state: Any, items: _Items) -> _Items:
    """Before a loop over `items`: pay one step per item; returns `items`."""
    left = state.steps - len(items)
    state.steps = left
    if left < 0:
        raise BudgetExceeded("steps", state.engine.limits.steps)
    return items


def pay(state: Any, steps: int) -> None:
    """Pay `steps` at once: the loops over `regions` that a generated function runs at most
    once, charged together at its start (one call, not one per loop), or a polygon's
    vertices. A negative number gives steps back (those a function held and did not spend)."""
    left = state.steps - steps
    state.steps = left
    if left < 0:
        raise BudgetExceeded("steps", state.engine.limits.steps)


HOLD = 1_000  # steps a generated function takes from the budget at a time for its inner loops


def withdraw(state: Any, held: int) -> int:
    """A generated function's inner loops pay from steps it holds (a local count: no call
    per loop); when `held` goes below zero, this pays the debt from the budget and takes up
    to HOLD steps more. Returns what the function holds now; it gives back what it did not
    spend when it returns, so the total is exact, and the budget never runs out late (it
    may run out up to HOLD steps early, for whatever else pays meanwhile)."""
    left = state.steps + held
    if left < 0:
        state.steps = left
        raise BudgetExceeded("steps", state.engine.limits.steps)
    taken = HOLD if left > HOLD else left
    state.steps = left - taken
    return taken


def regions_after(state: Any, before: Sized, loops: int) -> Any:
    """`state.regions` after a fix in a function that paid for `loops` loops over the
    regions at its start: each region a fix added pays for each of them."""
    after = state.regions
    added = len(after) - len(before)
    if added > 0:
        pay(state, added * loops)
    return after


def concat(state: Any, left: Any, right: Any) -> Any:
    """`left + right` when it is not a number: a string or list built pays its length."""
    result = left + right
    if result.__class__ is str or result.__class__ is list:
        charge(state, result)
    return result


# -- check time: the static bound ---------------------------------------------------------

def worst_loop_product(node: nodes.Node) -> int:
    """The most loop iterations `node` can need where the sizes are known before any data
    is seen: a loop over a list literal counts its items; a loop over `regions` or a list
    from the data counts as one (its real size is paid for at run time, in steps).
    Iterative: an expression may nest deeper than Python's recursion limit."""
    found = 1
    stack = [(node, 1)]
    while stack:
        part, times = stack.pop()
        found = max(found, times)
        if isinstance(part, nodes.Comprehension):
            inner = times * _known_size(part.iterable)
            stack.append((part.iterable, times))
            stack.extend((child, inner) for child in (part.element, part.condition)
                         if child is not None)
        else:
            stack.extend((child, times) for child in part.children())
    return found


def _known_size(iterable: nodes.Node) -> int:
    while isinstance(iterable, nodes.Comprehension):  # a list built by a loop: at most as long
        iterable = iterable.iterable
    return len(iterable.items) if isinstance(iterable, nodes.ListDisplay) else 1
