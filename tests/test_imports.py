"""No import circle in the package: module A imports B (at module level, type-only imports
included) and B, through any path, imports A."""

from __future__ import annotations

import ast
from pathlib import Path

import medcom_adapter

PACKAGE = Path(medcom_adapter.__file__).parent
# a type-only reference the profile engine's function type needs (Context in InvariantFn)
KNOWN = {frozenset({"medcom_adapter.fhir.profile_engine.context",
                    "medcom_adapter.fhir.profile_engine.model"})}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(tree: ast.Module, modules: dict[str, Path]) -> set[str]:
    out: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If):  # TYPE_CHECKING blocks count too
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                subs = [f"{node.module}.{a.name}" for a in node.names]
                out.update(s for s in subs if s in modules)
                if not all(s in modules for s in subs):
                    out.add(node.module)

    visit(tree.body)
    return {m for m in out if m in modules}


def _circles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(frozenset(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return circles


def test_no_module_imports_itself_round_a_circle() -> None:
    modules = _modules()
    graph = {name: _imports(ast.parse(path.read_text(encoding="utf-8")), modules) - {name}
             for name, path in modules.items()}
    assert [sorted(c) for c in _circles(graph) if c not in KNOWN] == []
