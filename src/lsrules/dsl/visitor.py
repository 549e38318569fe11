"""Walking the AST: one visitor base for every pass (Jinja2's `visitor.py` is the model).

A visitor's `visit(node, ...)` calls `visit_<ClassName>(node, ...)`, or `generic_visit` when
the class has no such method. The method is looked up once per (visitor class, node class)
and kept, so a pass costs one dict lookup per node, not a `getattr` on a built string.
A `NodeTransformer` returns each node or its replacement and rebuilds only the parents of
what changed, so an untouched tree comes back as the very same objects.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, ClassVar

from lsrules.dsl import nodes


_FIELD_NAMES: dict[type[nodes.Node], tuple[str, ...]] = {}


def field_names(kind: type[nodes.Node]) -> tuple[str, ...]:
    """The names of a node class's fields after its span, in declaration order (kept:
    `dataclasses.fields` costs more than the rest of a transformer's step)."""
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(kind)[1:])
    return names


class NodeVisitor:
    """Dispatches on the node's class name; `generic_visit` visits the children."""

    _methods: ClassVar[dict[type[nodes.Node], Callable[..., Any] | None]] = {}

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        cls._methods = {}  # one cache per class: a subclass may override a method

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        kind = node.__class__
        try:
            method = self._methods[kind]
        except KeyError:
            method = self._methods[kind] = getattr(type(self), "visit_" + kind.__name__, None)
        if method is None:
            return self.generic_visit(node, *args, **kwargs)
        return method(self, node, *args, **kwargs)

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        for child in node.children():
            self.visit(child, *args, **kwargs)
        return None


class NodeTransformer(NodeVisitor):
    """A visitor whose methods return the node to put in place of the one visited."""

    def generic_visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> nodes.Node:
        changes: dict[str, Any] = {}
        for name in field_names(node.__class__):
            value = getattr(node, name)
            if isinstance(value, nodes.Node):
                new = self.visit(value, *args, **kwargs)
                if new is not value:
                    changes[name] = new
            elif isinstance(value, tuple) and any(isinstance(item, nodes.Node)
                                                  for item in value):
                items = tuple(self.visit(item, *args, **kwargs)
                              if isinstance(item, nodes.Node) else item for item in value)
                if any(new is not old for new, old in zip(items, value)):
                    changes[name] = items
        return dataclasses.replace(node, **changes) if changes else node
