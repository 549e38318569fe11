"""The compiler's passes, each alone: the visitor, lowering, hoisting, the frame, and the
operator tables (the differential tests in tests/engine compare whole rulesets)."""
from __future__ import annotations

import dataclasses

import pytest

from lsrules.dsl import nodes
from lsrules.dsl.compiler.expressions import ExpressionGenerator
from lsrules.dsl.compiler.frame import Frame
from lsrules.dsl.compiler.hoisting import column_plan, loop_invariants, rule_invariants
from lsrules.dsl.compiler.lowering import lower_geometry
from lsrules.dsl.parser import parse
from lsrules.dsl.visitor import NodeTransformer, NodeVisitor

REGION_RULE = Frame.for_rule("region", columns=True, in_loop=True)


def _text(node: nodes.Node) -> str:
    """A node back as compact text, enough to name it in an assertion."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Attribute):
        return f"{_text(node.value)}.{node.name}"
    if isinstance(node, nodes.Call):
        return f"{node.function}({', '.join(_text(argument) for argument in node.arguments)})"
    if isinstance(node, nodes.Literal):
        return repr(node.value)
    return type(node).__name__


def test_visitor_dispatches_on_the_class_name_and_a_subclass_keeps_its_own_methods():
    class Names(NodeVisitor):
        def __init__(self) -> None:
            self.found: list[str] = []

        def visit_Name(self, node, *args):
            self.found.append(node.name)

    class Upper(Names):
        def visit_Name(self, node, *args):
            self.found.append(node.name.upper())

    tree = parse("a.b + len(c)")
    names, upper = Names(), Upper()
    names.visit(tree)
    upper.visit(tree)
    assert names.found == ["a", "c"] and upper.found == ["A", "C"]


def test_transformer_returns_an_untouched_tree_as_the_same_objects():
    tree = parse("a.b + len(c) if x else [1, y]")
    assert NodeTransformer().visit(tree) is tree

    class Rename(NodeTransformer):
        def visit_Name(self, node, *args):
            return dataclasses.replace(node, name="z") if node.name == "y" else node

    renamed = Rename().visit(tree)
    assert renamed is not tree and renamed.test is tree.test and renamed.body is tree.body
    assert [item.name for item in renamed.orelse.items[1:]] == ["z"]


def test_lowering_rewrites_geometry_of_regions_only():
    tree = parse("any(overlaps(region, o) and iou(o, region) > 0 for o in regions)")
    lowered = lower_geometry(tree, frozenset({"region"}))
    functions = [node.function for node in lowered.walk() if isinstance(node, nodes.Call)]
    assert "overlaps" not in functions and "iou" not in functions
    assert {"__overlaps__", "__iou__", "__box__", "__span__"} <= set(functions)
    # `o` is not a region here (it goes over a list of something else): nothing to lower
    other = parse("any(overlaps(region, o) for o in annotation.items)")
    assert lower_geometry(other, frozenset({"region"})) is other
    # `region` not bound to a region (an annotation rule): the pair stays a call
    assert lower_geometry(tree, frozenset()).element.left.function == "overlaps"


def test_loop_invariants_are_the_largest_parts_that_name_no_loop_variable():
    tree = parse("any(lower(o.text) == lower(region.text) and o.label != region.label "
                 "for o in regions)")
    found = loop_invariants(tree, REGION_RULE)
    assert [_text(part) for part in found] == ["lower(region.text)", "region.label"]
    # already computed before an enclosing loop: not again
    hoisted = REGION_RULE.hoisting({id(found[0]): "_t1"})
    assert [_text(part) for part in loop_invariants(tree, hoisted)] == ["region.label"]


def test_rule_invariants_leave_the_region_and_comprehensions_alone():
    tree = parse("region.end <= len(task.data.text) and any(o.x > 1 for o in regions)")
    assert [_text(part) for part in rule_invariants([tree], REGION_RULE)] == [
        "len(task.data.text)"]


def test_a_column_plan_moves_leading_safe_filters_and_variable_only_values():
    tree = parse('none(lower(o.text) == lower(region.text) for o in regions '
                 'if o.type == "labels")')
    plan = column_plan(tree, REGION_RULE)
    assert plan is not None
    assert [type(part).__name__ for part in plan.filters] == ["Compare"]
    assert [_text(part) for part in plan.values] == ["lower(o.text)"]
    # an ordering may raise on mixed types: it and what follows it stay per pair, reading
    # the parts that only name `o` from the column
    raising = parse('any(o.x > region.x and o.label == "A" for o in regions)')
    plan = column_plan(raising, REGION_RULE)
    assert plan is not None and plan.filters == [] and len(plan.elements) == 2
    assert [_text(part) for part in plan.values] == ["o.x", "Compare"]


def test_an_inner_frame_binds_the_variable_and_shadows_an_outer_region():
    inner = REGION_RULE.inner("region", over_regions=False)
    assert "region" not in inner.region_names and "region" in inner.local_names
    assert inner.loop_depth == 2 and inner.columns is REGION_RULE.columns
    assert REGION_RULE.region_names == {"region"}  # frames never change


@pytest.mark.parametrize("tree", [
    nodes.Binary(nodes.Span(0, 1), "**", nodes.Literal(nodes.Span(0, 1), 1),
                 nodes.Literal(nodes.Span(0, 1), 2)),
    nodes.Unary(nodes.Span(0, 1), "~", nodes.Literal(nodes.Span(0, 1), 1)),
    nodes.Compare(nodes.Span(0, 1), (nodes.Name(nodes.Span(0, 1), "a"),
                                     nodes.Name(nodes.Span(0, 1), "b")), ("is",)),
])
def test_an_operator_outside_the_table_is_refused_not_written(tree):
    generator = ExpressionGenerator()
    with pytest.raises(KeyError):
        generator.visit(tree, Frame())
    with pytest.raises(KeyError):
        generator.truth(tree, Frame())
