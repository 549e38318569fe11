"""The layers of docs/architecture.md, enforced: a module imports only from its own layer or
the layers below it, no two modules import each other (directly or round a loop), and only
the service imports Label Studio's SDK and the web stack (and only the cluster runner Dask).

Every `import` counts wherever it is written (inside a function, under TYPE_CHECKING), and
so does a string naming a module of the package (what `importlib.import_module` is given):
an import postponed to run time is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A module belongs to the layer of its longest matching prefix; `lsrules`
# alone is the package's own module (the `load` API), not a prefix of everything.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("lsrules.version", "lsrules.errors", "lsrules.result_types", "lsrules.files",
              "lsrules.json_types", "lsrules.terminal", "lsrules.timestamps")),
    ("diagnostics", ("lsrules.diagnostics",)),
    ("dsl", ("lsrules.dsl",)),
    ("ruleset", ("lsrules.ruleset",)),
    ("packs", ("lsrules.packs",)),
    ("suggester", ("lsrules.suggest",)),
    ("engine", ("lsrules.engine",)),
    ("streams", ("lsrules.streams",)),
    ("exports", ("lsrules.exports", "lsrules.report")),
    ("api", ("lsrules",)),
    ("commands", ("lsrules.commands", "lsrules.suggest.commands",
                  "lsrules.suggest.export_items", "lsrules.suggest.replay",
                  "lsrules.labelstudio", "lsrules.project_file", "lsrules.options")),
    ("cli", ("lsrules.cli",)),
)
# Third-party packages only one part may import: the service talks to Label Studio, the
# cluster runner to Dask, the PostgreSQL store to its driver.
ONLY_IMPORTED_BY = {"label_studio_sdk": "lsrules.labelstudio", "starlette": "lsrules.labelstudio",
                    "uvicorn": "lsrules.labelstudio", "dask": "lsrules.commands.cluster",
                    "distributed": "lsrules.commands.cluster", "psycopg": "lsrules.labelstudio"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = list(path.relative_to(SOURCE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module `name` imports, with the line: package modules and third-party tops."""
    found = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.append((child if child in MODULES else base, node.lineno))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and node.value in MODULES and node.value.startswith("lsrules.")):
            found.append((node.value, node.lineno))
    return found


def _owner(target: str) -> str | None:
    """The module of the package that `target` is or lies in (None: not ours)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _layer(module: str) -> int:
    best, best_length = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or (prefix != "lsrules" and module.startswith(prefix + "."))
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and docs/architecture.md")
    return best


GRAPH = {name: [(owner, line) for target, line in _imports(name, path)
                if (owner := _owner(target)) is not None and owner != name]
         for name, path in MODULES.items()}


def test_every_module_is_found():
    assert {"lsrules", "lsrules.cli", "lsrules.dsl.compiler.rules", "lsrules.engine.engine"} <= set(MODULES)
    assert ("lsrules.engine.engine", 0) not in GRAPH["lsrules"]  # the graph sees nested imports
    assert any(target == "lsrules.engine.engine" for target, _ in GRAPH["lsrules"])
    assert any(target == "lsrules.commands.check" for target, _ in GRAPH["lsrules.cli"])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module):
    mine = _layer(module)
    upward = [f"{MODULES[module].relative_to(SOURCE)}:{line}: imports {target} "
              f"({LAYERS[_layer(target)][0]} is above {LAYERS[mine][0]})"
              for target, line in GRAPH[module] if _layer(target) > mine]
    assert not upward, "\n".join(upward)


def test_only_the_service_imports_the_sdk_and_only_the_cluster_runner_dask():
    wrong = []
    for name, path in MODULES.items():
        for target, line in _imports(name, path):
            owner = ONLY_IMPORTED_BY.get(target.partition(".")[0])
            if owner and not (name == owner or name.startswith(owner + ".")):
                wrong.append(f"{path.relative_to(SOURCE)}:{line}: imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    """Tarjan's strongly connected components: any with two modules or more is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(start: str) -> None:
        work = [(start, iter(GRAPH[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target, _ in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(GRAPH[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))

    for name in sorted(GRAPH):
        if name not in index:
            visit(name)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle(monkeypatch):
    monkeypatch.setitem(GRAPH, "lsrules.errors", [("lsrules.diagnostics", 1)])
    monkeypatch.setitem(GRAPH, "lsrules.diagnostics", [("lsrules.errors", 1)])
    with pytest.raises(AssertionError, match="lsrules.diagnostics <-> lsrules.errors"):
        test_no_import_cycles()
