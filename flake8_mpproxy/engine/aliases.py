"""MPP103 bookkeeping: names bound to copies read from proxies, their changes, write-backs and escapes."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from .observations import AliasEnded, AliasState, Site
from .syntax import loaded_names
from .values import Copy, Proxy

#: Calls that make a plain copy of their argument, changes included.
COPYING_CALLS = frozenset({"dict", "list", "set", "tuple", "frozenset", "sorted", "deepcopy"})


class AliasTracker:
    """MPP103 bookkeeping for one scope: aliases of copies, their mutations, write-backs and escapes."""

    def __init__(self) -> None:
        self.states: Dict[str, AliasState] = {}
        #: Names bound to a plain copy of aliases (``new = dict(e)``): storing them writes the aliases back.
        self.derived: Dict[str, Set[str]] = {}
        #: The alias a binding to another copy just ended (its :meth:`bind` follows): which copy it held.
        self.replacing: Optional[Tuple[str, AliasState]] = None

    def names(self) -> List[str]:
        return list(self.states)

    def bind(self, name: str, copy: Copy, site: Site, block: List[ast.stmt]) -> None:
        before = self.states.get(name)
        if before is None and self.replacing is not None and self.replacing[0] == name:
            before = self.replacing[1]
        self.replacing = None
        if before is not None and before.block is not block and before.copy.proxy is copy.proxy and (
                before.copy.key != copy.key or before.copy.via != copy.via):
            # bound in one branch and again in another (``if ok: x = d["a"] else: x = d["b"]``): after the
            # branches it is a copy of one item or the other, and no single write-back stores it right
            copy = Copy(copy.proxy, copy.proxy_name, copy.root, None, "choice", None, copy.deep or before.copy.deep)
        self.states[name] = AliasState(copy, site, site.stmt, block, [])

    def is_alias(self, name: str) -> bool:
        return name in self.states

    def mutate(self, name: str, node: ast.AST, path: Tuple[ast.AST, ...], change: str) -> None:
        self.states[name].mutations.append((node, path, change))

    def write_back(self, proxy: Proxy, value_node: Optional[ast.AST]) -> bool:
        """Mark the aliases of ``proxy`` that ``value_node`` stores back; True when there was one. An alias of
        another proxy's item stored here moves it (``archive[k] = record`` after ``record = store[k]``): the
        changes made so far reach this manager, so they are not lost (not a write-back of ``proxy``'s own)."""
        found = False
        if not self.states:
            return found
        for loaded in loaded_names(value_node):
            for name in {loaded} | self.derived.get(loaded, set()):
                state = self.states.get(name)
                if state is not None and state.copy.proxy is proxy:
                    state.written = found = True
                elif state is not None:
                    state.escaped = True
        return found

    def derive(self, name: str, value_node: Optional[ast.AST]) -> None:
        """``name = dict(alias)`` (or list, set, copy.copy, ``alias.copy()``...): ``name`` holds the alias's
        changes, so storing it back is the alias's write-back. Any other binding of ``name`` ends that."""
        self.derived.pop(name, None)
        if not self.states or not isinstance(value_node, ast.Call) or not value_node.args and not (
                isinstance(value_node.func, ast.Attribute) and value_node.func.attr == "copy"):
            return
        func = value_node.func
        if isinstance(func, ast.Name) and func.id in COPYING_CALLS or \
                isinstance(func, ast.Attribute) and func.attr in ("copy", "deepcopy"):
            sources = {n for n in loaded_names(value_node) if n in self.states}
            if sources:
                self.derived[name] = sources

    def write_back_any(self, proxy: Proxy, call: ast.Call) -> None:
        for arg in list(call.args) + [k.value for k in call.keywords]:
            self.write_back(proxy, arg)

    def escape_names(self, node: Optional[ast.AST]) -> None:
        if not self.states:
            return
        for name in loaded_names(node):
            if name in self.states:
                self.states[name].escaped = True

    def pop(self, name: str) -> Optional[AliasState]:
        return self.states.pop(name, None)

    def end(self, names: List[str]) -> List[AliasEnded]:
        """The aliases ``names`` are bound again or go out of scope: what happened to each is final."""
        return [AliasEnded(name, state) for name, state in ((n, self.states.pop(n, None)) for n in names)
                if state is not None]
