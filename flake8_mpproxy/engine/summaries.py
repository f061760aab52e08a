"""What one module tells the rest of the project, as plain frozen values (str, int, tuples): the calls it
makes into other modules and the facts it exports. Never ASTs, so the project model's memory is bounded by
these summaries, and each has ``to_json``/``from_json`` so that a cache can keep them between runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Literal, Optional, Tuple

#: How deep nested-proxy facts are carried across modules (``d["a"]["b"]`` is depth 2): deeper stores are
#: dropped, and a proxy whose nested facts were cut says so (``truncated``), so readers stay on the safe side.
MAX_NESTING = 3

#: A plain value stored into a proxy where it was made, for the nested fix of another module's finding:
#: (key source, value type "list"/"dict"/..., a manager name visible there or "", the value's range in the
#: origin module as (line, col, end_line, end_col), or () when the store has no value node).
InitSite = Tuple[str, str, str, Tuple[int, ...]]


@dataclass(frozen=True)
class ProxyFact:
    """A proxy (or a manager: ``kind == "manager"``) as another module sees it: its kind, where it was made
    (``main.py:8``, relative to the project root) and the nested proxies stored in it, by key slot."""

    kind: str
    origin: str = ""
    nested: Tuple[Tuple[str, "ProxyFact"], ...] = ()
    #: Nested facts were cut at MAX_NESTING: a read at any key may hold a proxy (precision first).
    truncated: bool = False
    #: The plain values the origin module stores into it (where a nested fix would store proxies instead).
    inits: Tuple[InitSite, ...] = ()
    #: A lock that excludes every other holder (``manager.Lock()``, ``RLock()``, ``Condition()``; not a
    #: ``Semaphore``): holding it makes a read-modify-write exclusive in every module.
    mutex: bool = False
    #: A record instance (``kind`` RECORD or RECORD_TUPLE, ``origin`` its class's name): its fields in order;
    #: ``nested`` holds the facts of those that carry a proxy.
    fields: Tuple[str, ...] = ()
    #: The module of the library whose manager made it (:data:`api.LIBRARIES`), "" for the standard one.
    library: str = ""
    #: The module ``inits`` are in when it is not the origin's (a factory of ``shared.py`` made the proxy,
    #: ``main.py`` stores the values into it): where a nested fix would store proxies.
    inits_in: str = ""

    def has_proxy(self) -> bool:
        """A proxy or manager, or a container with one inside (not a function alone)."""
        if self.kind == FUNCTION:
            return False
        if self.kind in CONTAINERS:
            return any(fact.has_proxy() for _, fact in self.nested)
        return True

    def to_json(self) -> Dict[str, Any]:
        return {"kind": self.kind, "origin": self.origin, "truncated": self.truncated,
                "nested": [[slot, fact.to_json()] for slot, fact in self.nested],
                "inits": [[key, kind, manager, list(rng)] for key, kind, manager, rng in self.inits],
                "mutex": self.mutex, "fields": list(self.fields), "library": self.library, "inits_in": self.inits_in}

    @staticmethod
    def from_json(data: Dict[str, Any]) -> "ProxyFact":
        return ProxyFact(str(data["kind"]), str(data["origin"]),
                         tuple((str(slot), ProxyFact.from_json(fact)) for slot, fact in data["nested"]),
                         bool(data["truncated"]),
                         tuple((str(key), str(kind), str(manager), tuple(int(n) for n in rng))
                               for key, kind, manager, rng in data["inits"]),
                         bool(data.get("mutex", False)), tuple(str(name) for name in data.get("fields", ())),
                         str(data.get("library", "")), str(data.get("inits_in", "")))


#: Fact kinds for a record instance carrying proxies (a dataclass or attrs class; a NamedTuple, which unpacks).
RECORD = "record"
RECORD_TUPLE = "record-tuple"
#: Fact kinds only a call's arguments carry: a top-level function of the project (``origin``:
#: ``path:name``), handed to another module that may call it or start it as a child (a callback); a tuple or
#: list (``nested`` by index, or ``*``: any element) and a dict (``nested`` by constant key, ``*``: any other).
FUNCTION = "function"
#: An instance of a top-level class of the project (``origin``: ``path:Class``): what its class's code keeps on
#: ``self`` is read through it (its attribute facts), and its methods are calls into that module.
INSTANCE = "instance"
SEQUENCE = "sequence"
MAPPING = "mapping"
#: One of several functions (``target=produce if fast else consume``): ``nested`` holds each.
EITHER = "either"
CONTAINERS = (RECORD, RECORD_TUPLE, SEQUENCE, MAPPING, EITHER)


def fact_json(fact: Optional[ProxyFact]) -> Optional[Dict[str, Any]]:
    return fact.to_json() if fact is not None else None


def fact_from_json(data: Optional[Dict[str, Any]]) -> Optional[ProxyFact]:
    return ProxyFact.from_json(data) if data is not None else None


@dataclass(frozen=True)
class CallSummary:
    """One call of a function that another module defines. ``target`` is the dotted name as the caller wrote
    it (leading dots for a relative import: ``.workers.collect``); per argument, the proxy it carries."""

    target: str
    args: Tuple[Optional[ProxyFact], ...]
    kwargs: Tuple[Tuple[str, Optional[ProxyFact]], ...]
    how: str
    repeated: bool
    #: Where the calling code runs: CALLER_PARENT, CALLER_ONCE (one child, one copy), CALLER_CHILDREN (only in
    #: children, maybe several at once) or CALLER_UNKNOWN.
    caller: str

    def carries_proxy(self) -> bool:
        return any(fact is not None and fact.has_proxy() for fact in self.args) or any(
            fact is not None and fact.has_proxy() for _, fact in self.kwargs)

    def to_json(self) -> Dict[str, Any]:
        return {"target": self.target, "args": [fact_json(a) for a in self.args],
                "kwargs": [[name, fact_json(fact)] for name, fact in self.kwargs],
                "how": self.how, "repeated": self.repeated, "caller": self.caller}

    @staticmethod
    def from_json(data: Dict[str, Any]) -> "CallSummary":
        return CallSummary(str(data["target"]), tuple(fact_from_json(a) for a in data["args"]),
                           tuple((str(name), fact_from_json(fact)) for name, fact in data["kwargs"]),
                           str(data["how"]), bool(data["repeated"]), str(data["caller"]))


CALLER_PARENT = "parent"
CALLER_ONCE = "once"
CALLER_UNKNOWN = "unknown"
#: Code that runs only in children, maybe several at once (a pool initializer, a pool worker): concurrent, as
#: unknown code is, but never in the parent.
CALLER_CHILDREN = "children"

#: What an importer that was not analysed stands for: calls of unknown functions from unknown contexts.
#: Kept under OPAQUE_KEY in ``incoming``.
OPAQUE = CallSummary("", (), (), "direct", False, CALLER_UNKNOWN)
OPAQUE_KEY = ""

#: Export roles: a module global, what a function returns (a proxy, or a copy read from one), a class
#: attribute (``Registry.shared``).
Role = Literal["global", "returns", "returns-copy", "returns-items", "attr", "remote"]
GLOBAL: Role = "global"
RETURNS: Role = "returns"
RETURNS_COPY: Role = "returns-copy"
#: A function returning a tuple or list with proxies among its items (``return manager.dict(), manager.Lock()``):
#: :attr:`Export.items` says which.
RETURNS_ITEMS: Role = "returns-items"
ATTRIBUTE: Role = "attr"
#: A store into an attribute of an imported class or module, as the storing module summarises it
#: (:attr:`ModuleSummary.remote`); the defining module exports it as ATTRIBUTE or GLOBAL.
REMOTE: Role = "remote"
ROLES: Tuple[Role, ...] = (GLOBAL, RETURNS, RETURNS_COPY, RETURNS_ITEMS, ATTRIBUTE, REMOTE)


def role_of(value: Any) -> Role:
    """A role read back from the cache (ValueError for anything else: the record is then ignored)."""
    for role in ROLES:
        if value == role:
            return role
    raise ValueError(f"not an export role: {value!r}")


@dataclass(frozen=True)
class Export:
    """A fact importers read: ``name`` (``registry``, ``make``, ``Registry.shared``) holds or returns the
    proxy ``fact`` (for RETURNS_COPY: a copy read from it, ``via`` the proxy's name in the exporting module)."""

    name: str
    role: Role
    fact: ProxyFact
    via: str = ""
    #: RETURNS_ITEMS: (index, proxy) for each item of the returned tuple or list that is a proxy.
    items: Tuple[Tuple[int, ProxyFact], ...] = ()
    #: GLOBAL: a pool initializer of the module binds it (``global SHARED; SHARED = d``), in each worker before
    #: its tasks: a task reading ``module.SHARED`` reads the worker's own binding, not the parent's proxy.
    child_bound: bool = False

    def to_json(self) -> Dict[str, Any]:
        return {"name": self.name, "role": self.role, "fact": self.fact.to_json(), "via": self.via,
                "items": [[index, fact.to_json()] for index, fact in self.items], "child_bound": self.child_bound}

    @staticmethod
    def from_json(data: Dict[str, Any]) -> "Export":
        items = tuple((int(index), ProxyFact.from_json(fact)) for index, fact in data.get("items", ()))
        return Export(str(data["name"]), role_of(data["role"]), ProxyFact.from_json(data["fact"]), str(data["via"]),
                      items, bool(data.get("child_bound", False)))


@dataclass(frozen=True)
class Effect:
    """What calling ``function`` (a top-level function of the module, or a class: its ``__init__``) does to
    a proxy passed to it: stores the nested proxy ``fact`` at key ``slot`` (a constant key's source, or
    ``"*"``: any key) of the proxy reached from the argument by the key slots ``path``; or, ``opaque``, stores
    proxies there the summary cannot say (then a read at any key of it may hold one). The argument is the
    caller's positional argument ``index`` (-1: none) or its keyword argument ``param`` ("": none)."""

    function: str
    index: int
    param: str
    path: Tuple[str, ...]
    slot: str
    fact: Optional[ProxyFact]
    opaque: bool = False

    def to_json(self) -> Dict[str, Any]:
        return {"function": self.function, "index": self.index, "param": self.param, "path": list(self.path),
                "slot": self.slot, "fact": fact_json(self.fact), "opaque": self.opaque}

    @staticmethod
    def from_json(data: Dict[str, Any]) -> "Effect":
        return Effect(str(data["function"]), int(data["index"]), str(data["param"]),
                      tuple(str(slot) for slot in data["path"]), str(data["slot"]), fact_from_json(data["fact"]),
                      bool(data["opaque"]))


@dataclass(frozen=True)
class ModuleSummary:
    """Everything the project keeps of one analysed module (``path`` relative to the project root)."""

    path: str
    outgoing: Tuple[CallSummary, ...] = ()
    exports: Tuple[Export, ...] = ()
    #: Uses of proxies in this module that would change if the values stored in them were nested proxies
    #: (``json.dumps``, ``==``, a function the analysis does not follow): (the proxy's origin, how).
    uses: Tuple[Tuple[str, str], ...] = ()
    #: What calling its functions does to the proxies passed to them (nested proxies stored in them).
    effects: Tuple[Effect, ...] = ()
    #: Remote exports: proxies (or managers) this module stores into an attribute of an imported class or
    #: module (``Registry.shared = manager.dict()``, ``registry.REG = ...``). ``name`` is the dotted name as
    #: written here (``registry.Registry.shared``, ``.registry.REG``), ``role`` is REMOTE; the solver merges
    #: each into the exports of the module that defines the class or module (see
    #: :meth:`crossmodule.ProjectSolver.exports_of`), with the origin kept.
    remote: Tuple[Export, ...] = ()

    def to_json(self) -> Dict[str, Any]:
        return {"path": self.path, "outgoing": [c.to_json() for c in self.outgoing],
                "exports": [e.to_json() for e in self.exports], "uses": [list(use) for use in self.uses],
                "effects": [e.to_json() for e in self.effects], "remote": [e.to_json() for e in self.remote]}

    @staticmethod
    def from_json(data: Dict[str, Any]) -> "ModuleSummary":
        return ModuleSummary(str(data["path"]), tuple(CallSummary.from_json(c) for c in data["outgoing"]),
                             tuple(Export.from_json(e) for e in data["exports"]),
                             tuple((str(origin), str(how)) for origin, how in data["uses"]),
                             tuple(Effect.from_json(e) for e in data["effects"]),
                             tuple(Export.from_json(e) for e in data["remote"]))


@dataclass(frozen=True)
class ScanRecord:
    """What the project scan keeps of one file (cacheable by path, mtime and size): does it pass the textual
    prefilter (a seed: facts can start there), and the modules it imports, as written (``.state``, ``a.b``)."""

    seed: bool
    imports: Tuple[str, ...] = ()
    #: The file's content hash (:func:`cache.content_hash`).
    digest: str = ""

    def to_json(self) -> Dict[str, Any]:
        return {"seed": self.seed, "imports": list(self.imports), "digest": self.digest}

    @staticmethod
    def from_json(data: Dict[str, Any]) -> "ScanRecord":
        return ScanRecord(bool(data["seed"]), tuple(str(name) for name in data["imports"]), str(data["digest"]))
