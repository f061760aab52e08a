"""What one module's analysis exchanges with the rest of the project: calls into other modules (out), and
the calls other modules make into this one (in), as small summaries -- never ASTs -- so memory stays bounded
by the summaries whatever the size of the project.

A summary keeps, per argument, the kind of proxy it carries (or None), how the call runs the function
(direct, process, pool, partial-..., thread...), whether it sits in a loop, and where the calling code runs,
as the caller's own :mod:`concurrency` answers it once its walk is over: in the parent only, in one child
that runs once, or anything else (unknown: concurrent, the safe side).
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from .concurrency import CHILD_HOWS, INITIALIZER_HOWS, PARENT, UNKNOWN, Concurrency
from ..model.mpapi import STANDARD, SYNC_MANAGER, Library, library_named
from .locks import is_mutex
from .values import (
    ClassInfo, Copy, Either, Function, Instance, Manager, ManagerClass, Mapping, Proxy, QualName, RemoteFunction,
    RemoteInstance, Seq, Value, either, mapping_join, richness,
)
from .syntax import display, node_range, stand_in_class
from .summaries import (  # noqa: F401 (re-exported: the summaries' old home)
    ATTRIBUTE, CALLER_CHILDREN, CALLER_ONCE, CALLER_PARENT, CALLER_UNKNOWN, GLOBAL, MAX_NESTING, OPAQUE, OPAQUE_KEY,
    REMOTE,
    EITHER, FUNCTION, INSTANCE, MAPPING, RECORD, RECORD_TUPLE, RETURNS, RETURNS_COPY, RETURNS_ITEMS, SEQUENCE, CallSummary, Effect, Export, InitSite, ModuleSummary, ProxyFact,
)

if TYPE_CHECKING:
    from .walker import InferenceResult, Walker

#: What a module's analysis asks the project: the export an imported dotted name (``state.registry``,
#: ``.helpers.make``, ``models.Registry.shared``) stands for, if a project module exports it.
ImportLookup = Callable[[str], Optional[Export]]
#: What a module's analysis asks the project about a call: the effects (:class:`Effect`) of the imported
#: function a dotted name stands for, on the proxies passed to it.
EffectLookup = Callable[[str], Tuple[Effect, ...]]
#: A call into another module as the walk saw it: (target, args, kwargs, how, in a loop).
OutgoingCall = Tuple[str, List[Optional["Value"]], Dict[str, Optional["Value"]], str, bool]
RecordLookup = Callable[[str], Optional[Tuple[Tuple[str, ...], bool]]]


def fact_of(value: Optional[Value], here: str, depth: int = 0) -> Optional[ProxyFact]:
    """What a summary keeps of a value: the proxy (or manager) it is, where it was made and what is nested
    in it; facts of other kinds stay local. ``here`` is this module's path relative to the project root."""
    if isinstance(value, Manager):
        return ProxyFact("manager", value.origin or site_of(here, value.site),
                         library=library_field(value.cls.library))
    if isinstance(value, Instance) and value.fields and value.cls.fields is not None:
        return record_fact(value, here, depth)
    if not isinstance(value, Proxy):
        return None
    nested: Tuple[Tuple[str, ProxyFact], ...] = ()
    truncated = value.opaque_nested
    if value.nested:
        if depth >= MAX_NESTING:
            truncated = True
        else:
            items = ((slot, fact_of(inner, here, depth + 1)) for slot, inner in sorted(value.nested.items()))
            nested = tuple((slot, fact) for slot, fact in items if fact is not None)
    inits, inits_in = init_sites_of(value, here)
    return ProxyFact(value.kind, value.origin or site_of(here, value.site), nested, truncated, inits,
                     mutex=is_mutex(value), library=library_field(value.library), inits_in=inits_in)


#: What a proxy read through an attribute in a child is held by (the words MPP202's message uses).
CLASS_ATTRIBUTE = "a class attribute"
MODULE_GLOBAL = "a module global"


def argument_fact(value: Optional[Value], here: str, depth: int = 0,
                  named: Optional[Callable[[str], Optional[str]]] = None) -> Optional[ProxyFact]:
    """What a call into another module carries of an argument: :func:`fact_of`, and also top-level functions
    (callbacks the callee may call or start as children: this module's, or another project module's that
    ``named`` finds) and the tuples, lists and dicts that hold proxies or such functions
    (``run_all([produce, consume], store)``)."""
    fact = fact_of(value, here, depth)
    if fact is not None or depth >= MAX_NESTING:
        return fact
    if isinstance(value, RemoteFunction):
        return ProxyFact(FUNCTION, value.name[1:])
    if isinstance(value, QualName) and named is not None:
        found = named(value.name)
        kind = INSTANCE if isinstance(value, RemoteInstance) else FUNCTION
        return ProxyFact(kind, found) if found is not None else None
    if isinstance(value, Function) and value.owner is None and isinstance(value.node, ast.FunctionDef) \
            and value.node.col_offset == 0 and here:
        return ProxyFact(FUNCTION, f"{here}:{value.node.name}")
    if isinstance(value, Either):
        options = tuple((str(i), f) for i, f in enumerate(argument_fact(o, here, depth + 1, named)
                                                           for o in value.options) if f is not None)
        return ProxyFact(EITHER, nested=options) if options else None
    if isinstance(value, Seq):
        elements: List[Tuple[str, Optional[Value]]] = [("*", value.elem)] if value.items is None else [
            (str(index), item) for index, item in enumerate(value.items)]
        nested = slot_facts(elements, here, depth, named)
        return ProxyFact(SEQUENCE, nested=nested) if nested else None
    if isinstance(value, Mapping):
        entries: List[Tuple[str, Optional[Value]]] = sorted(value.items.items()) + [("*", value.values_join)]
        nested = slot_facts(entries, here, depth, named)
        return ProxyFact(MAPPING, nested=nested) if nested else None
    return None


def slot_facts(parts: List[Tuple[str, Optional[Value]]], here: str, depth: int,
               named: Optional[Callable[[str], Optional[str]]] = None) -> Tuple[Tuple[str, ProxyFact], ...]:
    """The argument facts of a container's parts, by slot (index, key or ``*``), those that carry one."""
    facts = ((slot, argument_fact(part, here, depth + 1, named)) for slot, part in parts)
    return tuple((slot, fact) for slot, fact in facts if fact is not None)


def record_fact(value: Instance, here: str, depth: int) -> Optional[ProxyFact]:
    """A record instance whose fields carry proxies (``Context(store=d, key="a")`` handed to another module's
    worker): its class's name and fields, and the facts of the fields that carry one."""
    if depth >= MAX_NESTING:
        return None
    facts = ((name, fact_of(part, here, depth + 1)) for name, part in sorted((value.fields or {}).items()))
    nested = tuple((name, fact) for name, fact in facts if fact is not None)
    if not nested:
        return None
    kind = RECORD_TUPLE if value.cls.tuple_like else RECORD
    return ProxyFact(kind, value.cls.node.name, nested, fields=tuple(value.cls.fields or ()))


def library_field(library: Library) -> str:
    """What a fact keeps of a library: its module name, "" for the standard one (most facts)."""
    return "" if library is STANDARD else library.module


def init_sites_of(value: Proxy, here: str) -> Tuple[Tuple[InitSite, ...], str]:
    """The plain values stored into ``value``, and the module they are stored in when not the one that made
    it: where it was made (carried on unchanged through other modules); for a proxy another module made
    that stores none (a factory's ``return manager.dict()``), the values this module stores into it."""
    if not value.origin:
        return local_inits(value), ""
    if value.remote_inits:
        return value.remote_inits, value.remote_inits_in
    local = local_inits(value)
    return (local, here) if local else ((), "")


def local_inits(value: Proxy) -> Tuple[InitSite, ...]:
    return tuple((key, kind, manager, node_range(node) if node is not None else ())
                 for key, stores in sorted(value.stores.items()) for _, kind, manager, node in stores)


def site_of(here: str, node: ast.AST) -> str:
    line = getattr(node, "lineno", 0)
    return f"{here}:{line}" if here and line else here


class Links:
    """The project side of one module's walk: ``incoming`` calls by function name (in), the calls this module
    makes into other modules, by call node (out, the latest walk of each call wins), ``star``: the names a
    ``from m import *`` of a project module binds, ``lookup``: the exports of the modules it imports, and
    ``mutators``: methods of imported project classes that assign to ``self``."""

    def __init__(self, incoming: Optional[Dict[str, List[CallSummary]]] = None,
                 star: Optional[Callable[[str], List[str]]] = None, here: str = "",
                 lookup: Optional[ImportLookup] = None,
                 mutators: Optional[Callable[[], FrozenSet[str]]] = None,
                 effects: Optional[EffectLookup] = None, summarise: bool = True,
                 remote: Tuple[Export, ...] = (), records: Optional[RecordLookup] = None,
                 registry: Optional[ImportLookup] = None,
                 function_named: Optional[Callable[[str], Optional[str]]] = None,
                 changes: Optional[Callable[[str], FrozenSet[int]]] = None,
                 is_class: Optional[Callable[[str], bool]] = None) -> None:
        self.incoming = incoming or {}
        #: The positions of the arguments an imported project function changes in place (:mod:`.parameters`).
        self._changes = changes
        #: Does an imported dotted name name a top-level class of a project module?
        self._is_class = is_class
        #: ``path:name`` of the project module's top-level name an imported dotted name is (``jobs.add_tag``),
        #: None for anything outside the project: a callback handed on to another module is a call into its own.
        self.function_named = function_named
        #: The functions other project modules register into this module's own registries (by container).
        self._registry = registry
        self._registries: Dict[str, Optional[Value]] = {}
        #: (fields, tuple-like) of a record class another project module defines, by the name written here.
        self._records = records
        self._record_classes: Dict[str, Optional[ClassInfo]] = {}
        #: What other modules store into this module's own classes and globals (``Registry.shared`` as
        #: ATTRIBUTE, ``SHARED`` as GLOBAL): facts its own code reads (see :meth:`remote_attributes`).
        self.remote_in = remote
        self._remote_values: Dict[str, Value] = {}
        #: False for a module outside any project (nobody asks for its summary): its calls out, exports and
        #: proxy uses are neither recorded nor summarised (about 5 % of such a module's analysis).
        self.summarise = summarise
        self.star = star
        self.here = here
        self.lookup = lookup
        self._mutators = mutators
        self._effects = effects
        #: The effects of each called target, asked once per analysis (the project's summaries stay put).
        self._effects_of: Dict[str, Tuple[Effect, ...]] = {}
        self.calls: Dict[Tuple[ast.Call, str], OutgoingCall] = {}
        self.outgoing: Dict[Tuple[ast.Call, str], CallSummary] = {}
        self.caller_units: Dict[ast.Call, Optional[ast.AST]] = {}
        self.exports: Tuple[Export, ...] = ()
        #: One value per imported name for the whole analysis, so facts about it survive repeated walks.
        self._imported: Dict[str, Optional[Value]] = {}
        #: The project solver's own analysis of these very bytes with these very links, if any: a front end
        #: may take its findings instead of analysing again.
        self.reuse: Optional["InferenceResult"] = None
        #: Proxies other modules made (passed in, imported): their uses here go into the summary.
        self.received: List[Proxy] = []
        #: Uses the analysis cannot see: (origin, how) for proxies passed to a function it does not follow.
        self.unfollowed: List[Tuple[str, str]] = []
        self.uses: Tuple[Tuple[str, str], ...] = ()
        #: The proxies :func:`seed` made for other modules' calls: (function, positional index, keyword name,
        #: the caller's fact, the proxy): what the function's walk stored into them are its effects.
        self.seeded: List[Tuple[str, int, str, ProxyFact, Proxy]] = []
        self.effects: Tuple[Effect, ...] = ()
        #: Proxies and managers stored into attributes of imported classes or modules, by the dotted name as
        #: written (``registry.Registry.shared``): the richest per name (facts only grow over the walks).
        self.remote_stores: Dict[str, Value] = {}
        #: The units each remote store is made in: stored only by code that runs in the children (a pool
        #: initializer's ``state.SHARED = d``), the name is each child's own binding there.
        self.remote_units: Dict[str, Set[Optional[ast.AST]]] = {}
        self.remote: Tuple[Export, ...] = ()
        #: Incoming calls of top-level classes that do not define ``__init__`` themselves: their class statement
        #: decides (an ``__init__`` of a base in this module, or the one of an imported base: forwarded).
        self.inherited: Dict[str, List[CallSummary]] = {}
        #: Incoming calls passed on to the imported base class whose ``__init__`` they run (``Collector(d)``
        #: in main.py, ``class Collector(Base)`` here, ``Base`` from base.py: a call of ``base.Base``).
        self.forwarded: Dict[Tuple[str, CallSummary], CallSummary] = {}

    def record(self, w: "Walker", node: ast.Call, target: str, args: List[Optional[Value]],
               kwargs: Dict[str, Optional[Value]], how: str) -> None:
        if self._effects is not None:
            effects = self._effects_of.get(target)
            if effects is None:
                effects = self._effects_of[target] = self._effects(target)
            for effect in effects:
                apply_effect(w, effect, args, kwargs)
        if not self.summarise:
            return
        # (keyed by target too: one call node may run any of several functions handed in)
        self.calls[(node, target)] = (target, list(args), dict(kwargs), how, bool(w.function_scope().loop_depth))
        self.caller_units[node] = w.unit()

    def finish(self, concurrency: Concurrency, w: Optional["Walker"] = None) -> None:
        """The walk is over: summarise each call (its proxies' nested facts are final now) with where its
        code runs, now that the module's call sites are known; and what the module exports."""
        if not self.summarise:
            return
        kinds: Dict[Optional[ast.AST], str] = {}  # per unit: asking concurrency costs a walk of the unit
        plural = plural_locks(w, concurrency, self.here) if w is not None else frozenset()

        def summarised(value: Optional[Value]) -> Optional[ProxyFact]:
            found = argument_fact(value, self.here, named=self.function_named)
            return demoted(found, plural) if found is not None and plural else found

        for (node, _), (target, args, kwargs, how, repeated) in self.calls.items():
            unit = self.caller_units.get(node)
            if unit not in kinds:
                kinds[unit] = caller_kind(concurrency, unit)
            caller = kinds[unit]
            self.outgoing[(node, target)] = CallSummary(
                target, tuple(summarised(a) for a in args),
                tuple(sorted((k, summarised(v)) for k, v in kwargs.items())), how, repeated, caller)
        if w is not None:
            self.exports = module_exports(w, self.here)
        remote = ((name, fact_of(value, self.here)) for name, value in sorted(self.remote_stores.items()))
        self.remote = tuple(Export(name, REMOTE, fact, child_bound=w is not None and self.stored_in_children(w, name))
                            for name, fact in remote if fact is not None)
        self.uses = self.proxy_uses(w)
        found: List[Effect] = []
        for function, index, param, fact, proxy in self.seeded:
            found += effects_of(function, index, param, fact, proxy, self.here)
        self.effects = tuple(sorted(set(found), key=repr))

    def proxy_uses(self, w: Optional["Walker"]) -> Tuple[Tuple[str, str], ...]:
        """(origin, use) for every use of a proxy that crosses modules (received here, or made here and passed or
        exported), of the proxy or of the values read from it (:mod:`model.nested` decides which uses would
        change if it held nested proxies instead of plain values)."""
        proxies: List[Proxy] = list(self.received)
        proxies += [v for v in self._imported.values() if isinstance(v, Proxy)]
        for _, args, kwargs, _, _ in self.calls.values():
            proxies += [v for v in list(args) + list(kwargs.values()) if isinstance(v, Proxy)]
        if w is not None:
            proxies += [v for v in w.module_scope.vars.values() if isinstance(v, Proxy)]
        found = set(self.unfollowed)
        for proxy in proxies:
            origin = proxy.origin or site_of(self.here, proxy.site)
            found.update((origin, how) for how in proxy.all_uses())
        return tuple(sorted(found))

    def summaries(self) -> List[CallSummary]:
        return list(self.outgoing.values())

    def summary(self) -> ModuleSummary:
        return ModuleSummary(self.here, tuple(self.outgoing.values()) + tuple(self.forwarded.values()),
                             self.exports, self.uses, self.effects, self.remote)

    def store_remote(self, qualname: str, value: Optional[Value], unit: Optional[ast.AST] = None) -> None:
        """``qualname`` (an attribute of an imported name: ``registry.Registry.shared``) is assigned ``value``
        here, in ``unit``: a proxy or manager becomes a remote export of the module that defines it."""
        if isinstance(value, (Proxy, Manager)):
            self.remote_units.setdefault(qualname, set()).add(unit)
            if richness(value) >= richness(self.remote_stores.get(qualname)):
                self.remote_stores[qualname] = value

    def stored_in_children(self, w: "Walker", qualname: str) -> bool:
        """Is every store into ``qualname`` made by code that runs only in children (a pool initializer)?"""
        units = self.remote_units.get(qualname)
        return bool(units) and all(unit is not None and unit in w.facts.in_child for unit in units or ())

    def _remote_value(self, export: Export) -> Value:
        """One value per received name for the whole analysis (its walks compare values by identity); its
        uses here go into the summary like those of any proxy another module made."""
        value = self._remote_values.get(export.name)
        if value is None:
            value = self._remote_values[export.name] = value_of(export.fact)
            if isinstance(value, Proxy):
                self.received.append(value)
        return value

    def remote_attributes(self, cls: str) -> Dict[str, Value]:
        """Attributes of this module's top-level class ``cls`` that other modules assign a proxy or manager
        (``Registry.shared = manager.dict()`` in main.py, ``Registry`` defined here)."""
        found: Dict[str, Value] = {}
        for export in self.remote_in:
            owner, _, attr = export.name.partition(".")
            if export.role == ATTRIBUTE and owner == cls and attr and "." not in attr:
                found[attr] = self._remote_value(export)
        return found

    def remote_globals(self) -> Dict[str, Value]:
        """This module's globals that other modules assign a proxy or manager (``registry.SHARED = ...``)."""
        return {export.name: self._remote_value(export) for export in self.remote_in
                if export.role == GLOBAL and "." not in export.name}

    def mutators(self) -> FrozenSet[str]:
        """Methods of imported project classes that assign to ``self`` (asked only when needed)."""
        return self._mutators() if self._mutators is not None else frozenset()

    def names_of(self, module: str) -> List[str]:
        return self.star(module) if self.star is not None else []

    # --- imported facts ----------------------------------------------------------------------------------------

    def brought_values(self) -> bool:
        """Has the project given this module's analysis a proxy or manager so far (passed to its functions,
        stored on its classes or globals, or imported)? Then a unit walked before it arrived must be walked
        again when a fact it read grows, as with proxies made here."""
        return bool(self.received) or any(value is not None for value in self._imported.values())

    def imported(self, qualname: str) -> Optional[Value]:
        """The proxy or manager an imported name holds (a module global or class attribute of a project module)."""
        return self._value(qualname, (GLOBAL, ATTRIBUTE))

    def instance_of(self, qualname: str) -> Optional[Value]:
        """What calling the imported ``qualname`` makes when it is a class of a project module: an instance
        whose methods are calls into that module (None for anything else)."""
        return RemoteInstance(qualname) if self._is_class is not None and self._is_class(qualname) else None

    def changed_arguments(self, qualname: str) -> FrozenSet[int]:
        """The positional arguments the imported project function ``qualname`` changes in place (a helper of
        another module that appends to the list it is given): a copy passed there is changed, not handed over."""
        return self._changes(qualname) if self._changes is not None else frozenset()

    def imported_holder(self, qualname: str) -> str:
        """What ``qualname``, read through an attribute, is: a class attribute of an imported project class
        (``registry.Registry.shared``), a global of an imported project module (``registry.REG``), or ""
        for anything else. A child that imports the module again reads its own value there, not the parent's
        proxy (MPP202); unless the module's pool initializer binds that global in each worker (then a task
        reads the worker's own: "")."""
        export = self._export(qualname, (ATTRIBUTE, GLOBAL))
        if export is None or export.child_bound:
            return ""
        return CLASS_ATTRIBUTE if export.role == ATTRIBUTE else MODULE_GLOBAL

    def returned(self, qualname: str, node: ast.Call, args: List[Optional[Value]]) -> Optional[Value]:
        """What calling an imported project function returns: a proxy, or a copy read from one (read from
        the very proxy the caller passed, when it passed the one the copy comes from: so that storing the
        copy back into it counts as the write-back)."""
        value = self._value(qualname + "()", (RETURNS,))
        if value is not None:
            return value
        items = self._items(qualname)
        if items is not None:
            return items
        copy = self._value(qualname + "()copy", (RETURNS_COPY,))
        export = self._export(qualname, (RETURNS_COPY,))
        if not isinstance(copy, Proxy) or export is None:
            return None
        for arg, arg_node in zip(args, node.args):
            fact = fact_of(arg, self.here)
            if isinstance(arg, Proxy) and fact is not None and fact.origin == export.fact.origin:
                return Copy(arg, ast.unparse(arg_node), node, None, "returned")
        return Copy(copy, export.via or qualname.rsplit(".", 1)[-1], node, None, "returned")

    def registered(self, name: str) -> Optional[Value]:
        """The functions other project modules put into this module's registry ``name`` (``@handler("x")`` in
        a module importing this one), as the container holding any of them; None when none does."""
        if name not in self._registries:
            export = self._registry(name) if self._registry is not None else None
            self._registries[name] = value_of(export.fact) if export is not None else None
        return self._registries[name]

    def record_class(self, qualname: str) -> Optional[ClassInfo]:
        """The record class (``@dataclass``, ``NamedTuple``, ``attrs``) another project module defines under
        ``qualname``: one stand-in per name for the whole analysis."""
        if qualname not in self._record_classes:
            found = self._records(qualname) if self._records is not None else None
            self._record_classes[qualname] = None if found is None else \
                stand_in_record(qualname.rsplit(".", 1)[-1], list(found[0]), found[1])
        return self._record_classes[qualname]

    def _items(self, qualname: str) -> Optional[Value]:
        """A tuple (or list) returned by an imported project function, with its proxies where they are: one
        value per function for the whole analysis, as for the other imported facts."""
        key = qualname + "()items"
        if key not in self._imported:
            export = self._export(qualname, (RETURNS_ITEMS,))
            if export is None or not export.items:
                self._imported[key] = None
            else:
                values: List[Optional[Value]] = [None] * (max(index for index, _ in export.items) + 1)
                for index, fact in export.items:
                    values[index] = value_of(fact)
                self._imported[key] = Seq(items=values)
        return self._imported[key]

    def _export(self, qualname: str, roles: Tuple[str, ...]) -> Optional[Export]:
        if self.lookup is None:
            return None
        export = self.lookup(qualname)
        return export if export is not None and export.role in roles else None

    def _value(self, key: str, roles: Tuple[str, ...]) -> Optional[Value]:
        if key not in self._imported:
            qualname = key[:-len("()copy")] if key.endswith("()copy") else key[:-2] if key.endswith("()") else key
            export = self._export(qualname, roles)
            self._imported[key] = value_of(export.fact) if export is not None else None
        return self._imported[key]


def sequence_of(fact: ProxyFact, depth: int) -> Value:
    """A tuple or list another module passed: its elements where their index is known, else any element
    (several callbacks given as one: any of them)."""
    if any(slot == "*" for slot, _ in fact.nested):
        return Seq(elem=value_of(dict(fact.nested)["*"], depth + 1))
    items: List[Optional[Value]] = [None] * (max(int(slot) for slot, _ in fact.nested) + 1)
    for slot, inner in fact.nested:
        items[int(slot)] = value_of(inner, depth + 1)
    return Seq(items=items)


def stand_in_record(name: str, fields: List[str], tuple_like: bool) -> ClassInfo:
    """The record class of another module, as this module's analysis knows it: its name and fields."""
    return ClassInfo(stand_in_class(name), fields=fields, tuple_like=tuple_like)


def value_of(fact: ProxyFact, depth: int = 0) -> Value:
    """A value of this module's analysis for a fact made in another module (its site: a node of its own)."""
    site: ast.AST = ast.Constant(value=None, lineno=0, col_offset=0)
    library = library_named(fact.library)
    if fact.mutex:  # (what locks.is_mutex looks for: a lock made by manager.Lock())
        site = ast.Call(func=ast.Attribute(value=ast.Name(id="manager", ctx=ast.Load()), attr="Lock", ctx=ast.Load()),
                        args=[], keywords=[], lineno=0, col_offset=0)
    if fact.kind == "manager":
        return Manager(site, ManagerClass(SYNC_MANAGER, library=library), origin=fact.origin)
    if fact.kind in (RECORD, RECORD_TUPLE):
        cls = stand_in_record(fact.origin, list(fact.fields), fact.kind == RECORD_TUPLE)
        return Instance(cls, {name: value_of(inner, depth + 1) for name, inner in fact.nested})
    if fact.kind == FUNCTION:
        return RemoteFunction("@" + fact.origin)
    if fact.kind == INSTANCE:
        return RemoteInstance("@" + fact.origin)
    if fact.kind == SEQUENCE:
        return sequence_of(fact, depth)
    if fact.kind == EITHER:
        return either([value_of(inner, depth + 1) for _, inner in fact.nested])
    if fact.kind == MAPPING:
        entries: Dict[str, Optional[Value]] = {key: value_of(inner, depth + 1) for key, inner in fact.nested}
        anything = entries.pop("*", None)
        return Mapping(items=entries, values_join=mapping_join([*entries.values(), anything]))
    proxy = Proxy(fact.kind, site, origin=fact.origin, opaque_nested=fact.truncated, remote_inits=fact.inits,
                  remote_inits_in=fact.inits_in, library=library)
    for slot, inner in fact.nested:
        nested = value_of(inner, depth + 1)
        if isinstance(nested, Proxy):
            proxy.nested[slot] = nested
    return proxy


def effects_of(function: str, index: int, param: str, fact: ProxyFact, proxy: Proxy, here: str,
               path: Tuple[str, ...] = ()) -> List[Effect]:
    """What the module's walk stored into ``proxy`` (made from another module's ``fact``) and the proxies
    nested in it: each nested proxy at a key slot the fact does not have is an effect of calling
    ``function``; deeper than :data:`MAX_NESTING`, or where the walk lost track, an opaque one."""
    found: List[Effect] = []
    if proxy.opaque_nested and not fact.truncated:
        found.append(Effect(function, index, param, path, "", None, opaque=True))
    known = dict(fact.nested)
    for slot, inner in sorted(proxy.nested.items()):
        if slot not in known:
            stored = fact_of(inner, here, len(path) + 1)
            if stored is not None:
                found.append(Effect(function, index, param, path, slot, stored))
        elif len(path) + 1 < MAX_NESTING:
            found += effects_of(function, index, param, known[slot], inner, here, path + (slot,))
        elif inner.nested or inner.opaque_nested:  # (the fact was cut here: what lies below is unknown)
            found.append(Effect(function, index, param, path + (slot,), "", None, opaque=True))
    return found


def apply_effect(w: "Walker", effect: Effect, args: List[Optional[Value]],
                 kwargs: Dict[str, Optional[Value]]) -> None:
    """A call of an imported function with ``effect``: the nested proxy it stores is stored in the argument's
    proxy here too (the units that read its nested proxies are walked again)."""
    arg = args[effect.index] if 0 <= effect.index < len(args) else \
        kwargs.get(effect.param) if effect.param else None
    if not isinstance(arg, Proxy):
        return
    proxy = arg
    for slot in effect.path:
        w.facts.read("nested", proxy)  # (walked again when the path appears)
        inner = proxy.nested.get(slot)
        if inner is None:
            return  # the callee read a plain value there from this argument: its stores went to a copy
        proxy = inner
    if effect.opaque or effect.fact is None:
        if not proxy.opaque_nested:
            proxy.opaque_nested = True
            w.facts.wrote("nested", proxy)
        return
    if effect.slot not in proxy.nested and proxy.keeps_proxies():
        stored = value_of(effect.fact)
        if isinstance(stored, Proxy):
            proxy.nested[effect.slot] = stored
            w.facts.wrote("nested", proxy)


def module_exports(w: "Walker", here: str) -> Tuple[Export, ...]:
    """Module globals bound at import time to proxies or managers, top-level functions returning a proxy or a
    copy read from one, and class attributes holding proxies (names under the main guard are not importable)."""
    found: List[Export] = []
    importable = import_time_names(w.tree)
    for name, value in sorted(w.module_scope.vars.items()):
        fact = fact_of(value, here) if name in importable else None
        if fact is not None:
            found.append(Export(name, GLOBAL, fact, child_bound=name in w.facts.child_globals))
    for stmt in w.tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += returns_exports(w, stmt, stmt.name, here)
        elif isinstance(stmt, ast.ClassDef):
            for item in stmt.body:  # a factory method (``Shared.create(manager)``): what calling it returns
                if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                decorators = {display(d) for d in item.decorator_list}
                if decorators & {"staticmethod", "classmethod"}:
                    found += returns_exports(w, item, f"{stmt.name}.{item.name}", here)
                elif decorators & {"property", "cached_property", "functools.cached_property"}:
                    held = fact_of(w.facts.returns.get(item), here)  # (``svc.jobs``: read as an attribute)
                    if held is not None:
                        found.append(Export(f"{stmt.name}.{item.name}", ATTRIBUTE, held))
            for (cls, attr), value in sorted(w.facts.attrs.items(), key=lambda item: item[0][1]):
                fact = fact_of(value, here) if cls is stmt else None
                if fact is not None:
                    found.append(Export(f"{stmt.name}.{attr}", ATTRIBUTE, fact,
                                        child_bound=w.stored_in_children_only((stmt, attr))))
    return tuple(found)


def returns_exports(w: "Walker", function: ast.AST, name: str, here: str) -> List[Export]:
    """What calling ``function`` (exported as ``name``) returns, when it is a proxy, a copy read from one, a
    record carrying one, or a tuple holding some."""
    returned = w.facts.returns.get(function)
    fact = fact_of(returned.proxy if isinstance(returned, Copy) else returned, here)
    if fact is not None:
        role = RETURNS_COPY if isinstance(returned, Copy) else RETURNS
        return [Export(name, role, fact, returned.proxy_name if isinstance(returned, Copy) else "")]
    if isinstance(returned, Seq) and returned.items is not None:
        items = returned_items(returned.items, here)
        if items:
            return [Export(name, RETURNS_ITEMS, items[0][1], items=items)]
    return []


def returned_items(items: List[Optional[Value]], here: str) -> Tuple[Tuple[int, ProxyFact], ...]:
    """The proxies among the items of a returned tuple or list, by index (a factory's ``return store, lock``)."""
    facts = ((index, fact_of(item, here)) for index, item in enumerate(items))
    return tuple((index, fact) for index, fact in facts if fact is not None)


def import_time_names(tree: ast.Module) -> FrozenSet[str]:
    """Names the module body binds outside ``if __name__ == "__main__":`` (what an importer can import)."""
    names = set()
    todo: List[ast.stmt] = list(tree.body)
    while todo:
        stmt = todo.pop()
        if isinstance(stmt, ast.If) and "__main__" in ast.dump(stmt.test):
            todo.extend(stmt.orelse)
            continue
        if isinstance(stmt, (ast.If, ast.Try, ast.With)):
            for block in ("body", "orelse", "finalbody"):
                todo.extend(getattr(stmt, block, []))
            continue
        for node in ast.walk(stmt) if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)) else ():
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return frozenset(names)


def caller_kind(concurrency: Concurrency, unit: Optional[ast.AST]) -> str:
    if unit is None:
        return CALLER_PARENT
    contexts = concurrency.contexts(unit)
    in_children = bool(contexts) and PARENT not in contexts and UNKNOWN not in contexts
    if concurrency.self_concurrent(unit) is not None:
        return CALLER_CHILDREN if in_children else CALLER_UNKNOWN
    if contexts == frozenset({PARENT}):
        return CALLER_PARENT
    if len(contexts) == 1 and UNKNOWN not in contexts:
        return CALLER_ONCE
    return CALLER_CHILDREN if in_children else CALLER_UNKNOWN


def seed(w: "Walker", tree: ast.Module, incoming: Dict[str, List[CallSummary]]) -> None:
    """Give the module's functions what other modules' calls pass them, and those calls' contexts.

    Each incoming call becomes a call site of its own (a synthetic ``ast.Call``), so :mod:`concurrency` sees
    the function's callers: a child start (in a loop or not), a direct call from the other module's body (the
    parent), or a direct call from one of its functions (unknown: concurrent). A class that does not define
    ``__init__`` itself is left to its class statement (:func:`inherited_init`), where its bases are known.
    """
    opaque = OPAQUE_KEY in incoming  # then any function called from here may also be called from there
    followed = set()
    for stmt in tree.body:
        name = getattr(stmt, "name", None)
        if name not in incoming or name is None:
            continue
        callee = receiver(stmt)
        if callee is None:
            if isinstance(stmt, ast.ClassDef) and w.links is not None:
                followed.add(name)
                w.links.inherited[name] = incoming[name] + ([OPAQUE] if opaque else [])
            continue
        followed.add(name)
        seed_callee(w, name, callee, incoming[name], opaque)
    for name, summaries in incoming.items():  # ``Indexer.index``: a method of a top-level class
        method = method_called(tree, name)
        if method is not None:
            followed.add(name)
            seed_callee(w, name, method, summaries, opaque)
    if w.links is not None:  # calls of names bound to something else (an alias, a nested class)
        for name, summaries in incoming.items():
            if name != OPAQUE_KEY and name not in followed:
                w.links.unfollowed += unfollowed(name, summaries)


def unfollowed(name: str, summaries: List[CallSummary]) -> List[Tuple[str, str]]:
    return [(fact.origin, f"passed to {name}(), which the analysis does not follow")
            for summary in summaries for fact in summary.args + tuple(f for _, f in summary.kwargs)
            if fact is not None]


def seed_callee(w: "Walker", name: str, callee: Function, summaries: List[CallSummary], opaque: bool) -> None:
    """Bind what the incoming calls of ``name`` pass to ``callee`` (a function, or the ``__init__`` a class
    call runs), with one call site per call."""
    from .calls import bind_arguments
    proxies: Dict[Tuple[object, ProxyFact], Value] = {}
    for summary in summaries:
        if summary == OPAQUE:
            continue
        args = [proxy_for(proxies, callee.node, index, fact) for index, fact in enumerate(summary.args)]
        kwargs = {name: proxy_for(proxies, callee.node, name, fact) for name, fact in summary.kwargs}
        bind_arguments(w, callee, args, kwargs)
        add_site(w, callee.node, summary)
    if opaque:
        add_site(w, callee.node, OPAQUE)
    if any(carries_lock(value) for value in proxies.values()):
        w.locks_made = True  # (a lock another module made, held here as a parameter or a record's field)
    if w.links is not None:
        w.links.received += [value for value in proxies.values() if isinstance(value, Proxy)]
        for (slot, fact), value in sorted(proxies.items(), key=lambda item: repr(item[0])):
            if isinstance(value, Proxy):
                index, param = parameter_slot(callee, slot)
                w.links.seeded.append((name, index, param, fact, value))


def plural_locks(w: "Walker", concurrency: Concurrency, here: str) -> FrozenSet[str]:
    """Where this module makes manager locks that are not one object for every holder (made in a loop, or by
    code that runs more than once: one lock per child excludes nobody): the module that receives one must
    not hold it as if it excluded the other writers."""
    return frozenset(site_of(here, proxy.site) for proxy in w.facts.proxies.values()
                     if proxy.kind == "lock" and not proxy.origin and is_mutex(proxy)
                     and not concurrency.excludes(proxy))


def demoted(fact: ProxyFact, plural: FrozenSet[str]) -> ProxyFact:
    """``fact`` with the locks made at ``plural`` sites no longer exclusive (also nested in containers)."""
    nested = tuple((slot, demoted(inner, plural)) for slot, inner in fact.nested)
    mutex = fact.mutex and fact.origin not in plural
    return fact if mutex == fact.mutex and nested == fact.nested else replace(fact, mutex=mutex, nested=nested)


def carries_lock(value: Optional[Value]) -> bool:
    """A manager lock, or a record instance with one among its fields (``ctx.lock``)."""
    if isinstance(value, Proxy):
        return value.kind == "lock"
    if isinstance(value, Instance):
        return any(carries_lock(field) for field in (value.fields or {}).values())
    return False


def inherited_init(w: "Walker", info: ClassInfo, summaries: List[CallSummary]) -> None:
    """Other modules call the top-level class ``info``, which does not define ``__init__``: the calls run
    the ``__init__`` of a base of this module (seeded like its own), or of an imported base (the calls are
    passed on to that class, in the module that defines it: what it stores on ``self`` comes back as its
    class attributes); with neither, what they pass is not followed (and the summary says so)."""
    links = w.links
    if links is None:
        return
    opaque = OPAQUE in summaries
    calls = [summary for summary in summaries if summary != OPAQUE]
    init = info.method("__init__")
    if init is not None:
        seed_callee(w, info.node.name, Function(init.node, init.owner, bound=True), calls, opaque)
        return
    target = info.imported_base()
    if target is None:
        links.unfollowed += unfollowed(info.node.name, calls)
        return
    for summary in calls:
        links.forwarded[(target, summary)] = CallSummary(target, summary.args, summary.kwargs, summary.how,
                                                         summary.repeated, summary.caller)


def parameter_slot(callee: Function, slot: object) -> Tuple[int, str]:
    """Where a caller passes what ``slot`` (a positional index or a keyword) binds: (positional index or
    -1, keyword name or "")."""
    arguments = getattr(callee.node, "args", None)
    positional = [a.arg for a in arguments.posonlyargs + arguments.args] if arguments is not None else []
    positional = positional[1:] if callee.bound else positional
    keywords = positional[max(0, len(getattr(arguments, "posonlyargs", ())) - (1 if callee.bound else 0)):] + \
        [a.arg for a in getattr(arguments, "kwonlyargs", ())]
    if isinstance(slot, int):
        name = positional[slot] if slot < len(positional) else ""
        return slot, name if name in keywords else ""
    name = str(slot)
    return (positional.index(name) if name in positional else -1), name


def receiver(stmt: ast.stmt) -> Optional[Function]:
    """What a call of the top-level ``stmt`` runs: the function itself, or a class's ``__init__`` (reached
    through the new instance, so ``self`` takes no argument); None for a class without its own ``__init__``
    (an inherited one is not followed: its proxies stay unknown, never guessed)."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return Function(stmt)
    for item in getattr(stmt, "body", []):
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == "__init__":
            return Function(item, bound=True)
    return None


def method_called(tree: ast.Module, name: str) -> Optional[Function]:
    """What a call of ``Class.method`` from another module runs: a static method with every argument; a class
    method, or a method reached through an instance (``Indexer().index``, a bound method handed over as a
    worker), with the first parameter bound. None for any other name."""
    head, dot, attr = name.partition(".")
    if not dot or "." in attr:
        return None
    cls = next((stmt for stmt in tree.body if isinstance(stmt, ast.ClassDef) and stmt.name == head), None)
    item = next((item for item in getattr(cls, "body", ()) if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and item.name == attr), None)
    if cls is None or item is None or attr == "__init__":
        return None
    static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in item.decorator_list)
    return Function(item, bound=not static)


def proxy_for(proxies: Dict[Tuple[object, ProxyFact], Value], func: ast.AST, slot: object,
              fact: Optional[ProxyFact]) -> Optional[Value]:
    """One value per parameter slot and fact, with the origin and nested proxies the caller's summary gives."""
    if fact is None:
        return None
    key = (slot, fact)
    if key not in proxies:
        proxies[key] = value_of(fact)
    return proxies[key]


def add_site(w: "Walker", func: ast.AST, summary: CallSummary) -> None:
    """One call site for the incoming call. A direct call made in one child that runs once counts as that
    child's start; code that runs where this module cannot tell is a unit nobody here calls (unknown); a
    child started from such code may be started several times (repeated)."""
    site = ast.Call(func=ast.Name(id=summary.target, ctx=ast.Load()), args=[], keywords=[])
    in_one_child = summary.how == "direct" and summary.caller == CALLER_ONCE
    how = "process" if in_one_child else summary.how
    w.facts.calls.setdefault(func, {})[site] = how
    if how in CHILD_HOWS and how not in ("thread", "thread-pool"):
        w.facts.child_targets.add(func)
        w.facts.in_child.add(func)
    if how in INITIALIZER_HOWS:
        w.facts.initializers.add(func)
    if how == "direct" and summary.caller == CALLER_CHILDREN:
        w.facts.in_child.add(func)  # (called only from code that runs in children: what it stores is theirs)
    unknown = summary.caller in (CALLER_UNKNOWN, CALLER_CHILDREN)
    w.facts.call_units[site] = ast.Pass() if unknown and how == "direct" else None
    if summary.repeated and not in_one_child or unknown and how != "direct":  # (a loop in one child: in turn)
        w.facts.repeated_calls.add(site)
