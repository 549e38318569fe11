"""What loading a ruleset file learnt last time, so an unchanged ruleset skips Lark and jsonschema.

Parsing expressions (Lark) and validating the document (jsonschema) are most of a cold
`lsrules check`; both are pure functions of their input. Like ruff's cache, one JSON file
per ruleset path under the user cache directory (`$LSRULES_CACHE_DIR`, else
`$XDG_CACHE_HOME/lsrules`, else `~/.cache/lsrules`) holds the AST of every expression of
the file (keyed by the expression's text, so editing one rule re-parses only that rule) and
the sha256 of the last text that passed the schema. A fingerprint of everything that
decides those answers (lsrules' version, the grammar, parser, AST and schema sources)
invalidates the lot when any of them changes.

Data only: JSON, never pickle. A damaged or hostile entry is a miss (`ast_json.decode`
accepts only what the grammar can produce); a cache that cannot be written is no cache.
Errors are never cached: a rule with a syntax error is parsed again, and reported again.
`LSRULES_NO_CACHE=1` (or `lsrules check --no-cache`, passed down as `enabled=False`) turns
it off.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path

from lsrules.dsl import nodes
from lsrules.errors import LsrulesError
from lsrules.files import read_regular_file
from lsrules.files import write_atomically

_FORMAT = 1


def cache_directory() -> Path | None:
    """Where the cache lives, or None when it is turned off."""
    if os.environ.get("LSRULES_NO_CACHE", "") not in ("", "0"):
        return None
    configured = os.environ.get("LSRULES_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lsrules"


@functools.cache
def fingerprint() -> str:
    """sha256 of lsrules' version and every source that decides a cached answer."""
    from lsrules.version import __version__
    from lsrules.ruleset.schema import RULESET_SCHEMA, schema_text

    dsl = Path(nodes.__file__).parent
    digest = hashlib.sha256(f"{_FORMAT} {__version__}".encode())
    for name in ("grammar.lark", "parser.py", "nodes.py", "ast_json.py"):
        digest.update((dsl / name).read_bytes())
    digest.update(schema_text(RULESET_SCHEMA).encode("utf-8"))
    return digest.hexdigest()


class RulesetCache:
    """The cache entry of one ruleset file: read once on open, written once by `save`."""

    def __init__(self, ruleset_path: str | Path, enabled: bool = True):
        self.file: Path | None = None
        self.previous: dict = {}
        self.expressions: dict[str, list] = {}  # what this load parsed, to write back
        directory = cache_directory() if enabled else None
        if directory is None:
            return
        try:
            where = str(Path(ruleset_path).resolve())
        except (OSError, RuntimeError):
            return
        self.file = directory / "rulesets" / (hashlib.sha256(where.encode()).hexdigest()[:32]
                                              + ".json")
        try:  # a regular file, bounded: a FIFO planted here must not hang the load
            entry = json.loads(read_regular_file(self.file).decode("utf-8"))
        except (LsrulesError, ValueError, RecursionError):
            return
        if isinstance(entry, dict) and entry.get("fingerprint") == fingerprint():
            self.previous = entry

    def parse(self, text: str, start: str = "expression") -> nodes.Node:
        """The AST of `text`, from the cache when it holds one; raises `ExpressionError`."""
        from lsrules.dsl import ast_json

        key = f"{start}:{text}"
        stored = self.previous.get("expressions", {}).get(key) if self.previous else None
        if stored is not None:
            try:
                node = ast_json.decode_tree(stored, start, len(text))
            except (ValueError, TypeError, RecursionError):
                pass
            else:
                self.expressions[key] = stored
                return node
        from lsrules.dsl.parser import parse

        node = parse(text, start=start)
        if self.file is not None:
            try:
                self.expressions[key] = ast_json.encode(node)
            except (ValueError, RecursionError):  # too deep to store: parsed every time
                pass
        return node

    def schema_clean(self, text_sha256: str) -> bool:
        """Whether this exact text passed the JSON Schema last time."""
        return bool(self.previous) and self.previous.get("schema_clean") == text_sha256

    def save(self, text_sha256: str, schema_clean: bool) -> None:
        """Write the entry for this load (atomically) when it differs from the one read."""
        if self.file is None:
            return
        entry = {"fingerprint": fingerprint(),
                 "schema_clean": text_sha256 if schema_clean else None,
                 "expressions": self.expressions}
        if entry == self.previous:
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.file, json.dumps(entry, ensure_ascii=False,
                                                   separators=(",", ":")))
        except (OSError, ValueError):  # read-only home, full disk, text JSON cannot hold
            pass
