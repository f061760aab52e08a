"""The abstract values the inference tracks (managers, proxies, copies read from proxies, ...).

What the multiprocessing API is lives in :mod:`api`."""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, Iterable, List, Optional, Set, Tuple
from ..model.mpapi import (  # noqa: F401 (the tables' old home: re-exported)
    NEWEST_TARGET, OLDEST_TARGET, PROXY_METHODS_SINCE, PROXY_TYPE_NAMES, PROXY_TYPE_SINCE, STANDARD, SYNC_TYPEIDS,
    TYPEID_SINCE, Library, library_of, standard_name,
)

#: Builtins that neither keep nor change their arguments: passing an alias to them is not an escape.
PURE_BUILTINS = frozenset({
    "print", "len", "str", "repr", "sorted", "list", "tuple", "set", "frozenset", "dict", "sum", "min", "max",
    "any", "all", "isinstance", "type", "id", "format", "bool", "int", "float", "hash", "iter", "enumerate",
    "zip", "reversed", "abs", "round", "divmod", "ord", "chr", "ascii",
})


# --- abstract values ------------------------------------------------------------------------------------------

if TYPE_CHECKING:  # pragma: no cover
    from .observations import AliasState


class Value:
    """Base of every tracked value; ``None`` stands for "unknown"."""

    __slots__ = ()


@dataclass(eq=False)
class QualName(Value):
    """A name bound by an import, resolved to its dotted qualified name (``mp`` -> ``multiprocessing``).

    A name of a library that speaks multiprocessing's API (:data:`api.LIBRARIES`) is spelled as the standard
    module's (``billiard.Manager`` -> ``multiprocessing.Manager``) and keeps its ``library``, which says where
    that library behaves otherwise."""

    name: str
    library: Library = STANDARD

    def __post_init__(self) -> None:
        found = library_of(self.name)
        if found is not None and found is not STANDARD:
            self.library = found
            self.name = standard_name(self.name, found)


class RemoteInstance(QualName):
    """An instance of a class another project module defines (``Indexer()``, ``name`` the class's dotted name
    as imported here): its methods, handed over as workers or called, are calls into that module
    (``jobs.Indexer.index``), with ``self`` bound; what it holds is not known here."""


class RemoteFunction(QualName):
    """A top-level function of another project module, handed in as a value (a callback): calling it, or
    starting it as a child, is a call into that module. ``name`` is ``@path:function`` (path relative to the
    project root), which :meth:`projectscan.ProjectIndex.resolve_call` resolves."""


@dataclass(eq=False)
class ManagerClass(Value):
    """``SyncManager``, ``BaseManager`` or a subclass of them defined in the file, with its registered typeids."""

    name: str
    typeids: Dict[str, str] = field(default_factory=dict)
    base: Optional["ManagerClass"] = None
    #: The library whose manager this is (a subclass: its base's).
    library: Library = STANDARD

    def typeid_kind(self, typeid: str) -> Optional[str]:
        cls: Optional[ManagerClass] = self
        while cls is not None:
            if typeid in cls.typeids:
                return cls.typeids[typeid]
            cls = cls.base
        return SYNC_TYPEIDS.get(typeid) if self.is_sync() else None

    def registers(self, typeid: str) -> bool:
        """Does a class of the file register ``typeid`` itself (not inherit it from SyncManager)?"""
        cls: Optional[ManagerClass] = self
        while cls is not None:
            if typeid in cls.typeids:
                return True
            cls = cls.base
        return False

    def is_sync(self) -> bool:
        cls: Optional[ManagerClass] = self
        while cls is not None:
            if cls.name.endswith("SyncManager"):
                return True
            cls = cls.base
        return False


@dataclass(eq=False)
class Manager(Value):
    """A manager object; ``with_node`` is the ``with`` statement that shuts it down, if any, ``shutdown_node``
    the ``manager.shutdown()`` call that does."""

    site: ast.AST
    cls: ManagerClass
    with_node: Optional[ast.With] = None
    shutdown_node: Optional[ast.AST] = None
    #: Made in another module of the project (``state.py:3``); "" when made in this one.
    origin: str = ""


@dataclass(eq=False)
class Context(Value):
    """The result of ``multiprocessing.get_context(...)`` (or a library's)."""

    library: Library = STANDARD


@dataclass(eq=False)
class Pool(Value):
    """A process pool (``child``) or thread pool: its map/apply/submit methods run functions elsewhere."""

    child: bool


@dataclass(eq=False)
class Proxy(Value):
    """A manager proxy. One object per creation site, so facts about it survive repeated passes."""

    kind: str
    site: ast.AST
    manager: Optional[Manager] = None
    #: Nested proxies stored in it: constant key source -> proxy; ``"*"`` for a store at a variable key.
    nested: Dict[str, "Proxy"] = field(default_factory=dict)
    #: Plain stores: key source -> [(store target, value type or "", name of a manager visible there or "",
    #: the stored value's node or None)]
    stores: Dict[str, List[Tuple[ast.AST, str, str, Optional[ast.AST]]]] = field(default_factory=dict)
    #: Keys whose nested proxy the code mutates in place (so replacing it loses data: MPP104).
    relied: Set[str] = field(default_factory=set)
    #: How the program uses it and the values read from it, per unit whose latest walk saw the use (a walk
    #: again replaces its unit's uses, as it replaces its findings and writes), per key: a constant key's
    #: source (``d["n"] + 1`` keeps only ``d["n"]`` a plain value), or None for the proxy itself and keys the
    #: analysis cannot name. Uses are names of :data:`model.nested.SAME_ON_NESTED` (``method:append``,
    #: ``len``) or descriptions of uses that table does not prove (``compared (==, is, <)``); the ``auto`` fix
    #: style stores nested proxies only when every use is proven for the stored value's type.
    unit_uses: Dict[object, Dict[Optional[str], Set[str]]] = field(default_factory=dict)
    #: The line of this module where each use was first seen (for the message that names it).
    use_lines: Dict[str, int] = field(default_factory=dict)
    #: Made in another module of the project (``main.py:8``); "" when made in this one.
    origin: str = ""
    #: Its nested facts were cut short in another module: a read at any key may hold a nested proxy.
    opaque_nested: bool = False
    #: Made in another module: the plain values stored into it there (:data:`summaries.InitSite`).
    remote_inits: Tuple[Tuple[str, str, str, Tuple[int, ...]], ...] = ()
    #: The module ``remote_inits`` are in, when not the one that made it (:attr:`ProxyFact.inits_in`).
    remote_inits_in: str = ""
    #: A lock some expression or parameter holds together with another lock (``a if c else b``, a parameter
    #: given either): a ``with`` there may hold either one, so it is not known to exclude the other writers.
    ambiguous: bool = False
    #: The library of the manager that made it (billiard keeps no nested proxies).
    library: Library = STANDARD

    def keeps_proxies(self) -> bool:
        """A proxy stored in it stays a proxy (False for billiard: its manager keeps the referent, a read hands
        back a copy)."""
        return self.library.nested_proxies

    def uses_at(self, key: Optional[str]) -> Set[str]:
        """The uses of the values a read at ``key`` may return: those at unknown keys, and those at ``key``
        when it is a constant (else at every key)."""
        constant = key is not None and is_constant_key(key)
        return {use for by_key in self.unit_uses.values() for at, uses in by_key.items()
                if not constant or at is None or at == key for use in uses}

    def all_uses(self) -> Set[str]:
        return self.uses_at(None)

    def nested_at(self, key: Optional[str]) -> Optional["Proxy"]:
        """The nested proxy a read at ``key`` may return (precision first: any match counts)."""
        if self.opaque_nested and not self.nested.get(key or "*"):
            return self  # (another module stored proxies deeper than its summary says: not a copy)
        if not self.nested:
            return None
        if key is not None and key in self.nested:
            return self.nested[key]
        if "*" in self.nested:
            return self.nested["*"]
        if key is None or not is_constant_key(key):
            return next(iter(self.nested.values()))
        return None


@dataclass(eq=False)
class Copy(Value):
    """A plain value read from a proxy: mutating it changes only the local copy.

    ``root`` is the read expression (``d[k]``, ``d.get(k)``); ``key`` its key source, or None when unknown
    (``for v in d.values()``); ``via`` how it was read.
    """

    proxy: Proxy
    proxy_name: str
    root: ast.AST
    key: Optional[str]
    via: str
    key_node: Optional[ast.AST] = None
    #: read from inside the copy (``d[k][j]``, ``ns.cfg.x``): plain even when ``d[k]`` holds a nested proxy
    deep: bool = False
    #: A parameter's copy (``via == "argument"``): the callers' aliases it was handed from
    #: (``rows = d[k]; add(rows, x); d[k] = rows``), None when a caller passed a copy no name holds. When every
    #: one of them is written back after all, the helper's change is not lost.
    handed: Optional[List["AliasState"]] = None


@dataclass(eq=False)
class Function(Value):
    """A function or method defined in the file; ``bound`` when reached through an instance (self)."""

    node: ast.AST
    owner: Optional["ClassInfo"] = None
    bound: bool = False


@dataclass(eq=False)
class Partial(Value):
    """``functools.partial(func, *args, **kwargs)``."""

    func: Value
    args: List[Optional[Value]]
    kwargs: Dict[str, Optional[Value]]


@dataclass(eq=False)
class Seq(Value):
    """A tuple or list whose elements are known (``items``), or only their join (``elem``)."""

    items: Optional[List[Optional[Value]]] = None
    elem: Optional[Value] = None
    nodes: Optional[List[ast.AST]] = None

    def element(self) -> Optional[Value]:
        if self.items is not None:
            return join(self.items)
        return self.elem


@dataclass(eq=False)
class Either(Value):
    """One of several functions (``for target in (produce, consume): Process(target=target, ...)``, ``a if c
    else b``): a call runs any of them, so each one's parameters get the arguments."""

    options: List[Value] = field(default_factory=list)


@dataclass(eq=False)
class Mapping(Value):
    """A dict literal with string keys (``kwargs={"d": d}``), or only the join of its values."""

    items: Dict[str, Optional[Value]] = field(default_factory=dict)
    values_join: Optional[Value] = None


@dataclass(eq=False)
class Iteration(Value):
    """``d.values()`` / ``d.items()`` / ``enumerate(l)``: what a for loop over it binds."""

    proxy: Proxy
    proxy_name: str
    mode: str
    node: ast.AST


@dataclass(eq=False)
class ClassInfo(Value):
    """A class defined in the file: its methods, and attributes that hold tracked values (class-wide)."""

    node: ast.ClassDef
    methods: Dict[str, Function] = field(default_factory=dict)
    bases: List["ClassInfo"] = field(default_factory=list)
    #: Bases this module imports (dotted names as written here: ``base.Base``), in the order written: what
    #: they define is another module's (its exported class attributes, its ``__init__``).
    imported_bases: List[str] = field(default_factory=list)
    #: A subclass of ``multiprocessing.Process``: its ``run()`` runs in the child ``start()`` makes.
    process: bool = False
    #: A record class (``@dataclass``, a ``NamedTuple``, ``attrs.define``): the parameters of the ``__init__``
    #: it gets generated, in order, each kept on the instance under its own name; None for other classes.
    fields: Optional[List[str]] = None
    #: A ``NamedTuple``: its instances unpack like a tuple of its fields.
    tuple_like: bool = False

    def is_process(self) -> bool:
        return self.process or any(base.is_process() for base in self.bases)

    def imported_base(self, depth: int = 0) -> Optional[str]:
        """The first imported base in the class's ancestry (its own bases first, then its local bases'):
        where an ``__init__`` it does not define here comes from, as far as this module can say."""
        if self.imported_bases:
            return self.imported_bases[0]
        for base in self.bases if depth < 16 else ():
            found = base.imported_base(depth + 1)
            if found is not None:
                return found
        return None

    def method(self, name: str) -> Optional[Function]:
        if name in self.methods:
            return self.methods[name]
        for base in self.bases:
            found = base.method(name)
            if found is not None:
                return found
        return None


@dataclass(eq=False)
class Instance(Value):
    """An instance of a class defined in the file (``self`` in its methods)."""

    cls: ClassInfo
    #: A record built with known arguments (``Context(d, "a")``, or one another module passed in): the value
    #: of each field on this very instance, so it travels with the instance across modules.
    fields: Optional[Dict[str, Optional[Value]]] = None


INTERESTING = (Manager, Proxy, Context, Pool, Function, Partial, Either, Seq, Mapping, ManagerClass, ClassInfo, RemoteFunction,
               Instance, RemoteInstance)


#: How deep containers and partials nest in a value kept as a fact (a return, a parameter, an attribute, a
#: binding other units see). A recursive builder (``def plain(x): return [plain(v) for v in x]``) otherwise
#: returns one level more on every walk, and facts that grow without end never converge. Deeper parts are
#: unknown (None): a proxy nested deeper than this in literals is not followed.
MAX_DEPTH = 6
#: A fact that has grown :data:`GROWTHS_BEFORE_WIDENING` times is kept only this deep from then on: a recursive
#: builder would otherwise be walked once per level up to :data:`MAX_DEPTH` (widening, in the analysis sense).
WIDE_DEPTH = 2
GROWTHS_BEFORE_WIDENING = 2


def richness(value: Optional[Value], depth: int = 0) -> int:
    """How much a value tells: facts are replaced only by richer values, so repeated passes converge.

    Parts nested deeper than :data:`MAX_DEPTH` count for nothing, so a value that contains itself (a
    structure built with a cycle) has a finite richness."""
    if value is None:
        return 0
    if isinstance(value, Proxy):
        return 1000
    if isinstance(value, Manager):
        return 900
    if depth >= MAX_DEPTH and isinstance(value, (Seq, Mapping, Partial, Either)):
        return 0  # (what bounded() cuts)
    inner = depth + 1
    if isinstance(value, Seq):
        parts = value.items if value.items is not None else [value.elem]
        return 10 + sum(richness(part, inner) for part in parts)
    if isinstance(value, Mapping):
        return 10 + sum(richness(part, inner) for part in value.items.values()) + richness(value.values_join, inner)
    if isinstance(value, Partial):
        return 20 + richness(value.func, inner) + sum(richness(part, inner) for part in value.args)
    if isinstance(value, Either):
        return 5 + sum(richness(option, inner) for option in value.options)
    if isinstance(value, Instance) and value.fields:
        return 10 + sum(richness(part, inner) for part in value.fields.values())
    return 5


def bounded(value: Optional[Value], depth: int = 0, limit: int = MAX_DEPTH) -> Optional[Value]:
    """``value`` with every container or partial nested deeper than :data:`MAX_DEPTH` made unknown (and so
    every cycle cut), for keeping as a fact: the facts then come from a finite set, so the solve ends. A fact
    that keeps growing is cut at a smaller ``limit`` (:data:`WIDE_DEPTH`): it then ends in a walk or two.

    The value itself is returned when nothing is cut (proxies, managers and classes keep their identity, and
    so does every container within the bound); only the containers on the way to a cut are copied."""
    if isinstance(value, Instance) and value.fields:
        if depth >= limit:
            return Instance(value.cls)
        cut = {name: bounded(part, depth + 1, limit) for name, part in value.fields.items()}
        return value if all(cut[name] is part for name, part in value.fields.items()) else Instance(value.cls, cut)
    if value is None or not isinstance(value, (Seq, Mapping, Partial, Either)):
        return value
    if depth >= limit:
        return None
    inner = depth + 1
    if isinstance(value, Seq):
        items = None if value.items is None else [bounded(item, inner, limit) for item in value.items]
        elem = bounded(value.elem, inner, limit)
        if elem is value.elem and (items is None or all(a is b for a, b in zip(items, value.items or ()))):
            return value
        return Seq(items=items, elem=elem, nodes=value.nodes)
    if isinstance(value, Mapping):
        entries = {key: bounded(item, inner, limit) for key, item in value.items.items()}
        values_join = bounded(value.values_join, inner, limit)
        if values_join is value.values_join and all(entries[key] is item for key, item in value.items.items()):
            return value
        return Mapping(items=entries, values_join=values_join)
    if isinstance(value, Partial):
        func = bounded(value.func, inner, limit)
        args = [bounded(arg, inner, limit) for arg in value.args]
        kwargs = {key: bounded(item, inner, limit) for key, item in value.kwargs.items()}
        if func is value.func and all(a is b for a, b in zip(args, value.args)) and all(
                kwargs[key] is item for key, item in value.kwargs.items()):
            return value
        return None if func is None else Partial(func, args, kwargs)
    options = [option for option in (bounded(option, inner, limit) for option in value.options) if option is not None]
    if len(options) == len(value.options) and all(a is b for a, b in zip(options, value.options)):
        return value
    return either(options) if options else None


def join(values: List[Optional[Value]]) -> Optional[Value]:
    """Precision first: the join of several possibilities is the first proxy, else the first known value
    (several locks joined are each marked ambiguous: the join stands for any of them)."""
    conflate_locks(values)
    for value in values:
        if isinstance(value, Proxy):
            return value
    known = [value for value in values if value is not None]
    if len(known) > 1 and all(isinstance(value, (Function, Partial, Either, RemoteFunction)) for value in known):
        return either(known)
    if len(known) > 1 and all(isinstance(value, Seq) and value.items is not None for value in known):
        rows = rows_of_callables(known)  # type: ignore[arg-type]
        if rows is not None:
            return rows
    for value in values:
        if value is not None:
            return value
    return None


#: Values a call may run: any of several is any of them (:func:`either`).
CALLABLES = (Function, Partial, Either, RemoteFunction, QualName)


def rows_of_callables(rows: List[Seq]) -> Optional[Seq]:
    """Tuples of one length whose items at some place are functions (``[(Indexer.index, "a"), (job.run,
    "b")]``): one tuple whose item there is any of them, so a loop unpacking them calls each; the other places
    joined as ever. None for anything else (their first one stands for all, as before)."""
    width = len(rows[0].items or ())
    if any(len(row.items or ()) != width for row in rows):
        return None
    columns = [[(row.items or [])[index] for row in rows] for index in range(width)]
    callable_columns = [all(isinstance(v, CALLABLES) for v in column if v is not None)
                        and len([v for v in column if v is not None]) > 1 for column in columns]
    if not any(callable_columns):
        return None
    for column, callables in zip(columns, callable_columns):
        known = [v for v in column if v is not None]
        if not callables and any(v is not known[0] for v in known):
            return None  # (rows that hand different values to their targets: joining them would mix the rows)
    return Seq(items=[either([v for v in column if v is not None]) if callables else join(column)
                      for column, callables in zip(columns, callable_columns)])


def mapping_join(values: List[Optional[Value]]) -> Optional[Value]:
    """What a dict's item read at an unknown key may be: :func:`join`, except that a dict holding both proxies
    and plain containers (``{"state": shared, "info": {}}``) says nothing: "the first proxy" would make a change
    to the plain container look lost."""
    if any(isinstance(value, Proxy) for value in values) and any(
            isinstance(value, (Mapping, Seq, Copy)) for value in values):
        return None
    return join(values)


def conflate_locks(values: Iterable[Optional[Value]]) -> None:
    """Different lock proxies reach one place (a join such as ``a if c else b``, a name bound to one or the
    other in branches, a parameter given either): a ``with`` there may hold any of them, so none of them is
    known to exclude the other writers (:meth:`concurrency.Concurrency.excludes`)."""
    locks = [value for value in values if isinstance(value, Proxy) and value.kind == "lock"]
    if any(lock is not locks[0] for lock in locks):
        for lock in locks:
            lock.ambiguous = True


def either(values: List[Value]) -> Value:
    """The functions ``values`` may be (the same function twice is one option)."""
    options: List[Value] = []
    for value in values:
        for option in (value.options if isinstance(value, Either) else [value]):
            if not any(option is known or isinstance(option, Function) and isinstance(known, Function)
                       and option.node is known.node and option.bound == known.bound
                       or isinstance(option, QualName) and isinstance(known, QualName)
                       and type(option) is type(known) and option.name == known.name for known in options):
                options.append(option)
    return options[0] if len(options) == 1 else Either(options)


def slot_of(key: str) -> str:
    """Where facts about the item at ``key`` are kept: its constant key, or ``"*"`` for any variable key."""
    return key if is_constant_key(key) else "*"


@functools.lru_cache(maxsize=4096)
def is_constant_key(key: str) -> bool:
    """Is ``key`` (a key's source text) one literal, so that two reads with the same text read the same item?
    (``'even' if n % 2 == 0 else 'odd'`` starts like one and is not.)"""
    if key in ("True", "False", "None"):
        return True
    if key[:1] not in "'\"0123456789-":
        return False
    try:
        ast.literal_eval(key)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True
