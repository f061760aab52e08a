"""Registries: module-level containers that functions are put into by a *registrar*, then looked up and run.

A registrar is a top-level function that stores one of its own parameters (or, for a decorator factory, a
parameter of a function it defines) into a container the module binds at top level::

    WORKERS = {}

    def worker(name):              # a registrar of WORKERS (a mapping)
        def register(func):
            WORKERS[name] = func
            return func
        return register

A function decorated with ``@worker("collect")`` (or passed to ``register(f)`` at module level) is then a
member of ``WORKERS``, in whichever module of the project it is defined; code that reads ``WORKERS[...]`` may
call or start any member. These questions are about the source only (pure ``ast``): the project solver asks
them of the modules an analysed module imports, and builds the container's value from the answers.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from .syntax import display

#: How a registrar stores: a key (``REG[name] = f``, ``REG.setdefault(name, f)``) or an element
#: (``REG.append(f)``, ``REG.add(f)``, ``REG.insert(i, f)``).
MAPPING_STORE = "mapping"
SEQUENCE_STORE = "sequence"
ELEMENT_METHODS = {"append": 0, "add": 0, "insert": 1}

#: The textual test before a module is parsed for registrars: a container bound at the top level, and an
#: indented line that stores a bare name into a container (``REG[k] = f``, ``REG.append(f)``...).
TOP_LEVEL_CONTAINER = re.compile(rb"^[A-Za-z_]\w*[ \t]*(?::[^=\n]*)?=[ \t]*(?:\{|\[|set\(|dict\(|list\(|"
                                 rb"OrderedDict\(|defaultdict\(|collections\.)", re.M)
STORES_A_NAME = re.compile(rb"^[ \t]+[A-Za-z_]\w*(?:\[[^\n]*\][ \t]*=[ \t]*[A-Za-z_]\w*[ \t]*(?:#[^\n]*)?$"
                           rb"|\.(?:append|add)\([ \t]*[A-Za-z_]\w*[ \t]*\)"
                           rb"|\.(?:insert|setdefault)\([^,\n]+,[ \t]*[A-Za-z_]\w*[ \t]*\))", re.M)


#: A name bound at the top level to a dict, list, tuple or set display or constructor.
TOP_LEVEL_NAME = re.compile(rb"^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*(?:\{|\[|\(|set\(|dict\(|list\(|"
                            rb"OrderedDict\(|defaultdict\(|collections\.)", re.M)


def container_names(raw: bytes) -> FrozenSet[str]:
    """The names ``raw`` binds at its top level to a container (textually: what a registry or a dispatch
    table must be, asked before anything is parsed)."""
    return frozenset(name.decode("ascii", "replace") for name in TOP_LEVEL_NAME.findall(raw)
                     if not name.startswith(b"__"))  # (``__all__`` and the like are no registry)


TOP_LEVEL_DEF = re.compile(rb"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)", re.M)
#: A top-level assignment and the lines that continue it (indented, or closing brackets).
TOP_LEVEL_ASSIGNMENT = re.compile(rb"^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*[\[{(][^\n]*\n(?:[ \t\]})][^\n]*\n|\n)*",
                                  re.M)


def table_names(raw: bytes) -> FrozenSet[str]:
    """The top-level containers whose display may name one of the module's own top-level functions (a
    dispatch table), textually: a module of data (one big dict, no function) is never parsed for tables."""
    functions = set(TOP_LEVEL_DEF.findall(raw))
    if not functions:
        return frozenset()
    found = set()
    for match in TOP_LEVEL_ASSIGNMENT.finditer(raw):
        display = raw[match.end(1):match.end(0)]
        if any(function in display for function in functions):
            found.add(match.group(1).decode("ascii", "replace"))
    return frozenset(found)


def may_register(raw: bytes) -> bool:
    """Can ``raw`` define a registrar? (Most modules cannot: they are not parsed for it.)"""
    return TOP_LEVEL_CONTAINER.search(raw) is not None and STORES_A_NAME.search(raw) is not None


def registrars(tree: ast.Module, only: Optional[Set[str]] = None) -> Dict[str, Dict[str, str]]:
    """Registrar name -> {container global: MAPPING_STORE or SEQUENCE_STORE} for the top-level functions of
    ``tree`` (those named in ``only``, when given) that store a parameter into a container bound at the
    module's top level."""
    containers = module_containers(tree)
    found: Dict[str, Dict[str, str]] = {}
    if not containers:
        return found
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if only is not None and stmt.name not in only:
            continue
        nodes = list(ast.walk(stmt))
        params = {arg.arg for node in nodes if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  for arg in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
        for name, kind in stores_of(nodes, params, containers):
            found.setdefault(stmt.name, {})[name] = kind
    return found


def name_keyed(tree: ast.Module, only: Optional[Set[str]] = None) -> Set[str]:
    """The containers the registrars of ``tree`` (those named in ``only``) fill only at the registered function's
    own name (``COMMANDS[fn.__name__] = fn``): there ``COMMANDS["hit"]`` is the function named ``hit``."""
    containers = module_containers(tree)
    named: Set[str] = set()
    other: Set[str] = set()
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) or only is not None and stmt.name not in only:
            continue
        for node in ast.walk(stmt):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)):
                continue
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                        and target.value.id in containers:
                    key = target.slice
                    by_name = isinstance(key, ast.Attribute) and key.attr == "__name__" and \
                        isinstance(key.value, ast.Name) and key.value.id == node.value.id
                    (named if by_name else other).add(target.value.id)
    return named - other


def module_containers(tree: ast.Module) -> Set[str]:
    """Names bound at the top level to a dict, list or set (a display, a comprehension or a constructor)."""
    found: Set[str] = set()
    for stmt in tree.body:
        value = stmt.value if isinstance(stmt, (ast.Assign, ast.AnnAssign)) else None
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AnnAssign) \
            else []
        if value is not None and is_container(value):
            found.update(target.id for target in targets if isinstance(target, ast.Name))
    return found


def is_container(node: ast.AST) -> bool:
    if isinstance(node, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    return isinstance(node, ast.Call) and display(node.func) in (
        "dict", "list", "set", "collections.OrderedDict", "OrderedDict", "collections.defaultdict", "defaultdict")


def stores_of(nodes: List[ast.AST], params: Set[str], containers: Set[str]) -> Iterator[Tuple[str, str]]:
    """(container, how) for each store of one of ``params`` (the parameters of a function and of the functions
    it defines: a decorator factory's inner decorator) into one of ``containers`` among ``nodes``."""
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in params:
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and \
                        target.value.id in containers:
                    yield target.value.id, MAPPING_STORE
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id in containers:
            stored = stored_argument(node)
            if isinstance(stored, ast.Name) and stored.id in params:
                kind = MAPPING_STORE if node.func.attr == "setdefault" else SEQUENCE_STORE
                yield node.func.value.id, kind


def stored_argument(call: ast.Call) -> Optional[ast.AST]:
    """The argument a container method stores (``append(f)``, ``insert(i, f)``, ``setdefault(k, f)``)."""
    method = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    index = 1 if method == "setdefault" else ELEMENT_METHODS.get(method)
    return call.args[index] if index is not None and len(call.args) > index else None


def registrations(tree: ast.Module) -> List[Tuple[str, str]]:
    """(registrar as written, function name) for each top-level function of ``tree`` decorated with
    ``@name``, ``@name(...)`` or ``@module.name(...)``, and each ``name(function)`` at the top level."""
    found: List[Tuple[str, str]] = []
    functions = {stmt.name for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in stmt.decorator_list:
                called = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(called, (ast.Name, ast.Attribute)):
                    found.append((display(called), stmt.name))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and \
                isinstance(stmt.value.func, (ast.Name, ast.Attribute)):
            for arg in stmt.value.args:
                if isinstance(arg, ast.Name) and arg.id in functions:
                    found.append((display(stmt.value.func), arg.id))
    return found


def function_tables(tree: ast.Module) -> Dict[str, Tuple[str, Tuple[Tuple[str, str], ...]]]:
    """Dispatch tables: top-level names bound to a dict, list or tuple display holding the module's own
    top-level functions (``DISPATCH = {"count": count, "other": other}``): name -> (MAPPING_STORE or
    SEQUENCE_STORE, (key, function) per function held; the key is the string constant, else ``*``)."""
    functions = {stmt.name for stmt in tree.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
    found: Dict[str, Tuple[str, Tuple[Tuple[str, str], ...]]] = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
            continue
        value = stmt.value
        if isinstance(value, ast.Dict):
            held = tuple((key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else "*", item.id)
                         for key, item in zip(value.keys, value.values)
                         if isinstance(item, ast.Name) and item.id in functions)
            kind = MAPPING_STORE
        elif isinstance(value, (ast.List, ast.Tuple)):
            held = tuple(("*", item.id) for item in value.elts if isinstance(item, ast.Name) and item.id in functions)
            kind = SEQUENCE_STORE
        else:
            continue
        if held:
            found[stmt.targets[0].id] = (kind, held)
    return found
