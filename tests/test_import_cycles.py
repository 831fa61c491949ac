"""No import cycle between the modules of ``territobs``.

The graph is built from the source (``ast``), not by importing: an edge
``a -> b`` for every ``import`` executed when ``a`` is imported (module
level, including under ``if``/``try``, excluding ``if TYPE_CHECKING:``).
``from pkg import name`` points at ``pkg.name`` when that is a module, at
``pkg`` otherwise. Function-level imports are lazy loading (pandas kept out of
a no-change atlas refresh, optional extras); they are checked separately so
that none of them closes a cycle of the module-level graph.
"""

from __future__ import annotations

import ast
from pathlib import Path

import territobs

ROOT = Path(territobs.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, module: str) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".")
            if not MODULES[module].name == "__init__.py":
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, *([base] if base else [])])
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in node.names
        ]
    out = []
    for name in names:
        while name and name not in MODULES:  # import a.b.c where c is a name
            name = name.rpartition(".")[0]
        if name and name.startswith("territobs"):
            out.append(name)
    return out


def _visit(
    body: list[ast.stmt], module: str, *, top: bool, lazy: bool, edges: set[str]
) -> None:
    """Collect the territobs modules imported by ``body`` into ``edges``."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            if top or lazy:
                edges.update(_targets(node, module))
        elif isinstance(node, ast.If) and _is_type_checking(node):
            continue
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if lazy:
                _visit(node.body, module, top=False, lazy=lazy, edges=edges)
        elif isinstance(node, ast.ClassDef):
            _visit(node.body, module, top=top, lazy=lazy, edges=edges)
        else:  # if / try / with / for at this level: their bodies run too
            for field in ("body", "orelse", "finalbody", "handlers"):
                inner = getattr(node, field, None)
                if not isinstance(inner, list):
                    continue
                for item in inner:
                    if isinstance(item, ast.ExceptHandler):
                        _visit(item.body, module, top=top, lazy=lazy, edges=edges)
                if inner and isinstance(inner[0], ast.stmt):
                    _visit(inner, module, top=top, lazy=lazy, edges=edges)


def import_graph(*, lazy: bool) -> dict[str, set[str]]:
    """Module → modules it imports (at import time, or also ``lazy`` ones)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        _visit(tree.body, module, top=True, lazy=lazy, edges=edges)
        edges.discard(module)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def _without_packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop edges into a package's ``__init__`` from its own submodules.

    ``territobs/__init__.py`` re-exports the public API: every submodule
    importing a sibling through the package would otherwise close a cycle
    that Python resolves (the package is already being initialised).
    """
    return {
        module: {
            target
            for target in targets
            if not (
                MODULES[target].name == "__init__.py"
                and module.startswith(target + ".")
            )
        }
        for module, targets in graph.items()
    }


def test_graph_sees_known_edges() -> None:
    graph = import_graph(lazy=False)
    assert "territobs.atlas.dag" in graph["territobs.atlas.build"]
    assert "territobs.zoning.weights" in graph["territobs.zoning._zone_checks"]
    assert "territobs.errors" in graph["territobs.zoning.weights"]
    lazy = import_graph(lazy=True)
    assert "territobs.atlas.steps.registry" in lazy["territobs.atlas.build"]


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_at_import_time() -> None:
    assert cycles(_without_packages(import_graph(lazy=False))) == []


def test_no_function_level_import_hides_a_new_cycle() -> None:
    """The former cycles stay gone, even through lazy imports.

    ``atlas/build.py <-> atlas/steps.py``, ``zoning/weights.py <->
    zoning/zones.py`` and ``portrait/model.py <-> portrait/render.py`` were
    cycles hidden in function-level imports, as were ``atlas/config.py <->
    atlas/evolution.py``, ``atlas/index.py <-> atlas/evolution.py``,
    ``zoning/coverage.py <-> zoning/recompute.py`` and ``datasets.py ->
    io/boundaries.py -> io/_geometry_checks.py -> datasets.py``.
    """
    assert cycles(_without_packages(import_graph(lazy=True))) == []
