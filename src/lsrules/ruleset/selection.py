"""`--select` / `--ignore`: which rules take part, named by rule id or by tag.

A name matches a rule whose id is that name or whose `tags:` hold it (for `check`, also a
diagnostic code such as `LSR120`). With a selection, only matching rules take part; an
ignored rule never does, even when selected. A name that matches nothing is an error with a
did-you-mean: a misspelt `--ignore` in CI must not pass silently.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from lsrules.errors import LsrulesError

_CODE = re.compile(r"^LSR\d{3}$")


@dataclass(frozen=True)
class Selection:
    select: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()

    @classmethod
    def from_options(cls, select: Iterable[str] | None, ignore: Iterable[str] | None
                     ) -> "Selection":
        """From repeatable, comma-separated option values (`--select a,b --select c`)."""
        return cls(_names(select), _names(ignore))

    def __bool__(self) -> bool:
        return bool(self.select or self.ignore)

    def keeps(self, names: Iterable[str]) -> bool:
        """Whether something known by `names` (a rule's id and tags, a code) takes part."""
        known = set(names)
        if self.select and not known & self.select:
            return False
        return not known & self.ignore

    def keeps_rule(self, rule) -> bool:
        return self.keeps([rule.id, *getattr(rule, "tags", ())])

    def require_known(self, known: Iterable[str], codes: bool = False) -> None:
        """Raise for a name that is no rule id or tag in `known` (nor a code, with `codes`)."""
        choices = sorted(set(known))
        for option, names in (("--select", self.select), ("--ignore", self.ignore)):
            for name in sorted(names):
                if name in choices or (codes and _CODE.match(name)):
                    continue
                close = difflib.get_close_matches(name, choices, n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                raise LsrulesError(f"{option} {name!r} is no rule id or tag of the "
                                   f"ruleset{hint}")


def rule_names(rules) -> set[str]:
    """Every id and tag of `rules`: what a selection may name."""
    return {name for rule in rules for name in (rule.id, *getattr(rule, "tags", ()))}


def _names(values: Iterable[str] | None) -> frozenset[str]:
    return frozenset(part.strip() for value in values or () for part in value.split(",")
                     if part.strip())


def select_diagnostics(diagnostics, rules, selection: Selection, always: Iterable[str] = ()):
    """The diagnostics `check` reports under a selection: each is known by its code and,
    when it concerns a rule, that rule's id and tags. Codes in `always` (a file that cannot
    be used) are kept whatever the selection says."""
    tags = {rule.id: tuple(getattr(rule, "tags", ())) for rule in rules}
    kept_always = set(always)
    return [d for d in diagnostics if d.code in kept_always or selection.keeps(
        [d.code, *([d.rule_id, *tags.get(d.rule_id, ())] if d.rule_id else [])])]
