"""Static checks of a whole ruleset: rule ids, routes, tests, `extends`, streams, and every
expression and fix action through the expression checker.
"""
from __future__ import annotations

from typing import Iterator

from lsrules.diagnostics import ERROR, WARNING, Diagnostic
from lsrules.dsl import nodes
from lsrules.dsl.budget import worst_loop_product
from lsrules.dsl.builtins import BUILTINS, COMPREHENSIONS
from lsrules.dsl.checker import (DefinitionType, ExpressionChecker, check_action, did_you_mean,
                                 fixed_region_types)
from lsrules.dsl.definitions import free_names, references, used_name
from lsrules.dsl.names import ANY, ROOT_NAMES, STREAM_FUNCTIONS, STREAM_ROOT_NAMES
from lsrules.ruleset.packs import PACKS
from lsrules.ruleset.stream_checker import check_streams


def check_ruleset(ruleset) -> Iterator[Diagnostic]:
    """Every static problem of a loaded ruleset (the loader already reported syntax errors)."""
    found, definitions = check_definitions(ruleset)
    yield from found
    seen: dict[str, object] = {}
    for rule in ruleset.rules:
        if rule.id in seen:
            yield Diagnostic("LSR120", f'duplicate rule id "{rule.id}"', rule.location, ERROR,
                             rule.id)
        seen[rule.id] = rule
        if rule.when is None and rule.assert_ is None and not _has_syntax_error(ruleset, rule):
            yield Diagnostic("LSR121", "a rule needs `when`, `assert` or both (with neither it "
                             "could never fire)", rule.location, ERROR, rule.id)
        if rule.route is not None and rule.route not in ruleset.routes:
            yield Diagnostic("LSR122", f'route "{rule.route}" is not declared under `routes:`',
                             rule.locate("route"), ERROR, rule.id,
                             did_you_mean(rule.route, ruleset.routes))
        environment = dict(ROOT_NAMES)
        if rule.scope == "region":
            environment["region"] = "region"
        kinds = fixed_region_types(rule.where.node if rule.where is not None else None,
                                   ruleset.config)
        for expression in (rule.where, rule.when, rule.assert_):
            if expression is not None:
                yield from _check_expression(expression, rule, ruleset.config, environment,
                                             kinds if expression is not rule.where else None,
                                             definitions)
        if rule.message is not None:
            for part in rule.message.parts:
                if not isinstance(part, str):
                    yield from _check_expression(part, rule, ruleset.config, environment,
                                                 kinds, definitions)
        for action in rule.fix:
            yield from check_action(action, rule, ruleset.config, environment, kinds,
                                    definitions)
        yield from _check_loop_bound(rule, ruleset.limits)
        for expression in (rule.where, rule.when):
            if expression is not None:
                yield from _check_negated_fields(expression, rule)
    if "builtin:labeling-config" in ruleset.extends and ruleset.config is None:
        yield Diagnostic("LSR003", "`extends: [builtin:labeling-config]` needs a "
                         "`labeling_config:` (or --config)", ruleset.document.locate(("extends",)),
                         ERROR)
    if ruleset.streams or ruleset.stream_tests:
        yield from check_streams(ruleset, seen, definitions)
    pack_ids = _pack_rule_ids(ruleset)
    yield from _check_pack_settings(ruleset, pack_ids)
    pack_ids |= ruleset.extended_rule_ids
    known = set(seen) | pack_ids
    for test in ruleset.tests:
        for key in ("fired", "not_fired"):
            for rule_id in test.expect.get(key) or []:
                if isinstance(rule_id, str) and rule_id not in known:
                    yield Diagnostic("LSR123", f'test "{test.name}" expects unknown rule '
                                     f'"{rule_id}"', test.location, ERROR, None,
                                     did_you_mean(rule_id, known))
        route = test.expect.get("route")
        if isinstance(route, str) and route not in ruleset.routes:
            yield Diagnostic("LSR123", f'test "{test.name}" expects undeclared route "{route}"',
                             test.location, ERROR, None, did_you_mean(route, ruleset.routes))


def _check_pack_settings(ruleset, pack_ids: set[str]) -> Iterator[Diagnostic]:
    """LSR127: a rule id a built-in pack rule has; LSR128: `overrides`/`disable` naming no
    rule of a pack (built in, or a file `extends:` includes)."""
    document = ruleset.document
    for rule in ruleset.rules:
        if rule.id in pack_ids and rule.document is document:
            yield Diagnostic("LSR127", f'rule id "{rule.id}" is a rule of the pack this '
                             "ruleset extends: findings of the two could not be told apart "
                             "(re-grade or switch off the pack's rule with `overrides:` or "
                             "`disable:`)", rule.locate("id"), ERROR, rule.id)
    data = document.data if isinstance(document.data, dict) else {}
    disabled = data.get("disable")
    named = [(rule_id, document.locate_key(("overrides", rule_id)))
             for rule_id in ruleset.pack_severities]
    named += [(rule_id, document.locate(("disable", position)))
              for position, rule_id in enumerate(disabled if isinstance(disabled, list) else [])
              if isinstance(rule_id, str)]
    pack_ids = pack_ids | ruleset.extended_rule_ids
    for rule_id, where in named:
        if rule_id not in pack_ids:
            extended = " of the packs this ruleset extends" if (
                ruleset.extends or ruleset.extended_files) else (
                " (this ruleset extends no pack)")
            yield Diagnostic("LSR128", f'"{rule_id}" is no rule{extended}', where, ERROR,
                             None, did_you_mean(rule_id, pack_ids))


def _check_loop_bound(rule, limits) -> Iterator[Diagnostic]:
    """LSR124: nested loops over list literals longer than `limits.loop_product`."""
    expressions = [rule.where, rule.when, rule.assert_, *rule.fix]
    if rule.message is not None:
        expressions += [part for part in rule.message.parts if not isinstance(part, str)]
    for expression in expressions:
        if expression is None:
            continue
        worst = worst_loop_product(expression.node)
        if worst > limits.loop_product:
            yield Diagnostic("LSR124", f"these nested loops over list literals run {worst:,} "
                             f"times, more than limits.loop_product ({limits.loop_product:,})",
                             expression.location, ERROR, rule.id)
            return


def _check_negated_fields(expression, rule) -> Iterator[Diagnostic]:
    """LSR125: `not <field>` in `when`/`where`: a missing field is null, `not null` is null,
    and a null `when` skips the rule, so it never runs on the very annotations that lack it."""
    for node in _negated_fields(expression.as_written):
        text = expression.text[node.operand.span.start:node.operand.span.end]
        yield Diagnostic("LSR125", f"`not {text}` is null when `{text}` is missing, which "
                         "skips the rule; write `... != true` to run it then too",
                         expression.locate(node.span.start), WARNING, rule.id,
                         f"{text} != true")


def _negated_fields(node: nodes.Node) -> Iterator[nodes.Unary]:
    """`not` of a path, outside loops (where a null element counts as false anyway)."""
    if isinstance(node, nodes.Unary) and node.operator == "not":
        if isinstance(node.operand, (nodes.Attribute, nodes.Index)):
            yield node
            return
        yield from _negated_fields(node.operand)
    elif isinstance(node, nodes.Logical):
        yield from _negated_fields(node.left)
        yield from _negated_fields(node.right)


def _pack_rule_ids(ruleset) -> set[str]:
    return {rule.id for name in ruleset.extends for rule in PACKS.get(name, ())}


def _has_syntax_error(ruleset, rule) -> bool:
    entry = rule.document.data_at(("rules", rule.position))
    return "when" in entry or "assert" in entry


def _check_expression(expression, rule, config, environment, region_types=None,
                      definitions=None) -> Iterator[Diagnostic]:
    checker = ExpressionChecker(expression, rule, config, environment, region_types,
                                definitions)
    checker.run(expression.as_written)
    yield from checker.diagnostics


# names a definition may not take: the language's own
_RESERVED = (set(ROOT_NAMES) | {"region"} | set(STREAM_ROOT_NAMES) | set(BUILTINS)
             | set(COMPREHENSIONS) | set(STREAM_FUNCTIONS) | {"true", "false", "null"})


def check_definitions(ruleset) -> tuple[list[Diagnostic], dict[str, DefinitionType]]:
    """`defs:`: names free to take, no definition using itself (directly or round a loop),
    each body checked once, at its own place in the file; -> (problems, what the checker
    knows of each definition where a rule uses it)."""
    definitions = ruleset.definitions
    found: list[Diagnostic] = []
    for definition in definitions.values():
        taken = [name for name in (definition.name, *definition.parameters) if name in _RESERVED]
        repeated = {name for name in definition.parameters
                    if definition.parameters.count(name) > 1}
        if taken:
            found.append(Diagnostic("LSR129", f"`{taken[0]}` is a name of the language; a "
                                    "definition and its parameters need names of their own",
                                    definition.location))
        elif repeated:
            found.append(Diagnostic("LSR129", f"parameter `{sorted(repeated)[0]}` of "
                                    f"`{definition.name}` is named twice", definition.location))
    uses = {name: list(references(definition.expression.node, definitions,
                                  frozenset(definition.parameters)))
            for name, definition in definitions.items()}
    types: dict[str, DefinitionType] = {}
    state: dict[str, str] = {}  # name -> "open" while its uses are visited, then "done"

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for use in uses[name]:
            used = used_name(use)
            if state.get(used) == "open":
                loop = path[path.index(used):] + [name, used] if used in path else [name, used]
                found.append(Diagnostic(
                    "LSR129", "definitions may not use themselves: " + " -> ".join(
                        f"`{step}`" for step in loop), definitions[name].expression.locate(
                        use.span.start)))
                for step in loop:
                    types[step] = DefinitionType(definitions[step].parameters, ANY,
                                                 frozenset())
            elif used not in state:
                visit(used, path + [name])
        state[name] = "done"
        if name not in types:
            types[name] = type_definition(ruleset, definitions[name], types, found)

    for name in definitions:
        if name not in state:
            visit(name, [])
    return found, types


def type_definition(ruleset, definition, types: dict[str, DefinitionType],
                    found: list[Diagnostic]) -> DefinitionType:
    """Checks a definition's body (its parameters of any type, `region` in scope: a rule
    without one that uses it is told, LSR115; so is a stream rule using one that reads
    a rule's names, LSR143) and says what it gives."""
    environment = dict(ROOT_NAMES)
    environment["region"] = "region"
    environment.update((parameter, ANY) for parameter in definition.parameters)
    checker = ExpressionChecker(definition.expression, None, ruleset.config, environment,
                                definitions=types)
    returns = checker.run(definition.expression.node)
    found.extend(checker.diagnostics)
    body = definition.expression.node
    parameters = frozenset(definition.parameters)
    reads = (free_names(body, parameters) & _RULE_NAMES).union(
        *(types[used_name(use)].reads for use in references(body, types, parameters)))
    return DefinitionType(definition.parameters, returns, frozenset(reads))


_RULE_NAMES = frozenset(ROOT_NAMES) | {"region"}  # what a stream rule does not see
