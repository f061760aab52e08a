"""Can a module-level manager move under ``if __name__ == "__main__":``, and what moves with it? (MPP201)

The move is an unsafe fix: it changes what importing the module binds. It is planned here, on the ``ast``,
so that the finding says whether ``--unsafe-fixes`` would apply it (and the summary counts only those), and
the fixer only carries the plan out. The move is refused:

- in a package ``__init__.py`` or a module other modules of the project import (they would lose its names);
- when code that stays at module level uses a moved name: a compound statement, an import, a decorator, a
  default, a base class or class body, a later statement after the guard, or a call of a function of the module
  whose body reads a moved name (it runs at import time, before the guard).
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Set, Tuple

from .scan import ProjectIndex
from ..engine.syntax import is_main_guard


@dataclass(frozen=True)
class GuardPlan:
    """The top-level statements to move, in order (empty when refused), or why the move is refused."""

    moving: Tuple[ast.stmt, ...]
    refusal: Optional[str] = None


def plan_move(tree: ast.Module, node: ast.AST, path: Optional[str], index: Optional[ProjectIndex]) -> GuardPlan:
    """The statements that move with the top-level statement holding ``node``, or why none may move.
    ``index``: the scan of the project ``path`` is in (who imports it), None for a virtual file."""
    if path is not None and os.path.basename(path) == "__init__.py":
        return GuardPlan((), "a package __init__.py: importers would lose the names it binds")
    if path is not None and index is not None:
        own = os.path.abspath(path)
        users = [user for user in index.importers_of(own) if user != own]
        if users:
            return GuardPlan((), f"other modules import this one ({index.relative(users[0])}): they would lose "
                             "its names")
        if not index.complete:
            return GuardPlan((), f"the project has more than {len(index.records)} Python files, so whether other "
                             "modules import this one was not checked")
    body = tree.body
    start = next((i for i, stmt in enumerate(body) if contains(stmt, node)), None)
    if start is None or not isinstance(body[start], (ast.Assign, ast.AnnAssign, ast.Expr)):
        return GuardPlan((), "the manager is not made by a simple top-level statement")
    reads = function_globals(tree)
    first = body[start]
    names = bound_names(first) | started_names(first)
    moving: List[ast.stmt] = [first]
    seen_guard = False
    for stmt in body[start + 1:]:
        if isinstance(stmt, ast.If) and is_main_guard(stmt.test):
            seen_guard = True
            continue
        used = uses(stmt, reads)
        if not used & names:
            continue
        culprit = sorted(used & names)[0]
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return GuardPlan((), f"'{culprit}' is used by the definition of '{stmt.name}' at import time")
        if seen_guard:
            return GuardPlan((), f"'{culprit}' is used after the main guard, at line {stmt.lineno}")
        if not isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr)):
            return GuardPlan((), f"'{culprit}' is used by module-level code at line {stmt.lineno} that cannot move")
        moving.append(stmt)
        names |= bound_names(stmt)
    return GuardPlan(tuple(moving))


def contains(outer: ast.AST, node: ast.AST) -> bool:
    return any(child is node for child in ast.walk(outer))


def uses(stmt: ast.stmt, reads: Dict[str, Set[str]]) -> Set[str]:
    """Names a top-level statement uses when the module is imported: its own loads, the globals read by the
    module's functions it calls, and for a definition its decorators, defaults, bases and class body."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts: List[ast.AST] = [*stmt.decorator_list, *stmt.args.defaults]
        parts += [d for d in stmt.args.kw_defaults if d is not None]
    else:
        parts = [stmt]
    found: Set[str] = set()
    for part in parts:
        for node in ast.walk(part):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                found.add(node.id)
                found |= reads.get(node.id, set())
    return found


def function_globals(tree: ast.Module) -> Dict[str, Set[str]]:
    """For each top-level function, the names its body loads, following calls of other top-level functions
    (a statement that calls it at import time uses them all)."""
    direct = {stmt.name: {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
              for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    closed: Dict[str, Set[str]] = {}
    for name in direct:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(n for n in direct[current] if n in direct)
        closed[name] = set().union(*(direct[n] for n in seen))
    return closed


def bound_names(stmt: ast.stmt) -> Set[str]:
    targets: Iterable[ast.AST] = ()
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    names: Set[str] = set()
    for target in targets:
        if isinstance(target, (ast.Name, ast.Tuple, ast.List)):
            names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def started_names(stmt: ast.stmt) -> Set[str]:
    """``sm.start()``: later statements that use ``sm`` move with it."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        func = stmt.value.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return {func.value.id}
    return set()
