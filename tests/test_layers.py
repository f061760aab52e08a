"""The package's layers, read from its imports: each layer imports only the layers below it.

Every import counts: at module level, inside functions and under ``TYPE_CHECKING`` (a lazy import is still a
dependency; it only moves the cost). docs/architecture.md describes the layers; this test keeps them true.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set, Tuple

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "flake8_mpproxy"

#: Bottom to top: a layer may import itself and the layers before it in this list, never one after it.
LAYERS = ("model", "engine", "rules", "project", "pipeline", "fixer", "frontends")

#: Modules at the package's top: the version (imported by anyone), ``python -m flake8_mpproxy``, and the
#: entry points' stable paths (installed metadata names them: they re-export the front ends).
TOP = {"flake8_mpproxy": -1, "flake8_mpproxy.__main__": len(LAYERS), "flake8_mpproxy.cli": len(LAYERS),
       "flake8_mpproxy.plugin": len(LAYERS)}


def modules() -> Dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: Dict[str, Path]) -> Iterator[Tuple[str, int]]:
    """(imported module of the package, line) for every import statement anywhere in the module."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: List[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node.lineno


def layer_of(name: str) -> int:
    """The index in :data:`LAYERS` of the layer a module belongs to."""
    if name in TOP:
        return TOP[name]
    return LAYERS.index(name.split(".")[1])


def edges() -> List[Tuple[str, int, str]]:
    known = modules()
    return [(name, line, target) for name, path in known.items() for target, line in imports(name, path, known)]


def test_every_module_is_in_a_layer() -> None:
    stray = [name for name in modules() if name not in TOP and name.split(".")[1] not in LAYERS]
    assert not stray, f"modules outside the layer packages {LAYERS}: {stray}"


def test_no_layer_imports_a_layer_above_it() -> None:
    upward = [f"{name}:{line} imports {target}" for name, line, target in edges()
              if layer_of(target) > layer_of(name)]
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def test_no_cycle_between_modules_of_different_layers() -> None:
    """A cycle inside one layer's package may exist (the engine's walker and its collaborators); a cycle that
    crosses packages may not (the layers test above already forbids most; this catches the rest, e.g. two
    sub-packages of the front ends)."""
    graph: Dict[str, Set[str]] = {}
    for name, _, target in edges():
        graph.setdefault(name, set()).add(target)
    for component in strongly_connected(graph):
        packages = {".".join(name.split(".")[:2]) for name in component}
        assert len(packages) == 1, f"an import cycle across packages: {sorted(component)}"


def strongly_connected(graph: Dict[str, Set[str]]) -> List[Set[str]]:
    """Tarjan's strongly connected components (iterative: no recursion limit to meet)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[Set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


@pytest.mark.parametrize("source, expected", [
    ("import flake8_mpproxy.frontends.cli\n", "flake8_mpproxy.frontends.cli"),
    ("def f():\n    from ..frontends import report\n", "flake8_mpproxy.frontends.report"),
    ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..pipeline.analysis import x\n",
     "flake8_mpproxy.pipeline.analysis"),
])
def test_imports_sees_every_import_statement(tmp_path: Path, source: str, expected: str) -> None:
    """The reader this test relies on sees lazy and TYPE_CHECKING imports (else the test could not fail)."""
    path = tmp_path / "mod.py"
    path.write_text(source)
    found = [target for target, _ in imports("flake8_mpproxy.model.mod", path, modules())]
    assert found == [expected]
    assert layer_of(found[0]) > layer_of("flake8_mpproxy.model.mod")
