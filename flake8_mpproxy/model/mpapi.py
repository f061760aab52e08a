"""The multiprocessing API as one table: what the analysis and the prefilter know about the standard library,
and the modules that speak the same API (:data:`LIBRARIES`: multiprocess, billiard, torch.multiprocessing).

Manager factories and classes, the child-start APIs (process classes, pools and their methods), the typeids
and proxy types with their kinds, the reads that hand back a copy, the mutating methods, and what each
CPython added after the oldest target (MPP107). The prefilter's tokens (:data:`PREFILTER_GATES`) are derived
from these tables at the end of the module, so a name the analysis learns is a name the prefilter lets through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Optional, Tuple

# --- modules that speak multiprocessing's API -----------------------------------------------------------------


@dataclass(frozen=True)
class Library:
    """A module that speaks multiprocessing's API. The analysis reads its names as the standard module's
    (``billiard.Manager`` is ``multiprocessing.Manager``, ``multiprocess.managers.DictProxy`` is
    ``multiprocessing.managers.DictProxy``); where it behaves otherwise, measured by running programs under spawn
    and fork (fixtures/README.md, "Runtime facts"), a field says so."""

    #: The dotted module name (``torch.multiprocessing``).
    module: str
    #: A proxy stored in a proxy stays a proxy of the same object (CPython since 3.6). False for billiard: its
    #: manager keeps the stored proxy's referent itself, so ``d[k] = manager.list()`` then ``d[k].append(x)``
    #: appends to a copy read from the server and is lost, as with a plain list.
    nested_proxies: bool = True
    #: Its ``Process`` pickles a manager given in ``args`` under spawn too (multiprocess pickles with dill), so
    #: only pools fail with one (MPP203).
    process_pickles_manager: bool = False
    #: Its functions (spelled as the standard module's names) that run ``fn(i, *args)`` in ``nprocs`` child
    #: processes, ``i`` from 0: ``torch.multiprocessing.spawn(fn, args=(d,), nprocs=4)`` and
    #: ``start_processes``, the way distributed training starts its workers.
    index_spawns: FrozenSet[str] = frozenset()


#: The standard module.
STANDARD = Library("multiprocessing")
#: Every module that speaks multiprocessing's API, the standard one first: the one place that knows them. The
#: inference reads their names as the standard module's (:func:`standard_name`), the prefilter lets a file that
#: names one through (:data:`PREFILTER_GATES`).
LIBRARIES: Tuple[Library, ...] = (
    STANDARD,
    Library("multiprocess", process_pickles_manager=True),  # the dill fork pathos uses
    Library("billiard", nested_proxies=False),  # Celery's fork
    # ``from multiprocessing import *`` plus tensor sharing: the same objects; and its own spawn
    Library("torch.multiprocessing", index_spawns=frozenset({
        "multiprocessing.spawn", "multiprocessing.start_processes", "multiprocessing.spawn.spawn",
        "multiprocessing.spawn.start_processes"})),
)


def _by_top_module(libraries: Tuple[Library, ...]) -> Dict[str, Tuple[Library, ...]]:
    """The libraries under each top-level module name (``torch`` -> torch.multiprocessing): one dict look-up
    tells most names apart."""
    found: Dict[str, Tuple[Library, ...]] = {}
    for library in libraries:
        top = library.module.partition(".")[0]
        found[top] = found.get(top, ()) + (library,)
    return found


_BY_TOP = _by_top_module(LIBRARIES)


def library_of(name: str) -> Optional[Library]:
    """The library a qualified name is in (``billiard.managers.SyncManager`` -> billiard), None for others."""
    for library in _BY_TOP.get(name.partition(".")[0], ()):
        module = library.module
        if name == module or (name.startswith(module) and name[len(module)] == "."):
            return library
    return None


def library_named(module: str) -> Library:
    """The library of :data:`LIBRARIES` whose module is ``module``; the standard one for "" (or an unknown name)."""
    return next((library for library in LIBRARIES if library.module == module), STANDARD)


def standard_name(name: str, library: Library) -> str:
    """``name`` of ``library`` spelled as the standard module's: ``torch.multiprocessing.Pool`` ->
    ``multiprocessing.Pool``."""
    return STANDARD.module + name[len(library.module):]


# --- managers and child-start APIs (qualified names after import resolution) -----------------------------------

#: Calls that return a running manager (qualified names after import resolution).
MANAGER_FACTORIES = frozenset({"multiprocessing.Manager", "multiprocessing.context.BaseContext.Manager"})
#: The class of the managers ``Manager()`` returns.
SYNC_MANAGER = "multiprocessing.managers.SyncManager"
#: Manager classes: instances are managers; ``.start()`` or ``with`` starts them.
MANAGER_CLASSES = frozenset(
    {"multiprocessing.managers.SyncManager", "multiprocessing.managers.BaseManager", "multiprocessing.SyncManager"}
)
CONTEXT_FACTORIES = frozenset({"multiprocessing.get_context"})
PROCESS_CLASSES = frozenset({"multiprocessing.Process", "multiprocessing.process.BaseProcess",
                             "multiprocessing.context.Process"})
#: ``multiprocessing.dummy.Process`` is a thread (``DummyProcess``), as ``multiprocessing.dummy.Pool`` is a thread
#: pool.
THREAD_CLASSES = frozenset({"threading.Thread", "multiprocessing.dummy.Process"})
#: Calls after which the code that follows runs in several processes at once (the child is a copy of the caller).
OPAQUE_STARTS = frozenset({"os.fork", "os.forkpty", "pty.fork"})
PROCESS_POOLS = frozenset({"multiprocessing.Pool", "multiprocessing.pool.Pool",
                           "concurrent.futures.ProcessPoolExecutor",
                           "concurrent.futures.process.ProcessPoolExecutor"})
THREAD_POOLS = frozenset({"multiprocessing.pool.ThreadPool", "multiprocessing.dummy.Pool",
                          "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.thread.ThreadPoolExecutor"})
PARTIAL = frozenset({"functools.partial"})
SHALLOW_COPY = frozenset({"copy.copy"})
#: Decorators and bases that make a record class: an ``__init__`` generated from the annotated fields, each
#: stored on the instance (``Job(shared, "a")`` then ``job.store``). Not multiprocessing API either.
RECORD_DECORATORS = frozenset({"dataclasses.dataclass", "attr.define", "attr.frozen", "attr.mutable",
                               "attrs.define", "attrs.frozen", "attrs.mutable"})
RECORD_BASES = frozenset({"typing.NamedTuple", "typing_extensions.NamedTuple"})
#: Functions that make a record class (``Job = namedtuple("Job", "store key")``): the same as a ``NamedTuple``
#: class whose fields are the names given. Not multiprocessing API either.
RECORD_FACTORIES = frozenset({"collections.namedtuple", "typing.NamedTuple", "typing_extensions.NamedTuple"})
#: Iterables whose every element is the one value given (``repeat(shared)`` zipped with the keys a pool maps
#: over). Not multiprocessing API: not in :data:`API_NAMES`, so not a prefilter gate.
REPEATERS = frozenset({"itertools.repeat"})

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
#: Standard functions that change their first argument in place (a list): ``heapq.heappush(d[k], x)`` changes
#: the copy ``d[k]`` exactly as ``d[k].append(x)`` does. Only the function's own name: a nested ListProxy is no
#: remedy for the heapq ones (their C code requires a real list: ``TypeError: heap argument must be a list``),
#: and for the others each step is its own round trip; the write-back is the fix.
ARGUMENT_MUTATORS = frozenset({
    "heapq.heappush", "heapq.heappop", "heapq.heapify", "heapq.heapreplace", "heapq.heappushpop",
    "bisect.insort", "bisect.insort_left", "bisect.insort_right", "random.shuffle",
})
#: Proxy reads that hand back a copy of one stored value: method -> does its first argument name the key?
COPY_READ_METHODS: Dict[str, Dict[str, bool]] = {
    "dict": {"get": True, "setdefault": True, "__getitem__": True},
    "list": {"__getitem__": True},
    "value": {"get": False},
}

# --- the prefilter's tokens, derived from the tables above -----------------------------------------------------

#: The module every API name above (but the few standard helpers) comes from.
MODULE = STANDARD.module
#: What a file that uses one of :data:`LIBRARIES` must spell: the last part of its module name (``import
#: torch.multiprocessing``, ``from torch import multiprocessing``, ``torch.multiprocessing.Pool``).
LIBRARY_TOKENS: Tuple[str, ...] = tuple(library.module.rsplit(".", 1)[-1] for library in LIBRARIES)
#: Manager annotations :func:`syntax.annotation_kind` recognises (a parameter so annotated holds a manager).
MANAGER_ANNOTATIONS: FrozenSet[str] = frozenset({"SyncManager"})
#: Proxy classes an annotation may name (a parameter so annotated holds a proxy of that kind).
PROXY_ANNOTATIONS: Tuple[str, ...] = tuple(name for name, kind in PROXY_TYPE_NAMES.items() if kind != "auto")


def _common(names: FrozenSet[str], word: str) -> str:
    """``word`` when every name contains it (the gate is then sound for all of them), else ``""`` (no gate)."""
    return word if all(word in name for name in names) else ""


def _shortest(tokens: Tuple[str, ...]) -> Tuple[str, ...]:
    """``tokens`` without those that contain another (``BaseListProxy`` holds ``ListProxy``): the same test,
    fewer scans."""
    return tuple(token for token in tokens if not any(other != token and other in token for other in tokens))


_MANAGER_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in MANAGER_FACTORIES | MANAGER_CLASSES)

#: A file can have a finding only when it passes one gate: it contains the gate's first token and one of the
#: others. A manager comes from ``multiprocessing`` or a library of :data:`LIBRARIES` (a factory or class whose
#: name spells ``Manager``) or
#: from a ``SyncManager`` annotation; a proxy from a manager or from a proxy annotation. Configured manager
#: factories add their own tokens (:func:`source.prefilter_tokens`).
PREFILTER_GATES: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    (_common(_MANAGER_NAMES | MANAGER_ANNOTATIONS, "Manager"),
     _shortest(LIBRARY_TOKENS + tuple(sorted(MANAGER_ANNOTATIONS)))),
    (_common(frozenset(PROXY_ANNOTATIONS), "Proxy"), _shortest(PROXY_ANNOTATIONS)),
)
