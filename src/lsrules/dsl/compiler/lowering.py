"""Lowering: geometry of regions -> internal calls over their boxes and spans (AST -> AST).

`area(a)` of a region, `overlaps(a, b)`, `contains(a, b)` and `iou(a, b)` of two (names
bound to regions: `region` in a region rule, a comprehension's variable over `regions`)
become `__area__(__box__(a), a)`, `__overlaps__(__box__(a), __box__(b), __span__(a),
__span__(b), a, b)` and so on, so that a box is an ordinary part: hoisted before a loop when it is
the outer region's, read from a per-rule column when it is the loop variable's, and the
per-pair test is written inline (the math of dsl/regions.py's region_overlaps /
region_contains / region_iou). A region with neither box nor span (a polygon, a keypoint,
an ellipse) falls back to the full geometry: `__area__`, `__iou__`, `__overlaps__` and
`__contains__` also take the regions themselves for that. Internal names start with `__`: no user text can name them
(the checker knows only BUILTINS).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from lsrules.dsl import nodes
from lsrules.dsl.visitor import NodeTransformer

_BOTH_WAYS = {"overlaps": "__overlaps__", "contains": "__contains__"}  # boxes, else spans
LOWERED = ("__box__", "__span__", "__overlaps__", "__contains__", "__iou__", "__area__")


def lower_geometry(node: nodes.Node, regions: frozenset[str]) -> nodes.Node:
    """`node` with the geometry of the names in `regions` lowered; itself if none is."""
    lowered: nodes.Node = _GeometryLowering().visit(node, regions)
    return lowered


def iterates_regions(iterable: nodes.Node) -> bool:
    """A comprehension over `regions` binds its variable to a region."""
    return isinstance(iterable, nodes.Name) and iterable.name == "regions"


class _GeometryLowering(NodeTransformer):
    def visit_Comprehension(self, node: nodes.Comprehension, *args: Any) -> nodes.Node:
        regions: frozenset[str] = args[0]
        inner = (regions | {node.variable} if iterates_regions(node.iterable)
                 else regions - {node.variable})
        iterable = self.visit(node.iterable, regions)
        element = self.visit(node.element, inner)
        condition = None if node.condition is None else self.visit(node.condition, inner)
        if (iterable is node.iterable and element is node.element
                and condition is node.condition):
            return node
        return dataclasses.replace(node, iterable=iterable, element=element,
                                   condition=condition)

    def visit_Call(self, node: nodes.Call, *args: Any) -> nodes.Node:
        regions: frozenset[str] = args[0]
        arguments = node.arguments
        if not all(isinstance(argument, nodes.Name) and argument.name in regions
                   for argument in arguments):
            return self.generic_visit(node, regions)
        if node.function == "area" and len(arguments) == 1:
            return nodes.Call(node.span, "__area__",
                              (nodes.Call(node.span, "__box__", arguments),) + arguments)
        if node.function in ("overlaps", "contains", "iou") and len(arguments) == 2:
            first, second = arguments
            boxes = (nodes.Call(node.span, "__box__", (first,)),
                     nodes.Call(node.span, "__box__", (second,)))
            if node.function == "iou":
                return nodes.Call(node.span, "__iou__", boxes + (first, second))
            return nodes.Call(node.span, _BOTH_WAYS[node.function], boxes + (
                nodes.Call(node.span, "__span__", (first,)),
                nodes.Call(node.span, "__span__", (second,)), first, second))
        return self.generic_visit(node, regions)
