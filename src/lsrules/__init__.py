"""lsrules: declarative rules that validate, auto-correct and route Label Studio annotations.

The Python API is `load`, which gives an `Engine`, whose `evaluate` gives a `Decision`
holding `Finding`s and a JSON Patch that `apply_patch` applies; every problem with user
input is an `LsrulesError`. docs/api.md shows them at work.

Kept import-light on purpose: `lsrules check` must start fast, so the engine and its
compiler are imported only when `load` is called or `Engine`, `Decision`, `Finding` or
`apply_patch` is first looked up here.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsrules.errors import LsrulesError
from lsrules.version import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from lsrules.engine.decision import Decision, Finding
    from lsrules.engine.engine import Engine
    from lsrules.engine.patch import apply_patch
    from lsrules.ruleset.selection import Selection
    from lsrules.suggest import Suggester

__all__ = ["Decision", "Engine", "Finding", "LsrulesError", "__version__", "apply_patch", "load"]

# the names `__getattr__` imports on first use, and the module each lives in
_LAZY = {"Engine": "lsrules.engine.engine", "Decision": "lsrules.engine.decision",
         "Finding": "lsrules.engine.decision", "apply_patch": "lsrules.engine.patch"}


def load(*paths: str | Path, config: str | Path | None = None,
         allow_outside_root: bool = False, optimize: bool = True,
         selection: Selection | None = None, suggester: Suggester | None = None) -> Engine:
    """Load one ruleset file, check it as `lsrules check` does, and compile it: the `Engine`
    that judges annotations with it.

    Everything that can be done once per ruleset is done here (schema, parsing, the checks,
    code generation, the labeling config), so `Engine.evaluate` only runs the rules.

    - `config`: a labeling config (XML) to check against instead of the ruleset's
      `labeling_config:`.
    - `allow_outside_root`: let the ruleset name files (`labeling_config:`, `extends:`,
      `suggester.model`) outside its project; off, as in the commands, so a ruleset from a
      pull request cannot read the rest of the machine.
    - `optimize=False`: the plain form of the generated code (the same decisions, slower),
      for comparing the two.
    - `selection` (`lsrules.ruleset.selection.Selection`): keep only some rules, as
      `--select`/`--ignore` do.
    - `suggester`: a `lsrules.suggest.Suggester` to use instead of the one the ruleset's
      `suggester:` block opens.

    Raises `LsrulesError` (its `location` says file:line:col where known) when the file
    cannot be read, fails the schema, or has an error `check` would report; warnings never
    stop it. Several paths are refused with an `LsrulesError` too: they are accepted only so
    that a caller passing a list it was given gets that one-line error, not a TypeError.
    The result depends only on the files: loading the same ruleset twice gives engines that
    decide alike.
    """
    from lsrules.engine.engine import load_engine

    return load_engine(*paths, config=config, allow_outside_root=allow_outside_root,
                       optimize=optimize, selection=selection, suggester=suggester)


def __getattr__(name: str) -> Any:
    """`lsrules.Engine` and the others, imported on first use (see the module's docstring)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'lsrules' has no attribute {name!r}")
