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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from ..concurrency import CHILD_HOWS, PARENT, UNKNOWN, Concurrency
from ..values import Function, Proxy, Value

if TYPE_CHECKING:
    from .walker import Walker


@dataclass(frozen=True)
class CallSummary:
    """One call of a function that another module defines. ``target`` is the dotted name as the caller wrote
    it (leading dots for a relative import: ``.workers.collect``)."""

    target: str
    args: Tuple[Optional[str], ...]
    kwargs: Tuple[Tuple[str, Optional[str]], ...]
    how: str
    repeated: bool
    #: Where the calling code runs: CALLER_PARENT, CALLER_ONCE (one child, one copy) or CALLER_UNKNOWN.
    caller: str


CALLER_PARENT = "parent"
CALLER_ONCE = "once"
CALLER_UNKNOWN = "unknown"

#: What an importer that cannot pass a proxy (no manager in it, none passed to it) stands for, unanalysed:
#: calls of unknown functions from unknown contexts. Kept under OPAQUE_KEY in ``incoming``.
OPAQUE = CallSummary("", (), (), "direct", False, CALLER_UNKNOWN)
OPAQUE_KEY = ""


def kind_of(value: Optional[Value]) -> Optional[str]:
    """What a summary keeps of an argument: the kind of proxy it is (facts of other kinds stay local)."""
    return value.kind if isinstance(value, Proxy) else None


class Links:
    """The project side of one module's walk: ``incoming`` calls by function name (in), the calls this module
    makes into other modules, by call node (out, the latest walk of each call wins), and ``star``: the names a
    ``from m import *`` of a project module binds."""

    def __init__(self, incoming: Optional[Dict[str, List[CallSummary]]] = None,
                 star: Optional[Callable[[str], List[str]]] = None) -> None:
        self.incoming = incoming or {}
        self.star = star
        self.outgoing: Dict[ast.Call, CallSummary] = {}
        self.caller_units: Dict[ast.Call, Optional[ast.AST]] = {}

    def record(self, w: "Walker", node: ast.Call, target: str, args: List[Optional[Value]],
               kwargs: Dict[str, Optional[Value]], how: str) -> None:
        self.outgoing[node] = CallSummary(
            target, tuple(kind_of(a) for a in args), tuple(sorted((k, kind_of(v)) for k, v in kwargs.items())),
            how, bool(w.function_scope().loop_depth), CALLER_PARENT)
        self.caller_units[node] = w.unit()

    def finish(self, concurrency: Concurrency) -> None:
        """The walk is over: say where each call's code runs, now that the module's call sites are known."""
        for node, summary in self.outgoing.items():
            caller = caller_kind(concurrency, self.caller_units.get(node))
            if caller != summary.caller:
                self.outgoing[node] = replace(summary, caller=caller)

    def summaries(self) -> List[CallSummary]:
        return list(self.outgoing.values())

    def names_of(self, module: str) -> List[str]:
        return self.star(module) if self.star is not None else []


def caller_kind(concurrency: Concurrency, unit: Optional[ast.AST]) -> str:
    if unit is None:
        return CALLER_PARENT
    if concurrency.self_concurrent(unit) is not None:
        return CALLER_UNKNOWN
    contexts = concurrency.contexts(unit)
    if contexts == frozenset({PARENT}):
        return CALLER_PARENT
    if len(contexts) == 1 and UNKNOWN not in contexts:
        return CALLER_ONCE
    return CALLER_UNKNOWN


def seed(w: "Walker", tree: ast.Module, incoming: Dict[str, List[CallSummary]]) -> None:
    """Give the module's functions what other modules' calls pass them, and those calls' contexts.

    Each incoming call becomes a call site of its own (a synthetic ``ast.Call``), so :mod:`concurrency` sees
    the function's callers: a child start (in a loop or not), a direct call from the other module's body (the
    parent), or a direct call from one of its functions (unknown: concurrent).
    """
    from .calls import bind_arguments
    opaque = OPAQUE_KEY in incoming  # then any function called from here may also be called from there
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) or stmt.name not in incoming:
            continue
        proxies: Dict[Tuple[object, str], Proxy] = {}
        for summary in incoming[stmt.name]:
            args = [proxy_for(proxies, stmt, index, kind) for index, kind in enumerate(summary.args)]
            kwargs = {name: proxy_for(proxies, stmt, name, kind) for name, kind in summary.kwargs}
            bind_arguments(w, Function(stmt), args, kwargs)
            add_site(w, stmt, summary)
        if opaque:
            add_site(w, stmt, OPAQUE)


def proxy_for(proxies: Dict[Tuple[object, str], Proxy], func: ast.AST, slot: object,
              kind: Optional[str]) -> Optional[Value]:
    """One proxy per parameter slot and kind, made in this module (its site: the function's arguments)."""
    if kind is None:
        return None
    key = (slot, kind)
    if key not in proxies:
        proxies[key] = Proxy(kind, func.args)  # type: ignore[attr-defined]
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
    unknown = summary.caller == CALLER_UNKNOWN
    w.facts.call_units[site] = ast.Pass() if unknown and how == "direct" else None
    if summary.repeated and not in_one_child or unknown and how != "direct":  # (a loop in one child: in turn)
        w.facts.repeated_calls.add(site)
