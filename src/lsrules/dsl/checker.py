"""Static checks of a ruleset: names, fields, functions, types, labels, rule structure.

Like jsonschema's validators, checks *yield* diagnostics and never stop at the first. Types
are inferred loosely (`any` wherever the data decides), so a diagnostic here is always a
real mistake: an unknown name, a field that does not exist, `"a" < 3`, a label the labeling
config does not define.
"""
from __future__ import annotations

import difflib
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

from lsrules.diagnostics import ERROR, WARNING, Diagnostic
from lsrules.dsl import nodes
from lsrules.dsl.builtins import BUILTINS, COMPREHENSIONS, DATES, GEOMETRY, METHODS
from lsrules.dsl.config_values import CONTROL_FIELDS, control_fields, field_type
from lsrules.dsl.dates import formatted, instant, is_format
from lsrules.dsl.geometry import CONTAINMENT, SHAPE_OF_TYPE, SUPPORTED
from lsrules.dsl.names import (ANY, BOOL, LIST, NULL, NUMBER, OBJECT_FIELDS, OPEN,
                               READONLY_ANNOTATION_FIELDS, ROOT_NAMES, SETTABLE_REGION_FIELDS,
                               STREAM_FUNCTIONS, STREAM_ROOT_NAMES, STRING, element_type,
                               is_list)
from lsrules.dsl.regex_safety import check_pattern
from lsrules.dsl.visitor import NodeVisitor
from lsrules.result_types import ANSWER_KEY_OF, ANSWER_TYPES, RESULT_TYPES

MAX_DEPTH = 200
MAX_COMPREHENSION_NESTING = 3
_ORDERING = {"<", "<=", ">", ">="}


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def literal_type(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    return ANY


def _compatible(left: str, right: str) -> bool:
    scalars = {BOOL, NUMBER, STRING}
    return not (left in scalars and right in scalars and left != right)


class DefinitionType(NamedTuple):
    """What the checker knows of a definition (`defs:`) where a rule uses it."""

    parameters: tuple[str, ...]
    returns: str
    reads: frozenset[str]  # the rule's names its body (or one it uses) reads: `region`, ...


class ExpressionChecker(NodeVisitor):
    """Checks one expression in one environment (the names in scope and their types)."""

    # expression, rule and config are the ruleset's Expression, Rule (or None) and
    # LabelingConfig (or None): types of the layer above, which this one cannot import
    def __init__(self, expression: Any, rule: Any, config: Any,
                 environment: dict[str, str],
                 region_types: frozenset[str] | None = None,
                 definitions: Mapping[str, DefinitionType] | None = None) -> None:
        self.expression = expression
        self.definitions = definitions or {}
        self.rule = rule
        self.config = config
        self.environment = dict(environment)
        self.diagnostics: list[Diagnostic] = []
        self.comprehension_depth = 0
        # the result types `region` can have: fixed by `for: region where region.type == ...`
        # region variable -> the result types it can have, where something fixes them:
        # `region` by the rule's `where`, a comprehension's variable by its `if`, either
        # on the right of an `and` whose left fixes it
        self.narrowed: dict[str, frozenset[str]] = {} if region_types is None else {
            "region": region_types}
        # nodes whose type comes from the labeling config: Label Studio validates none of
        # it, so a mismatch with them is a warning
        self.config_typed: set[int] = set()
        # id(node) -> the config's Control a `config.control("name")` or a
        # `region.attrs.<from_name>` node stands for
        self.controls: dict[int, Any] = {}

    def report(self, code: str, message: str, node: nodes.Node, severity: str = ERROR,
               suggestion: str | None = None, offset: int | None = None) -> None:
        where = self.expression.locate(node.span.start if offset is None else offset)
        rule_id = self.rule.id if self.rule is not None else None
        self.diagnostics.append(Diagnostic(code, message, where, severity, rule_id, suggestion))

    def run(self, node: nodes.Node) -> str:
        if nesting_depth(node, MAX_DEPTH) > MAX_DEPTH:
            self.report("LSR102", f"expression too complex (nested deeper than {MAX_DEPTH})",
                        node)
            return ANY
        kind: str = self.visit(node)
        return kind

    # -- inference ----------------------------------------------------------------------

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> str:
        raise TypeError(f"the checker has no rule for {type(node).__name__}")

    def visit_Literal(self, node: nodes.Literal) -> str:
        return literal_type(node.value)

    def visit_ListDisplay(self, node: nodes.ListDisplay) -> str:
        for item in node.items:
            self.visit(item)
        return LIST

    def visit_Name(self, node: nodes.Name) -> str:
        if node.name in self.environment:
            return self.environment[node.name]
        definition = self.definitions.get(node.name)
        if definition is not None:
            if definition.parameters:
                self.report("LSR113", f"`{node.name}` takes {len(definition.parameters)} "
                            f"argument{'s' if len(definition.parameters) > 1 else ''}: "
                            f"`{node.name}({', '.join(definition.parameters)})`", node)
            return self.check_definition_scope(node.name, definition, node)
        if node.name in STREAM_ROOT_NAMES:
            self.report("LSR140", f"`{node.name}` exists only in stream rules (under "
                        "`streams:`)", node)
            return ANY
        if node.name == "region":
            self.report("LSR115", "`region` exists only in a rule with `for: region` "
                        "(or write `any(... for r in regions)`)", node)
            return ANY
        self.report("LSR110", f"unknown name `{node.name}`", node,
                    suggestion=did_you_mean(node.name, set(self.environment)
                                            | set(self.definitions)))
        return ANY

    def check_definition_scope(self, name: str, definition: DefinitionType,
                               node: nodes.Node) -> str:
        if "region" in definition.reads and "region" not in self.environment:
            self.report("LSR115", f"`{name}` reads `region`, which exists only in a rule "
                        "with `for: region`", node)
        return definition.returns

    def visit_Attribute(self, node: nodes.Attribute) -> str:
        owner = self.visit(node.value)
        if node.name.startswith("__"):
            self.report("LSR112", f"`{node.name}`: names starting with `__` do not exist",
                        node, offset=node.name_span.start)
            return ANY
        if owner == "control":
            return self.check_control_field(node)
        fields = OBJECT_FIELDS.get(owner)
        if fields is None:
            if owner == OPEN and self.config is not None:
                return self.check_config_field(node)
            if owner in (NUMBER, STRING, BOOL) or is_list(owner):
                self.report("LSR114", f"a {_describe(owner)} has no field `{node.name}`", node,
                            offset=node.name_span.start)
            return ANY
        if owner == "config":
            self.report("LSR112", "the labeling config is read with `config.control(name)` "
                        "and `config.labels(from_name)`", node, offset=node.name_span.start)
            return ANY
        if node.name not in fields:
            self.report("LSR112", f"{owner} has no field `{node.name}`", node,
                        suggestion=did_you_mean(node.name, fields), offset=node.name_span.start)
            return ANY
        return fields[node.name]

    def visit_Index(self, node: nodes.Index) -> str:
        owner = self.visit(node.value)
        index_type = self.visit(node.index)
        if owner in (NUMBER, BOOL):
            self.report("LSR114", f"a {_describe(owner)} cannot be indexed", node)
        if is_list(owner):
            if index_type not in (NUMBER, ANY, NULL):
                self.report("LSR114", "a list index must be a number", node.index)
            return element_type(owner)
        return ANY

    def visit_Call(self, node: nodes.Call) -> str:
        name = node.function
        definition = self.definitions.get(name)
        if definition is not None:
            for argument in node.arguments:
                self.visit(argument)
            if len(node.arguments) != len(definition.parameters):
                self.report("LSR113", f"`{name}` takes {len(definition.parameters)} "
                            f"argument{'s' if len(definition.parameters) != 1 else ''}, "
                            f"not {len(node.arguments)}", node)
            return self.check_definition_scope(name, definition, node)
        if name in ("any", "all", "none", "count", "sum") and name not in BUILTINS:
            self.report("LSR113", f"`{name}` takes a comprehension: "
                        f"`{name}(P for r in regions)`", node)
            for argument in node.arguments:
                self.visit(argument)
            return BOOL if name != "sum" and name != "count" else NUMBER
        builtin = BUILTINS.get(name)
        if builtin is None and name in STREAM_FUNCTIONS:
            self.report("LSR140", f"`{name}(...)` exists only in stream rules (under "
                        "`streams:`)", node)
            return LIST
        if builtin is None:
            self.report("LSR111", f"unknown function `{name}`", node,
                        suggestion=did_you_mean(name, set(BUILTINS) | set(COMPREHENSIONS)
                                                | set(self.definitions)))
            for argument in node.arguments:
                self.visit(argument)
            return ANY
        if name == "has":
            return self.check_has(node)
        count = len(node.arguments)
        most = None if builtin.variadic else len(builtin.parameters)
        least = len(builtin.parameters) - builtin.optional
        if count < least or (most is not None and count > most):
            expected = f"{least}" if least == most else (
                f"{least} or more" if most is None else f"{least} to {most}")
            self.report("LSR113", f"`{name}` takes {expected} argument"
                        f"{'s' if expected != '1' else ''}, not {count}", node)
        for position, argument in enumerate(node.arguments):
            actual = self.visit(argument)
            expected_type = builtin.parameters[min(position, len(builtin.parameters) - 1)]
            if name in ("min", "max") and count == 1 and actual in (LIST, ANY) or is_list(actual) and name in ("min", "max") and count == 1:
                continue
            self.check_argument(name, position, expected_type, actual, argument)
        if name == "matches" and count == 2:
            self.check_regex(node.arguments[1])
        if name in DATES:
            self.check_dates(node)
        if name in GEOMETRY and self.config is not None:
            self.check_shapes(node)
        return builtin.returns

    def check_dates(self, node: nodes.Call) -> None:
        """A date function's literal text reads as a date (in its literal format, when it
        has one), and a literal format uses only the directives that read digits."""
        name, arguments = node.function, node.arguments
        form = arguments[1] if name in ("timestamp", "date") and len(arguments) == 2 else None
        if (isinstance(form, nodes.Literal) and isinstance(form.value, str)
                and not is_format(form.value)):
            self.report("LSR114", f"{form.value!r} is not a date format of digits: use "
                        "%Y %m %d %H %M %S %y %j %f %z and plain characters", form)
            return
        texts = arguments[:1] if form is not None else arguments
        for argument in texts:
            if not (isinstance(argument, nodes.Literal) and isinstance(argument.value, str)):
                continue
            if form is None and instant(argument.value) is None:
                self.report("LSR114", f"{argument.value!r} is not an ISO 8601 date or "
                            "date-time (`2024-05-01`, `2024-05-01T10:22:33Z`), so "
                            f"`{name}` of it is always null", argument)
            elif (isinstance(form, nodes.Literal) and isinstance(form.value, str)
                  and formatted(argument.value, form.value) is None):
                self.report("LSR114", f"{argument.value!r} does not read as "
                            f"{form.value!r}, so `{name}` of it is always null", argument)

    def check_shapes(self, node: nodes.Call) -> None:
        """A geometry function over regions whose every shape it cannot take (a keypoint's
        area): an error now, not a null on every annotation. The shapes are those of the
        region types the config produces, narrowed by the rule's `where` for `region`."""
        name = node.function
        possible: list[set[str]] = []
        for argument in node.arguments[:2 if name == "contains" else 1]:
            if not (isinstance(argument, nodes.Name)
                    and self.environment.get(argument.name) == "region"):
                return
            shapes = {shape for kind in self.shape_types(argument.name)
                      if (shape := SHAPE_OF_TYPE.get(kind)) is not None}
            if not shapes:
                return
            possible.append(shapes)
        if name == "contains":
            if any((outer, inner) in CONTAINMENT for outer in possible[0]
                   for inner in possible[1]):
                return
            taken = ("a span in a span; a box, polygon or keypoint in a box, polygon or "
                     "ellipse; an ellipse in a box")
        elif possible[0] & SUPPORTED[name]:
            return
        else:
            taken = ", ".join(sorted(SUPPORTED[name]))
        found = " and ".join(", ".join(sorted(shapes)) for shapes in possible)
        self.report("LSR126", f"`{name}` does not take {found} regions, the only shapes "
                    f"the labeling config gives here (it takes: {taken})", node)

    def shape_types(self, variable: str) -> set[str]:
        """The region types `variable` can have: the config's, narrowed for `region` by the
        rule's `where` (fixed_region_types)."""
        if self.narrowed.get(variable):
            return set(self.narrowed[variable])
        return set(self.config.region_types())

    def check_argument(self, function: str, position: int, expected: str, actual: str,
                       argument: nodes.Node) -> None:
        if actual in (ANY, NULL) or expected == ANY:
            return
        ok = {
            NUMBER: actual == NUMBER,
            STRING: actual == STRING,
            BOOL: actual == BOOL,
            LIST: is_list(actual),
            "region": actual in ("region", OPEN),
        }.get(expected, True)
        if not ok:
            self.report("LSR114", f"argument {position + 1} of `{function}` must be "
                        f"{_describe(expected, article=True)}, not {_describe(actual, article=True)}",
                        argument)

    def check_has(self, node: nodes.Call) -> str:
        if len(node.arguments) != 1 or not _is_path(node.arguments[0]):
            self.report("LSR118", "`has` takes one path, e.g. `has(task.data.image)` "
                        "(a path, not a string)", node)
        else:
            self.visit(node.arguments[0])
        return BOOL

    def check_regex(self, argument: nodes.Node) -> None:
        if not (isinstance(argument, nodes.Literal) and isinstance(argument.value, str)):
            self.report("LSR116", "the pattern of `matches` must be a string literal, so it "
                        "is compiled and checked once", argument)
            return
        problem = check_pattern(argument.value)
        if problem:
            self.report("LSR116", problem, argument)

    def visit_MethodCall(self, node: nodes.MethodCall) -> str:
        owner = self.visit(node.value)
        if owner != "config" or node.method not in METHODS:
            self.report("LSR111", f"unknown method `{node.method}` (the methods are "
                        "`config.control(name)` and `config.labels(from_name)`)", node,
                        suggestion=did_you_mean(node.method, METHODS)
                        if owner == "config" else None)
        for argument in node.arguments:
            self.visit(argument)
        if len(node.arguments) != 1:
            self.report("LSR113", f"`config.{node.method}` takes 1 argument", node)
        elif self.config is not None:
            self.check_config_name(node.arguments[0], "from_name")
            argument = node.arguments[0]
            if isinstance(argument, nodes.Literal) and argument.value in self.config.controls:
                self.controls[id(node)] = self.config.controls[argument.value]
        return "control" if node.method == "control" else LIST

    def check_control_field(self, node: nodes.Attribute) -> str:
        """`config.control("name").<field>`: typed from the control's tag when the name is
        known; a field it neither has nor defaults is null, so a warning (LSR133)."""
        if node.name in CONTROL_FIELDS:
            return CONTROL_FIELDS[node.name]
        control = self.controls.get(id(node.value))
        if control is None:
            return ANY
        fields = control_fields(control)
        value = fields.get(node.name.lower())
        if value is None:
            known = sorted(set(CONTROL_FIELDS) | {
                name for name in control.attributes if name not in CONTROL_FIELDS})
            self.report("LSR133", f"the control `{control.name}` ({control.tag}) sets no "
                        f"`{node.name}` (it has " + ", ".join(f"`{name}`" for name in known)
                        + ")", node, severity=WARNING,
                        suggestion=did_you_mean(node.name.lower(), known),
                        offset=node.name_span.start)
            return ANY
        self.config_typed.add(id(node))
        return field_type(value)

    def visit_Comprehension(self, node: nodes.Comprehension) -> str:
        if node.kind not in COMPREHENSIONS:
            self.report("LSR111", f"`{node.kind}(... for ...)` is not a comprehension; use "
                        "one of " + ", ".join(k for k in COMPREHENSIONS if k != "list"), node,
                        suggestion=did_you_mean(node.kind, COMPREHENSIONS))
        iterable = self.visit(node.iterable)
        if iterable in (NUMBER, STRING, BOOL):
            self.report("LSR114", f"a comprehension goes over a list, not a {_describe(iterable)}",
                        node.iterable)
        self.comprehension_depth += 1
        if self.comprehension_depth > MAX_COMPREHENSION_NESTING:
            self.report("LSR117", f"comprehensions nest at most {MAX_COMPREHENSION_NESTING} "
                        "deep (each level multiplies the cost)", node)
        saved = self.environment.get(node.variable)
        saved_kinds = self.narrowed.pop(node.variable, None)
        self.environment[node.variable] = element_type(iterable) if is_list(iterable) else ANY
        if self.environment[node.variable] == "region" and node.condition is not None:
            kinds = fixed_region_types(node.condition, self.config, node.variable)
            if kinds is not None:  # `for r in regions if r.type == "rating"`
                self.narrowed[node.variable] = kinds
        if node.variable in ROOT_NAMES or node.variable == "region":
            self.report("LSR110", f"the loop variable `{node.variable}` hides the name "
                        f"`{node.variable}`; choose another (e.g. `r`)", node,
                        severity=WARNING)
        element = self.visit(node.element)
        if node.condition is not None:
            self.visit(node.condition)
        if saved is None:
            del self.environment[node.variable]
        else:
            self.environment[node.variable] = saved
        self.narrowed.pop(node.variable, None)
        if saved_kinds is not None:
            self.narrowed[node.variable] = saved_kinds
        self.comprehension_depth -= 1
        expected, result, _ = COMPREHENSIONS.get(node.kind, (ANY, ANY, ""))
        if expected == NUMBER and element in (STRING, BOOL):
            self.report("LSR114", f"`{node.kind}` needs numbers, not {_describe(element)}s",
                        node.element)
        return result

    def visit_Flatten(self, node: nodes.Flatten) -> str:
        self.visit(node.value)
        return LIST

    def visit_Unary(self, node: nodes.Unary) -> str:
        operand = self.visit(node.operand)
        if node.operator == "not":
            if operand in (NUMBER, STRING) or is_list(operand):
                self.report("LSR114", "`not` needs a true/false value, not "
                            f"{_describe(operand, article=True)}", node.operand)
            return BOOL
        if operand in (STRING, BOOL) or is_list(operand):
            self.report("LSR114", f"`{node.operator}` needs a number, not "
                        f"{_describe(operand, article=True)}", node)
        return NUMBER

    def visit_Binary(self, node: nodes.Binary) -> str:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.operator == "+":
            for side, kind in ((node.left, left), (node.right, right)):
                if kind == BOOL:  # `true + 1` would be 2 in Python
                    self.report("LSR114", "`+` needs numbers, strings or lists, not a "
                                "true/false value", side)
            if STRING in (left, right) and (left == STRING) != (right == STRING) and ANY not in (left, right) and NULL not in (left, right):
                self.report("LSR114", f"cannot add {_describe(left, article=True)} and "
                            f"{_describe(right, article=True)}", node)
            if left == right == STRING:
                return STRING
            if is_list(left) and is_list(right):
                return LIST
            return NUMBER if NUMBER in (left, right) else ANY
        for side, kind in ((node.left, left), (node.right, right)):
            if kind in (STRING, BOOL) or is_list(kind):
                self.report("LSR114", f"`{node.operator}` needs numbers, not "
                            f"{_describe(kind, article=True)}", side)
        return NUMBER

    def visit_Logical(self, node: nodes.Logical) -> str:
        for side in (node.left, node.right):
            saved = dict(self.narrowed)
            if side is node.right and node.operator == "and" and self.config is not None:
                # `r.type == "rating" and r.value.rating > 3`: the right side runs only
                # for the types the left lets through
                for variable, kind in self.environment.items():
                    if kind == "region":
                        kinds = fixed_region_types(node.left, self.config, variable)
                        if kinds is not None:
                            self.narrowed[variable] = kinds
            kind = self.visit(side)
            self.narrowed = saved
            if kind in (NUMBER, STRING) or is_list(kind):
                self.report("LSR114", f"`{node.operator}` needs true/false values, not "
                            f"{_describe(kind, article=True)}", side)
        return BOOL

    def visit_Compare(self, node: nodes.Compare) -> str:
        types = [self.visit(operand) for operand in node.operands]
        for position, operator in enumerate(node.operators):
            left, right = types[position], types[position + 1]
            left_node, right_node = node.operands[position], node.operands[position + 1]
            from_config = {id(left_node), id(right_node)} & self.config_typed
            if operator in _ORDERING:
                if not _compatible(left, right) or BOOL in (left, right) or is_list(left) or is_list(right):
                    self.report("LSR114", f"cannot order {_describe(left, article=True)} and "
                                f"{_describe(right, article=True)} with `{operator}`" + (
                                    " (the labeling config says what it holds)"
                                    if from_config else ""), node,
                                severity=WARNING if from_config else ERROR)
            elif operator in ("in", "not in"):
                if right in (NUMBER, BOOL):
                    self.report("LSR114", f"`{operator}` needs a list or a string on its "
                                f"right, not {_describe(right, article=True)}", right_node)
            elif _list_and_scalar(left, right):
                listed = left_node if is_list(left) else right_node
                scalar = right_node if listed is left_node else left_node
                self.report("LSR114", "a list is never equal to "
                            f"{_describe(right if listed is left_node else left, article=True)}",
                            node, severity=WARNING, suggestion=(
                                f"{self.expression_text(scalar)} in "
                                f"{self.expression_text(listed)}"))
            elif not _compatible(left, right):
                self.report("LSR114", f"{_describe(left, article=True)} is never equal to "
                            f"{_describe(right, article=True)}", node, severity=WARNING)
            if self.config is not None:
                self.check_config_comparison(left_node, operator, right_node)
        return BOOL

    def visit_Conditional(self, node: nodes.Conditional) -> str:
        self.visit(node.test)
        body, orelse = self.visit(node.body), self.visit(node.orelse)
        return body if body == orelse else ANY

    # -- the labeling config --------------------------------------------------------------

    def check_config_field(self, node: nodes.Attribute) -> str:
        """`region.value.<key>`, `task.data.<key>` and `region.attrs.<from_name>.<key>`,
        typed from the labeling config."""
        parent = node.value
        attribute_of = self.controls.get(id(parent))
        if attribute_of is not None:  # `region.attrs.<from_name>.<key>`
            kind = RESULT_TYPES.get(attribute_of.type)
            return self.check_value_key(node, [kind] if kind is not None else [])
        if not (isinstance(parent, nodes.Attribute) and isinstance(parent.value, nodes.Name)):
            return ANY
        owner = self.environment.get(parent.value.name)
        if owner == "task" and parent.name == "data":
            known = self.config.data_keys
            if known and node.name not in known:
                self.report("LSR133", f"the labeling config reads no `${node.name}` from the "
                            "task's data (it reads " + ", ".join(
                                f"`${key}`" for key in sorted(known)) + ")", node,
                            severity=WARNING, suggestion=did_you_mean(node.name, known),
                            offset=node.name_span.start)
            return ANY
        if owner == "region" and parent.name == "attrs":
            control = self.config.controls.get(node.name)
            if control is None:
                self.report("LSR133", f"the labeling config has no control `{node.name}` "
                            "whose answer a region could carry", node, severity=WARNING,
                            suggestion=did_you_mean(node.name, self.config.controls),
                            offset=node.name_span.start)
                return ANY
            self.controls[id(node)] = control
            return OPEN
        if owner != "region" or parent.name != "value":
            return ANY
        return self.check_value_key(node, self.possible_types(parent.value.name))

    def check_value_key(self, node: nodes.Attribute, types: list[Any]) -> str:
        """A key of a value written by a region of one of `types` (result types)."""
        if not types:
            return ANY
        known = set().union(*(kind.known_keys for kind in types))
        if node.name not in known:
            names = ", ".join(sorted(kind.name for kind in types))
            self.report("LSR133", f"a {names} region's value has no `{node.name}` (it has "
                        + ", ".join(f"`{key}`" for key in sorted(known)) + ")", node,
                        severity=WARNING, suggestion=did_you_mean(node.name, known),
                        offset=node.name_span.start)
            return ANY
        having = [kind for kind in types if node.name in kind.known_keys]
        self.config_typed.add(id(node))
        if all(node.name in kind.number_keys for kind in having):
            return NUMBER
        if all(node.name == kind.label_key for kind in having):
            return LIST
        self.config_typed.discard(id(node))
        return ANY

    def possible_types(self, variable: str) -> list[Any]:
        """The result types a region variable can have; empty when one is unknown."""
        every = set(self.config.region_types())
        names = set(self.narrowed[variable]) if self.narrowed.get(variable) else every
        if any(control.per_region and control.accepted_types & names
               and RESULT_TYPES[control.type].classification
               for control in self.config.controls.values() if control.type in RESULT_TYPES):
            names |= every  # a per-region answer's item carries its region's geometry too
        if not names or any(name not in RESULT_TYPES for name in names):
            return []
        return [RESULT_TYPES[name] for name in sorted(names)]

    def expression_text(self, node: nodes.Node) -> str:
        """The source text of a node, for a suggestion."""
        text: str = self.expression.text
        return text[node.span.start:node.span.end]

    def check_config_comparison(self, left: nodes.Node, operator: str, right: nodes.Node) -> None:
        for field_side, value_side in ((left, right), (right, left)):
            field = _region_field(field_side, self.environment)
            if field is None:
                continue
            for literal in _string_literals(value_side):
                self.check_config_value(field, literal, in_set=False)

    def check_config_value(self, field: str, literal: nodes.Literal, in_set: bool) -> None:
        config = self.config
        value = literal.value
        if field == "from_name" and value not in config.controls:
            self.report("LSR130", f'the labeling config has no control named "{value}"',
                        literal, suggestion=did_you_mean(value, config.controls))
        elif field == "to_name" and value not in config.objects:
            self.report("LSR130", f'the labeling config has no object named "{value}"',
                        literal, suggestion=did_you_mean(value, config.objects))
        elif field == "type" and value not in config.region_types() and value != "relation":
            self.report("LSR131", f'the labeling config produces no region of type "{value}"',
                        literal, suggestion=did_you_mean(value, config.region_types()))
        elif field in ("label", "labels") and value not in self.all_labels():
            if in_set:
                self.report("LSR132", f'label "{value}" is not defined in the labeling config',
                            literal, suggestion=did_you_mean(value, self.all_labels()))
            else:
                self.report("LSR132", f'label "{value}" is not defined in the labeling config '
                            "(fine for an alias rule that maps it to a defined label)", literal,
                            severity=WARNING, suggestion=did_you_mean(value, self.all_labels()))

    def check_config_name(self, node: nodes.Node, field: str) -> None:
        for literal in _string_literals(node):
            self.check_config_value(field, literal, in_set=False)

    def all_labels(self) -> set[str]:
        labels: set[str] = set(getattr(self.config, "relation_labels", []) or [])
        for control in self.config.controls.values():
            labels.update(control.labels)
            if getattr(control, "dynamic_labels", False):
                labels.add("*dynamic*")
        return labels


def _list_and_scalar(left: str, right: str) -> bool:
    scalars = (BOOL, NUMBER, STRING)
    return (is_list(left) and right in scalars) or (is_list(right) and left in scalars)


def fixed_region_types(where: nodes.Node | None, config: Any,
                       variable: str = "region") -> frozenset[str] | None:
    """The result types `for: region where ...` lets through: `region.type == "x"`,
    `region.type in [...]`, `region.from_name == "c"` among its `and`-ed conditions (for
    another region variable, `r.type == "x"`, ...)."""
    if where is None or config is None:
        return None
    if isinstance(where, nodes.Logical) and where.operator == "and":
        found = [kinds for side in (where.left, where.right)
                 if (kinds := fixed_region_types(side, config, variable)) is not None]
        return frozenset.intersection(*found) if found else None
    if not (isinstance(where, nodes.Compare) and len(where.operators) == 1
            and where.operators[0] in ("==", "in")):
        return None
    field_side, value_side = where.operands
    field = _region_field(field_side, {variable: "region"})
    if field is None and where.operators[0] == "==":
        value_side, field_side = field_side, value_side
        field = _region_field(field_side, {variable: "region"})
    if field is None or getattr(field_side.value, "name", None) != variable:  # type: ignore[attr-defined]
        return None
    values = [literal.value for literal in _string_literals(value_side)]
    if not values or (where.operators[0] == "in") != isinstance(value_side, nodes.ListDisplay):
        return None
    if field == "type":
        return frozenset(values)
    if field == "from_name":
        controls = [config.controls.get(name) for name in values]
        if all(controls):
            return frozenset().union(*(control.accepted_types for control in controls))
    return None


def _string_literals(node: nodes.Node) -> list[nodes.Literal]:
    if isinstance(node, nodes.Literal) and isinstance(node.value, str):
        return [node]
    if isinstance(node, nodes.ListDisplay):
        return [item for item in node.items
                if isinstance(item, nodes.Literal) and isinstance(item.value, str)]
    if isinstance(node, nodes.Conditional):  # `"Car" if ... else "Truck"`: both can be set
        return _string_literals(node.body) + _string_literals(node.orelse)
    return []


def _region_field(node: nodes.Node, environment: dict[str, str]) -> str | None:
    """`region.label`, `r.from_name`, ... -> the field name, when the owner is a region."""
    if (isinstance(node, nodes.Attribute) and isinstance(node.value, nodes.Name)
            and environment.get(node.value.name) == "region"):
        return node.name
    return None


def _is_path(node: nodes.Node) -> bool:
    while isinstance(node, nodes.Attribute):
        node = node.value
    return isinstance(node, nodes.Name)


def nesting_depth(node: nodes.Node, limit: int | None = None) -> int:
    """How deeply `node` nests (1: a leaf); once past `limit`, a depth past it. Iterative:
    an expression may nest deeper than Python's recursion limit."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if limit is not None and deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in current.children())
    return deepest


def _describe(type_name: str, article: bool = False) -> str:
    words = {NUMBER: "number", STRING: "string", BOOL: "true/false value", NULL: "null",
             LIST: "list", OPEN: "object", "regions": "list", "relations": "list",
             "annotations": "list"}
    word = words.get(type_name, type_name)
    if not article:
        return word
    return ("an " if word[0] in "aeiou" else "a ") + word


def check_action(action: Any, rule: Any, config: Any, environment: dict[str, str],
                 region_types: frozenset[str] | None = None,
                 definitions: Mapping[str, DefinitionType] | None = None
                 ) -> Iterator[Diagnostic]:
    checker = ExpressionChecker(action, rule, config, environment, region_types, definitions)
    node = getattr(action, "as_written", action.node)
    region_scope = "region" in environment
    if isinstance(node, (nodes.DropRegion, nodes.AddLabel, nodes.RemoveLabel)) and not region_scope:
        checker.report("LSR119", "this action changes a region: it needs `for: region`", node)
    if isinstance(node, (nodes.AddLabel, nodes.RemoveLabel)):
        kind = checker.run(node.value)
        if kind not in (STRING, ANY):
            checker.report("LSR114", "a label is a string", node.value)
        if config is not None and isinstance(node, nodes.AddLabel):
            for literal in _string_literals(node.value):
                checker.check_config_value("label", literal, in_set=True)
    if isinstance(node, nodes.SetAction):
        checker.run(node.value)
        check_set_target(checker, node, region_scope)
        if config is not None and node.target[:1] == ("region",) and node.target[1:] in (
                ("label",), ("labels",)):
            for literal in _string_literals(node.value):
                checker.check_config_value("label", literal, in_set=True)
        if node.target[:2] == ("region", "attrs") and len(node.target) > 3:
            if config is not None:
                _check_attribute(checker, node, node.target[2], node.target[3])
            elif node.target[3] not in ANSWER_TYPES:
                checker.report("LSR119", "without `labeling_config:` the key names the answer's "
                               "type: " + ", ".join(sorted(ANSWER_TYPES)), node)
    if isinstance(node, nodes.AddItem):
        check_add_item(checker, node, region_scope)
    yield from checker.diagnostics


def _check_attribute(checker: ExpressionChecker, node: nodes.SetAction, name: str,
                     key: str) -> None:
    """`set region.attrs.NAME.KEY = ...`: NAME a control, KEY one of its value's keys, and
    the labels written its labels."""
    control = checker.config.controls.get(name)
    if control is None:
        checker.report("LSR130", f'the labeling config has no control named "{name}"', node,
                       suggestion=did_you_mean(name, checker.config.controls))
        return
    known = RESULT_TYPES[control.type].known_keys if control.type in RESULT_TYPES else None
    if known is not None and key not in known:
        checker.report("LSR133", f'a "{control.type}" value has no key `{key}`', node,
                       suggestion=did_you_mean(key, known))
    elif key == control.label_key and len(node.target) == 4:
        _check_control_labels(checker, control, node.value)


def check_add_item(checker: ExpressionChecker, node: nodes.AddItem, region_scope: bool) -> None:
    """The control must be one whose answer can be added: a classification (a region's
    shape cannot be made up), per region only in a rule over regions."""
    checker.run(node.value)
    config = checker.config
    name = node.control.value if isinstance(node.control, nodes.Literal) else None
    if config is None:
        checker.report("LSR119", "`add_item` needs `labeling_config:`: the item's type and "
                       "object come from its control", node)
        return
    control = config.controls.get(name)
    if control is None:
        checker.report("LSR130", f'the labeling config has no control named "{name}"',
                       node.control, suggestion=did_you_mean(str(name), config.controls))
    elif control.type not in ANSWER_KEY_OF:
        checker.report("LSR119", f'`add_item` adds the answer of a Choices, Taxonomy, TextArea, '
                       f'Rating, Number or DateTime; "{name}" is a {control.tag}', node.control)
    elif control.per_region and not region_scope:
        checker.report("LSR119", f'"{name}" answers per region: add it in a rule with '
                       "`for: region`", node.control)
    else:
        _check_control_labels(checker, control, node.value)


def _check_control_labels(checker: ExpressionChecker, control: Any, value: nodes.Node) -> None:
    if not control.labels or control.dynamic_labels:
        return
    for literal in _string_literals(value):
        if literal.value not in control.labels:
            checker.report("LSR132", f'"{literal.value}" is not a label of "{control.name}"',
                           literal, suggestion=did_you_mean(literal.value, control.labels))


def check_set_target(checker: ExpressionChecker, node: nodes.SetAction, region_scope: bool) -> None:
    target = node.target
    root = target[0]
    if any(step.startswith("__") for step in target):
        checker.report("LSR119", "names starting with `__` do not exist", node)
    elif root == "region":
        if not region_scope:
            checker.report("LSR119", "`set region...` needs a rule with `for: region`", node)
        elif len(target) < 2 or target[1] not in SETTABLE_REGION_FIELDS:
            field = target[1] if len(target) > 1 else ""
            checker.report("LSR119", f"cannot set `region.{field}`" + (
                "" if field not in OBJECT_FIELDS["region"] else " (it is read-only)"), node,
                suggestion=did_you_mean(field, SETTABLE_REGION_FIELDS) if field else None)
        elif target[1] == "attrs" and len(target) < 4:
            checker.report("LSR119", "set one key of a region's answer: "
                           "`set region.attrs.CONTROL.KEY = ...`", node)
        elif len(target) > 2 and target[1] not in ("value", "meta", "attrs"):
            checker.report("LSR119", f"`region.{target[1]}` has no sub-fields to set", node)
    elif root == "annotation":
        if len(target) < 2:
            checker.report("LSR119", "`set annotation` needs a field", node)
        elif target[1] in READONLY_ANNOTATION_FIELDS:
            checker.report("LSR119", f"`annotation.{target[1]}` is read-only (change regions "
                           "with `set region...` or `drop region`)", node)
        elif target[1] not in OBJECT_FIELDS["annotation"]:
            checker.report("LSR112", f"annotation has no field `{target[1]}`", node,
                           suggestion=did_you_mean(target[1], OBJECT_FIELDS["annotation"]))
    elif root == "task":
        if len(target) < 3 or target[1] != "meta":
            checker.report("LSR119", "only `task.meta.<key>` can be set on a task", node)
    else:
        checker.report("LSR119", f"cannot set `{'.'.join(target)}`: `set` writes under "
                       "`region`, `annotation` or `task.meta`", node)
