"""lsrules: declarative rules that validate, auto-correct and route Label Studio annotations.

Kept import-light on purpose: `lsrules check` must start fast, so the engine and its
compiler are imported only when `load` is called.
"""
from __future__ import annotations

from lsrules.version import __version__

__all__ = ["__version__", "load"]


def load(*paths, **options):
    """Load, check and compile rulesets; returns an `Engine` ready to evaluate annotations."""
    from lsrules.engine.engine import load_engine

    return load_engine(*paths, **options)
