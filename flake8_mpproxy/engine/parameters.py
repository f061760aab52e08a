"""Which parameter a module's top-level functions change in place, read from the text of the module alone.

A module that hands a copy read from a proxy to another module's helper (``items = d[k]; add_to(items, v)``)
needs to know whether the helper changes it, as ``heapq.heappush`` does: then the call is a change of the copy
(lost unless the caller writes it back), not a hand-over the analysis must give up on. The other module is not
analysed for this (it may receive no proxy at all): one parse, then a syntactic reading of each function.

A function counts only when it changes exactly one parameter in place, never rebinds it and does not return
it: a helper that also stores into another parameter (``d[k] = items``) may be writing the copy back itself,
one that rebinds the name (``items = list(items)``) changes its own list, and one that returns what it changed
(``d[k] = add(d[k], v)``) hands the change to its caller, who may store it back.
"""

from __future__ import annotations

import ast
from typing import Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from ..model.mpapi import MUTATORS


def changed_parameters(tree: ast.Module) -> Dict[str, FrozenSet[int]]:
    """Top-level function name -> the positional index of the one parameter it changes in place (also through
    another top-level function of the module it passes the parameter to, to a fixed point)."""
    functions = {stmt.name: stmt for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    readings = {name: read_function(function) for name, function in functions.items()}
    changed: Dict[str, Set[str]] = {name: set(reading[0]) for name, reading in readings.items()}
    grew = True
    while grew:
        grew = False
        for name, (_, calls, _) in readings.items():
            for callee, position, param in calls:
                target = functions.get(callee)
                if target is None or callee == name:
                    continue
                passed = positional_names(target)
                if position < len(passed) and passed[position] in changed[callee] and param not in changed[name]:
                    changed[name].add(param)
                    grew = True
    found: Dict[str, FrozenSet[int]] = {}
    for name, function in functions.items():
        params = positional_names(function)
        kept = readings[name][2] | returned_names(function)
        if len(changed[name]) == 1 and not changed[name] & kept:
            (param,) = changed[name]
            if param in params:
                found[name] = frozenset({params.index(param)})
    return found


def returned_names(function: ast.AST) -> Set[str]:
    """The names the function's own ``return`` and ``yield`` statements mention."""
    return {name.id for node in own_nodes(function) if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom))
            and node.value is not None for name in ast.walk(node.value) if isinstance(name, ast.Name)}


def positional_names(function: ast.AST) -> List[str]:
    args: ast.arguments = function.args  # type: ignore[attr-defined]
    return [arg.arg for arg in args.posonlyargs + args.args]


def read_function(function: ast.AST) -> Tuple[Set[str], List[Tuple[str, int, str]], Set[str]]:
    """(parameters changed in place, (callee, position, parameter) for each parameter passed by position to a
    plain call, parameters rebound) of one function's own code (nested functions and classes left out: they may
    never run)."""
    params = set(positional_names(function))
    args: ast.arguments = function.args  # type: ignore[attr-defined]
    params |= {arg.arg for arg in args.kwonlyargs}
    changed: Set[str] = set()
    calls: List[Tuple[str, int, str]] = []
    rebound: Set[str] = set()
    for node in own_nodes(function):
        if isinstance(node, ast.Call):
            receiver = changed_receiver(node)
            if receiver in params:
                changed.add(receiver)
            if isinstance(node.func, ast.Name):
                calls += [(node.func.id, position, arg.id) for position, arg in enumerate(node.args)
                          if isinstance(arg, ast.Name) and arg.id in params]
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            for target in targets_of(node):
                if isinstance(target, ast.Name):  # ``p += v`` changes a list in place; ``p = v`` rebinds
                    if target.id in params:
                        (changed if isinstance(node, ast.AugAssign) else rebound).add(target.id)
                    continue
                name = stored_into(target)
                if name in params:
                    changed.add(name)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.NamedExpr, ast.comprehension)):
            rebound |= {name.id for name in bound_names(node) if name.id in params}
    return changed, calls, rebound


def changed_receiver(call: ast.Call) -> Optional[str]:
    """``p.append(x)``: ``p``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in MUTATORS and isinstance(func.value, ast.Name):
        return func.value.id
    return None


def targets_of(node: ast.stmt) -> List[ast.expr]:
    if isinstance(node, ast.Assign):
        return [leaf for target in node.targets for leaf in unpacked(target)]
    if isinstance(node, ast.Delete):
        return list(node.targets)
    return [node.target]  # type: ignore[attr-defined]


def unpacked(target: ast.expr) -> Iterator[ast.expr]:
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from unpacked(element.value if isinstance(element, ast.Starred) else element)
    else:
        yield target


def stored_into(target: ast.expr) -> Optional[str]:
    """``p[k] = v``, ``p[k][j] = v``, ``p.x = v``: ``p``."""
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
        if isinstance(target, ast.Name):
            return target.id
    return None


def bound_names(node: ast.AST) -> Iterator[ast.Name]:
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        targets: List[ast.AST] = [node.target]
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    else:
        targets = [node.target]  # type: ignore[attr-defined]
    for target in targets:
        yield from (name for name in ast.walk(target) if isinstance(name, ast.Name))


def own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of ``function``'s body, not those of the functions, lambdas and classes it defines."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    todo: List[ast.AST] = [stmt for stmt in function.body if not isinstance(stmt, nested)]  # type: ignore[attr-defined]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, nested))
