"""The generated module: its globals table, compiling it, and the helpers written lazily.

Generated code reaches the runtime only through the globals named here (`_get`,
`_builtin_len`, ...) and a minimal `__builtins__`: no other Python object is in its reach.
"""
from __future__ import annotations

import warnings
from types import CodeType
from typing import Any, Callable

from lsrules.dsl import budget, runtime
from lsrules.dsl.builtins import BUILTINS, CHARGED, charged
from lsrules.dsl.compiler.rules import CheckedRule, CheckedRuleset, CodeGenerator
from lsrules.dsl.config_values import config_control
from lsrules.dsl.geometry import iou_of_boxes
from lsrules.dsl.regions import REGION_GEOMETRY


def module_globals() -> dict[str, Any]:
    """The globals every generated module starts from (the stream compiler's too)."""
    # a plain dict, so that the generated code's global lookups take CPython's fast
    # (specialised) path; `LazyNamespace` only fronts it for the engine
    module: dict[str, Any] = {
        "__builtins__": {"any": any, "all": all, "sum": sum, "len": len, "bool": bool,
                         "True": True, "False": False, "None": None},
        "_DATA_ERRORS": runtime.DATA_ERRORS, "_NO_REGION": (None,), "_ONCE": (None,),
        "_str": str, "_list": list, "_int": int, "_float": float,
        "_charge": budget.charge, "_pay": budget.pay, "_withdraw": budget.withdraw,
        "_regions_after": budget.regions_after, "_concat": budget.concat,
        "_get": runtime.get, "_path": runtime.path, "_has_path": runtime.has_path,
        "_index": runtime.index, "_multiply": runtime.multiply, "_divide": runtime.divide,
        "_modulo": runtime.modulo, "_as_list": runtime.as_list, "_sum_of": runtime.sum_of,
        "_min_of": runtime.min_of, "_max_of": runtime.max_of, "_flatten": runtime.flatten,
        "_config_labels": runtime.config_labels, "_config_control": config_control, "_equal": runtime.equal,
        "_member": runtime.member, "_text_or_null": text_or_null, "_text_of": text_of,
        "_to_text": runtime.to_text,
    }
    for name, builtin in BUILTINS.items():
        module[f"_builtin_{name}"] = builtin.implementation
    for name in CHARGED:
        module[f"_shape_{name}"] = charged(name)
    module["_iou_of_boxes"] = iou_of_boxes
    for name, implementation in REGION_GEOMETRY.items():
        module[f"_region_{name}"] = implementation
    return module


def compile_ruleset(ruleset: CheckedRuleset, optimize: bool = True) -> LazyNamespace:
    """Generate, compile and execute the ruleset's module; returns its namespace.
    `optimize=False` writes the plain form (no lowering, hoisting or loop statements),
    which finds the same: the differential tests compare the two."""
    generator = CodeGenerator(ruleset, optimize)
    source = generator.generate()
    module = module_globals()
    module.update(generator.constants)
    exec(compile_source(source, f"<ruleset {ruleset.name}>"), module)  # noqa: S102 - generated from the checked AST; no user text as code
    module["__source__"] = source
    return LazyNamespace(module, generator)


def compile_source(source: str, name: str) -> CodeType:
    """Compile generated code; `1 is True` from a literal condition is intended, not a slip."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile(source, name, "exec")


class LazyNamespace(dict[str, Any]):
    """The module namespace; a rule's rarely used functions (message, fix, second pass, trace)
    are compiled the first time one of them is looked up, which keeps `check` fast."""

    def __init__(self, module: dict[str, Any], generator: CodeGenerator) -> None:
        super().__init__(module)
        self.module = module  # the generated code's globals (a plain dict)
        self.generator = generator
        self.ruleset_name = generator.ruleset.name
        self.used_names = frozenset(generator.used_names)
        # rule index -> rule whose functions are not written yet
        self.helpers: dict[int, CheckedRule] = {rule.index: rule
                                                for rule in generator.ruleset.rules}

    def __missing__(self, name: str) -> Any:
        number = name.rsplit("_", 1)[-1]
        rule = self.helpers.pop(int(number), None) if number.isdigit() else None
        if rule is None:
            raise KeyError(name)
        source = self.generator.helper_source(rule)
        self.module.update(self.generator.constants)
        code = compile_source(source, f"<ruleset {self.ruleset_name} rule {number}>")
        exec(code, self.module)  # noqa: S102 - generated from the checked AST
        self.update(self.module)
        return self[name]


def text_or_null(thunk: Callable[[], object]) -> str:
    """A message's `{expression}`: its text, or `null` when the data makes it fail."""
    try:
        return runtime.to_text(thunk())
    except runtime.DATA_ERRORS:
        return "null"


def text_of(value: object) -> str:
    """`text_or_null` for an expression that cannot raise (computed by the caller)."""
    try:
        return runtime.to_text(value)
    except runtime.DATA_ERRORS:
        return "null"
