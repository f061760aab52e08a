"""What the walker saw, as small typed records: the rules (:mod:`flake8_mpproxy.rules`) turn them into findings.

The walker decides what a value is (a copy read from a proxy, a proxy, a manager) and where the code runs;
it records each event a rule may care about as one of the records below and hands it to the
:class:`checks.Reporter`, which passes it to the rules registered for its type. Whether an event is a trap,
its message and its fix are the rules' business: no record says "report this".

Records are NamedTuples: the walker makes many of them (every read of a global proxy is one), and a tuple is
the cheapest typed record to build.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, List, NamedTuple, Optional, Protocol, Tuple

from .concurrency import Concurrency, Write
from .values import Copy, Proxy, Value

if TYPE_CHECKING:  # the inference imports this module: only the type checker needs these
    from ..model.findings import Finding
    from .facts import Facts, Scope


@dataclass(frozen=True)
class Site:
    """The statement an event sits in, whether statements can be inserted around it, and who may write the
    proxy at the same time: the unit it runs in, a manager lock held around it, the manager locks in sight."""

    stmt: ast.AST
    open: bool
    write: Write = Write(None, None, False)
    held: bool = False
    locks: Tuple[Tuple[str, bool, Any], ...] = ()

    def fixable(self) -> bool:
        return self.open and isinstance(self.stmt, FIXABLE_STATEMENTS)


#: Statements the fixer can wrap with a read before and a write-back after.
FIXABLE_STATEMENTS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)


@dataclass
class AliasState:
    """A name bound to a copy read from a proxy, and what happened to it since."""

    copy: Copy
    site: Site
    bound_at: ast.AST
    #: The statements the write-back may follow: the binding's block, or the loop body for loop targets.
    block: List[ast.stmt]
    #: (node, enclosing statements outermost first, change) per mutation
    mutations: List[Tuple[ast.AST, Tuple[ast.AST, ...], str]]
    written: bool = False
    escaped: bool = False
    #: Bound by storing the name's own object into the proxy (``d[k] = x``): the manager keeps a copy, ``x``
    #: stays local. ``x += ...`` may rebind an immutable ``x`` there, so only its methods and item stores count.
    stored: bool = False


# --- changes of copies read from proxies ----------------------------------------------------------------------

class CopyMutated(NamedTuple):
    """A mutating method called on a copy read from a proxy: ``d[k].append(v)``."""

    call: ast.Call
    copy: Copy
    method: str
    site: Site
    #: The copy is an argument of a function that changes it (``heapq.heappush(d[k], x)``, a project helper):
    #: the function's qualified name; "" for a method of the copy.
    function: str = ""
    #: That argument (the first, for the standard functions).
    argument: Optional[ast.expr] = None


class CopyStored(NamedTuple):
    """A store, delete or augmented assignment into a copy: ``d[k][j] = v`` (action: store, delete, aug)."""

    target: ast.AST
    copy: Copy
    action: str
    site: Site


class AliasEnded(NamedTuple):
    """A name bound to a copy is bound again or goes out of scope: what happened to it is final."""

    name: str
    state: AliasState


# --- proxies themselves ---------------------------------------------------------------------------------------

class PlainStore(NamedTuple):
    """A plain (non-proxy) value stored into a proxy: ``d[k] = v``."""

    target: ast.Subscript
    proxy: Proxy
    key: str
    value_node: Optional[ast.AST]
    site: Site


class ProxyAttributeStore(NamedTuple):
    """An attribute of a proxy stored or changed: ``ns.x = v``, ``ns.x += 1``."""

    target: ast.Attribute
    proxy: Proxy


class ProxyMethodCall(NamedTuple):
    """A method called on a proxy: ``l.clear()``."""

    call: ast.Call
    proxy: Proxy
    name: str
    method: str


class ProxyAugmented(NamedTuple):
    """An augmented assignment to a name holding a proxy: ``d |= x``."""

    stmt: ast.AugAssign
    target: ast.Name
    proxy: Proxy


class ProxyOperator(NamedTuple):
    """A binary operator with a proxy operand: ``d | x`` (reflected: the proxy is on the right)."""

    node: ast.BinOp
    proxy: Proxy
    name: str
    reflected: bool


class ProxyReversed(NamedTuple):
    """``reversed(p)`` with a proxy argument."""

    call: ast.Call
    proxy: Proxy
    name: str


class TypeidCall(NamedTuple):
    """A proxy made by one of SyncManager's own typeids: ``manager.dict()``, ``manager.set()``."""

    call: ast.Call
    manager_name: str
    typeid: str


class ReadModifyWrite(NamedTuple):
    """``d[k] += x``, ``d[k] = d[k] + x`` or a write-back ``d[k] = alias`` (func: the unit it runs in)."""

    target: ast.AST
    proxy: Proxy
    site: Site
    func: Optional[ast.AST]


# --- processes and lifetimes ----------------------------------------------------------------------------------

class ManagerStarted(NamedTuple):
    """A manager starts at ``node`` while the module is imported."""

    node: ast.AST


class NameRead(NamedTuple):
    """A name holding a proxy or a manager is read (origin: where the binding was found, e.g. ``global``)."""

    node: ast.Name
    value: Value
    origin: str
    scope: "Scope"
    facts: "Facts"


class ClassAttributeInChild(NamedTuple):
    """A class attribute holding a proxy is read in ``func``, which runs in a child."""

    node: ast.Attribute
    func: ast.AST
    calls: Any  # Dict[ast.Call, str]: the call sites of ``func`` and how each runs it
    #: "a class attribute" (``Registry.shared``, ``cls.store``) or "a module global" (``state.registry``).
    holder: str


class ManagerPassed(NamedTuple):
    """A manager object is passed to a child process (``node``: the argument that holds it)."""

    node: ast.AST


#: Every observation type (the registry checks that each one has a rule).
OBSERVATIONS = (CopyMutated, CopyStored, AliasEnded, PlainStore, ProxyAttributeStore, ProxyMethodCall,
                ProxyAugmented, ProxyOperator, ProxyReversed, TypeidCall, ReadModifyWrite, ManagerStarted,
                NameRead, ClassAttributeInChild, ManagerPassed)


class Observer(Protocol):
    """Who hears what the walker sees: the rules (:class:`flake8_mpproxy.rules.reporter.Reporter`).

    The engine knows no rule: it hands each observation to its observer, per unit of the analysis, and asks for
    the findings once the walk is complete. A unit walked again replaces what its previous walk reported."""

    def begin(self, unit: object) -> None:
        """Start (again) collecting what ``unit`` (a function node, or None for the module body) reports."""

    def resume(self, unit: object) -> None:
        """Go on collecting for ``unit`` (another unit's walk nested in it has ended)."""

    def observe(self, observation: Tuple[Any, ...]) -> None:
        """The walker saw ``observation`` (one of :data:`OBSERVATIONS`)."""

    def complete(self, concurrency: Concurrency) -> List["Finding"]:
        """The walk is complete: the findings, given who may run at the same time as whom."""
