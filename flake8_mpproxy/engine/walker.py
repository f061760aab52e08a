"""The walker: one unit at a time, the walk state, and the facts helpers its collaborators share."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from .concurrency import NO_CALLS, CallsBefore, Concurrency, Write
from ..model.findings import Finding
from .observations import AliasEnded, ClassAttributeInChild, ManagerStarted, Observer, Site
from .locks import is_mutex
from .syntax import annotation_kind, assigns_to_first_arg, display, key_source, stand_in_class, value_type
from ..model.mpapi import (
    MANAGER_CLASSES, MANAGER_FACTORIES, MUTATORS, RECORD_BASES, RECORD_DECORATORS, STANDARD, SYNC_MANAGER,
    Library,
)
from .values import (
    INTERESTING, ClassInfo, Copy, Function, Instance, Iteration, Manager, ManagerClass, Mapping, Proxy, QualName,
    Seq, Value, either, is_constant_key, join, richness, slot_of
)
from .binder import Binder, signature
from .registries import MAPPING_STORE, module_containers, name_keyed, registrars, registrations
from .expressions import Expressions
from .facts import Facts, FunctionNode, Scope
from .solver import Solver, Unit
from .links import CLASS_ATTRIBUTE, Links, seed
from .statements import Statements, record_fields, store_item


#: How deep first walks of callees may nest in their callers' walks (each level is about 20 Python frames).
MAX_NESTED = 8


@dataclass
class WalkStats:
    """Work summed over every :func:`analyse` call of this process (for benchmarks)."""

    files: int = 0
    walks: int = 0
    units: int = 0
    #: walks of module bodies (the first version walked whole modules: compare with this)
    modules: int = 0

    def reset(self) -> None:
        self.files = self.walks = self.units = self.modules = 0

    def counts(self) -> Dict[str, int]:
        """``{"modules": module-body walks, "units": unit walks}`` so far (what benchmarks/walks.py reads)."""
        return {"modules": self.modules, "units": self.walks}

    def per_file(self) -> float:
        return self.walks / self.files if self.files else 0.0


#: Walks summed over the process; see the module docstring.
stats = WalkStats()


@dataclass
class InferenceResult:
    """Findings of one module, the walks each unit took (by display name, in walk order; ``<module>`` for the
    body), and ``stopped_after``: the step count when the budget stopped the analysis (findings may be
    missing then), else None."""

    findings: List[Finding]
    walks: Dict[str, int] = field(default_factory=dict)
    stopped_after: Optional[int] = None

    def total_walks(self) -> int:
        return sum(self.walks.values())


@dataclass
class UnitWalk:
    """The state of one walk of one unit: made new at each walk, and put aside while a callee is walked
    inside it (:meth:`Walker.walk_out_of_turn`)."""

    #: The statement being walked, and the statements enclosing it with the blocks that hold them (where a
    #: fix may insert).
    stmt: ast.AST
    stack: List[Tuple[ast.stmt, List[ast.stmt]]] = field(default_factory=list)
    #: > 0 inside expressions where statements cannot be inserted (lambda, comprehension...): see barrier()
    barrier_depth: int = 0
    #: The units that have started a child so far, and the functions called directly so far (see
    #: :meth:`Walker.write_at`).
    started: Set[Optional[FunctionNode]] = field(default_factory=set)
    direct_callees: List[FunctionNode] = field(default_factory=list)
    #: Every write to a proxy in this walk.
    writes: List[Write] = field(default_factory=list)


class Barrier:
    """``with walker.barrier():`` (see :meth:`Walker.barrier`). One object per walker, re-entered at every use:
    a generator-based context manager costs a generator and two calls more, at each of thousands of uses."""

    def __init__(self, walker: "Walker") -> None:
        self.walker = walker

    def __enter__(self) -> None:
        self.walker.cursor.barrier_depth += 1

    def __exit__(self, *exc: object) -> None:
        self.walker.cursor.barrier_depth -= 1


class Walker:
    """Evaluates one module; see the module docstring for how units are walked.

    The walk state lives here (scope, main guard) and in :attr:`cursor`, one :class:`UnitWalk` per walk; the
    collaborators it drives are explicit: :class:`Statements` (statements and targets), :class:`Expressions`
    (values of expressions; calls in :mod:`.calls`), :class:`Binder` (names), the :class:`Solver` (which
    unit next) and the :class:`Observer` (observations -> the rules of :mod:`flake8_mpproxy.rules` -> findings).
    """

    def __init__(self, tree: ast.Module, observer: Observer, factories: Iterable[str],
                 budget: Optional[int] = None, links: Optional[Links] = None) -> None:
        self.tree = tree
        #: The project around the module (calls in and out), or None: the module alone.
        self.links = links
        self.solver = Solver(budget)
        self.facts = Facts(self.solver)
        self.factories = frozenset(factories)
        #: Hears every observation (the rules, :class:`flake8_mpproxy.rules.reporter.Reporter`).
        self.report = observer
        self.module_scope = Scope("module", None)
        self.scope = self.module_scope
        self.pending: List[Tuple[FunctionNode, Scope, Optional[ClassInfo]]] = []
        #: Every function unit: the scope it closes over (from its definer's latest walk) and its class.
        self.units: Dict[FunctionNode, Tuple[Scope, Optional[ClassInfo]]] = {}
        self.main_guard = 0
        self.nested_reads: Dict[ast.AST, Tuple[Proxy, str]] = {}
        #: The proxies each unit's latest walk recorded uses of (a walk again clears them first).
        self.used_proxies: Dict[Unit, Set[Proxy]] = {}
        #: The expression of the statement walked last when it is a bare expression (its value is dropped).
        self.discarded: Optional[ast.AST] = None
        self.defaults_of: Dict[ast.AST, Dict[str, Optional[Value]]] = {}
        self.mutator_methods: Optional[FrozenSet[str]] = None
        #: A lock proxy was made in this module (only those are manager locks :mod:`locks` knows): until then
        #: no site has one in sight, and the scopes need not be searched at every write.
        self.locks_made = False
        #: Walks nested in the current one (see walk_out_of_turn)
        self.nested = 0
        #: Functions and lambdas defined so far (by every walk): see walk_unit
        self.defined = 0
        #: Names the module binds at its top level to a dict, list or set: those may be registries
        #: (:mod:`.registries`), which are looked for only when code reads one of them.
        self.containers = module_containers(tree)
        self._registries: Optional["LocalRegistries"] = None
        #: Where the walk of the current unit is (one per walk; a nested walk has its own).
        self.cursor = UnitWalk(tree)
        #: Every write to a proxy, per unit (its latest walk's).
        self.unit_writes: Dict[Unit, List[Write]] = {}
        self._barrier = Barrier(self)
        self.binder = Binder(self)
        self.statements = Statements(self)
        self.expressions = Expressions(self)

    def barrier(self) -> "Barrier":
        """Code evaluated inside, no statement can be inserted around (a condition, a lambda, a decorator...)."""
        return self._barrier

    # --- units -----------------------------------------------------------------------------------------------

    def run(self) -> InferenceResult:
        self.solver.discover(None)
        if self.links is not None and self.links.incoming:
            seed(self, self.tree, self.links.incoming)
        if self.links is not None and self.links.remote_in:
            # Globals other modules assign (``registry.SHARED = manager.dict()``): like a ``global`` store from
            # another unit, kept across the module body's walks; its functions see them as module bindings.
            # (The body itself runs at import time, before any importer's store: it keeps its own binding.)
            binds = self.binder.outer_binds.setdefault(None, {})
            for name, value in self.links.remote_globals().items():
                if richness(value) >= richness(binds.get(name)):
                    binds[name] = value
        while True:
            if not self.solver.has_first_walks() and not (self.facts.proxies or self.facts.managers) and not (
                    self.links is not None and self.links.brought_values()):
                break  # every unit walked once and nothing a finding could come from
            popped = self.solver.pop()
            if popped is None:
                break
            self.walk_unit(popped[0])
        writes = [write for unit_writes in self.unit_writes.values() for write in unit_writes]
        concurrency = Concurrency(self.facts.calls, self.facts.call_units, self.facts.repeated_calls, writes,
                                  self.facts.opaque_starts, self.facts.made_in, self.facts.early_calls,
                                  self.facts.child_starters)
        findings = self.report.complete(concurrency)
        if self.links is not None:
            self.links.finish(concurrency, self)
        walks = {unit_name(unit): count for unit, count in self.solver.walks.items()}
        stats.files += 1
        stats.walks += self.solver.steps
        stats.units += len(self.solver.walks)
        stats.modules += self.solver.walks.get(None, 0)
        return InferenceResult(findings, walks, self.solver.steps if self.solver.stopped else None)

    def release(self) -> None:
        """Drop everything this walker holds (it cannot be used again). Its collaborators point back at it, so
        the whole analysis (tree, facts, scopes, values) is one web of reference cycles that only the cyclic
        collector would free, scanning it again at each collection until then: released here, most of it is
        freed at once. Takes 10 % off a manager-heavy run. (A class and its methods point at each other too.)"""
        for info in self.facts.classes.values():
            info.methods.clear()
        self.__dict__.clear()

    def registry_value(self, name: str) -> Optional[Value]:
        """The module's registry ``name`` as the functions registered in it: any of them at any key (a dict)
        or as any element (a list, a set); None when none is registered (yet)."""
        if self._registries is None:
            self._registries = local_registries(self.tree)
        registries, registered, named = self._registries
        how, mine = registries.get(name, ("", frozenset()))
        by_name: Dict[str, Optional[Value]] = {}
        members: List[Value] = []
        for written, function in registered:
            value = self.module_scope.vars.get(function)
            if written in mine and isinstance(value, Function):
                members.append(value)
                by_name[function] = value
        remote = self.links.registered(name) if self.links is not None else None
        if isinstance(remote, Mapping) and remote.values_join is not None:
            members.append(remote.values_join)
            how = how or MAPPING_STORE
        elif isinstance(remote, Seq) and remote.elem is not None:
            members.append(remote.elem)
        if not members:
            return None
        bound = self.module_scope.vars.get(name)  # what the module put there itself (``{"default": f}``)
        if name in named and how == MAPPING_STORE and not isinstance(remote, Mapping):
            # (``COMMANDS[fn.__name__] = fn``: ``COMMANDS["hit"]`` is ``hit``; any other key, any of them)
            items = dict(bound.items) if isinstance(bound, Mapping) else {}
            items.update(by_name)
            return Mapping(items=items, values_join=either(members))
        if isinstance(bound, Mapping):
            joined = either(members + ([bound.values_join] if bound.values_join is not None else []))
            return Mapping(items=dict(bound.items), values_join=joined)
        element = bound.element() if isinstance(bound, Seq) else None
        if element is not None:
            members.append(element)
        member = either(members)
        return Mapping(values_join=member) if how == MAPPING_STORE else Seq(elem=member)

    def walk_unit(self, unit: Unit) -> None:
        """Walk one unit from scratch: its findings, writes and reads replace those of its previous walk."""
        self.solver.begin(unit)
        self.report.begin(unit)
        for proxy in self.used_proxies.pop(unit, ()):
            proxy.unit_uses.pop(unit, None)
        self.cursor = UnitWalk(self.tree)
        self.unit_writes[unit] = self.cursor.writes
        defined = self.defined
        if unit is None:
            scope = self.walk_module()
        else:
            closure, owner = self.units[unit]
            scope = self.walk_function(unit, closure, owner)
        if unit is None or self.defined != defined:
            # only code defined in a unit's scope can see its bindings: a function that defines no function,
            # lambda or class (the same ones at every walk) has nothing to publish
            self.binder.publish(unit, scope)

    def walk_out_of_turn(self, callee: FunctionNode) -> None:
        """A function called here (by a function) that was never walked is walked now, nested in this walk,
        with the arguments this call gave it, so what it returns is known to the rest of this walk.

        First walks go last defined first, so a callee defined above its caller (the usual order) is walked
        after it: the caller would read nothing back and be walked again once the callee's return is known.
        Only functions whose closure is the module (its scope is final: the module body was walked first) are
        taken, only from a function's walk, and at most :data:`MAX_NESTED` deep (the Python stack)."""
        if self.nested >= MAX_NESTED or self.solver.current is None:
            return
        known = self.units.get(callee)
        if known is None or known[0] is not self.module_scope or not self.solver.take(callee):
            return
        caller = self.solver.current
        saved = self.cursor, self.pending
        self.pending = []
        self.nested += 1
        try:
            self.walk_unit(callee)
        finally:
            self.nested -= 1
            self.cursor, self.pending = saved
            self.solver.resume(caller)
            self.report.resume(caller)

    def walk_module(self) -> Scope:
        self.module_scope = self.scope = Scope("module", None)
        self.main_guard = 0
        self.statements.walk_body(self.tree.body)
        self.end_scope(self.module_scope)
        self.discover_pending()
        return self.module_scope

    def discover_pending(self) -> None:
        """Hand the functions this walk defined to the solver (first walks run last defined first)."""
        for node, _, _ in self.pending:
            self.solver.discover(node)
        self.pending = []

    def walk_function(self, node: FunctionNode, closure: Scope, owner: Optional[ClassInfo]) -> Scope:
        scope = Scope("function", closure, node)
        scope.owner = owner
        saved = self.scope, self.main_guard
        self.scope, self.main_guard = scope, 0
        self.bind_parameters(node, scope, owner)
        if isinstance(node, ast.Lambda):
            with self.barrier():
                self.note_return(node, self.expressions.ev(node.body))
        else:
            self.statements.walk_body(node.body)  # type: ignore[attr-defined]  # FunctionNode is a def here
        self.end_scope(scope)
        self.scope, self.main_guard = saved
        self.discover_pending()
        return scope

    # --- bindings other units see ----------------------------------------------------------------------------

    def end_scope(self, scope: Scope) -> None:
        self.end_aliases(scope.aliases.end(scope.aliases.names()))

    # --- statements ------------------------------------------------------------------------------------------

    def end_aliases(self, ended: List[AliasEnded]) -> None:
        """Aliases of copies that are bound again or go out of scope: the MPP103 rule judges each."""
        for seen in ended:
            self.report.observe(seen)

    def site(self, locks: bool = True) -> Site:
        """Where a finding may be: ``locks=False`` skips looking for the manager locks in sight (only a change of
        a copy can be fixed under one)."""
        unit = self.unit()
        return Site(self.cursor.stmt, self.cursor.barrier_depth == 0, self.write_at(unit, locks),
                    self.function_scope().lock_depth > 0,
                    self.visible_locks() if locks else ())

    def unit(self) -> Optional[FunctionNode]:
        """The function whose code is running here (None: the module body); comprehensions belong to it."""
        scope = self.scope
        return (scope.home or scope).func

    def external_call(self, node: ast.Call, target: str, args: List[Optional[Value]],
                      kwargs: Dict[str, Optional[Value]], how: str) -> None:
        """A call of something imported (maybe a function of another project module): the project hears it."""
        if self.links is not None:
            self.links.record(self, node, target, args, kwargs, how)

    def function_scope(self) -> Scope:
        scope = self.scope
        return scope.home or scope  # (a comprehension's scope belongs to the scope around it)

    def write_at(self, unit: Optional[FunctionNode], visible: bool = True) -> Write:
        """A write here, early when this unit has started no child yet and no loop may repeat it later; with
        the manager locks held around it and (``visible``) those in sight."""
        scope = self.function_scope()
        early = unit not in self.cursor.started and scope.loop_depth == 0
        return Write(None, unit, early, tuple(scope.held_locks), self.visible_lock_proxies() if visible else (),
                     CallsBefore(self.cursor.direct_callees, len(self.cursor.direct_callees)) if early else NO_CALLS)

    def opaque_start(self, node: ast.AST) -> None:
        """Concurrent code the analysis cannot follow starts here (``os.fork()``, an unknown child target)."""
        unit = self.unit()
        self.facts.opaque_starts[node] = unit
        self.child_started(unit)

    def child_started(self, unit: Optional[FunctionNode]) -> None:
        """``unit`` has started a child from here on. (Its direct callers, and what they do after calling it,
        are worked out once the walk is over: :meth:`Concurrency.early`.)"""
        self.cursor.started.add(unit)
        self.facts.child_starters.add(unit)

    def note_write(self, proxy: Proxy) -> None:
        """Someone writes ``proxy`` here (a store, a change of the proxy, or a change of a copy the fix writes)."""
        write = self.write_at(self.unit())
        self.cursor.writes.append(Write(proxy, write.unit, write.early, write.held, write.visible, write.calls_before))

    def note_use(self, value: Optional[Value], how: str, depth: int = 0) -> None:
        """``value`` (a proxy, a copy read from one, an iteration over one's values, or a container holding them)
        is used as ``how`` says: a use name of :data:`model.nested.SAME_ON_NESTED` or a description of a use
        nothing proves. The ``auto`` fix style stores nested proxies only where every use is proven."""
        if isinstance(value, Proxy):
            self.note_use_on(value, None, how)
        elif isinstance(value, Copy):
            if not value.deep:  # (read from inside the value: plain either way)
                self.note_value_use(value, how)
        elif isinstance(value, Iteration):
            self.note_use_on(value.proxy, None, how)  # (its elements are the stored values, at any key)
        elif isinstance(value, Seq) and depth < 4:
            for item in (value.items or []) + ([value.elem] if value.elem is not None else []):
                self.note_use(item, how, depth + 1)
        elif isinstance(value, Mapping) and depth < 4:
            for item in list(value.items.values()) + [value.values_join]:
                self.note_use(item, how, depth + 1)

    def read_is_nested(self, read: ast.AST) -> None:
        """``read`` returns a nested proxy: a parameter that took a copy from it holds the proxy alone."""
        for func, name in self.facts.param_copy_reads.pop(read, ()):
            copies = self.facts.param_copies.get(func, {})
            if name in copies and copies[name].root is read:
                del copies[name]
                self.facts.grown(("param", func, name))
                self.facts.wrote("param", func)

    def note_value_use(self, copy: Copy, how: str) -> None:
        """A use of the value ``copy`` was read as (deep or not: a change inside it counts for the value)."""
        constant = copy.key is not None and is_constant_key(copy.key)
        self.note_use_on(copy.proxy, copy.key if constant else None, how)

    def note_use_on(self, proxy: Proxy, key: Optional[str], how: str) -> None:
        """Record a use (see :attr:`Proxy.unit_uses`) for the unit walked now, with the line it is on."""
        unit = self.unit()
        proxy.unit_uses.setdefault(unit, {}).setdefault(key, set()).add(how)
        self.used_proxies.setdefault(unit, set()).add(proxy)
        if how not in proxy.use_lines and not proxy.origin:
            proxy.use_lines[how] = getattr(self.cursor.stmt, "lineno", 0)

    def visible_lock_proxies(self) -> Tuple[Proxy, ...]:
        """The manager lock proxies in sight here (see :meth:`visible_locks`)."""
        found: List[Proxy] = []
        if not self.locks_made:
            return ()
        scope: Optional[Scope] = self.scope
        while scope is not None:
            for value in scope.vars.values():
                if isinstance(value, Proxy) and is_mutex(value) and all(value is not s for s in found):
                    found.append(value)
            scope = scope.parent
        return tuple(found)

    def visible_locks(self) -> Tuple[Tuple[str, bool, Proxy], ...]:
        """Manager locks (``Lock``/``RLock``/``Condition``) visible here: (name, is a module global, proxy)."""
        found: List[Tuple[str, bool, Proxy]] = []
        if not self.locks_made:
            return ()
        seen: List[Proxy] = []
        scope: Optional[Scope] = self.scope
        while scope is not None:
            for name, value in scope.vars.items():
                if isinstance(value, Proxy) and is_mutex(value) and all(value is not s for s in seen) \
                        and not any(name == n for n, _, _ in found):
                    seen.append(value)
                    found.append((name, scope.kind == "module", value))
            scope = scope.parent
        return tuple(found)

    def class_attribute_read(self, node: ast.Attribute, proxy: Proxy,
                             key: Optional[Tuple[ast.ClassDef, str]] = None, holder: str = CLASS_ATTRIBUTE) -> None:
        """``Registry.shared`` holds a proxy: code running in a child reads the class attribute of a class the
        child imported again (spawn), not the parent's proxy (MPP202). Unless only code that runs in a child
        stores it (``cls.store = store`` in a method the child target calls): then it is the child's own."""
        unit = self.unit()
        if unit is None:
            return
        self.facts.read("in-child", unit)
        if key is not None and self.stored_in_children_only(key):
            return
        if unit in self.facts.in_child:
            self.report.observe(ClassAttributeInChild(node, unit, self.facts.calls.get(unit, {}), holder))

    def stored_in_children_only(self, key: Tuple[ast.ClassDef, str]) -> bool:
        self.facts.read("attr", *key)
        units = self.facts.attr_units.get(key)
        if not units or None in units:
            return False
        for unit in units:
            self.facts.read("in-child", unit)
        return all(unit in self.facts.in_child for unit in units)

    def manager_started(self, node: ast.AST) -> None:
        """A manager starts at ``node``: MPP201 at module level; in a function, the function starts one, and
        module-level code that calls it (directly or through other functions) starts one at import time."""
        if self.at_module_level():
            self.report.observe(ManagerStarted(node))
            return
        unit = self.unit()
        if unit is not None and unit not in self.facts.manager_starters:
            self.facts.manager_starters.add(unit)
            self.facts.wrote("starts", unit)

    def start_matters(self) -> bool:
        """Whether :meth:`manager_started` here would record anything: at module level (MPP201) or in a
        function (it becomes a starter). Module code under ``if __name__ == "__main__"`` is neither, so a call
        there need not read (and be walked again for) whether its callee starts a manager."""
        return self.unit() is not None or self.at_module_level()

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
        if isinstance(iterable, Copy):
            self.note_use(iterable, "iter")
        if isinstance(iterable, Mapping):
            return None
        return None

    def iteration_element(self, it: Iteration, target: ast.AST) -> Optional[Value]:
        proxy = it.proxy
        nested = self.nested_of(proxy, None)
        key_node = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else None
        if it.mode in ("elements", "enumerated"):  # list(l), l[:], enumerate(d.values()): no key to write to
            copy: Value = nested or Copy(proxy, it.proxy_name, it.node, None, "iteration")
            return copy if it.mode == "elements" else Seq(items=[None, copy])
        key = key_source(key_node) if isinstance(key_node, ast.Name) else None
        element: Value = nested or Copy(proxy, it.proxy_name, it.node, key, it.mode, key_node)
        if it.mode == "values":
            return element
        return Seq(items=[None, element])

    def note_return(self, func: FunctionNode, value: Optional[Value]) -> None:
        if isinstance(value, Copy):  # a helper returns a copy read from a proxy: the caller may change it
            value = Copy(value.proxy, value.proxy_name, value.root, None, "returned", None, value.deep)
        value = self.facts.kept(("return", func), value)
        if isinstance(value, INTERESTING + (Copy,)) and richness(value) > richness(self.facts.returns.get(func)):
            self.facts.grown(("return", func))
            self.facts.returns[func] = value
            self.facts.wrote("return", func)

    def note_yield(self, func: FunctionNode, value: Optional[Value]) -> None:
        value = self.facts.kept(("yield", func), value)
        if isinstance(value, INTERESTING + (Copy,)) and richness(value) > richness(self.facts.yields.get(func)):
            self.facts.grown(("yield", func))
            self.facts.yields[func] = value
            self.facts.wrote("yield", func)

    def entered(self, context: ast.expr, value: Optional[Value]) -> Optional[Value]:
        """What ``with context as x`` binds to ``x``: for a call of a ``@contextmanager`` function of this file,
        what it yields; else the value of ``context`` itself (a manager, a proxy, a lock...)."""
        if not isinstance(context, ast.Call) or not isinstance(context.func, (ast.Name, ast.Attribute)):
            return value
        callee = self.expressions.ev(context.func)
        node = callee.node if isinstance(callee, Function) else None
        if node is None or not any(display(d).endswith("contextmanager")
                                   for d in getattr(node, "decorator_list", ())):
            return value
        self.facts.read("yield", node)
        return self.facts.yields.get(node)

    def set_attr(self, cls: ClassInfo, attr: str, value: Optional[Value], elsewhere: bool = False) -> None:
        key = (cls.node, attr)
        value = self.facts.kept(key, value)
        if isinstance(value, Proxy):
            units = self.facts.attr_units.setdefault(key, set())
            unit = None if elsewhere else self.unit()  # (stored by another module: its own code's business)
            if unit not in units:
                units.add(unit)
                self.facts.wrote("attr", cls.node, attr)
        if isinstance(value, INTERESTING) and richness(value) > richness(self.facts.attrs.get(key)):
            self.facts.grown(key)
            self.facts.attrs[key] = value
            self.facts.wrote("attr", cls.node, attr)

    def grow_class_container(self, holder: ast.expr, current: Optional[Value], value: Optional[Value],
                             key: Optional[ast.expr] = None) -> None:
        """``X.attr[key] = value`` (``key`` given) or ``X.attr.append(value)``, ``X`` a class of this file or an
        instance of one (``cls``, ``self``, ``Registry``): the attribute is a container fact of the class, so
        the store makes a new, richer fact (whose readers are walked again: ``Registry.handlers[name](...)``
        follows what decorators registered) instead of changing the old value unseen."""
        if not isinstance(value, INTERESTING) or not isinstance(holder, ast.Attribute) \
                or not isinstance(holder.value, ast.Name):
            return
        owner, _ = self.binder.lookup(holder.value.id)
        cls = owner.cls if isinstance(owner, Instance) else owner
        if not isinstance(cls, ClassInfo):
            return
        grown: Value
        if key is not None and (current is None or isinstance(current, Mapping)):
            grown = Mapping(items=dict(current.items) if current is not None else {},
                            values_join=current.values_join if current is not None else None)
            store_item(grown, key, value)
        elif key is None and (current is None or isinstance(current, Seq)):
            element = current.element() if current is not None else None
            grown = Seq(elem=join([element, value]) if element is not None else value)
        else:
            return
        self.set_attr(cls, holder.attr, grown)

    def attr_owner(self, cls: ClassInfo, attr: str, depth: int = 0) -> Optional[Tuple[ast.ClassDef, str]]:
        """The class (``cls`` or a base) whose attribute ``attr`` :meth:`class_attr` reads."""
        if (cls.node, attr) in self.facts.attrs:
            return (cls.node, attr)
        for base in cls.bases if depth < 16 else ():
            found = self.attr_owner(base, attr, depth + 1)
            if found is not None:
                return found
        return None

    def class_attr(self, cls: ClassInfo, attr: str) -> Optional[Value]:
        self.facts.read("attr", cls.node, attr)
        if (cls.node, attr) in self.facts.attrs:
            return self.facts.attrs[(cls.node, attr)]
        for base in cls.bases:
            found = self.class_attr(base, attr)
            if found is not None:
                return found
        if cls.imported_bases and self.links is not None:
            # an attribute of a class another module defines (``self.shared`` stored by its ``__init__``)
            for name in cls.imported_bases:
                imported = self.links.imported(f"{name}.{attr}")
                if imported is not None:
                    return imported
        return None

    def nested_of(self, proxy: Proxy, key: Optional[str]) -> Optional[Proxy]:
        """The nested proxy a read at ``key`` may return; the read of a plain value sees the stores too."""
        self.facts.read("nested", proxy)
        return proxy.nested_at(key)

    def store_nested(self, proxy: Proxy, key: str, value: Proxy) -> None:
        slot = slot_of(key)
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
        slot = slot_of(key)
        if slot not in proxy.relied:
            proxy.relied.add(slot)
            self.facts.wrote("relied", proxy)

    def proxy_at(self, site: ast.AST, kind: str, manager: Optional[Manager]) -> Proxy:
        proxy = self.facts.proxies.get(site)
        if proxy is None:
            library = manager.cls.library if manager is not None else STANDARD
            proxy = self.facts.proxies[site] = Proxy(kind, site, manager, library=library)
            if kind == "lock":
                self.locks_made = True
        if site not in self.facts.made_in:
            self.facts.made_in[site] = (self.unit(), self.function_scope().loop_depth > 0)
        return proxy

    def manager_at(self, site: ast.AST, cls: ManagerClass) -> Manager:
        manager = self.facts.managers.get(site)
        if manager is None:
            manager = self.facts.managers[site] = Manager(site, cls)
        return manager

    def manager_class(self, key: object, name: str, base: Optional[ManagerClass]) -> ManagerClass:
        """The manager class made at ``key`` (a class statement of the file): of its base's library."""
        cls = self.facts.manager_classes.get(key)
        if cls is None:
            library = base.library if base is not None else STANDARD
            cls = self.facts.manager_classes[key] = ManagerClass(name, base=base, library=library)
        return cls

    def library_manager_class(self, name: str, library: Library = STANDARD) -> ManagerClass:
        """``SyncManager`` or ``BaseManager`` (qualified ``name``) of the standard module or of ``library``: one
        class per library, so that its managers know where it behaves otherwise."""
        key = name if library is STANDARD else (library.module, name)
        cls = self.facts.manager_classes.get(key)
        if cls is None:
            cls = self.facts.manager_classes[key] = ManagerClass(name, library=library)
        return cls

    def manager_class_of(self, value: Optional[Value]) -> Optional[ManagerClass]:
        if isinstance(value, ManagerClass):
            return value
        if isinstance(value, QualName) and value.name in MANAGER_CLASSES:
            return self.library_manager_class(value.name, value.library)
        return None

    def is_manager_factory(self, name: str) -> bool:
        return name in MANAGER_FACTORIES or name in self.factories

    def define_function(self, node: ast.AST, owner: Optional[ClassInfo] = None,
                        closure: Optional[Scope] = None) -> Function:
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        defaults: Dict[str, Optional[Value]] = {}
        positional = args.posonlyargs + args.args
        for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            defaults[arg.arg] = self.expressions.ev(default)
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults):
            if kw_default is not None:
                defaults[arg.arg] = self.expressions.ev(kw_default)
        for arg in positional + args.kwonlyargs:
            if arg.annotation is not None:
                annotated = self.annotation_value(arg.annotation, arg)
                if annotated is not None:
                    defaults.setdefault(arg.arg, annotated)
        function = self.facts.functions.get(node)
        if function is None:
            function = self.facts.functions[node] = Function(node, owner)
        previous = self.defaults_of.get(node)
        self.defaults_of[node] = defaults
        if previous is not None and signature(Mapping(items=previous)) != signature(Mapping(items=defaults)):
            self.facts.wrote("param", node)  # the defaults are what the parameters get when no caller says
        self.units[node] = (closure or self.scope, owner)
        self.pending.append((node, closure or self.scope, owner))
        self.defined += 1
        return function

    def is_mutator(self, method: str) -> bool:
        """A known mutator, or a method of a class of this file that changes ``self`` state (DESIGN §1)."""
        if method in MUTATORS:
            return True
        if self.mutator_methods is None:
            imported = self.links.mutators() if self.links is not None else frozenset()
            self.mutator_methods = mutator_methods(self.tree) | imported
        return method in self.mutator_methods

    def annotation_value(self, annotation: ast.AST, site: ast.AST) -> Optional[Value]:
        kind = annotation_kind(annotation)
        if kind is None:
            return None
        if kind == "manager":
            return self.manager_at(site, self.library_manager_class(SYNC_MANAGER))
        return self.proxy_at(site, kind, None)

    def bind_parameters(self, node: FunctionNode, scope: Scope, owner: Optional[ClassInfo]) -> None:
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        self.facts.read("param", node)
        facts = self.facts.params.get(node, {})
        defaults = self.defaults_of.get(node, {})
        ordered = args.posonlyargs + args.args
        names = [arg.arg for arg in ordered + args.kwonlyargs]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        copies = self.facts.param_copies.get(node, {})
        for name in names:
            value = scope.vars[name] = facts.get(name, defaults.get(name))
            if isinstance(value, Proxy) and name in copies:
                value = copies[name]  # (a proxy at one call, a copy at another: the copy is an alias too)
            if isinstance(value, Copy) and not isinstance(node, ast.Lambda):
                # a copy handed over by a caller: an alias here, written back, returned or passed on, or lost
                scope.aliases.bind(name, value, self.site(), node.body)  # type: ignore[attr-defined]
        if owner is not None and ordered and not isinstance(node, ast.Lambda):
            first = ordered[0].arg
            decorators = {display(d) for d in node.decorator_list}  # type: ignore[attr-defined]
            if "staticmethod" not in decorators and scope.vars.get(first) is None:
                scope.vars[first] = owner if "classmethod" in decorators else Instance(owner)




def mutator_methods(tree: ast.Module) -> FrozenSet[str]:
    """Names of methods of the file's classes that change ``self`` state: by assigning to it, or by calling
    such a method on ``self`` (``def twice(self): self.bump()``), to a fixed point."""
    methods = [item for cls in ast.walk(tree) if isinstance(cls, ast.ClassDef) for item in cls.body
               if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.args.args]
    found = {item.name for item in methods if assigns_to_first_arg(item)}
    calls = {item: {node.func.attr for node in ast.walk(item) if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == item.args.args[0].arg}
             for item in methods if item.name not in found}
    grew = True
    while grew:
        grew = False
        for item, called in calls.items():
            if item.name not in found and called & found:
                found.add(item.name)
                grew = True
    return frozenset(found)


def record_classes(tree: ast.Module) -> Dict[str, Tuple[Tuple[str, ...], bool]]:
    """The top-level record classes of a file another module imports, read without analysing it: name ->
    (the fields of the generated ``__init__``, whether it unpacks like a tuple). A ``@dataclass`` (or attrs)
    or a ``NamedTuple`` subclass, by the names the file imports; record bases of the same file come first."""
    imported = import_names(tree)

    def qualified(node: ast.AST) -> str:
        node = node.func if isinstance(node, ast.Call) else node
        head, _, rest = display(node).partition(".")
        full = imported.get(head, head)
        return f"{full}.{rest}" if rest else full

    found: Dict[str, Tuple[Tuple[str, ...], bool]] = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.ClassDef) or any(item.name == "__init__" for item in stmt.body
                                                     if isinstance(item, ast.FunctionDef)):
            continue
        bases = [qualified(base) for base in stmt.bases]
        tuple_like = any(base in RECORD_BASES for base in bases)
        if not tuple_like and not any(qualified(d) in RECORD_DECORATORS for d in stmt.decorator_list):
            continue
        info = ClassInfo(stmt, bases=[ClassInfo(stand_in_class(b), fields=list(found[b][0]))
                                      for b in (base.id for base in stmt.bases if isinstance(base, ast.Name))
                                      if b in found])
        found[stmt.name] = (tuple(record_fields(stmt, info)), tuple_like)
    return found


def import_names(tree: ast.Module) -> Dict[str, str]:
    """What the file's top-level imports bind: local name -> dotted name (``dataclass`` ->
    ``dataclasses.dataclass``, ``dc`` -> ``dataclasses``)."""
    found: Dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                found[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                    alias.name.split(".")[0]
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level:
            for alias in stmt.names:
                found[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
    return found


def unit_name(unit: Unit) -> str:
    """``<module>``, a function's name, or ``<lambda>``, with its line: how walk counts name units."""
    if unit is None:
        return "<module>"
    return f"{getattr(unit, 'name', '<lambda>')}:{getattr(unit, 'lineno', 0)}"


def analyse(tree: ast.Module, observer: Observer, manager_factories: Iterable[str] = (),
            budget: Optional[int] = None, links: Optional[Links] = None) -> InferenceResult:
    """Walk a parsed module, telling ``observer`` what it sees, with the walk counts (``budget``: the walks
    allowed, default by size); ``links`` brings calls from other modules of the project and collects the calls
    this one makes. The findings are what the observer returns when the walk completes."""
    walker = Walker(tree, observer, manager_factories, budget, links)
    try:
        return walker.run()
    finally:
        walker.release()


LocalRegistries = Tuple[Dict[str, Tuple[str, FrozenSet[str]]], List[Tuple[str, str]], Set[str]]


def local_registries(tree: ast.Module) -> LocalRegistries:
    """The registries ``tree`` fills itself (container -> how it stores, its registrars), its registrations,
    and the registries filled at each function's own name: only the functions it uses as decorators or
    registers by a call are looked at (registrations from other modules come through :meth:`Links.registered`)."""
    registered = registrations(tree)
    if not registered:
        return {}, [], set()
    found: Dict[str, Tuple[str, Set[str]]] = {}
    written = {written for written, _ in registered}
    for registrar, stores in registrars(tree, written).items():
        for container, how in stores.items():
            found.setdefault(container, (how, set()))[1].add(registrar)
    return {name: (how, frozenset(mine)) for name, (how, mine) in found.items()}, registered, \
        name_keyed(tree, written)
