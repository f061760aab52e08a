"""One scope-aware abstract pass over a module: which values are managers, proxies and copies read from proxies.

The walker evaluates statements in order, binding names to the abstract values of :mod:`values`. Facts that
cross scopes (parameters of functions called with proxies, return values, ``self`` attributes, nested proxies
stored per key, child targets) live in :class:`Facts`. Facts only grow. A pass is final when no fact it read
changed after it was read: its findings (reported through :mod:`checks`) then rest on complete facts. Most
files need one pass (callers are walked before the functions they call); otherwise the module is walked again.
"""

from __future__ import annotations

import ast
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from . import checks, expressions, statements
from .expressions import Expressions
from .facts import Facts, FunctionNode, Scope
from .findings import Finding
from .statements import Statements
from .syntax import annotation_kind, assigns_to_first_arg, display, is_constant_key, key_source, value_type
from .concurrency import Concurrency, Write
from .locks import is_mutex
from .values import (
    INTERESTING, MANAGER_CLASSES, MANAGER_FACTORIES, MUTATORS, OLDEST_TARGET, ClassInfo, Copy, Function, Instance,
    Iteration, Manager, ManagerClass, Mapping, Proxy, QualName, Seq, Value, Version, richness,
)

MAX_PASSES = 8


class Walker(Statements, Expressions):
    """Evaluates one module; see the module docstring for the pass structure."""

    def __init__(self, tree: ast.Module, enabled: FrozenSet[str], factories: Iterable[str],
                 target: Version = OLDEST_TARGET) -> None:
        self.tree = tree
        self.facts = Facts()
        self.factories = frozenset(factories)
        self.report = checks.Reporter(enabled, target)
        self.module_scope = Scope("module", None)
        self.scope = self.module_scope
        self.pending: List[Tuple[FunctionNode, Scope, Optional[ClassInfo]]] = []
        self.stmt: ast.AST = tree
        self.barrier = 0  # > 0 inside expressions where statements cannot be inserted (lambda, comprehension...)
        self.main_guard = 0
        self.nested_reads: Dict[ast.AST, Tuple[Proxy, str]] = {}
        self.defaults_of: Dict[ast.AST, Dict[str, Optional[Value]]] = {}
        self.stack: List[Tuple[ast.stmt, List[ast.stmt]]] = []
        self.mutators: Dict[Tuple[str, int], bool] = {}
        #: Per pass: the units that have started a child so far, and every write to a proxy.
        self.started: Set[Optional[FunctionNode]] = set()
        self.writes: List[Write] = []

    # --- passes ----------------------------------------------------------------------------------------------

    def run(self) -> List[Finding]:
        for _ in range(MAX_PASSES):
            self.facts.changed = False
            self.facts.reads = set()
            self.report.reset()
            self.started, self.writes = set(), []
            self.walk_module()
            if not self.facts.changed or not (self.facts.proxies or self.facts.managers):
                break  # stable, or nothing a finding could come from
        concurrency = Concurrency(self.facts.calls, self.facts.call_units, self.facts.repeated_calls, self.writes)
        return self.report.complete(concurrency)

    def walk_module(self) -> None:
        self.module_scope = self.scope = Scope("module", None)
        self.pending = []
        self.main_guard = 0
        self.walk_body(self.tree.body)
        self.end_scope(self.module_scope)
        while self.pending:
            node, closure, owner = self.pending.pop()
            self.walk_function(node, closure, owner)

    def walk_function(self, node: FunctionNode, closure: Scope, owner: Optional[ClassInfo]) -> None:
        scope = Scope("function", closure, node)
        scope.owner = owner
        saved = self.scope, self.main_guard
        self.scope, self.main_guard = scope, 0
        self.bind_parameters(node, scope, owner)
        if isinstance(node, ast.Lambda):
            self.barrier += 1
            self.note_return(node, self.ev(node.body))
            self.barrier -= 1
        else:
            self.walk_body(node.body)
        self.end_scope(scope)
        self.scope, self.main_guard = saved

    def end_scope(self, scope: Scope) -> None:
        self.report.finalize_aliases(scope.aliases, scope.aliases.names())

    # --- statements ------------------------------------------------------------------------------------------

    def site(self) -> checks.Site:
        unit = self.unit()
        return checks.Site(self.stmt, self.barrier == 0, self.write_at(unit), self.function_scope().lock_depth > 0,
                           self.visible_locks())

    def unit(self) -> Optional[FunctionNode]:
        """The function whose code is running here (None: the module body); comprehensions belong to it."""
        return self.function_scope().func

    def function_scope(self) -> Scope:
        scope = self.scope
        while scope.func is None and scope.kind == "function" and scope.parent is not None:
            scope = scope.parent  # a comprehension's scope
        return scope

    def write_at(self, unit: Optional[FunctionNode]) -> Write:
        """A write here, early when this unit has started no child yet and no loop may repeat it later."""
        return Write(None, unit, unit not in self.started and self.function_scope().loop_depth == 0)

    def note_write(self, proxy: Proxy) -> None:
        """Someone writes ``proxy`` here (a store, a change of the proxy, or a change of a copy the fix writes)."""
        write = self.write_at(self.unit())
        self.writes.append(Write(proxy, write.unit, write.early))

    def note_use(self, value: Optional[Value], how: str, depth: int = 0) -> None:
        """``value`` (a proxy, a copy read from one, or a container holding them) is used in a way that
        would change if the proxy held nested proxies instead of plain values."""
        if isinstance(value, Proxy):
            value.incompatible.add(how)
        elif isinstance(value, Copy) and not value.deep:
            value.proxy.incompatible.add(how)
        elif isinstance(value, Seq) and depth < 4:
            for item in (value.items or []) + ([value.elem] if value.elem is not None else []):
                self.note_use(item, how, depth + 1)
        elif isinstance(value, Mapping) and depth < 4:
            for item in list(value.items.values()) + [value.values_join]:
                self.note_use(item, how, depth + 1)

    def visible_locks(self) -> Tuple[Tuple[str, bool], ...]:
        """Names of manager locks (``Lock``/``RLock``/``Condition``) visible here: (name, is a module global)."""
        found: List[Tuple[str, bool]] = []
        seen: List[Proxy] = []
        scope: Optional[Scope] = self.scope
        while scope is not None:
            for name, value in scope.vars.items():
                if isinstance(value, Proxy) and is_mutex(value) and all(value is not s for s in seen) \
                        and not any(name == n for n, _ in found):
                    seen.append(value)
                    found.append((name, scope.kind == "module"))
            scope = scope.parent
        return tuple(found)

    def at_module_level(self) -> bool:
        return self.scope.kind in ("module", "class") and self.main_guard == 0 and self.scope.parent in (
            None, self.module_scope) and self.scope.func is None

    def element_of(self, iterable: Optional[Value], target: ast.AST, source: ast.AST) -> Optional[Value]:
        """What a loop over ``source`` (evaluated to ``iterable``) binds to ``target``."""
        if isinstance(iterable, Seq):
            return iterable.element()
        if isinstance(iterable, Iteration):
            return self.iteration_element(iterable, target)
        if isinstance(iterable, Proxy) and iterable.kind == "list":
            nested = self.nested_of(iterable, None)
            return nested or Copy(iterable, display(source), source, None, "iteration")
        if isinstance(iterable, Mapping):
            return None
        return None

    def iteration_element(self, it: Iteration, target: ast.AST) -> Optional[Value]:
        proxy = it.proxy
        nested = self.nested_of(proxy, None)
        key_node = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else None
        key = key_source(key_node) if isinstance(key_node, ast.Name) else None
        element: Value = nested or Copy(proxy, it.proxy_name, it.node, key, it.mode, key_node)
        if it.mode == "values":
            return element
        return Seq(items=[None, element])

    def note_return(self, func: FunctionNode, value: Optional[Value]) -> None:
        if isinstance(value, INTERESTING) and richness(value) > richness(self.facts.returns.get(func)):
            self.facts.returns[func] = value
            self.facts.wrote("return", func)

    def set_attr(self, cls: ClassInfo, attr: str, value: Optional[Value]) -> None:
        key = (cls.node, attr)
        if isinstance(value, INTERESTING) and richness(value) > richness(self.facts.attrs.get(key)):
            self.facts.attrs[key] = value
            self.facts.wrote("attr", cls.node, attr)

    def class_attr(self, cls: ClassInfo, attr: str) -> Optional[Value]:
        self.facts.read("attr", cls.node, attr)
        if (cls.node, attr) in self.facts.attrs:
            return self.facts.attrs[(cls.node, attr)]
        for base in cls.bases:
            found = self.class_attr(base, attr)
            if found is not None:
                return found
        return None

    def nested_of(self, proxy: Proxy, key: Optional[str]) -> Optional[Proxy]:
        """The nested proxy a read at ``key`` may return; the read of a plain value sees the stores too."""
        self.facts.read("nested", proxy)
        return proxy.nested_at(key)

    def store_nested(self, proxy: Proxy, key: str, value: Proxy) -> None:
        slot = key if is_constant_key(key) else "*"
        if slot not in proxy.nested:
            proxy.nested[slot] = value
            self.facts.wrote("nested", proxy)

    def record_store(self, proxy: Proxy, key: str, target: ast.AST, value_node: Optional[ast.AST]) -> None:
        """A plain value stored at ``key`` (``target`` is the store, or the value itself for initial data)."""
        stores = proxy.stores.setdefault(key, [])
        if all(store[0] is not target for store in stores):
            stores.append((target, value_type(value_node), self.name_of(proxy.manager), value_node))
            # no read tracking: the findings take their store facts at the end (Reporter.complete)

    def name_of(self, manager: Optional[Manager]) -> str:
        """A name that holds ``manager`` here: in this scope or an enclosing function ("" when none: the
        nested-proxy fix needs one). A module global does not count inside a function, which may run in a
        child where the manager does not exist."""
        if manager is None:
            return ""
        scope: Optional[Scope] = self.scope
        while scope is not None:
            if scope.kind != "module" or scope is self.scope:
                for name, value in scope.vars.items():
                    if value is manager:
                        return name
            scope = scope.parent
        return ""

    def rely(self, read: ast.AST) -> None:
        proxy, key = self.nested_reads[read]
        slot = key if is_constant_key(key) else "*"
        if slot not in proxy.relied:
            proxy.relied.add(slot)
            self.facts.wrote("relied", proxy)

    def proxy_at(self, site: ast.AST, kind: str, manager: Optional[Manager]) -> Proxy:
        proxy = self.facts.proxies.get(site)
        if proxy is None:
            proxy = self.facts.proxies[site] = Proxy(kind, site, manager)
        return proxy

    def manager_at(self, site: ast.AST, cls: ManagerClass) -> Manager:
        manager = self.facts.managers.get(site)
        if manager is None:
            manager = self.facts.managers[site] = Manager(site, cls)
        return manager

    def manager_class(self, key: object, name: str, base: Optional[ManagerClass]) -> ManagerClass:
        cls = self.facts.manager_classes.get(key)
        if cls is None:
            cls = self.facts.manager_classes[key] = ManagerClass(name, base=base)
        return cls

    def manager_class_of(self, value: Optional[Value]) -> Optional[ManagerClass]:
        if isinstance(value, ManagerClass):
            return value
        if isinstance(value, QualName) and value.name in MANAGER_CLASSES:
            return self.manager_class(value.name, value.name, None)
        return None

    def is_manager_factory(self, name: str) -> bool:
        return name in MANAGER_FACTORIES or name in self.factories

    def define_function(self, node: ast.AST, owner: Optional[ClassInfo] = None,
                        closure: Optional[Scope] = None) -> Function:
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        defaults = {}
        positional = args.posonlyargs + args.args
        for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            defaults[arg.arg] = self.ev(default)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            if default is not None:
                defaults[arg.arg] = self.ev(default)
        for arg in positional + args.kwonlyargs:
            if arg.annotation is not None:
                annotated = self.annotation_value(arg.annotation, arg)
                if annotated is not None:
                    defaults.setdefault(arg.arg, annotated)
        function = self.facts.functions.get(node)
        if function is None:
            function = self.facts.functions[node] = Function(node, owner)
        self.defaults_of[node] = defaults
        self.pending.append((node, closure or self.scope, owner))
        return function

    def is_mutator(self, method: str) -> bool:
        """A known mutator, or a method of a class of this file that changes ``self`` state (DESIGN §1)."""
        if method in MUTATORS:
            return True
        key = (method, len(self.facts.classes))
        if key not in self.mutators:
            self.mutators[key] = any(
                isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == method
                and item.args.args and assigns_to_first_arg(item)
                for cls in self.facts.classes for item in cls.body)
        return self.mutators[key]

    def annotation_value(self, annotation: ast.AST, site: ast.AST) -> Optional[Value]:
        kind = annotation_kind(annotation)
        if kind is None:
            return None
        if kind == "manager":
            return self.manager_at(site, self.manager_class("multiprocessing.managers.SyncManager",
                                                              "multiprocessing.managers.SyncManager", None))
        return self.proxy_at(site, kind, None)

    def bind_parameters(self, node: FunctionNode, scope: Scope, owner: Optional[ClassInfo]) -> None:
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        self.facts.read("param", node)
        facts = self.facts.params.get(node, {})
        defaults = self.defaults_of.get(node, {})
        ordered = args.posonlyargs + args.args
        names = [arg.arg for arg in ordered + args.kwonlyargs]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        for name in names:
            scope.vars[name] = facts.get(name, defaults.get(name))
        if owner is not None and ordered and not isinstance(node, ast.Lambda):
            first = ordered[0].arg
            decorators = {display(d) for d in node.decorator_list}  # type: ignore[attr-defined]
            if "staticmethod" not in decorators and scope.vars.get(first) is None:
                scope.vars[first] = owner if "classmethod" in decorators else Instance(owner)




def _handlers(prefix: str) -> Dict[type, object]:
    """``Walker.stmt_If`` -> ``{ast.If: Walker.stmt_If}``: dispatch by node type without building names."""
    table = {}
    for attribute in dir(Walker):
        if attribute.startswith(prefix) and hasattr(ast, attribute[len(prefix):]):
            table[getattr(ast, attribute[len(prefix):])] = getattr(Walker, attribute)
    return table


statements.HANDLERS.update(_handlers("stmt_"))
expressions.HANDLERS.update(_handlers("ev_"))


def infer(tree: ast.Module, enabled: FrozenSet[str], manager_factories: Iterable[str] = (),
          target: Version = OLDEST_TARGET) -> List[Finding]:
    """Run the analysis on a parsed module and return its findings for the ``enabled`` codes, for code that
    must run on Python ``target`` and later."""
    return Walker(tree, enabled, manager_factories, target).run()

