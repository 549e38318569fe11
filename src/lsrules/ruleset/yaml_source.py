"""YAML with positions: every value of a ruleset knows its `file:line:column`.

PyYAML's node graph carries marks; we build plain data from it ourselves and keep a map
from JSON path to node, so a schema error at `rules[3].severity` or a type error in the
middle of a folded multi-line expression points at the right character of the file.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import yaml

from lsrules.errors import Location, LsrulesError

QUOTING_RULE = (
    "quote an expression or message (or use a `>-` block) when it starts with "
    "\" ' [ { * & ! | > @ % ` or \"- \", or contains \": \" or \" #\""
)
MAX_NODES = 200_000  # aliases can multiply a small file into a huge one (a YAML bomb)

Path = tuple


class _Lines:
    """Offsets of line starts, to turn a character index into line and column."""

    def __init__(self, text: str):
        self.starts = [0]
        for index, char in enumerate(text):
            if char == "\n":
                self.starts.append(index + 1)

    def location(self, file: str, index: int) -> Location:
        line = bisect.bisect_right(self.starts, index) - 1
        return Location(file, line + 1, index - self.starts[line] + 1)


@dataclass
class SourceText:
    """A scalar's value with the way back from a character offset to the file."""

    value: str
    file: str
    text: str
    start: int
    end: int
    style: str | None
    lines: _Lines = field(repr=False)
    _offsets: list[int] | None = field(default=None, repr=False)

    def locate(self, offset: int) -> Location:
        if self._offsets is None:
            self._offsets = self._align()
        if not self._offsets:
            return self.lines.location(self.file, self.start)
        offset = min(max(offset, 0), len(self._offsets) - 1)
        return self.lines.location(self.file, self._offsets[offset])

    def _align(self) -> list[int]:
        """Match each value character to the source character it came from (greedily)."""
        source = self.text
        position = self.start
        if self.style in ("|", ">"):
            newline = source.find("\n", position, self.end)
            position = newline + 1 if newline >= 0 else position
        elif self.style in ('"', "'"):
            position += 1
        offsets = []
        for char in self.value:
            probe = position
            limit = min(self.end, probe + 400)
            while probe < limit and source[probe] != char and not (
                    char == " " and source[probe] == "\n"):
                probe += 1
            if probe >= limit:
                probe = position
            offsets.append(probe)
            position = probe + 1
        offsets.append(min(position, max(self.end, self.start)))  # one past the end
        return offsets


@dataclass
class YamlDocument:
    """A parsed YAML file: its data, and where each part of it came from."""

    file: str
    text: str
    data: Any
    nodes: dict[Path, yaml.Node]
    key_nodes: dict[Path, yaml.Node]
    problems: list[tuple[str, Location]]
    lines: _Lines

    def locate(self, path: Path) -> Location:
        """Location of the value at `path`, or of its nearest located parent."""
        path = tuple(path)
        while path not in self.nodes and path not in self.key_nodes and path:
            path = path[:-1]
        node = self.nodes.get(path) or self.key_nodes.get(path)
        if node is None:
            return Location(self.file, 1, 1)
        return self.lines.location(self.file, node.start_mark.index)

    def locate_key(self, path: Path) -> Location:
        node = self.key_nodes.get(tuple(path))
        if node is None:
            return self.locate(path)
        return self.lines.location(self.file, node.start_mark.index)

    def source(self, path: Path) -> SourceText | None:
        """The scalar at `path` with its position map, or None when it is not a string scalar."""
        node = self.nodes.get(tuple(path))
        if not isinstance(node, yaml.ScalarNode):
            return None
        value = self.data_at(path)
        if not isinstance(value, str):
            return None
        return SourceText(value, self.file, self.text, node.start_mark.index,
                          node.end_mark.index, node.style, self.lines)

    def data_at(self, path: Path):
        value = self.data
        for step in path:
            value = value[step]
        return value


def load_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document; any YAML error becomes an LsrulesError with its location."""
    lines = _Lines(text)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml when present
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = " ".join(str(error.problem or error.context or "invalid YAML").split())
        raise LsrulesError(f"invalid YAML: {problem} (hint: {QUOTING_RULE})", location) from None
    except yaml.YAMLError as error:
        raise LsrulesError(f"invalid YAML: {' '.join(str(error).split())}", file) from None
    finally:
        loader.dispose()
    if root is None:
        raise LsrulesError("the file is empty", Location(file, 1, 1))
    builder = _Builder(file, lines)
    data = builder.build(root, ())
    return YamlDocument(file, text, data, builder.nodes, builder.key_nodes, builder.problems,
                        lines)


class _Builder:
    def __init__(self, file: str, lines: _Lines):
        self.file = file
        self.lines = lines
        self.nodes: dict[Path, yaml.Node] = {}
        self.key_nodes: dict[Path, yaml.Node] = {}
        self.problems: list[tuple[str, Location]] = []
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def where(self, node: yaml.Node) -> Location:
        return self.lines.location(self.file, node.start_mark.index)

    def build(self, node: yaml.Node, path: Path):
        # iterative over mappings/sequences would be nicer; depth is bounded by YAML itself
        self.count += 1
        if self.count > MAX_NODES:
            raise LsrulesError(f"the YAML file expands to more than {MAX_NODES} values "
                               "(aliases?)", self.where(node))
        if len(path) > 100:
            raise LsrulesError("the YAML file is nested too deeply", self.where(node))
        self.nodes.setdefault(path, node)
        if isinstance(node, yaml.MappingNode):
            result: dict = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise LsrulesError("a mapping key must be plain text", self.where(key_node))
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise LsrulesError("YAML merge keys (<<) are not supported in rulesets",
                                       self.where(key_node))
                key = self.scalar(key_node)
                if not isinstance(key, str):
                    key = str(key).lower() if isinstance(key, bool) else str(key)
                if key in result:
                    self.problems.append((f'duplicate key "{key}" (YAML would keep only the '
                                          "last one)", self.where(key_node)))
                self.key_nodes[path + (key,)] = key_node
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node):
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            raise LsrulesError(f"invalid YAML value: {' '.join(str(error).split())}",
                               self.where(node)) from None
        except (ValueError, OverflowError) as error:
            raise LsrulesError(f"invalid YAML value: {error}", self.where(node)) from None
