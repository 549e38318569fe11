"""The scope that generated code is written in (Jinja2's `Frame`).

The passes and the code generator read the scope from a frame and make an inner one for a
comprehension's body or for the parts computed before a loop; a frame never changes, so
nothing is saved and restored by hand and a pass can be run alone on any scope.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping



@dataclass(frozen=True)
class Frame:
    """Where an expression is written: the names bound around it and what is precomputed."""

    region_names: frozenset[str] = frozenset()  # names bound to a region
    local_names: frozenset[str] = frozenset()  # comprehension variables in scope
    # id(node) -> the temporary holding its value, computed before an enclosing loop
    hoisted: Mapping[int, str] = field(default_factory=dict)
    # the rule's column temporaries, reset before its loop (see hoisting.column_plan);
    # None where columns are off (a rule with a fix, a helper function). The one list is
    # shared by the rule's inner frames: it collects what the rule's prologue resets.
    columns: list[str] | None = None
    loop_depth: int = 0  # loops around the expression (the rule's region loop, comprehensions)

    @classmethod
    def for_rule(cls, scope: str, columns: bool = False, in_loop: bool = False) -> Frame:
        """A rule's frame: `region` bound in a region rule; `in_loop` inside its region loop."""
        region = scope == "region"
        return cls(region_names=frozenset({"region"}) if region else frozenset(),
                   columns=[] if columns else None, loop_depth=1 if region and in_loop else 0)

    def inner(self, variable: str, over_regions: bool) -> Frame:
        """The frame of a comprehension's body: its variable shadows any outer meaning."""
        regions = (self.region_names | {variable} if over_regions
                   else self.region_names - {variable})
        return dataclasses.replace(self, region_names=regions,
                                   local_names=self.local_names | {variable},
                                   loop_depth=self.loop_depth + 1)

    def hoisting(self, names: Mapping[int, str]) -> Frame:
        """This frame with more parts computed beforehand (`names`: id(node) -> temporary)."""
        if not names:
            return self
        return dataclasses.replace(self, hoisted={**self.hoisted, **names})
