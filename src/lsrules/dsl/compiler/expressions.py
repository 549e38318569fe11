"""Expressions -> Python expressions: one `visit_<Node>` per node class, in a `Frame`.

User text never reaches `compile` as code: names map to fixed Python locals (`v_` + the
name), fields become dict lookups or entries of a region's field table, strings and numbers
become `repr` literals, and operators come from the tables below, never from a node's text.
Every value is three-valued like JSON with null (`visit`); where only "is it true?" matters
(`truth`, `falsity`) the same expression is written as a plain Python bool.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from lsrules.dsl import nodes
from lsrules.dsl.builtins import CHARGED
from lsrules.dsl.compiler.frame import Frame
from lsrules.dsl.compiler.hoisting import column_plan, loop_invariants
from lsrules.dsl.compiler.lowering import LOWERED, iterates_regions
from lsrules.dsl.config_values import ControlView, config_control, control_views
from lsrules.dsl.regex_safety import compile_pattern
from lsrules.dsl.regions import ITEM_FIELDS, REGION_GEOMETRY, VALUE_FIELDS
from lsrules.dsl.visitor import NodeVisitor

ROOTS = ("task", "annotation", "regions", "relations", "others", "annotator", "suggestion",
         "config")
_REGION_SLOTS = ("id", "type", "from_name", "to_name", "value", "attrs", "label", "labels")

# The language's operators as Python spells them. Generated code takes an operator from
# these tables, never the text of a node: an operator the grammar does not have is a
# KeyError while compiling, not code.
_SIGNS = {"-": "-", "+": "+"}
_ADDITIVE = {"+": "+", "-": "-"}
_MULTIPLICATIVE = {"*": "_multiply", "/": "_divide", "%": "_modulo"}  # runtime helpers
_COMPARE = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=",
            "in": "in", "not in": "not in"}
_STRING_METHODS = {"lower": "lower", "upper": "upper", "trim": "strip"}  # see builtins.py

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


class Loop(NamedTuple):
    """A comprehension's pieces, for a Python comprehension or a `for` statement."""

    bound: list[tuple[str, str]]  # (temporary, text) computed before the loop, in order
    target: str  # the loop's target (`v_o`, or `v_o, _t3, _t4` over a column of rows)
    iterable: str
    held: str  # a name: the loop pays for it from the steps the function holds ("" if not)
    condition: str  # "" for none
    element: str
    kind: str


class ExpressionGenerator(NodeVisitor):
    """Writes Python text; `optimize=False` leaves out hoisting (see hoisting.py)."""

    budget: str | None = "state"  # the evaluation that pays for each loop (dsl/budget.py)

    def __init__(self, optimize: bool = True, config: Any = None) -> None:
        self.optimize = optimize
        self.config = config  # the LabelingConfig (None: none), read by `config.control`
        self.views: dict[str, ControlView] | None = None
        self.lines: list[str] = []
        self.temporary = 0
        self.constants: dict[str, object] = {}
        # while writing a function that settles its budget (`settling`): how many loops
        # over `regions` it pays for at its start, and whether it holds steps (`paid`)
        self.upfront: int | None = None
        self.holds = False
        self.rebinds = False

    # -- output ---------------------------------------------------------------------------
    def write(self, line: str, indent: int) -> None:
        self.lines.append("    " * indent + line)

    def charged(self, items: str, once: bool = False) -> str:
        """A loop's list, paid for (one step per item) before the loop starts. In a function
        that settles its budget (`settling`), a loop over `regions` that runs at most `once`
        per call (a rule's region loop, a column, a comprehension outside any loop) is paid
        for with the others at the function's start: one charge instead of one per loop."""
        if not self.budget:
            return items
        if once and self.upfront is not None and items == "regions":
            self.upfront += 1
            return items
        return f"_charge({self.budget}, {items})"

    def paid(self, items: str, once: bool, bound: list[tuple[str, str]]) -> tuple[str, str]:
        """(the loop's list, the name it pays for from the steps held, or ""). In a function
        that settles, a loop that may run many times pays from the steps the function
        holds, inline: no call until they run out (budget.withdraw); `held_expression` and
        `held_statements` write it."""
        if not self.budget or self.upfront is None or (once and items == "regions"):
            return self.charged(items, once), ""
        if not items.isidentifier():
            name = self.temp()
            bound.append((name, items))
            items = name
        self.holds = True
        return items, items

    def held_expression(self, items: str) -> str:
        return (f"((_held := _held - len({items})) < 0 "
                f"and (_held := _withdraw({self.budget}, _held)))")

    def held_statements(self, items: str, indent: int) -> None:
        self.write(f"_held -= len({items})", indent)
        self.write(f"if _held < 0: _held = _withdraw({self.budget}, _held)", indent)

    def settling(self) -> int:
        """From here, the function being written pays for its loops at its start
        (`charged`) and from the steps it holds (`paid`), when optimizing."""
        if self.optimize:
            self.upfront = 0
            self.holds = False
            self.rebinds = False
        return len(self.lines)

    def regions_after_fix(self) -> str:
        """`regions` again after a fix that drops or adds a region: a region added pays for
        every loop paid at the start (`_upfront` of them), as if it had been there."""
        if self.upfront is None or not self.budget:
            return "regions = state.regions"
        self.rebinds = True
        return f"regions = _regions_after({self.budget}, regions, _upfront)"

    def settle(self, position: int, indent: int) -> None:
        """Writes, at `position`, the charge for the loops counted in `upfront` and the
        steps held, and at the end, giving back the steps held and not spent. The length
        of `regions` at the start pays for every later loop over it: a drop only shortens
        it, and a region that a fix adds pays then (`regions_after_fix`)."""
        prefix = "    " * indent
        if self.upfront:
            self.lines.insert(position, f"{prefix}_pay({self.budget}, len(regions) * _upfront)")
        if self.upfront or self.rebinds:
            self.lines.insert(position, f"{prefix}_upfront = {self.upfront}")
        if self.holds:
            self.lines.insert(position, f"{prefix}_held = 0")
            self.write(f"_pay({self.budget}, -_held)", indent)  # gives them back
        self.upfront = None
        self.holds = False
        self.rebinds = False

    def temp(self) -> str:
        self.temporary += 1
        return f"_t{self.temporary}"

    def constant(self, value: object) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name

    # -- values ---------------------------------------------------------------------------
    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> str:
        """The Python expression for `node`'s value in the frame (`args[0]`)."""
        frame: Frame = args[0]
        hoisted = frame.hoisted.get(id(node))
        if hoisted is not None:  # computed before an enclosing loop
            return hoisted
        text: str = super().visit(node, frame)
        return text

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> str:
        raise TypeError(f"no Python for {type(node).__name__}")

    def visit_Literal(self, node: nodes.Literal, frame: Frame) -> str:
        return repr(node.value)

    def visit_ListDisplay(self, node: nodes.ListDisplay, frame: Frame) -> str:
        return "[" + ", ".join(self.visit(item, frame) for item in node.items) + "]"

    def visit_Name(self, node: nodes.Name, frame: Frame) -> str:
        if node.name in frame.local_names:  # comprehension variables shadow `region`, roots
            return "v_" + node.name
        if node.name == "region" or node.name in ROOTS:
            return node.name
        return "v_" + node.name

    def visit_Attribute(self, node: nodes.Attribute, frame: Frame) -> str:
        if _is_region(node.value, frame):
            region = self.visit(node.value, frame)
            name = node.name
            if name in VALUE_FIELDS:
                return f"{region}.value.get({name!r})"
            if name in _REGION_SLOTS:
                return f"{region}.{name}"
            if name in ITEM_FIELDS:
                return f"{region}.item.get({name!r})"
            return f"{region}.field({name!r})"
        root, keys = path_of(node)
        if isinstance(root, nodes.Name) and root.name in ("task", "annotation") and len(keys) == 1:
            return f"{self.visit(root, frame)}.get({keys[0]!r})"
        if isinstance(root, nodes.Name) and not _is_region(root, frame):
            return f"_path({self.visit(root, frame)}, {keys!r})"
        return f"_get({self.visit(node.value, frame)}, {node.name!r})"

    def visit_Index(self, node: nodes.Index, frame: Frame) -> str:
        # inline for a string or list and an int in range (`text[region.start]`); `&`
        # evaluates both operands, so `_index` gets both when the fast path does not apply
        value, key = self.temp(), self.temp()
        return (f"({value}[{key}] if (({value} := {self.visit(node.value, frame)}).__class__ "
                f"is _str or {value}.__class__ is _list) & (({key} := "
                f"{self.visit(node.index, frame)}).__class__ is _int) and -len({value}) <= "
                f"{key} < len({value}) else _index({value}, {key}))")

    def visit_Call(self, node: nodes.Call, frame: Frame) -> str:
        name = node.function
        if name in LOWERED:  # see lowering.py
            return self._geometry(name, [self.visit(argument, frame)
                                         for argument in node.arguments])
        if name == "has":
            root, keys = path_of(node.arguments[0])
            return f"_has_path({self.visit(root, frame)}, {keys!r})"
        if name == "matches" and len(node.arguments) == 2:
            pattern_node = node.arguments[1]
            assert isinstance(pattern_node, nodes.Literal)  # the checker's LSR116
            pattern = self.constant(compile_pattern(pattern_node.value))  # RE2: linear
            return f"_builtin_matches({self.visit(node.arguments[0], frame)}, {pattern})"
        if name in _STRING_METHODS and len(node.arguments) == 1:
            # inlined: a Python call per pair costs more than the work (`lower` in n² loops)
            value = self.temp()
            return (f"({value}.{_STRING_METHODS[name]}() if ({value} := "
                    f"{self.visit(node.arguments[0], frame)}).__class__ is _str else None)")
        if name == "len" and len(node.arguments) == 1:  # inlined for strings and lists
            value = self.temp()
            return (f"(len({value}) if ({value} := {self.visit(node.arguments[0], frame)})"
                    f".__class__ is _str or {value}.__class__ is _list "
                    f"else _builtin_len({value}))")
        arguments = ", ".join(self.visit(argument, frame) for argument in node.arguments)
        if name in REGION_GEOMETRY and all(_is_region(argument, frame)
                                           for argument in node.arguments):
            # reads the regions' cached corners; other outlines pay from the budget
            return f"_region_{name}({self.budget}, {arguments})"
        if name in CHARGED:  # pays per polygon vertex (dsl/budget.py)
            return f"_shape_{name}({self.budget}, {arguments})"
        return f"_builtin_{name}({arguments})"  # an identifier (grammar): a table entry

    def _geometry(self, name: str, arguments: list[str]) -> str:
        """The lowered geometry of two regions, inline: the math of `dsl/regions.py`'s
        region_overlaps / region_contains on their boxes, else their spans (None if neither)."""
        if name == "__box__":
            return f"{arguments[0]}.box()"
        if name == "__span__":
            return f"{arguments[0]}.span()"
        regions: list[str] = []
        if name == "__area__":
            regions = arguments[1:]
            arguments = arguments[:1]
        elif name == "__iou__":
            regions = arguments[2:]
            arguments = arguments[:2]
        else:
            regions = arguments[4:]
            arguments = arguments[:4]
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
            return (f"(_shape_area({self.budget}, {regions[0]}) if {first[0]} is None "
                    f"else ((0 if ({width} := {b}[2] - {b}[0]) < 0 "
                    f"else {width}) * (0 if ({height} := {b}[3] - {b}[1]) < 0 else {height})))")
        if name == "__iou__":
            # boxes that do not overlap have an iou of exactly 0.0: only overlapping pairs
            # (few, in a pairwise rule) pay for the call. Not two boxes: the outlines
            # (polygons, ellipses), before `b` is read (its walrus is skipped when the
            # first box is None)
            a, b = later
            return (f"(_shape_iou({self.budget}, {regions[0]}, {regions[1]}) if {first[0]} "
                    f"is None or {first[1]} is None else 0.0 if not ("
                    f"{a}[0] < {b}[2] and {b}[0] < {a}[2] and {a}[1] < {b}[3] and "
                    f"{b}[1] < {a}[3]) else _iou_of_boxes({a}, {b}))")
        a, b, s, t = later
        if name == "__overlaps__":
            boxes = f"{a}[0] < {b}[2] and {b}[0] < {a}[2] and {a}[1] < {b}[3] and {b}[1] < {a}[3]"
            spans = f"{s}[0] < {t}[1] and {t}[0] < {s}[1]"
            fallback = f"_shape_overlaps({self.budget}, {regions[0]}, {regions[1]})"
        else:  # __contains__
            boxes = f"{a}[0] <= {b}[0] and {a}[1] <= {b}[1] and {b}[2] <= {a}[2] and {b}[3] <= {a}[3]"
            spans = f"{s}[0] <= {t}[0] and {t}[1] <= {s}[1]"
            fallback = f"_shape_contains({self.budget}, {regions[0]}, {regions[1]})"
        return (f"(({boxes}) if {first[0]} is not None and {first[1]} is not None else "
                f"(({spans}) if {first[2]} is not None and {first[3]} is not None else "
                f"{fallback}))")

    def visit_MethodCall(self, node: nodes.MethodCall, frame: Frame) -> str:
        if node.method == "control":  # the views are built once, when compiling
            argument = node.arguments[0]
            if isinstance(argument, nodes.Literal):
                return self.constant(config_control(self.control_views(), argument.value))
            views = self.constant(self.control_views())
            return f"_config_control({views}, {self.visit(argument, frame)})"
        return f"_config_labels(config, {self.visit(node.arguments[0], frame)})"

    def control_views(self) -> dict[str, ControlView]:
        """The labeling config's controls as `config.control` returns them (once)."""
        if self.views is None:
            self.views = control_views(self.config)
        return self.views

    def visit_Comprehension(self, node: nodes.Comprehension, frame: Frame) -> str:
        loop = self.loop(node, frame)
        text = f"for {loop.target} in {loop.iterable}"
        if loop.condition:
            text += " if " + loop.condition
        result = _COMPREHENSION_FORMS.get(loop.kind, "[{element} {loop}]").format(
            element=loop.element, loop=text)
        before = [f"({name} := {text})" for name, text in loop.bound]
        if loop.held:
            before.append(self.held_expression(loop.held))
        if not before:
            return result
        return "(" + ", ".join(before) + f", {result})[-1]"

    def loop(self, node: nodes.Comprehension, frame: Frame) -> Loop:
        """The pieces of a comprehension written in `frame`, with its loop invariants bound
        before the loop and, where `hoisting.column_plan` finds one, a per-rule column."""
        variable = "v_" + node.variable
        over_regions = iterates_regions(node.iterable)
        # Python forbids `:=` inside a comprehension's iterable, and evaluates the iterable
        # once anyway: bind it (and the loop-invariant parts, below) before the loop
        bound = []
        iterable = self.visit(node.iterable, frame)
        if not (over_regions and iterable == "regions"):  # `regions` is always a list
            iterable = f"_as_list({iterable})"
        if ":=" in iterable:
            name = self.temp()
            bound.append((name, iterable))
            iterable = name
        if self.optimize:
            for part in loop_invariants(node, frame):
                name = self.temp()
                bound.append((name, self.visit(part, frame)))
                frame = frame.hoisting({id(part): name})
        predicate = node.kind in ("any", "all", "none", "count")
        plan = None
        if (self.optimize and over_regions and iterable == "regions"
                and frame.columns is not None and frame.loop_depth > 0):
            plan = column_plan(node, frame)
        columns = frame.columns
        inner = frame.inner(node.variable, over_regions)
        if plan is None or columns is None:
            element = (self.truth(node.element, inner) if predicate
                       else self.visit(node.element, inner))
            condition = self.truth(node.condition, inner) if node.condition else ""
            once = over_regions and frame.loop_depth == 0  # not inside another loop
            iterable, held = self.paid(iterable, once, bound)
            return Loop(bound, variable, iterable, held, condition, element, node.kind)
        # the column: the items that pass the moved filters, each with its values
        column = self.temp()
        columns.append(column)
        test = (" if " + " and ".join(self.truth(part, inner) for part in plan.filters)
                if plan.filters else "")
        target = variable
        row = variable
        if plan.values:
            row = f"({variable}, {', '.join(self.visit(part, inner) for part in plan.values)})"
            rows = {id(part): self.temp() for part in plan.values}
            target = f"{variable}, {', '.join(rows.values())}"
            inner = inner.hoisting(rows)
        bound.append((column, f"{column} if {column} is not None else "
                              f"[{row} for {variable} in {self.charged('regions', True)}{test}]"))
        if plan.elements is None:
            element = (self.truth(node.element, inner) if predicate
                       else self.visit(node.element, inner))
        else:
            element = ("(" + " and ".join(self.truth(part, inner) for part in plan.elements)
                       + ")" if plan.elements else "True")
        condition = " and ".join(self.truth(part, inner) for part in plan.conditions)
        iterable, held = self.paid(column, False, bound)
        return Loop(bound, target, iterable, held, condition, element, node.kind)

    def visit_Flatten(self, node: nodes.Flatten, frame: Frame) -> str:
        return f"_flatten({self.visit(node.value, frame)})"  # items the inner loops paid for

    def visit_Unary(self, node: nodes.Unary, frame: Frame) -> str:
        operand = self.visit(node.operand, frame)
        t = self.temp()
        if node.operator == "not":  # Kleene: only true and false have a negation
            return f"(False if ({t} := {operand}) is True else (True if {t} is False else None))"
        return (f"(None if ({t} := {operand}) is None or {t}.__class__ is bool "
                f"else {_SIGNS[node.operator]}{t})")

    def visit_Binary(self, node: nodes.Binary, frame: Frame) -> str:
        left, right = self.visit(node.left, frame), self.visit(node.right, frame)
        helper = _MULTIPLICATIVE.get(node.operator)
        if helper is not None:
            return f"{helper}({left}, {right})"
        # `+` and `-`: null operands give null; so do booleans (`true + 1` is not 2)
        a, b = self.temp(), self.temp()
        if _is_value(node.right) and not (isinstance(node.right, nodes.Literal)
                                          and node.right.value.__class__ is bool):
            return (f"(None if ({a} := {left}) is None or {a}.__class__ is bool "
                    f"else {self._additive(node, a, right, frame)})")
        return (f"(None if ({a} := {left}) is None or {a}.__class__ is bool "
                f"or ({b} := {right}) is None or {b}.__class__ is bool "
                f"else {self._additive(node, a, b, frame)})")

    def _additive(self, node: nodes.Binary, a: str, b: str, frame: Frame) -> str:
        """`a + b` pays for a string or list it builds (dsl/budget.py); numbers do not.
        When optimizing, neither does `+` of two values read from the input as they are
        (`region.x + region.width`): it builds at most their size, like `lower` of one, and
        cannot feed a growth (what `+` builds from a value it computed still pays)."""
        operator = _ADDITIVE[node.operator]
        if operator == "-" or not self.budget or (isinstance(node.right, nodes.Literal)
                                                  and node.right.value.__class__ in (int, float)):
            return f"{a} {operator} {b}"
        if self.optimize and _read_as_is(node.left, frame) and _read_as_is(node.right, frame):
            return f"{a} + {b}"
        return (f"({a} + {b} if {a}.__class__ is _float or {a}.__class__ is _int "
                f"else _concat({self.budget}, {a}, {b}))")

    def visit_Logical(self, node: nodes.Logical, frame: Frame) -> str:
        left, right = self.visit(node.left, frame), self.visit(node.right, frame)
        a, b = self.temp(), self.temp()
        if node.operator == "and":
            return (f"(False if ({a} := {left}) is False else (False if ({b} := {right}) is False "
                    f"else (True if {a} is True and {b} is True else None)))")
        return (f"(True if ({a} := {left}) is True else (True if ({b} := {right}) is True "
                f"else (False if {a} is False and {b} is False else None)))")

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> str:
        parts = []
        values = [self.visit(operand, frame) for operand in node.operands]
        # an operand that is already a name (a hoisted part, a column value) needs no temporary
        temps = [value if value.isidentifier() else self.temp() for value in values]
        bound = [value if value.isidentifier() else f"({name} := {value})"
                 for value, name in zip(values, temps)]
        for position, operator in enumerate(node.operators):
            a = bound[position] if position == 0 else temps[position]
            b = bound[position + 1]
            if operator in ("==", "!="):
                parts.append(f"({self._pair(operator, a, b, node, position, temps[position])})")
                continue
            pair = self._pair(operator, temps[position], temps[position + 1], node, position)
            if position + 2 < len(values):
                # the right operand is reused by the next pair: bind it even when the left
                # is null (`+` of the two tests evaluates both, unlike `or`)
                parts.append(f"(None if ({a} is None) + ({b} is None) else {pair})")
            else:
                parts.append(f"(None if {a} is None or {b} is None else {pair})")
        if len(parts) == 1:
            return parts[0]
        # chained: Kleene and of the pairs, left to right
        result = parts[0]
        for part in parts[1:]:
            a, b = self.temp(), self.temp()
            result = (f"(False if ({a} := {result}) is False else (False if ({b} := {part}) is "
                      f"False else (True if {a} is True and {b} is True else None)))")
        return result

    def visit_Conditional(self, node: nodes.Conditional, frame: Frame) -> str:
        return (f"({self.visit(node.body, frame)} if {self.truth(node.test, frame)} "
                f"else {self.visit(node.orelse, frame)})")

    # -- conditions -----------------------------------------------------------------------
    # Where only "is it true?" (or "is it false?") matters -- `when`, `assert`, scope filters,
    # comprehension predicates -- Kleene logic collapses to Python's `and`/`or`/`not` over
    # plain booleans: `a and b` is true exactly when both are true, false when either is
    # false. Same outcome as `(visit(node)) is True`, without building the three-valued result.
    def truth(self, node: nodes.Node, frame: Frame) -> str:
        """A Python expression equal to `(visit(node)) is True`, as a plain bool."""
        return self._condition(node, frame, True)

    def falsity(self, node: nodes.Node, frame: Frame) -> str:
        """A Python expression equal to `(visit(node)) is False`, as a plain bool."""
        return self._condition(node, frame, False)

    def _condition(self, node: nodes.Node, frame: Frame, wanted: bool) -> str:
        """`(visit(node)) is wanted`: falsity is truth with `and`/`or` swapped (De Morgan
        holds in Kleene logic) and `not` turning one into the other."""
        if isinstance(node, nodes.Logical):
            joiner = " and " if (node.operator == "and") is wanted else " or "
            return (f"({self._condition(node.left, frame, wanted)}{joiner}"
                    f"{self._condition(node.right, frame, wanted)})")
        if isinstance(node, nodes.Unary) and node.operator == "not":
            return self._condition(node.operand, frame, not wanted)
        if isinstance(node, nodes.Compare):
            return self._compare_condition(node, not wanted, frame)
        if isinstance(node, nodes.Comprehension) and node.kind in ("any", "all", "none"):
            text = self.visit(node, frame)  # a plain bool already
            return text if wanted else f"(not {text})"
        if isinstance(node, nodes.Literal):
            return "True" if node.value is wanted else "False"
        return f"(({self.visit(node, frame)}) is {wanted!r})"

    def _pair(self, operator: str, left: str, right: str, node: nodes.Compare, position: int,
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
                    return f"{other} {'is' if operator == '==' else 'is not'} {literal.value!r}"
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

    def _compare_condition(self, node: nodes.Compare, negate: bool, frame: Frame) -> str:
        """A comparison (chain) as a plain bool; null operands make it neither true nor false."""
        if negate and len(node.operators) > 1:
            return f"(({self.visit_Compare(node, frame)}) is False)"
        operands: list[tuple[str, str, bool]] = []  # (first use, later uses, can be null)
        # `x == "literal"` reads each side once: no temporaries (Python's `==` is JSON's)
        single = len(node.operators) == 1 and node.operators[0] in ("==", "!=") and (
            _is_plain(node.operands[0]) or _is_plain(node.operands[1]))
        for operand in node.operands:
            value = self.visit(operand, frame)
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
            left = operands[position][0] if position == 0 else operands[position][1]
            right = operands[position + 1][0]
            if operator in ("==", "!="):  # equality is total: null == null is true
                left_name = operands[position][1] if operands[position][2] else None
                pair = self._pair(operator, left, right, node, position, left_name)
                parts.append(f"(not ({pair}))" if negate else f"({pair})")
                continue
            checks = [f"{text} is not None" for text, (_, _, nullable) in
                      ((left, operands[position]), (right, operands[position + 1])) if nullable]
            pair = self._pair(operator, operands[position][1], operands[position + 1][1], node,
                              position)
            parts.append("(" + " and ".join(checks + [f"not ({pair})" if negate else pair]) + ")")
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"


def path_of(node: nodes.Node) -> tuple[nodes.Node, tuple[str, ...]]:
    """(root expression, keys) for a chain of attributes."""
    keys = []
    while isinstance(node, nodes.Attribute):
        keys.append(node.name)
        node = node.value
    return node, tuple(reversed(keys))


def _is_region(node: nodes.Node, frame: Frame) -> bool:
    return isinstance(node, nodes.Name) and node.name in frame.region_names


def _read_as_is(node: nodes.Node, frame: Frame) -> bool:
    """A literal, or a field read from the input unchanged (`region.x`, `o.text`,
    `task.data.text`): its size is the input's, never what an expression built."""
    if isinstance(node, nodes.Literal):
        return True
    if not isinstance(node, nodes.Attribute):
        return False
    root, _ = path_of(node)
    return isinstance(root, nodes.Name) and (root.name in frame.region_names or (
        root.name in ROOTS and root.name not in frame.local_names))


def _is_plain(node: nodes.Node) -> bool:
    """A string or null literal: Python's `==` and `in` agree with JSON's for it."""
    return isinstance(node, nodes.Literal) and (node.value is None or
                                                node.value.__class__ is str)


def _is_value(node: nodes.Node) -> bool:
    """A literal that is not null: needs no null check."""
    return (isinstance(node, nodes.Literal) and node.value is not None) or isinstance(
        node, nodes.ListDisplay)
