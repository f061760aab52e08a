"""Small pure questions about ``ast`` nodes that the inference and the checks both ask."""

from __future__ import annotations

import ast
from typing import List, Optional, Tuple

from ..model.mpapi import MANAGER_ANNOTATIONS, PROXY_TYPE_NAMES
from .values import is_constant_key  # noqa: F401 (re-exported)

Range = Tuple[int, int, int, int]


def display(node: ast.AST) -> str:
    """Source-like text of an expression, for messages and key comparison (``ast.unparse`` spelling; names,
    attributes of names and constants are spelled directly: the walker asks for them on hot paths)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int)) and not isinstance(node.value, bool):
        return repr(node.value)
    return ast.unparse(node)


def key_source(node: Optional[ast.AST]) -> str:
    return display(node) if node is not None else "?"


def node_range(node: ast.AST) -> Range:
    """(line, col, end line, end col) of a node, ``ast`` conventions (1-based lines, 0-based columns)."""
    line = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0)
    end_line = getattr(node, "end_lineno", None) or line
    end_col = getattr(node, "end_col_offset", None)
    return (line, col, end_line, col if end_col is None else end_col)


def alias_root(node: ast.AST) -> Optional[str]:
    """The name at the root of ``x[i].attr[j]``, or None when the chain does not start at a name."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def target_names(target: ast.AST) -> List[str]:
    if isinstance(target, ast.Name):  # the usual loop target: no walk
        return [target.id]
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def loaded_names(node: Optional[ast.AST]) -> List[str]:
    if node is None:
        return []
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]


def value_type(node: Optional[ast.AST]) -> str:
    """The container type an expression builds, when the syntax says so ("" when unknown)."""
    if isinstance(node, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(node, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(node, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "dict", "set"):
        return node.func.id
    if isinstance(node, ast.Constant):
        return "scalar"
    return ""


def is_main_guard(test: ast.AST) -> bool:
    """``__name__ == "__main__"`` in either order."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(consts) == 1


def annotation_kind(annotation: ast.AST) -> Optional[str]:
    """``DictProxy``, ``managers.DictProxy``, ``"DictProxy"``, ``DictProxy[str, int]`` -> "dict";
    ``SyncManager`` -> "manager"; anything else -> None."""
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        name = annotation.value.split("[", 1)[0].rsplit(".", 1)[-1].strip()
    elif isinstance(annotation, ast.Attribute):
        name = annotation.attr
    elif isinstance(annotation, ast.Name):
        name = annotation.id
    else:
        return None
    if name in MANAGER_ANNOTATIONS:
        return "manager"
    kind = PROXY_TYPE_NAMES.get(name)
    return None if kind == "auto" else kind


_SELF_MUTATING_CALLS = frozenset({"append", "extend", "update", "add", "insert", "pop", "remove", "clear"})


def assigns_to_first_arg(func: ast.AST) -> bool:
    """Does a method change state reachable from its first parameter (``self.x = ...``, ``self.x.append``)?"""
    first = func.args.args[0].arg  # type: ignore[attr-defined]
    for node in ast.walk(func):
        targets: List[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = list(node.targets) if isinstance(node, ast.Delete) else [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _SELF_MUTATING_CALLS:
                targets = [node.func.value]
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)) and alias_root(target) == first:
                return True
            if isinstance(target, ast.Name) and target.id == first and not isinstance(node, ast.Assign):
                return True
    return False


def reads_same(value_node: ast.AST, target: ast.AST) -> bool:
    """``value_node`` reads the item or attribute ``target`` stores (``d[k] = d[k] + 1``, ``ns.n = ns.n + 1``):
    a read-modify-write."""
    for node in ast.walk(value_node):
        if isinstance(node, ast.Subscript) and isinstance(target, ast.Subscript) \
                and same_code(node.value, target.value) and same_code(node.slice, target.slice):
            return True
        if isinstance(node, ast.Attribute) and isinstance(target, ast.Attribute) and node.attr == target.attr \
                and same_code(node.value, target.value):
            return True
    return False


def same_code(a: object, b: object) -> bool:
    """Whether two syntax trees are the same code: what comparing their ``ast.dump`` says (fields, not
    positions), without building the strings (and the reference cycle each ``ast.dump`` call leaves)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ast.AST):
        return all(same_code(getattr(a, name, None), getattr(b, name, None)) for name in a._fields)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_code(x, y) for x, y in zip(a, b))
    return repr(a) == repr(b)


def stand_in_class(name: str, where: Optional[ast.AST] = None) -> ast.ClassDef:
    """A class statement standing for a class known only by name (made by ``namedtuple(...)``, or defined in
    another module), at ``where``'s position (else line 0)."""
    node = ast.ClassDef(name=name, bases=[], keywords=[], body=[], decorator_list=[], lineno=0, col_offset=0)
    return ast.copy_location(node, where) if where is not None else node
