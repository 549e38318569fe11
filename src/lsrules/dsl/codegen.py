"""Checked ruleset -> Python source, compiled once (Jinja2's compiler is the model).

User text never reaches `compile` as code: names map to fixed Python locals, fields become
dict lookups or entries of a region's field table, strings and numbers become `repr`
literals. The generated module defines `evaluate(state)`, which runs every rule in file
order inline (the hot loop), plus small per-rule functions for the rare paths: the message,
the fix, and the re-check after a fix.
"""
from __future__ import annotations

from dataclasses import fields, replace

from lsrules.dsl import nodes
from lsrules.dsl.builtins import BUILTINS
from lsrules.dsl.regions import ITEM_FIELDS, REGION_GEOMETRY, VALUE_FIELDS
from lsrules.dsl.visitor import NodeVisitor

# The language's operators as Python spells them. Generated code takes an operator from
# these tables, never the text of a node: an operator the grammar does not have is a
# KeyError while compiling, not code.
_SIGNS = {"-": "-", "+": "+"}
_ADDITIVE = {"+": "+", "-": "-"}
_MULTIPLICATIVE = {"*": "_multiply", "/": "_divide", "%": "_modulo"}  # runtime helpers
_COMPARE = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
            "in": "in", "not in": "not in"}
ROOTS = ("task", "annotation", "regions", "relations", "others", "annotator", "suggestion",
         "config")

# Python for each comprehension built-in (a list comprehension for any other kind); the
# element and loop are generated code, substituted as values, never parsed as a template.
_COMPREHENSION_FORMS = {
    "any": "any({element} {loop})",
    "all": "all({element} {loop})",
    "none": "(not any({element} {loop}))",
    "count": "sum(1 {loop} if {element})",
    "sum": "_sum_of([{element} {loop}])",
    "min": "_min_of([{element} {loop}])",
    "max": "_max_of([{element} {loop}])",
}


class CodeGenerator(NodeVisitor):
    loop_statements = True  # see `guard_node` (a test compares with the expression form)

    def __init__(self, ruleset):
        self.ruleset = ruleset
        self.lines: list[str] = []
        self.temporary = 0
        self.constants: dict[str, object] = {}
        self.region_names: set[str] = set()
        self.locals: set[str] = set()  # comprehension variables in scope
        self.hoisted: dict[int, str] = {}  # id(node) -> temporary computed before a loop
        # per-rule columns (see `_column_plan`): the temporaries the rule's code resets
        # before its loop; None where columns are off (rules with fixes, helper functions)
        self.columns: list[str] | None = None
        self.loop_depth = 0  # loops around the expression being written (rule scope, comprehensions)

    # -- output ---------------------------------------------------------------------------
    def write(self, line: str, indent: int) -> None:
        self.lines.append("    " * indent + line)

    def temp(self) -> str:
        self.temporary += 1
        return f"_t{self.temporary}"

    def constant(self, value) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    # -- expressions ----------------------------------------------------------------------
    def expr(self, node: nodes.Node) -> str:
        hoisted = self.hoisted.get(id(node))
        if hoisted is not None:
            return hoisted
        return self.visit(node)

    def generic_visit(self, node: nodes.Node, *args, **kwargs) -> str:
        raise TypeError(f"no Python for {type(node).__name__}")

    def visit_Literal(self, node):
        return repr(node.value)

    def visit_ListDisplay(self, node):
        return "[" + ", ".join(self.expr(item) for item in node.items) + "]"

    def visit_Name(self, node):
        if node.name in self.locals:  # comprehension variables shadow `region` and roots
            return "v_" + node.name
        if node.name == "region" or node.name in ROOTS:
            return node.name
        return "v_" + node.name

    def _path(self, node):
        """(root expression, keys) for a chain of attributes."""
        keys = []
        while isinstance(node, nodes.Attribute):
            keys.append(node.name)
            node = node.value
        return node, tuple(reversed(keys))

    def _is_region(self, node) -> bool:
        return isinstance(node, nodes.Name) and (
            node.name in self.region_names)

    def visit_Attribute(self, node):
        if self._is_region(node.value):
            region = self.expr(node.value)
            name = node.name
            if name in VALUE_FIELDS:
                return f"{region}.value.get({name!r})"
            if name in ("id", "type", "from_name", "to_name", "value", "attrs", "label", "labels"):
                return f"{region}.{name}"
            if name in ITEM_FIELDS:
                return f"{region}.item.get({name!r})"
            return f"{region}.field({name!r})"
        root, keys = self._path(node)
        if isinstance(root, nodes.Name) and root.name in ("task", "annotation") and len(keys) == 1:
            return f"{self.expr(root)}.get({keys[0]!r})"
        if isinstance(root, nodes.Name) and not self._is_region(root):
            return f"_path({self.expr(root)}, {keys!r})"
        return f"_get({self.expr(node.value)}, {node.name!r})"

    def visit_Index(self, node):
        # inline for a string or list and an int in range (`text[region.start]`); `&`
        # evaluates both operands, so `_index` gets both when the fast path does not apply
        value, key = self.temp(), self.temp()
        return (f"({value}[{key}] if (({value} := {self.expr(node.value)}).__class__ is _str "
                f"or {value}.__class__ is _list) & (({key} := {self.expr(node.index)}).__class__ "
                f"is _int) and -len({value}) <= {key} < len({value}) else _index({value}, {key}))")

    def visit_Call(self, node):
        name = node.function
        if name in _LOWERED:  # see `_lower_geometry`
            return self._geometry(name, [self.expr(argument) for argument in node.arguments])
        if name == "has":
            root, keys = self._path(node.arguments[0])
            return f"_has_path({self.expr(root)}, {keys!r})"
        if name == "matches" and len(node.arguments) == 2:
            from lsrules.dsl.regex_safety import compile_pattern

            pattern = self.constant(compile_pattern(node.arguments[1].value))  # RE2: linear
            return f"_builtin_matches({self.expr(node.arguments[0])}, {pattern})"
        if name in _STRING_METHODS and len(node.arguments) == 1:
            # inlined: a Python call per pair costs more than the work (`lower` in n² loops)
            value = self.temp()
            return (f"({value}.{_STRING_METHODS[name]}() if ({value} := "
                    f"{self.expr(node.arguments[0])}).__class__ is _str else None)")
        if name == "len" and len(node.arguments) == 1:  # inlined for strings and lists
            value = self.temp()
            return (f"(len({value}) if ({value} := {self.expr(node.arguments[0])}).__class__ "
                    f"is _str or {value}.__class__ is _list else _builtin_len({value}))")
        arguments = ", ".join(self.expr(argument) for argument in node.arguments)
        if name in REGION_GEOMETRY and all(self._is_region(argument)
                                           for argument in node.arguments):
            return f"_region_{name}({arguments})"  # reads the regions' cached corners
        return f"_builtin_{name}({arguments})"

    def _geometry(self, name: str, arguments: list[str]) -> str:
        """The lowered geometry of two regions, inline: the math of `engine/regions.py`'s
        region_overlaps / region_contains on their boxes, else their spans (None if neither)."""
        if name == "__box__":
            return f"{arguments[0]}.box()"
        if name == "__span__":
            return f"{arguments[0]}.span()"
        first, later = [], []
        for text in arguments:  # each operand once; a name (hoisted, a column) as it is
            if text.isidentifier():
                first.append(text)
                later.append(text)
            else:
                temporary = self.temp()
                first.append(f"({temporary} := {text})")
                later.append(temporary)
        if name == "__area__":  # geometry.area_of_box, with max(w, 0) as `0 if w < 0 else w`
            (b,), width, height = later, self.temp(), self.temp()
            return (f"(None if {first[0]} is None else ((0 if ({width} := {b}[2] - {b}[0]) < 0 "
                    f"else {width}) * (0 if ({height} := {b}[3] - {b}[1]) < 0 else {height})))")
        if name == "__iou__":
            # boxes that do not overlap have an iou of exactly 0.0: only overlapping pairs
            # (few, in a pairwise rule) pay for the call. No box: None, before `b` is read
            # (its walrus is skipped when the first box is None)
            a, b = later
            return (f"(None if {first[0]} is None or {first[1]} is None else 0.0 if not ("
                    f"{a}[0] < {b}[2] and {b}[0] < {a}[2] and {a}[1] < {b}[3] and "
                    f"{b}[1] < {a}[3]) else _iou_of_boxes({a}, {b}))")
        a, b, s, t = later
        if name == "__overlaps__":
            boxes = f"{a}[0] < {b}[2] and {b}[0] < {a}[2] and {a}[1] < {b}[3] and {b}[1] < {a}[3]"
            spans = f"{s}[0] < {t}[1] and {t}[0] < {s}[1]"
        else:  # __contains__
            boxes = f"{a}[0] <= {b}[0] and {a}[1] <= {b}[1] and {b}[2] <= {a}[2] and {b}[3] <= {a}[3]"
            spans = f"{s}[0] <= {t}[0] and {t}[1] <= {s}[1]"
        return (f"(({boxes}) if {first[0]} is not None and {first[1]} is not None else "
                f"(({spans}) if {first[2]} is not None and {first[3]} is not None else None))")

    def visit_MethodCall(self, node):
        return f"_config_labels(config, {self.expr(node.arguments[0])})"

    def visit_Comprehension(self, node):
        bound, target, iterable, condition, element, kind = self._comprehension(node)
        loop = f"for {target} in {iterable}{' if ' + condition if condition else ''}"
        result = _COMPREHENSION_FORMS.get(kind, "[{element} {loop}]").format(
            element=element, loop=loop)
        if not bound:
            return result
        return "(" + ", ".join(f"({name} := {text})" for name, text in bound) + f", {result})[-1]"

    def _comprehension(self, node):
        """The pieces of a comprehension: (temporaries bound before the loop as (name,
        text), loop target, iterable, condition or "", element, kind)."""
        variable = "v_" + node.variable
        is_region = _iterates_regions(node.iterable, self.region_names)
        # Python forbids `:=` inside a comprehension's iterable, and evaluates the iterable
        # once anyway: bind it (and the loop-invariant parts, below) before the loop
        bound = []
        iterable = self.expr(node.iterable)
        if not (is_region and iterable == "regions"):  # `regions` is always a list
            iterable = f"_as_list({iterable})"
        if ":=" in iterable:
            name = self.temp()
            bound.append((name, iterable))
            iterable = name
        invariants = self._invariants(node)
        for part in invariants:
            name = self.temp()
            bound.append((name, self.expr(part)))
            self.hoisted[id(part)] = name
        kind = node.kind
        predicate = kind in ("any", "all", "none", "count")
        plan = None
        if (is_region and iterable == "regions" and self.columns is not None
                and self.loop_depth > 0):
            plan = self._column_plan(node)
        saved = set(self.region_names)
        saved_locals = set(self.locals)
        self.locals.add(node.variable)
        if is_region:
            self.region_names.add(node.variable)
        else:
            self.region_names.discard(node.variable)
        self.loop_depth += 1
        target = variable
        rows: list = []
        if plan is None:
            element = self.truth(node.element) if predicate else self.expr(node.element)
            condition = self.truth(node.condition) if node.condition else ""
        else:
            filters, values, conditions, elements = plan
            # the column: the items that pass the moved filters, each with its values
            column = self.temp()
            self.columns.append(column)
            test = f" if {' and '.join(self.truth(part) for part in filters)}" if filters else ""
            if values:
                row = f"({variable}, {', '.join(self.expr(part) for part in values)})"
                rows = [(part, self.temp()) for part in values]
                target = f"{variable}, {', '.join(name for _, name in rows)}"
            else:
                row = variable
            bound.append((column, f"{column} if {column} is not None else "
                                  f"[{row} for {variable} in regions{test}]"))
            iterable = column
            for part, name in rows:
                self.hoisted[id(part)] = name
            if elements is None:
                element = self.truth(node.element) if predicate else self.expr(node.element)
            else:
                element = ("(" + " and ".join(self.truth(part) for part in elements) + ")"
                           if elements else "True")
            condition = " and ".join(self.truth(part) for part in conditions)
            for part, _name in rows:
                del self.hoisted[id(part)]
        self.loop_depth -= 1
        self.region_names = saved
        self.locals = saved_locals
        for part in invariants:
            del self.hoisted[id(part)]
        return bound, target, iterable, condition, element, kind

    def _column_plan(self, node: nodes.Comprehension):
        """Per-rule columns: a comprehension over `regions` inside a loop (the rule's region
        loop, or another comprehension) is evaluated once per outer item, n² work where the
        parts that depend only on its own variable need n. Those parts are computed once per
        rule (on first use; the rule has no fix, so regions do not change during its loop):

        - filters: the leading conjuncts of the condition (and, for any/none/count, of the
          element) that cannot raise and name no other loop variable: the column holds only
          the items that pass them. Only leading conjuncts up to the first that may raise
          move: an item they reject was, before, rejected by them too, having evaluated only
          parts that cannot raise (so no error is lost);
        - values: the largest parts of what remains that depend only on the variable and
          cannot raise (`lower(o.text)`, `o.label`): one tuple per item, read per pair.

        Returns (filters, values, remaining conditions, remaining element conjuncts or None
        when the element is kept whole), or None when nothing would be gained."""
        variable = node.variable
        conditions = _conjuncts(node.condition) if node.condition is not None else []
        splittable = node.kind in ("any", "none", "count")
        elements = _conjuncts(node.element) if splittable else None
        filters: list = []
        remaining_conditions: list = []
        remaining_elements: list | None = [] if splittable else None
        prefix_safe = True
        for position, part in enumerate(conditions + (elements or [])):
            _uses, free, safe = self._scan(part, variable)
            if prefix_safe and free and safe:
                filters.append(part)
                continue
            prefix_safe = prefix_safe and safe
            if position < len(conditions):
                remaining_conditions.append(part)
            else:
                remaining_elements.append(part)
        values: list = []

        def collect(part):
            if isinstance(part, nodes.Comprehension):
                return
            uses, free, safe = self._scan(part, variable)
            if uses and free and safe and _worth_a_column(part, variable):
                values.append(part)
                return
            for child in part.children():
                collect(child)

        for part in remaining_conditions + (remaining_elements if splittable else
                                            [node.element]):
            collect(part)
        if not filters and not values:
            return None
        return filters, values, remaining_conditions, remaining_elements

    def _scan(self, part: nodes.Node, variable: str) -> tuple[bool, bool, bool]:
        """(names `variable`, names no other loop-bound value, cannot raise) for `part`."""
        if id(part) in self.hoisted:  # a temporary of an enclosing loop
            return False, False, True
        if isinstance(part, nodes.Comprehension):
            return True, False, False
        if isinstance(part, nodes.Name):
            if part.name == variable:
                return True, True, True
            if part.name in self.locals or part.name == "region":
                return False, False, True
            return False, True, True
        if isinstance(part, nodes.Literal):
            return False, True, True
        uses, free, safe = False, True, _cannot_raise(part)
        for child in part.children():
            child_uses, child_free, child_safe = self._scan(child, variable)
            uses = uses or child_uses
            free = free and child_free
            safe = safe and child_safe
        return uses, free, safe

    def _invariants(self, node: nodes.Comprehension) -> list[nodes.Node]:
        """The largest parts of the element and condition that are the same on every pass
        (they name no variable bound by this comprehension or inside it), cost a lookup or
        a call, and cannot raise: computed once before the loop instead of once per item."""
        found: list[nodes.Node] = []

        def visit(part, bound: frozenset) -> tuple[bool, bool]:
            """(independent of `bound`, safe to evaluate early) for `part`; collects."""
            if id(part) in self.hoisted:  # already computed before an enclosing loop
                return True, True
            if isinstance(part, nodes.Comprehension):
                inner = bound | {part.variable}
                for child in (part.iterable, part.element, part.condition):
                    if child is not None:
                        visit(child, bound if child is part.iterable else inner)
                return False, False
            if isinstance(part, nodes.Name):
                if part.name in bound:
                    return False, False
                safe = part.name != "region" or "region" in self.region_names
                return True, safe
            if isinstance(part, nodes.Literal):
                return True, True
            results = [visit(child, bound) for child in part.children()]
            independent = all(result[0] for result in results)
            safe = all(result[1] for result in results) and isinstance(
                part, (nodes.Attribute, nodes.Call, nodes.MethodCall, nodes.ListDisplay))
            if independent and safe:
                return True, True
            # this part cannot move: its largest movable children can
            for child, (child_independent, child_safe) in zip(part.children(), results):
                if (child_independent and child_safe and _worth_hoisting(child)
                        and id(child) not in self.hoisted):
                    found.append(child)
            return independent, False

        for part in (node.element, node.condition):
            if part is None:
                continue
            independent, safe = visit(part, frozenset({node.variable}))
            if independent and safe and _worth_hoisting(part) and id(part) not in self.hoisted:
                found.append(part)
        return found

    def visit_Unary(self, node):
        operand = self.expr(node.operand)
        t = self.temp()
        if node.operator == "not":  # Kleene: only true and false have a negation
            return f"(False if ({t} := {operand}) is True else (True if {t} is False else None))"
        return (f"(None if ({t} := {operand}) is None or {t}.__class__ is bool "
                f"else {_SIGNS[node.operator]}{t})")

    def visit_Binary(self, node):
        left, right = self.expr(node.left), self.expr(node.right)
        helper = _MULTIPLICATIVE.get(node.operator)
        if helper is not None:
            return f"{helper}({left}, {right})"
        # `+` and `-`: null operands give null; so do booleans (`true + 1` is not 2)
        operator = _ADDITIVE[node.operator]
        a, b = self.temp(), self.temp()
        if _is_value(node.right) and not (isinstance(node.right, nodes.Literal)
                                          and node.right.value.__class__ is bool):
            return (f"(None if ({a} := {left}) is None or {a}.__class__ is bool "
                    f"else {a} {operator} {right})")
        return (f"(None if ({a} := {left}) is None or {a}.__class__ is bool "
                f"or ({b} := {right}) is None or {b}.__class__ is bool "
                f"else {a} {operator} {b})")

    def visit_Logical(self, node):
        left, right = self.expr(node.left), self.expr(node.right)
        a, b = self.temp(), self.temp()
        if node.operator == "and":
            return (f"(False if ({a} := {left}) is False else (False if ({b} := {right}) is False "
                    f"else (True if {a} is True and {b} is True else None)))")
        return (f"(True if ({a} := {left}) is True else (True if ({b} := {right}) is True "
                f"else (False if {a} is False and {b} is False else None)))")

    def visit_Compare(self, node):
        parts = []
        values = [self.expr(operand) for operand in node.operands]
        # an operand that is already a name (a hoisted part, a column value) needs no temporary
        temps = [value if value.isidentifier() else self.temp() for value in values]
        bound = [value if value.isidentifier() else f"({name} := {value})"
                 for value, name in zip(values, temps)]
        for position, operator in enumerate(node.operators):
            left = bound[position] if position == 0 else temps[position]
            right_value = bound[position + 1]
            a, b = (left, right_value)
            if operator in ("==", "!="):
                parts.append(f"({self._pair(operator, a, b, node, position, temps[position])})")
            elif position + 2 < len(values):
                # the right operand is reused by the next pair: bind it even when the left
                # is null (`+` of the two tests evaluates both, unlike `or`)
                parts.append(f"(None if ({a} is None) + ({b} is None) else "
                             f"{self._pair(operator, temps[position], temps[position + 1], node, position)})")
            else:
                parts.append(f"(None if {a} is None or {b} is None else "
                             f"{self._pair(operator, temps[position], temps[position + 1], node, position)})")
        if len(parts) == 1:
            return parts[0]
        # chained: Kleene and of the pairs, left to right
        result = parts[0]
        for part in parts[1:]:
            a, b = self.temp(), self.temp()
            result = (f"(False if ({a} := {result}) is False else (False if ({b} := {part}) is "
                      f"False else (True if {a} is True and {b} is True else None)))")
        return result

    def visit_Conditional(self, node):
        return (f"({self.expr(node.body)} if {self.truth(node.test)} "
                f"else {self.expr(node.orelse)})")

    # -- conditions -----------------------------------------------------------------------
    # Where only "is it true?" (or "is it false?") matters -- `when`, `assert`, scope filters,
    # comprehension predicates -- Kleene logic collapses to Python's `and`/`or`/`not` over
    # plain booleans: `a and b` is true exactly when both are true, false when either is
    # false. Same outcome as `(expr(node)) is True`, without building the three-valued result.
    def truth(self, node: nodes.Node) -> str:
        """A Python expression equal to `(expr(node)) is True`, as a plain bool."""
        if isinstance(node, nodes.Logical):
            joiner = " and " if node.operator == "and" else " or "
            return f"({self.truth(node.left)}{joiner}{self.truth(node.right)})"
        if isinstance(node, nodes.Unary) and node.operator == "not":
            return self.falsity(node.operand)
        if isinstance(node, nodes.Compare):
            return self._compare_condition(node, negate=False)
        if isinstance(node, nodes.Comprehension) and node.kind in ("any", "all", "none"):
            return self.expr(node)
        if isinstance(node, nodes.Literal):
            return "True" if node.value is True else "False"
        return f"(({self.expr(node)}) is True)"

    def falsity(self, node: nodes.Node) -> str:
        """A Python expression equal to `(expr(node)) is False`, as a plain bool."""
        if isinstance(node, nodes.Logical):
            joiner = " or " if node.operator == "and" else " and "
            return f"({self.falsity(node.left)}{joiner}{self.falsity(node.right)})"
        if isinstance(node, nodes.Unary) and node.operator == "not":
            return self.truth(node.operand)
        if isinstance(node, nodes.Compare):
            return self._compare_condition(node, negate=True)
        if isinstance(node, nodes.Comprehension) and node.kind in ("any", "all", "none"):
            return f"(not {self.expr(node)})"
        if isinstance(node, nodes.Literal):
            return "True" if node.value is False else "False"
        return f"(({self.expr(node)}) is False)"

    def _pair(self, operator: str, left: str, right: str, node, position: int,
              left_name: str | None = None) -> str:
        """One comparison as Python, with JSON's equality: booleans are not numbers.

        Python's own `==`/`in` is used where it already agrees with JSON (a string or null
        literal on one side, a list of strings), `_equal`/`_member` otherwise."""
        left_node, right_node = node.operands[position], node.operands[position + 1]
        operator = _COMPARE[operator]
        if operator in ("==", "!="):
            if _is_plain(left_node) or _is_plain(right_node):
                return f"{left} {operator} {right}"
            for literal, other, other_node in ((right_node, left, left_node),
                                               (left_node, right, right_node)):
                if (isinstance(literal, nodes.Literal) and literal.value.__class__ is bool
                        and not isinstance(other_node, nodes.Literal)):
                    return f"{other} {'is' if operator == '==' else 'is not'} {literal.value}"
            if (left_name is not None and isinstance(right_node, nodes.Literal)
                    and right_node.value.__class__ in (int, float)):
                # a number equals in JSON what Python says it does, unless it is a boolean
                test = f"({left} == {right} and {left_name}.__class__ is not bool)"
                return test if operator == "==" else f"(not {test})"
            if left_name is not None:  # the temporary `left` binds: test its type first;
                # a string equals in Python exactly when it does in JSON
                return (f"({left_name} {operator} {right} if {left}.__class__ is _str else "
                        f"{'' if operator == '==' else 'not '}_equal({left_name}, {right}))")
            return f"{'' if operator == '==' else 'not '}_equal({left}, {right})"
        if operator in ("in", "not in"):
            if _is_plain(left_node) or (isinstance(right_node, nodes.ListDisplay) and all(
                    _is_plain(item) for item in right_node.items)):
                return f"{left} {operator} {right}"
            return f"{'' if operator == 'in' else 'not '}_member({left}, {right})"
        return f"{left} {operator} {right}"

    def _compare_condition(self, node, negate: bool) -> str:
        """A comparison (chain) as a plain bool; null operands make it neither true nor false."""
        if negate and len(node.operators) > 1:
            return f"(({self.visit_Compare(node)}) is False)"
        operands = []  # (text at first use, text at later use, can be null)
        # `x == "literal"` reads each side once: no temporaries (Python's `==` is JSON's)
        single = len(node.operators) == 1 and node.operators[0] in ("==", "!=") and (
            _is_plain(node.operands[0]) or _is_plain(node.operands[1]))
        for operand in node.operands:
            value = self.expr(operand)
            if _is_value(operand) or single:
                operands.append((value, value, False))
            elif value.isidentifier():  # a hoisted part or a column value: already a name
                operands.append((value, value, True))
            else:
                name = self.temp()
                operands.append((f"({name} := {value})", name, True))
        parts = []
        for position, operator in enumerate(node.operators):
            # each operand is evaluated once: at its first use, bound to its temporary
            left = operands[position][0 if position == 0 else 1]
            right = operands[position + 1][0]
            if operator in ("==", "!="):  # equality is total: null == null is true
                name = operands[position][1] if operands[position][2] else None
                pair = self._pair(operator, left, right, node, position, name)
                parts.append(f"(not ({pair}))" if negate else f"({pair})")
                continue
            checks = [f"{text} is not None" for text, (_, _, nullable) in
                      ((left, operands[position]), (right, operands[position + 1])) if nullable]
            pair = self._pair(operator, operands[position][1], operands[position + 1][1], node,
                              position)
            parts.append("(" + " and ".join(checks + [f"not ({pair})" if negate else pair]) + ")")
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    # -- rules -----------------------------------------------------------------------------
    def generate(self) -> str:
        ruleset = self.ruleset
        used = self.used_names = _used_names(ruleset)
        self.write("def evaluate(state):", 0)
        self.write("task = state.task; annotation = state.annotation; regions = state.regions", 1)
        self.write("relations = state.relations; others = state.others; config = state.config", 1)
        if "annotator" in used:
            self.write("annotator = state.annotator()", 1)
        if "suggestion" in used:
            self.write("suggestion = state.suggestion()", 1)
        self.write("fire = state.fire", 1)
        for rule in ruleset.rules:
            self.rule_inline(rule)
        self.write("return None", 1)
        main = "\n".join(self.lines) + "\n"
        # a rule's message, fix, re-check and trace are written when first needed
        self.helpers = {rule.index: rule for rule in ruleset.rules}
        return main

    def helper_source(self, rule) -> str:
        """The source of one rule's rarely used functions (see `_LazyNamespace`)."""
        self.lines = []
        self.rule_functions(rule, self.used_names)
        return "\n".join(self.lines) + "\n"

    def _scope_loop(self, rule, indent):
        if rule.scope == "region":
            self.region_names = {"region"}
            self.write("for region in regions:", indent)
        else:
            self.region_names = set()
            self.write("for region in _NO_REGION:", indent)

    def rule_inline(self, rule) -> None:
        self.write(f"# rule {rule.index}: {rule.id!r}", 1)  # user text: only as a repr
        start = len(self.lines)
        self._scope_loop(rule, 1)
        drops = any(isinstance(action.node, nodes.DropRegion) for action in rule.fix)
        # after a drop, later items of this loop (and later rules) no longer see the region
        on_fire = f"fire({rule.index}, region); regions = state.regions" if drops else \
            f"fire({rule.index}, region)"
        # columns (see `_column_plan`) hold for one rule's loop, when nothing changes in it
        self.columns = None if rule.fix else []
        self.loop_depth = 1 if rule.scope == "region" else 0
        regions = frozenset(self.region_names)
        parts = [None if part is None else _lower_geometry(part.node, regions)
                 for part in (rule.where, rule.when, rule.assert_)]
        before = []
        if rule.scope == "region" and not rule.fix:
            # the parts that do not depend on the region (`len(task.data.text)`) and cannot
            # raise, once before the loop (the rule changes nothing while it runs)
            names: dict[str, str] = {}  # the same text computes the same value: once
            for part in self._rule_invariants([part for part in parts if part is not None]):
                text = self.expr(part)
                if text not in names:
                    names[text] = self.temp()
                    before.append(f"    {names[text]} = {text}")
                self.hoisted[id(part)] = names[text]
        self.rule_body(rule, 2, on_fire=on_fire, parts=parts)
        if self.columns:
            before.append("    " + " = ".join(self.columns) + " = None")
        self.lines[start:start] = before
        self.hoisted.clear()
        self.columns = None
        self.loop_depth = 0

    def _rule_invariants(self, parts: list) -> list:
        found: list = []

        def collect(part):
            if isinstance(part, nodes.Comprehension):
                return
            uses, free, safe = self._scan(part, "region")
            if not uses and free and safe and _worth_hoisting(part):
                found.append(part)
                return
            for child in part.children():
                collect(child)

        for part in parts:
            collect(part)
        return found

    def rule_body(self, rule, indent, on_fire: str, skip: str = "continue",
                  parts: list | None = None) -> None:
        if parts is None:
            regions = frozenset(self.region_names)
            parts = [None if part is None else _lower_geometry(part.node, regions)
                     for part in (rule.where, rule.when, rule.assert_)]
        where, when, assert_ = parts
        if where is not None:
            self.guard_node(where, True, skip, skip, indent)
        if when is not None:
            self.guard_node(when, True, skip, skip, indent)
        if assert_ is not None:
            self.guard_node(assert_, False, skip, "pass", indent)
        self.write(on_fire, indent)

    def guard_node(self, node, negate: bool, then: str, on_error: str, indent: int) -> None:
        """`if (not) <truth of node>: then`, inside the rule's try. A condition that is one
        any/all/none is written as a `for` loop with `break` (statements, not a generator:
        no frame resumed per item, and its temporaries are the function's plain locals)."""
        self.write("try:", indent)
        if (self.loop_statements and isinstance(node, nodes.Comprehension)
                and node.kind in ("any", "all", "none")):
            truth = self._loop_statements(node, indent + 1)
        else:
            truth = self.truth(node)
        self.write(f"if {'not ' if negate else ''}{truth}: {then}", indent + 1)
        self.write("except _DATA_ERRORS:", indent)
        self.write(on_error, indent + 1)

    def _loop_statements(self, node, indent: int) -> str:
        """Writes any/all/none as a loop; returns the name (or `not` name) of its truth."""
        bound, target, iterable, condition, element, kind = self._comprehension(node)
        for name, text in bound:
            self.write(f"{name} = {text}", indent)
        flag = self.temp()
        self.write(f"{flag} = {kind == 'all'}", indent)
        self.write(f"for {target} in {iterable}:", indent)
        if condition:
            self.write(f"if not ({condition}): continue", indent + 1)
        if kind == "all":
            self.write(f"if not ({element}): {flag} = False; break", indent + 1)
            return flag
        self.write(f"if {element}: {flag} = True; break", indent + 1)
        return flag if kind == "any" else f"(not {flag})"

    def guard(self, condition: str, then: str, on_error: str, indent: int) -> None:
        self.write("try:", indent)
        self.write(f"if {condition}: {then}", indent + 1)
        self.write("except _DATA_ERRORS:", indent)
        self.write(on_error, indent + 1)

    def prologue(self, used, indent=1):
        self.write("task = state.task; annotation = state.annotation; regions = state.regions",
                   indent)
        self.write("relations = state.relations; others = state.others; config = state.config",
                   indent)
        if "annotator" in used:
            self.write("annotator = state.annotator()", indent)
        if "suggestion" in used:
            self.write("suggestion = state.suggestion()", indent)

    def rule_functions(self, rule, used) -> None:
        index = rule.index
        self.region_names = {"region"} if rule.scope == "region" else set()
        # re-check: would the rule still fire on this item?
        self.write(f"def check_{index}(state, region):", 0)
        self.prologue(used)
        self.write("for _once in _ONCE:", 1)
        self.rule_body(rule, 2, on_fire="return True", skip="return False")
        self.write("return False", 1)
        # trace, for `lsrules explain`: the values of where, when and assert
        self.write(f"def trace_{index}(state, region):", 0)
        self.prologue(used)
        self.write("values = []", 1)
        for part in (rule.where, rule.when, rule.assert_):
            if part is None:
                self.write("values.append('-')", 1)
                continue
            self.write("try:", 1)
            self.write(f"values.append({self.expr(part.node)})", 2)
            self.write("except _DATA_ERRORS:", 1)
            self.write("values.append(None)", 2)
        self.write("return values", 1)
        # message
        self.write(f"def message_{index}(state, region):", 0)
        self.prologue(used)
        if rule.message is None:
            default = rule.description or f"rule {rule.id} failed"
            self.write(f"return {default!r}", 1)
        else:
            pieces = []
            regions = frozenset(self.region_names)  # a message often repeats the assert's
            for part in rule.message.parts:  # geometry: written inline as there
                if isinstance(part, str):
                    pieces.append(repr(part))
                else:
                    node = _lower_geometry(part.node, regions)
                    pieces.append(f"_text_or_null(lambda: {self.expr(node)})")
            self.write("return ''.join([" + ", ".join(pieces) + "])", 1)
        # fix
        self.write(f"def fix_{index}(state, region):", 0)
        self.prologue(used)
        if not rule.fix:
            self.write("return None", 1)
        for action in rule.fix:
            node = action.node
            if isinstance(node, nodes.SetAction):
                self.write("try:", 1)
                self.write(f"_value = {self.expr(node.value)}", 2)
                self.write("except _DATA_ERRORS:", 1)
                self.write("_value = None", 2)
                self.write(f"state.set_value(region, {node.target!r}, _value, {index})", 1)
            elif isinstance(node, nodes.DropRegion):
                self.write(f"state.drop_region(region, {index})", 1)
                self.write("return None", 1)
            else:
                method = "add_label" if isinstance(node, nodes.AddLabel) else "remove_label"
                self.write("try:", 1)
                self.write(f"_value = {self.expr(node.value)}", 2)
                self.write("except _DATA_ERRORS:", 1)
                self.write("_value = None", 2)
                self.write(f"state.{method}(region, _value, {index})", 1)
            self.write("regions = state.regions; annotation = state.annotation", 1)


_STRING_METHODS = {"lower": "lower", "upper": "upper", "trim": "strip"}  # see builtins.py


_LOWERED = ("__box__", "__span__", "__overlaps__", "__contains__", "__iou__", "__area__")


def _lower_geometry(node: nodes.Node, regions: frozenset) -> nodes.Node:
    """`area(a)` of a region, `overlaps(a, b)`, `contains(a, b)`, `iou(a, b)` of two (names
    bound to regions: `region` in a region rule, a comprehension's variable over `regions`) ->
    internal calls over the regions' boxes and spans (`__box__(a)`, `__span__(a)`), so that
    a box is an ordinary part: hoisted before a loop when it is the outer region's, read
    from a per-rule column when it is the loop variable's, and the per-pair test is inline
    (the same math as engine/regions.py's region_overlaps / region_contains / region_iou).
    Internal names start with `__`: no user text can name them (the checker knows only
    BUILTINS)."""
    if isinstance(node, nodes.Comprehension):
        iterable = _lower_geometry(node.iterable, regions)
        inner = (regions | {node.variable} if _iterates_regions(node.iterable, regions)
                 else regions - {node.variable})
        return replace(node, iterable=iterable, element=_lower_geometry(node.element, inner),
                       condition=None if node.condition is None
                       else _lower_geometry(node.condition, inner))
    if (isinstance(node, nodes.Call) and node.function == "area" and len(node.arguments) == 1
            and isinstance(node.arguments[0], nodes.Name) and node.arguments[0].name in regions):
        return nodes.Call(node.span, "__area__",
                          (nodes.Call(node.span, "__box__", node.arguments),))
    if (isinstance(node, nodes.Call) and node.function in ("overlaps", "contains", "iou")
            and len(node.arguments) == 2 and all(
                isinstance(argument, nodes.Name) and argument.name in regions
                for argument in node.arguments)):
        first, second = node.arguments
        boxes = (nodes.Call(node.span, "__box__", (first,)),
                 nodes.Call(node.span, "__box__", (second,)))
        if node.function == "iou":
            return nodes.Call(node.span, "__iou__", boxes)
        return nodes.Call(node.span, f"__{node.function}__", boxes + (
            nodes.Call(node.span, "__span__", (first,)),
            nodes.Call(node.span, "__span__", (second,))))
    changes = {}
    for item in fields(node):
        value = getattr(node, item.name)
        if isinstance(value, nodes.Node):
            lowered = _lower_geometry(value, regions)
            if lowered is not value:
                changes[item.name] = lowered
        elif isinstance(value, tuple) and any(isinstance(part, nodes.Node) for part in value):
            lowered = tuple(_lower_geometry(part, regions) if isinstance(part, nodes.Node)
                            else part for part in value)
            if any(new is not old for new, old in zip(lowered, value)):
                changes[item.name] = lowered
    return replace(node, **changes) if changes else node


def _conjuncts(node: nodes.Node) -> list[nodes.Node]:
    """`a and b and c` -> [a, b, c] in evaluation order (its truth is theirs, in order)."""
    if isinstance(node, nodes.Logical) and node.operator == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _cannot_raise(node: nodes.Node) -> bool:
    """This node's own operation never raises on any JSON operands (its children aside).
    Built-ins return null on wrong types; `==` is total; `in` a list literal is `==`;
    `*`, `/`, `%` check their operands. Ordering, `+`, `-` and negation raise on mixed
    types; a region's `suggestion`/`anomaly` calls the suggester."""
    if isinstance(node, nodes.Attribute):
        return node.name not in ("suggestion", "anomaly")
    if isinstance(node, (nodes.Call, nodes.MethodCall, nodes.ListDisplay, nodes.Logical,
                         nodes.Index, nodes.Conditional)):
        return True
    if isinstance(node, nodes.Compare):
        return all(operator in ("==", "!=") or (
            operator in ("in", "not in")
            and isinstance(node.operands[position + 1], nodes.ListDisplay))
            for position, operator in enumerate(node.operators))
    if isinstance(node, nodes.Unary):
        return node.operator == "not"
    if isinstance(node, nodes.Binary):
        return node.operator in ("*", "/", "%")
    return False


def _worth_a_column(node: nodes.Node, variable: str) -> bool:
    """More than reading one of the region's own slots (a tuple read costs as much)."""
    if isinstance(node, (nodes.Name, nodes.Literal)):
        return False
    return not (isinstance(node, nodes.Attribute) and isinstance(node.value, nodes.Name)
                and node.value.name == variable
                and node.name in ("id", "type", "from_name", "to_name", "value", "attrs"))


def _worth_hoisting(node: nodes.Node) -> bool:
    return isinstance(node, (nodes.Attribute, nodes.Call, nodes.MethodCall))


def _is_plain(node: nodes.Node) -> bool:
    """A string or null literal: Python's `==` and `in` agree with JSON's for it."""
    return isinstance(node, nodes.Literal) and (node.value is None or
                                                node.value.__class__ is str)


def _is_value(node: nodes.Node) -> bool:
    """A literal that is not null: needs no null check."""
    return (isinstance(node, nodes.Literal) and node.value is not None) or isinstance(
        node, nodes.ListDisplay)


def _iterates_regions(iterable: nodes.Node, region_names) -> bool:
    return isinstance(iterable, nodes.Name) and iterable.name == "regions"


def _used_names(ruleset) -> set[str]:
    used: set[str] = set()
    for rule in ruleset.rules:
        expressions = [rule.where, rule.when, rule.assert_, *rule.fix]
        if rule.message is not None:
            expressions += [part for part in rule.message.parts if not isinstance(part, str)]
        for expression in expressions:
            if expression is not None:
                for node in expression.node.walk():
                    if isinstance(node, nodes.Name):
                        used.add(node.name)
    return used


def compile_ruleset(ruleset) -> dict:
    """Generate, compile and execute the ruleset's module; returns its namespace."""
    from lsrules.dsl import runtime
    from lsrules.dsl.geometry import iou_of_boxes

    generator = CodeGenerator(ruleset)
    source = generator.generate()
    # the module's globals: a plain dict, so that the generated code's global lookups take
    # CPython's fast (specialised) path; `_LazyNamespace` only fronts it for the engine
    module = {
        "__builtins__": {"any": any, "all": all, "sum": sum, "len": len, "bool": bool,
                         "True": True, "False": False, "None": None},
        "_DATA_ERRORS": runtime.DATA_ERRORS, "_NO_REGION": (None,), "_ONCE": (None,),
        "_str": str, "_list": list, "_int": int,
        "_get": runtime.get, "_path": runtime.path, "_has_path": runtime.has_path,
        "_index": runtime.index, "_multiply": runtime.multiply, "_divide": runtime.divide,
        "_modulo": runtime.modulo, "_as_list": runtime.as_list, "_sum_of": runtime.sum_of,
        "_min_of": runtime.min_of, "_max_of": runtime.max_of,
        "_config_labels": runtime.config_labels, "_equal": runtime.equal,
        "_member": runtime.member, "_text_or_null": _text_or_null,
    }
    for name, builtin in BUILTINS.items():
        module[f"_builtin_{name}"] = builtin.implementation
    module["_iou_of_boxes"] = iou_of_boxes
    for name, implementation in REGION_GEOMETRY.items():
        module[f"_region_{name}"] = implementation
    module.update(generator.constants)
    code = _compile(source, f"<ruleset {ruleset.name}>")
    exec(code, module)  # noqa: S102 - generated from the checked AST; no user text as code
    module["__source__"] = source
    namespace = _LazyNamespace(module)
    namespace.module = module
    namespace.helpers = generator.helpers
    namespace.generator = generator
    namespace.ruleset_name = ruleset.name
    namespace.used_names = frozenset(generator.used_names)
    return namespace


def _compile(source: str, name: str):
    """Compile generated code; `1 is True` from a literal condition is intended, not a slip."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile(source, name, "exec")


class _LazyNamespace(dict):
    """The module namespace; a rule's rarely used functions (message, fix, re-check, trace)
    are compiled the first time one of them is looked up, which keeps `check` fast."""

    module: dict  # the generated code's globals (a plain dict)
    helpers: dict[int, object]  # rule index -> rule whose functions are not written yet
    generator: CodeGenerator
    ruleset_name: str
    used_names: frozenset[str]

    def __missing__(self, name: str):
        number = name.rsplit("_", 1)[-1]
        rule = self.helpers.pop(int(number), None) if number.isdigit() else None
        if rule is None:
            raise KeyError(name)
        source = self.generator.helper_source(rule)
        self.module.update(self.generator.constants)
        code = _compile(source, f"<ruleset {self.ruleset_name} rule {number}>")
        exec(code, self.module)  # noqa: S102 - generated from the checked AST
        self.update(self.module)
        return self[name]



def _text_or_null(thunk) -> str:
    from lsrules.dsl.runtime import DATA_ERRORS, to_text

    try:
        return to_text(thunk())
    except DATA_ERRORS:
        return "null"
