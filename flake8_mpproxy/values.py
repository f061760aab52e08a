"""The abstract values the inference tracks (managers, proxies, copies read from proxies, ...) and API tables."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

# --- what the multiprocessing API is --------------------------------------------------------------------------

#: Calls that return a running manager (qualified names after import resolution).
MANAGER_FACTORIES = frozenset({"multiprocessing.Manager", "multiprocessing.context.BaseContext.Manager"})
#: Manager classes: instances are managers; ``.start()`` or ``with`` starts them.
MANAGER_CLASSES = frozenset(
    {"multiprocessing.managers.SyncManager", "multiprocessing.managers.BaseManager", "multiprocessing.SyncManager"}
)
CONTEXT_FACTORIES = frozenset({"multiprocessing.get_context"})
PROCESS_CLASSES = frozenset({"multiprocessing.Process", "multiprocessing.process.BaseProcess",
                             "multiprocessing.context.Process"})
THREAD_CLASSES = frozenset({"threading.Thread"})
PROCESS_POOLS = frozenset({"multiprocessing.Pool", "multiprocessing.pool.Pool",
                           "concurrent.futures.ProcessPoolExecutor",
                           "concurrent.futures.process.ProcessPoolExecutor"})
THREAD_POOLS = frozenset({"multiprocessing.pool.ThreadPool", "multiprocessing.dummy.Pool",
                          "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.thread.ThreadPoolExecutor"})
PARTIAL = frozenset({"functools.partial"})
SHALLOW_COPY = frozenset({"copy.copy"})

#: Every qualified name of the tables above (what ``from multiprocessing import *`` may bind).
API_NAMES = (MANAGER_FACTORIES | MANAGER_CLASSES | CONTEXT_FACTORIES | PROCESS_CLASSES | THREAD_CLASSES
             | PROCESS_POOLS | THREAD_POOLS | PARTIAL | SHALLOW_COPY)

#: A Python version, (major, minor); a *target* is the oldest Python the checked code must run on.
Version = Tuple[int, int]
OLDEST_TARGET: Version = (3, 9)
NEWEST_TARGET: Version = (3, 15)

#: Proxy kinds made by SyncManager's typeids.
SYNC_TYPEIDS: Dict[str, str] = {
    "dict": "dict", "list": "list", "Namespace": "namespace", "Value": "value", "Array": "array",
    "Queue": "queue", "JoinableQueue": "queue", "Event": "sync", "Lock": "lock", "RLock": "lock",
    "Semaphore": "lock", "BoundedSemaphore": "lock", "Condition": "lock", "Barrier": "sync", "Pool": "pool",
    "set": "set",
}
#: ``proxytype=`` names in ``register(...)`` calls, and proxy annotations.
PROXY_TYPE_NAMES: Dict[str, str] = {
    "DictProxy": "dict", "ListProxy": "list", "BaseListProxy": "list", "NamespaceProxy": "namespace",
    "ValueProxy": "value", "ArrayProxy": "array", "AcquirerProxy": "lock", "ConditionProxy": "lock",
    "SetProxy": "set", "AutoProxy": "auto",
}
#: The class name of a kind's proxies, as messages name them.
PROXY_CLASS_OF_KIND: Dict[str, str] = {"dict": "DictProxy", "list": "ListProxy", "lock": "AcquirerProxy",
                                       "set": "SetProxy"}

# What each CPython added to ``multiprocessing.managers`` after the oldest target, read from the stdlib source
# of every version from 3.9 to 3.15 (``_exposed_`` lists and ``SyncManager.register`` calls) and run on each:
#   3.9 to 3.13: the same typeids and exposed methods.
#   3.14: ListProxy clear/copy; DictProxy |, |=, reversed(), fromkeys (gh-103134);
#        SyncManager.set() and SetProxy; AcquirerProxy/ConditionProxy locked().
#   3.15: nothing (its managers.py exposes exactly what 3.14's does).
# Before the version given, each of these raises: AttributeError for a method or typeid, TypeError for an
# operator, KeyError for reversed() on a DictProxy. MPP107 reports them for targets below that version.

#: SyncManager typeids newer than the oldest target: typeid -> the version that added it.
TYPEID_SINCE: Dict[str, Version] = {"set": (3, 14)}
#: Proxy classes newer than the oldest target (annotations and ``proxytype=`` still name them on any target).
PROXY_TYPE_SINCE: Dict[str, Version] = {"SetProxy": (3, 14)}
#: Methods (and the operator dunders) a proxy kind gained after the oldest target: kind -> method -> version.
#: ``lock.locked`` reaches the referent: threading.Lock, RLock and Condition have it on 3.14, Semaphore does not.
PROXY_METHODS_SINCE: Dict[str, Dict[str, Version]] = {
    "list": {"clear": (3, 14), "copy": (3, 14)},
    "dict": {"__or__": (3, 14), "__ror__": (3, 14), "__ior__": (3, 14), "__reversed__": (3, 14),
             "fromkeys": (3, 14)},
    "lock": {"locked": (3, 14)},
}
#: SetProxy's exposed methods (3.14): the whole proxy is as new as its typeid, so none needs its own version.
SET_PROXY_METHODS = frozenset({
    "__and__", "__contains__", "__iand__", "__ior__", "__isub__", "__iter__", "__ixor__", "__len__", "__or__",
    "__rand__", "__ror__", "__rsub__", "__rxor__", "__sub__", "__xor__", "__ge__", "__gt__", "__le__", "__lt__",
    "add", "clear", "copy", "difference", "difference_update", "discard", "intersection", "intersection_update",
    "isdisjoint", "issubset", "issuperset", "pop", "remove", "symmetric_difference",
    "symmetric_difference_update", "union", "update",
})


def method_since(kind: str, method: str) -> Optional[Version]:
    """The version that added ``method`` to proxies of ``kind``; None when every supported version has it."""
    return PROXY_METHODS_SINCE.get(kind, {}).get(method)


def version_text(version: Version) -> str:
    """``(3, 14)`` -> ``"3.14"``."""
    return f"{version[0]}.{version[1]}"


#: Pool methods whose first argument runs in a worker: how the remaining arguments reach its parameters.
POOL_METHODS: Dict[str, str] = {
    "map": "iter", "imap": "iter", "imap_unordered": "iter", "map_async": "iter",
    "starmap": "star", "starmap_async": "star", "apply": "apply", "apply_async": "apply", "submit": "call",
}

#: Methods that change a list, dict, set, deque or bytearray in place.
MUTATORS = frozenset({
    "append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update", "setdefault",
    "popitem", "add", "discard", "intersection_update", "difference_update", "symmetric_difference_update",
    "appendleft", "extendleft", "popleft", "rotate", "__iadd__", "__imul__", "__ior__", "__iand__", "__isub__",
    "__ixor__", "__setitem__", "__delitem__", "__setattr__", "__delattr__",
})
#: Proxy reads that hand back a copy of one stored value: method -> does its first argument name the key?
COPY_READ_METHODS: Dict[str, Dict[str, bool]] = {
    "dict": {"get": True, "setdefault": True, "__getitem__": True},
    "list": {"__getitem__": True},
    "value": {"get": False},
}
#: Builtins that neither keep nor change their arguments: passing an alias to them is not an escape.
PURE_BUILTINS = frozenset({
    "print", "len", "str", "repr", "sorted", "list", "tuple", "set", "frozenset", "dict", "sum", "min", "max",
    "any", "all", "isinstance", "type", "id", "format", "bool", "int", "float", "hash", "iter", "enumerate",
    "zip", "reversed", "abs", "round", "divmod", "ord", "chr", "ascii",
})


# --- abstract values ------------------------------------------------------------------------------------------

class Value:
    """Base of every tracked value; ``None`` stands for "unknown"."""

    __slots__ = ()


@dataclass(eq=False)
class QualName(Value):
    """A name bound by an import, resolved to its dotted qualified name (``mp`` -> ``multiprocessing``)."""

    name: str


@dataclass(eq=False)
class ManagerClass(Value):
    """``SyncManager``, ``BaseManager`` or a subclass of them defined in the file, with its registered typeids."""

    name: str
    typeids: Dict[str, str] = field(default_factory=dict)
    base: Optional["ManagerClass"] = None

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
    """A manager object; ``with_node`` is the ``with`` statement that shuts it down, if any."""

    site: ast.AST
    cls: ManagerClass
    with_node: Optional[ast.With] = None


@dataclass(eq=False)
class Context(Value):
    """The result of ``multiprocessing.get_context(...)``."""


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
    #: Uses that would see a difference if the values stored in it were nested proxies instead of plain
    #: values (``json.dumps``, ``==``, ``isinstance``, printing, a later ``d[k] = d[k] + ...``): the ``auto``
    #: fix style stores nested proxies only when this is empty.
    incompatible: Set[str] = field(default_factory=set)

    def nested_at(self, key: Optional[str]) -> Optional["Proxy"]:
        """The nested proxy a read at ``key`` may return (precision first: any match counts)."""
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
    #: A subclass of ``multiprocessing.Process``: its ``run()`` runs in the child ``start()`` makes.
    process: bool = False

    def is_process(self) -> bool:
        return self.process or any(base.is_process() for base in self.bases)

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


INTERESTING = (Manager, Proxy, Context, Pool, Function, Partial, Seq, Mapping, ManagerClass, ClassInfo, Instance)


def richness(value: Optional[Value]) -> int:
    """How much a value tells: facts are replaced only by richer values, so repeated passes converge."""
    if value is None:
        return 0
    if isinstance(value, Proxy):
        return 1000
    if isinstance(value, Manager):
        return 900
    if isinstance(value, Seq):
        parts = value.items if value.items is not None else [value.elem]
        return 10 + sum(richness(part) for part in parts)
    if isinstance(value, Mapping):
        return 10 + sum(richness(part) for part in value.items.values()) + richness(value.values_join)
    if isinstance(value, Partial):
        return 20 + richness(value.func) + sum(richness(part) for part in value.args)
    return 5


def join(values: List[Optional[Value]]) -> Optional[Value]:
    """Precision first: the join of several possibilities is the first proxy, else the first known value."""
    for value in values:
        if isinstance(value, Proxy):
            return value
    for value in values:
        if value is not None:
            return value
    return None


def slot_of(key: str) -> str:
    """Where facts about the item at ``key`` are kept: its constant key, or ``"*"`` for any variable key."""
    return key if is_constant_key(key) else "*"


def is_constant_key(key: str) -> bool:
    """Is ``key`` (a key's source text) a literal, so that two reads with the same text read the same item?"""
    return key[:1] in "'\"0123456789-" or key in ("True", "False", "None")
