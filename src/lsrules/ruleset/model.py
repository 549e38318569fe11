"""The ruleset as the compiler sees it: rules with parsed expressions and their locations."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lsrules.dsl import nodes
from lsrules.dsl.budget import DEFAULT_LIMITS, Limits
from lsrules.errors import Location

SEVERITIES = ("error", "warning", "info")
FIX_POLICIES = ("apply", "suggest", "off")


@dataclass
class Expression:
    """An expression (or fix action) from the YAML, parsed, with the way back to the file."""

    text: str
    node: nodes.Node
    location: Location  # where the scalar starts
    source: Any = None  # yaml_source.SourceText, for positions inside the text
    offset: int = 0  # where `text` starts inside the scalar (`for: region where ...`)
    # the node as written, when `node` has the ruleset's definitions inlined (`defs:`):
    # what the checker reads, since its spans are in `text`
    written: nodes.Node | None = None

    @property
    def as_written(self) -> nodes.Node:
        return self.node if self.written is None else self.written

    def locate(self, offset: int) -> Location:
        if self.source is not None:
            return self.source.locate(self.offset + offset)
        return self.location


@dataclass
class Definition:
    """A named expression of `defs:` (`name` or `name(a, b)`), shared by the rules."""

    name: str
    parameters: tuple[str, ...]
    expression: Expression
    location: Location  # of its key


@dataclass
class Message:
    """A message template: literal text and `{expression}` placeholders, in order."""

    parts: list[str | Expression]


@dataclass
class Rule:
    id: str
    index: int
    location: Location
    severity: str = "error"
    description: str = ""
    scope: str = "annotation"  # annotation | region
    where: Expression | None = None
    when: Expression | None = None
    assert_: Expression | None = None
    message: Message | None = None
    fix: list[Expression] = field(default_factory=list)
    route: str | None = None
    fixes: str | None = None  # the rule's own policy; None = the ruleset's
    tags: list[str] = field(default_factory=list)
    # the file it is written in (a YamlDocument: the ruleset's, or a file it extends) and
    # its place under that file's `rules:`; `index` is its place in the ruleset's list
    document: Any = None
    position: int = 0

    def locate(self, *path: str) -> Location:
        """Where a part of the rule is written (`rule.locate("route")`)."""
        return self.document.locate(("rules", self.position, *path))


@dataclass
class InlineTest:
    name: str
    location: Location
    task: dict
    annotation: dict
    others: list | None
    expect: dict


@dataclass
class Ruleset:
    name: str
    version: str
    path: str
    sha256: str
    description: str = ""
    labeling_config_path: str | None = None
    config: Any = None  # LabelingConfig
    routes: dict[str, int] = field(default_factory=dict)
    suggester: dict | None = None
    extends: list[str] = field(default_factory=list)  # the built-in packs
    # the files `extends:` included, resolved, and the ids of the rules they brought
    extended_files: list[str] = field(default_factory=list)
    extended_rule_ids: frozenset[str] = frozenset()
    # pack rules re-graded (`overrides: {id: {severity: ...}}`) or switched off (`disable:`)
    pack_severities: dict[str, str] = field(default_factory=dict)
    pack_disabled: frozenset[str] = frozenset()
    fixes: str = "apply"
    limits: Limits = DEFAULT_LIMITS  # the compute budgets (`limits:`)
    definitions: dict[str, Definition] = field(default_factory=dict)  # `defs:`, by name
    rules: list[Rule] = field(default_factory=list)
    streams: list = field(default_factory=list)  # lsrules.ruleset.stream_model.StreamRule
    tests: list[InlineTest] = field(default_factory=list)
    stream_tests: list = field(default_factory=list)  # lsrules.ruleset.stream_model.StreamTest
    document: Any = None  # the YamlDocument, for locations

    def fix_policy(self, rule: Rule) -> str:
        return rule.fixes or self.fixes
