"""Ruleset file -> `Ruleset` model plus every diagnostic found on the way.

Stages, each yielding diagnostics rather than stopping at the first: YAML (with positions),
the JSON Schema, the labeling config, then each expression's syntax. The static checker
(`lsrules.dsl.checker`) runs after this on the model.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from lsrules.diagnostics import ERROR, WARNING, Diagnostic
from lsrules.dsl import nodes
from lsrules.dsl.budget import read_limits
from lsrules.dsl.definitions import Definition as DslDefinition
from lsrules.dsl.definitions import ExpansionError, expand, read_head, references
from lsrules.errors import ExpressionError, Location, LsrulesError
from lsrules.ruleset import identifiers
from lsrules.ruleset.cache import RulesetCache
from lsrules.ruleset.containment import check_inside, named_path, ruleset_root
from lsrules.ruleset.schema import format_path
from lsrules.ruleset.model import Definition, Expression, InlineTest, Message, Rule, Ruleset
from lsrules.ruleset.packs import PACKS
from lsrules.ruleset.yaml_source import SourceText, YamlDocument, load_yaml

_SCOPE = re.compile(r"^\s*(annotation|region)\s*(?:\bwhere\b(.*))?$", re.DOTALL)


def read_text(path: str | Path, allow_outside_root: bool = False) -> str:
    """A ruleset file's text: a regular file of at most `max_file_bytes()`, inside its
    project root once symlinks are followed (see `containment`) unless allowed not to be."""
    from lsrules.files import read_regular_file

    if not allow_outside_root:
        check_inside(path, ruleset_root(path), "the ruleset", str(path))
    data = read_regular_file(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LsrulesError(f"not UTF-8 text (byte {error.start})", str(path)) from None


def load_ruleset(path: str | Path, config_path: str | Path | None = None,
                 text: str | None = None, use_cache: bool = True,
                 allow_outside_root: bool = False,
                 extending: _Extending | None = None) -> tuple[Ruleset, list[Diagnostic]]:
    """Read, validate and parse one ruleset; what is wrong with it is in the diagnostics
    (a file that is no YAML mapping raises). `use_cache=False` neither reads nor writes the
    parse cache; `allow_outside_root` lets the ruleset and the files it names lie outside
    its project root (see `containment`). `extending` is for the files `extends:` names
    (read as packs: their rules, routes and what they extend)."""
    file = str(path)
    text = read_text(path, allow_outside_root) if text is None else text
    document = load_yaml(text, file)
    diagnostics = [Diagnostic("LSR002", message, location)
                   for message, location in document.problems]
    data = document.data
    if not isinstance(data, dict):
        raise LsrulesError("a ruleset must be a YAML mapping (ruleset:, rules:, ...)",
                           document.locate(()))
    cache = RulesetCache(path, enabled=use_cache)
    sha256 = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    schema_clean = cache.schema_clean(sha256)
    if not schema_clean:
        from lsrules.ruleset.schema import validate_document

        found = list(validate_document(data, document.locate))
        diagnostics.extend(found)
        schema_clean = not found
    if extending is None:
        extending = _Extending(use_cache)
    extending.chain.append(Path(file).resolve())
    builder = _Builder(document, diagnostics, cache, allow_outside_root, extending)
    ruleset = builder.build(data, sha256, config_path)
    extending.chain.pop()
    cache.save(sha256, schema_clean)
    return ruleset, diagnostics


class _Extending:
    """The files being read through `extends:` (the chain from the ruleset down, to refuse
    a cycle) and those already included (each once, however many files extend it)."""

    def __init__(self, use_cache: bool) -> None:
        self.use_cache = use_cache
        self.chain: list[Path] = []
        self.included: set[Path] = set()

    @property
    def as_pack(self) -> bool:
        return len(self.chain) > 1


def is_pack_file(entry: str) -> bool:
    """An `extends:` entry naming a file (the built-in packs are `builtin:NAME`): a path,
    or `pack:NAME`, a shared pack from the directories `LSRULES_PACK_PATH` lists."""
    return entry.endswith((".yaml", ".yml")) or SHARED_PACK.fullmatch(entry) is not None


SHARED_PACK = re.compile(r"pack:([a-z0-9][a-z0-9-]*)")


def shared_pack(entry: str) -> Path:
    """`pack:NAME` -> NAME.yaml in the first directory of `LSRULES_PACK_PATH` holding one.
    The path is the operator's (a ruleset cannot set the environment), as `--config` is;
    the name is a plain word, so it cannot climb out of those directories."""
    match = SHARED_PACK.fullmatch(entry)
    assert match is not None  # is_pack_file said so
    directories = [d for d in os.environ.get("LSRULES_PACK_PATH", "").split(os.pathsep) if d]
    for directory in directories:
        for suffix in (".yaml", ".yml"):
            candidate = Path(directory) / (match.group(1) + suffix)
            if candidate.is_file():
                return candidate
    raise LsrulesError(f'no shared pack "{match.group(1)}" in LSRULES_PACK_PATH ('
                       + (os.pathsep.join(directories) or "not set") + ")")


class _Builder:
    def __init__(self, document: YamlDocument, diagnostics: list[Diagnostic],
                 cache: RulesetCache, allow_outside_root: bool = False,
                 extending: _Extending | None = None):
        self.document = document
        self.diagnostics = diagnostics
        self.allow_outside_root = allow_outside_root
        self.cache = cache
        self.extending = extending or _Extending(use_cache=cache.file is not None)
        self.extended_rules: list[Rule] = []  # the rules of the files `extends:` names
        self.extended_hashes: list[str] = []

    def error(self, code: str, message: str, location: Location, rule_id=None,
              severity=ERROR) -> None:
        self.diagnostics.append(Diagnostic(code, message, location, severity, rule_id))

    def shaped(self, path: tuple, value, valid, hint: str) -> bool:
        """Whether `value` (at `path`) has the shape the schema asks for; reports it if not.

        Checked here, not only by the schema: a cached verdict skips the schema, and these
        names reach records, metadata and terminals (see `identifiers`)."""
        if valid(value):
            return True
        location = self.document.locate(path)
        if not any(d.code == "LSR001" and d.location == location for d in self.diagnostics):
            shown = json.dumps(value, ensure_ascii=True) if isinstance(value, str) else \
                type(value).__name__
            self.error("LSR001", f"{format_path(path)}: {shown[:80]} is not valid; "
                       f"expected {hint}", location)
        return False

    def build(self, data: dict, sha256: str, config_path) -> Ruleset:
        file = self.document.file
        name = data.get("ruleset")
        if name is not None and not self.shaped(("ruleset",), name, identifiers.is_name,
                                                identifiers.NAME_HINT):
            name = None
        stem = Path(file).stem
        ruleset = Ruleset(
            name=name if name is not None else stem if identifiers.is_name(stem) else "ruleset",
            version=str(data.get("version", "")),
            path=file,
            sha256=sha256,
            description=str(data.get("description") or ""),
            document=self.document,
        )
        routes = data.get("routes")
        if isinstance(routes, dict):
            for route_name, settings in routes.items():
                if not self.shaped(("routes", route_name), route_name, identifiers.is_name,
                                   identifiers.NAME_HINT):
                    continue
                priority = settings.get("priority", 0) if isinstance(settings, dict) else 0
                ruleset.routes[route_name] = priority if isinstance(priority, int) else 0
        if isinstance(data.get("suggester"), dict):
            ruleset.suggester = dict(data["suggester"])
            model = ruleset.suggester.get("model")
            if isinstance(model, str) and model:
                try:  # the model is read (and written by `suggest fit`) here, nowhere else
                    ruleset.suggester["model"] = str(self.named(model, ("suggester", "model")))
                except LsrulesError as error:
                    self.error("LSR006", error.message,
                               self.document.locate(("suggester", "model")))
                    ruleset.suggester["model"] = None
        extends = data.get("extends")
        if isinstance(extends, list):
            for position, pack in enumerate(extends):
                if pack in PACKS:
                    if pack not in ruleset.extends:
                        ruleset.extends.append(pack)
                elif isinstance(pack, str) and is_pack_file(pack):
                    self.extend_file(ruleset, pack, position)
                elif isinstance(pack, str):
                    self.error("LSR004", f'unknown rule pack "{pack}" (known: '
                               f'{", ".join(PACKS)}, or a .yaml file)',
                               self.document.locate(("extends", position)))
        overrides = data.get("overrides")
        if isinstance(overrides, dict):
            ruleset.pack_severities = {
                rule_id: entry["severity"] for rule_id, entry in overrides.items()
                if isinstance(rule_id, str) and isinstance(entry, dict)
                and entry.get("severity") in ("error", "warning", "info")}
        disabled = data.get("disable")
        if isinstance(disabled, list):
            ruleset.pack_disabled = frozenset(i for i in disabled if isinstance(i, str))
        if data.get("fixes") in ("apply", "suggest", "off"):
            ruleset.fixes = data["fixes"]
        ruleset.limits, problems = read_limits(data.get("limits"))
        reported = {d.location for d in self.diagnostics if d.code == "LSR001"}
        for message, path in problems:  # the schema may have said it already
            location = self.document.locate(("limits", *path))
            if location not in reported:
                self.error("LSR001", message, location)
        if not self.extending.as_pack:  # a file it extends: its rules, routes, definitions
            self.read_config(ruleset, data, config_path)  # and what it extends count
        if isinstance(data.get("defs"), dict):
            self.definitions(ruleset, data["defs"])
        self.read_rules(ruleset, data)
        if self.extending.as_pack:
            return ruleset
        streams = data.get("streams")
        if isinstance(streams, list) and streams:
            from lsrules.ruleset.stream_model import read_stream_rule

            ruleset.streams = [read_stream_rule(self, entry, index)
                               for index, entry in enumerate(streams) if isinstance(entry, dict)]
            self.inline_definitions(ruleset, ruleset.streams)
        tests = data.get("tests")
        if isinstance(tests, list):
            for index, entry in enumerate(tests):
                if isinstance(entry, dict) and "events" in entry:
                    from lsrules.ruleset.stream_model import read_stream_test

                    ruleset.stream_tests.append(read_stream_test(self, entry, index))
                elif isinstance(entry, dict):
                    ruleset.tests.append(self.inline_test(entry, index))
        self.warn_hash_in_plain_scalars()
        return ruleset

    def read_rules(self, ruleset: Ruleset, data: dict) -> None:
        """The rules of the files it extends (first, in `extends:` order), then its own;
        `disable:` and `overrides:` apply to the extended ones as to the built-in pack's."""
        extended = [rule for rule in self.extended_rules if rule.id not in ruleset.pack_disabled]
        for rule in extended:
            rule.severity = ruleset.pack_severities.get(rule.id, rule.severity)
        ruleset.extended_rule_ids = frozenset(rule.id for rule in self.extended_rules)
        own: list[Rule] = []
        rules = data.get("rules")
        if isinstance(rules, list):
            for index, entry in enumerate(rules):
                if isinstance(entry, dict):
                    own.append(self.rule(entry, index))
        ruleset.rules = own
        self.inline_definitions(ruleset, own)  # its own definitions, in its own rules only
        ruleset.rules = extended + own
        for index, rule in enumerate(ruleset.rules):  # its place in the generated code
            rule.index = index
        if self.extended_hashes:  # the decisions' audit names the ruleset with its packs
            ruleset.sha256 = hashlib.sha256(" ".join(
                [ruleset.sha256, *self.extended_hashes]).encode()).hexdigest()

    def extend_file(self, ruleset: Ruleset, named: str, position: int) -> None:
        """`extends: [packs/pii.yaml]`: that file's rules, routes and packs, read with the
        same checks, cache and project root as this one; a file is included once."""
        where = self.document.locate(("extends", position))
        try:
            path = (shared_pack(named) if named.startswith("pack:")
                    else self.named(named, ("extends", position)))
            resolved = path.resolve()
        except LsrulesError as error:
            self.error("LSR004" if named.startswith("pack:") else "LSR006", error.message,
                       where)
            return
        except (OSError, RuntimeError) as error:
            self.error("LSR007", f"cannot read {named}: {error}", where)
            return
        chain = self.extending.chain
        if resolved in chain:
            cycle = [*chain[chain.index(resolved):], resolved]
            self.error("LSR008", "extends itself: " + " -> ".join(
                os.path.relpath(step, chain[0].parent) for step in cycle), where)
            return
        if resolved in self.extending.included:
            return
        self.extending.included.add(resolved)
        try:
            pack, found = load_ruleset(path, use_cache=self.extending.use_cache,
                                       allow_outside_root=self.allow_outside_root,
                                       extending=self.extending)
        except LsrulesError as error:
            self.error("LSR007", f"cannot read {named}: {error.message}", where)
            return
        self.diagnostics.extend(found)
        for name in pack.extends:
            if name not in ruleset.extends:
                ruleset.extends.append(name)
        for route, priority in pack.routes.items():
            ruleset.routes.setdefault(route, priority)  # this file's own priority wins
        ruleset.extended_files += [*pack.extended_files, str(resolved)]
        for rule in pack.rules:  # checked as inlined: its definitions are its file's
            for expression in [rule.where, rule.when, rule.assert_, *rule.fix, *(
                    rule.message.parts if rule.message is not None else [])]:
                if isinstance(expression, Expression):
                    expression.written = None
        self.extended_rules += pack.rules
        self.extended_hashes.append(pack.sha256)

    def read_config(self, ruleset: Ruleset, data: dict, config_path) -> None:
        configured = data.get("labeling_config")
        if config_path is None and isinstance(configured, str):
            try:
                config_path = self.named(configured, ("labeling_config",))
            except LsrulesError as error:
                self.error("LSR006", error.message, self.document.locate(("labeling_config",)))
                return
        if config_path is None:
            return
        from lsrules.ruleset.labeling_config import read_labeling_config

        ruleset.labeling_config_path = str(config_path)
        try:
            ruleset.config = read_labeling_config(config_path)
        except LsrulesError as error:
            where = self.document.locate(("labeling_config",))
            self.error("LSR003", f"cannot read the labeling config {config_path}: "
                       f"{error.message} ({error.location})", where)

    def named(self, named: str, path: tuple) -> Path:
        """A file this ruleset names, inside its project root (see `containment`)."""
        return named_path(self.document.file, named, format_path(path),
                          self.document.locate(path), self.allow_outside_root)

    # -- definitions --------------------------------------------------------------------

    def definitions(self, ruleset: Ruleset, entries: dict) -> None:
        """`defs:`: `name: expression` or `name(a, b): expression`."""
        for key, text in entries.items():
            path = ("defs", key)
            head = read_head(key) if isinstance(key, str) else None
            if head is None or not isinstance(text, (str, int, float, bool)):
                continue  # the schema says so (LSR001)
            name, parameters = head
            if isinstance(text, str):
                expression = self.expression(path, None)
            else:  # `limit: 100`: YAML's number (or true/false), as a literal
                expression = Expression(json.dumps(text), nodes.Literal(nodes.Span(0, 0), text),
                                        self.document.locate(path))
            if expression is not None:
                ruleset.definitions[name] = Definition(name, parameters, expression,
                                                       self.document.locate_key(path))

    def inline_definitions(self, ruleset: Ruleset, rules: list) -> None:
        """Each expression of `rules` (rules or stream rules) with the definitions it uses
        inlined (`node`), and as written (`written`) for the checker."""
        if not ruleset.definitions:
            return
        table = {name: DslDefinition(name, definition.parameters, definition.expression.node)
                 for name, definition in ruleset.definitions.items()}
        for rule in rules:
            expressions = [getattr(rule, "where", None), rule.when, getattr(rule, "assert_", None),
                           *getattr(rule, "fix", ())]
            if rule.message is not None:
                expressions += [part for part in rule.message.parts if not isinstance(part, str)]
            for expression in expressions:
                if not isinstance(expression, Expression) or not _uses(expression.node, table):
                    continue
                try:
                    inlined = expand(expression.node, table)
                except ExpansionError as error:
                    self.error("LSR129", str(error), expression.location, rule.id)
                    continue
                expression.written, expression.node = expression.node, inlined

    # -- rules --------------------------------------------------------------------------

    def rule(self, entry: dict, index: int) -> Rule:
        path = ("rules", index)
        rule_id = entry.get("id")
        if rule_id is None or not self.shaped(path + ("id",), rule_id, identifiers.is_rule_id,
                                              identifiers.RULE_ID_HINT):
            rule_id = f"rules[{index}]"
        rule = Rule(id=rule_id, index=index, location=self.document.locate(path),
                    document=self.document, position=index)
        if entry.get("severity") in ("error", "warning", "info"):
            rule.severity = entry["severity"]
        rule.description = str(entry.get("description") or "")
        scope = entry.get("for")
        if isinstance(scope, str):
            match = _SCOPE.match(scope)
            if match:
                rule.scope = match.group(1)
                if match.group(2) is not None:
                    if rule.scope != "region":
                        self.error("LSR100", "`where` filters only `for: region`",
                                   self.document.locate(path + ("for",)), rule_id)
                    else:
                        rule.where = self.expression(path + ("for",), rule_id,
                                                     offset=match.start(2))
        rule.when = self.condition(entry, path, "when", rule_id)
        rule.assert_ = self.condition(entry, path, "assert", rule_id)
        if isinstance(entry.get("message"), str):
            rule.message = self.message(path + ("message",), rule_id)
        fixes = entry.get("fix")
        if isinstance(fixes, str):
            action = self.expression(path + ("fix",), rule_id, start="action")
            rule.fix = [action] if action else []
        elif isinstance(fixes, list):
            for position, text in enumerate(fixes):
                if isinstance(text, str):
                    action = self.expression(path + ("fix", position), rule_id, start="action")
                    if action:
                        rule.fix.append(action)
        if isinstance(entry.get("route"), str):  # declared under `routes:` (LSR122): a name
            rule.route = entry["route"]
        if entry.get("fixes") in ("apply", "suggest", "off"):
            rule.fixes = entry["fixes"]
        if isinstance(entry.get("tags"), list):
            rule.tags = [str(tag) for tag in entry["tags"]]
        return rule

    def condition(self, entry: dict, path: tuple, key: str, rule_id: str) -> Expression | None:
        value = entry.get(key)
        if isinstance(value, bool):
            location = self.document.locate(path + (key,))
            node = nodes.Literal(nodes.Span(0, 0), value)
            return Expression("true" if value else "false", node, location)
        if isinstance(value, str):
            return self.expression(path + (key,), rule_id)
        return None

    def expression(self, path: tuple, rule_id: str | None, start: str = "expression",
                   offset: int = 0, text: str | None = None,
                   source: SourceText | None = None) -> Expression | None:
        source = source or self.document.source(path)
        if text is None:
            text = self.document.data_at(path)
            text = text[offset:] if isinstance(text, str) else ""
        location = self.document.locate(path)
        try:
            node = self.cache.parse(text, start=start)
        except ExpressionError as error:
            where = source.locate(offset + error.offset) if source else location
            self.error(error.code, error.message, where, rule_id)
            return None
        return Expression(text, node, location, source, offset)

    def message(self, path: tuple, rule_id: str) -> Message | None:
        text = self.document.data_at(path)
        source = self.document.source(path)
        parts: list = []
        literal: list[str] = []
        position = 0
        while position < len(text):
            char = text[position]
            if char in "{}" and text[position: position + 2] in ("{{", "}}"):
                literal.append(char)
                position += 2
                continue
            if char == "}":
                self.error("LSR100", "unmatched `}` in message (write `}}` for a brace)",
                           source.locate(position) if source else self.document.locate(path),
                           rule_id)
                return None
            if char != "{":
                literal.append(char)
                position += 1
                continue
            end = _placeholder_end(text, position + 1)
            if end < 0:
                self.error("LSR100", "unclosed `{` in message (write `{{` for a brace)",
                           source.locate(position) if source else self.document.locate(path),
                           rule_id)
                return None
            if literal:
                parts.append("".join(literal))
                literal = []
            expression = self.expression(path, rule_id, offset=position + 1,
                                         text=text[position + 1: end], source=source)
            if expression is None:
                return None
            parts.append(expression)
            position = end + 1
        if literal:
            parts.append("".join(literal))
        return Message(parts)

    def inline_test(self, entry: dict, index: int) -> InlineTest:
        name = entry.get("name")
        task = entry.get("task")
        annotation = entry.get("annotation")
        others = entry.get("others")
        expect = entry.get("expect")
        return InlineTest(
            name=name if isinstance(name, str) else f"tests[{index}]",
            location=self.document.locate(("tests", index)),
            task=task if isinstance(task, dict) else {},
            annotation=annotation if isinstance(annotation, dict) else {},
            others=others if isinstance(others, list) else None,
            expect=expect if isinstance(expect, dict) else {},
        )

    def warn_hash_in_plain_scalars(self) -> None:
        """` #` in a plain scalar starts a YAML comment: what follows is silently dropped."""
        import yaml

        for path, node in self.document.nodes.items():
            if (isinstance(node, yaml.ScalarNode) and not node.style and path
                    and path[0] == "rules"):
                line_end = self.document.text.find("\n", node.end_mark.index)
                rest = self.document.text[node.end_mark.index: line_end if line_end >= 0 else None]
                if rest.lstrip().startswith("#") and rest.startswith(" "):
                    self.error("LSR005", "a ` #` here starts a YAML comment, so the text after "
                               "it is not part of the value; quote the value if it was meant "
                               "to be", self.document.locate(path), severity=WARNING)


def _uses(node: nodes.Node, definitions: dict) -> bool:
    return next(references(node, definitions), None) is not None


def _placeholder_end(text: str, position: int) -> int:
    """Index of the `}` closing a placeholder, skipping strings and nested braces."""
    depth = 0
    quote = ""
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return position
            depth -= 1
        position += 1
    return -1
