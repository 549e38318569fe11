"""Checked ruleset -> Python source, compiled once, in passes (Jinja2's compiler is the model).

- `lowering`: geometry of regions -> their boxes and spans (AST -> AST);
- `hoisting`: which parts move out of a loop: loop invariants, per-rule columns (analysis);
- `frame`: the scope code is written in, passed to the passes and the generator;
- `expressions`: one `visit_<Node>` per node class -> a Python expression;
- `rules`: `evaluate(state)` and each rule's message, fix, second-pass and trace functions;
- `module`: the generated module's globals, compiling it, the helpers written lazily.

`compile_ruleset(ruleset, optimize=False)` skips lowering and hoisting: the differential
tests compare the plain and the optimized code on random data.
"""
from lsrules.dsl.compiler.module import compile_ruleset

__all__ = ["compile_ruleset"]
