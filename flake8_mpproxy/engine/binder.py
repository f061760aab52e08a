"""Names and where they live: bind, look up, and the bindings one unit's scope shows the functions it encloses.

A function sees the final bindings of the scopes around it (the module body, enclosing functions) as their
latest walk left them. Each lookup that leaves the unit's own scope is a ``binding`` fact read; each unit's
final bindings are *published* at the end of its walk, and a binding that changed (by :func:`signature`) is a
fact that grew. ``global`` and ``nonlocal`` stores from another unit are kept across the owner's walks.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Dict, Hashable, Optional, Tuple

from .values import (
    ClassInfo, Context, Copy, Either, Function, Instance, Iteration, Manager, ManagerClass, Mapping, Partial, Pool, Proxy,
    QualName, Seq, Value, bounded, conflate_locks, richness,
)
from .facts import Scope
from .solver import FactKey, Unit

if TYPE_CHECKING:  # pragma: no cover
    from .walker import Walker


class Binder:
    """Binding and lookup of names for the :class:`Walker`, and the ``binding`` facts between units."""

    def __init__(self, walker: "Walker") -> None:
        self.w = walker
        #: Per unit: the signature of each name's final binding (what ``binding`` facts compare), and the
        #: bindings other units made in its scope (``global`` / ``nonlocal``), kept across its walks.
        self.published: Dict[Unit, Dict[str, Hashable]] = {}
        self.outer_binds: Dict[Unit, Dict[str, Optional[Value]]] = {}
        #: The ``binding`` fact key of each (unit, name) looked up from another unit, made once: a lookup that
        #: leaves its scope is a fact read, and most name reads are such lookups.
        self._keys: Dict[Unit, Dict[str, FactKey]] = {}

    def bind(self, name: str, value: Optional[Value], origin: Optional[ast.AST] = None) -> None:
        scope = self.w.scope
        if scope.aliases.is_alias(name) and (isinstance(value, Copy) or not self.in_branch(scope, name)):
            if isinstance(value, Copy):
                scope.aliases.replacing = (name, scope.aliases.states[name])
            self.w.end_aliases(scope.aliases.end([name]))
        if name in scope.globals:
            self.child_global(name)
            scope = self.w.module_scope
        elif name in scope.nonlocals:
            scope = self.enclosing_with(name) or scope
        conflate_locks((value, scope.vars.get(name)))  # (branches, loops: a later use may see either lock)
        scope.vars[name] = value
        if scope is not self.w.scope:
            self.bind_outer(scope, name, value)

    def in_branch(self, scope: Scope, name: str) -> bool:
        """Is this binding of the alias ``name`` inside a branch of its block (an ``if``, loop, ``try`` or
        ``match`` there), so that another path keeps the copy (``x = d.get(k)``, ``if x is None: x = []``,
        ``x.append(v)``)? Then the alias lives on: what happens to it after the branch may be lost."""
        block = scope.aliases.states[name].block
        stack = self.w.cursor.stack
        for index in range(len(stack) - 1, -1, -1):
            if stack[index][1] is block:
                return any(not isinstance(stmt, (ast.With, ast.AsyncWith)) for stmt, _ in stack[index:-1])
        return False

    def child_global(self, name: str) -> None:
        """``global name`` bound in a pool initializer: every worker binds it before its tasks run, so the
        workers that read it read their own binding, not the parent's (MPP202 does not apply)."""
        unit = self.w.unit()
        if unit is None:
            return
        facts = self.w.facts
        facts.read("initializer", unit)
        if unit in facts.initializers and name not in facts.child_globals:
            facts.child_globals.add(name)
            facts.wrote("child-global", name)

    def enclosing_with(self, name: str) -> Optional[Scope]:
        parent = self.w.scope.parent
        while parent is not None and parent.kind != "module":
            if name in parent.vars:
                return parent
            parent = parent.parent
        return None

    def lookup(self, name: str) -> Tuple[Optional[Value], str]:
        scope = self.w.scope
        if name in scope.globals:
            self.read_binding(self.w.module_scope, name)
            return self.w.module_scope.vars.get(name), "global"
        if name in scope.vars:
            return scope.vars[name], "local" if scope.kind != "module" else "module"
        parent = scope.parent
        while parent is not None:
            if parent.kind == "module":
                self.read_binding(parent, name)
                if name in parent.vars:
                    return parent.vars[name], "global"
                break
            if parent.kind == "function" and name in parent.vars:
                self.read_binding(parent, name)
                return parent.vars[name], "enclosing"
            parent = parent.parent
        return None, "builtin"

    def publish(self, unit: Unit, scope: Scope) -> None:
        """The final bindings of ``unit``'s scope (with what other units stored there through ``global`` or
        ``nonlocal``) are what functions it encloses see: tell the solver about each one that changed."""
        for name, value in self.outer_binds.get(unit, {}).items():
            if richness(value) > richness(scope.vars.get(name)):
                scope.vars[name] = value
        old = self.published.get(unit, {})
        new = {name: signature(value) for name, value in scope.vars.items()}
        for name in set(old) | set(new):
            if old.get(name) != new.get(name):
                self.w.solver.grew(FactKey("binding", (unit, name)))
        self.published[unit] = new

    def bind_outer(self, scope: Scope, name: str, value: Optional[Value]) -> None:
        """``global``/``nonlocal`` ``name``: a binding in another unit's scope, remembered across its walks."""
        owner = scope_unit(scope)
        if owner == self.w.solver.current:
            return
        binds = self.outer_binds.setdefault(owner, {})
        value = bounded(value)
        if richness(value) >= richness(binds.get(name)):
            binds[name] = value
        published = self.published.setdefault(owner, {})
        sig = signature(scope.vars.get(name))
        if published.get(name) != sig:
            published[name] = sig
            self.w.solver.grew(FactKey("binding", (owner, name)))

    def read_binding(self, scope: Scope, name: str) -> None:
        """The unit walked now looks ``name`` up in ``scope`` (a module or enclosing function scope)."""
        owner = scope.unit
        solver = self.w.solver
        if owner is not solver.current:
            keys = self._keys.get(owner)
            if keys is None:
                keys = self._keys[owner] = {}
            key = keys.get(name)
            if key is None:
                key = keys[name] = FactKey("binding", (owner, name))
            solver.read(key)


def scope_unit(scope: Scope) -> Unit:
    """The unit whose walk builds ``scope``: comprehension and class scopes belong to the unit around them."""
    return scope.unit


def signature(value: Optional[Value], depth: int = 0) -> Hashable:
    """What a value says, comparable across walks (each walk makes new Seq/Function/... objects; proxies,
    managers and classes are one object per site for the whole analysis)."""
    if value is None or depth > 6:
        return None
    if isinstance(value, (Proxy, Manager, ManagerClass, ClassInfo)):
        return id(value)
    if isinstance(value, Function):
        return ("function", id(value.node), value.bound)
    if isinstance(value, Instance):
        if value.fields:
            return ("record", value.cls.node.name, tuple(sorted(
                (name, signature(part, depth + 1)) for name, part in value.fields.items())))
        return ("instance", id(value.cls))
    if isinstance(value, QualName):
        return ("name", value.name, value.library.module)
    if isinstance(value, Seq):
        items = tuple(signature(item, depth + 1) for item in value.items) if value.items is not None else None
        return ("seq", items, signature(value.elem, depth + 1))
    if isinstance(value, Mapping):
        return ("mapping", tuple(sorted((key, signature(item, depth + 1)) for key, item in value.items.items())),
                signature(value.values_join, depth + 1))
    if isinstance(value, Either):
        return ("either", tuple(signature(option, depth + 1) for option in value.options))
    if isinstance(value, Partial):
        return ("partial", signature(value.func, depth + 1), tuple(signature(a, depth + 1) for a in value.args),
                tuple(sorted((key, signature(item, depth + 1)) for key, item in value.kwargs.items())))
    if isinstance(value, Copy):
        return ("copy", id(value.proxy), id(value.root), value.deep)
    if isinstance(value, Iteration):
        return ("iteration", id(value.proxy), value.mode, id(value.node))
    if isinstance(value, Pool):
        return ("pool", value.child)
    if isinstance(value, Context):
        return ("context", value.library.module)
    return (type(value).__name__,)
