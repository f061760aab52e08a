"""What the inference knows across scopes and passes (Facts), and one scope of one pass (Scope)."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Set, Tuple

from .concurrency import CallsBefore
from .aliases import AliasTracker
from .solver import FactKey, FactKind, Solver
from .values import (
    GROWTHS_BEFORE_WIDENING, WIDE_DEPTH, ClassInfo, Copy, Function, Manager, ManagerClass, Proxy, Value, bounded,
)

_new_key = tuple.__new__

FunctionNode = ast.AST  # ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


class Facts:
    """Cross-scope facts, keyed by AST node so they persist across walks; the :class:`Solver` hears every read
    and every growth, and walks again the units that read a fact that grew."""

    def __init__(self, solver: Optional[Solver] = None) -> None:
        self.solver = solver or Solver()
        self.params: Dict[FunctionNode, Dict[str, Value]] = {}
        #: A parameter given a proxy at one call and a copy read from a proxy at another (``add(l, 1)``,
        #: ``add(d["rows"], 2)``): the copy, beside the proxy :attr:`params` holds. A change through the
        #: parameter changes the proxy at the first call and only the copy at the second.
        self.param_copies: Dict[FunctionNode, Dict[str, Copy]] = {}
        #: The read each of those copies came from: a read found to return a nested proxy after all (a
        #: recursive builder's return value known late) takes its copy back.
        self.param_copy_reads: Dict[ast.AST, List[Tuple[FunctionNode, str]]] = {}
        self.returns: Dict[FunctionNode, Value] = {}
        #: What each generator function yields (a ``@contextmanager``'s value for ``with f() as x``).
        self.yields: Dict[FunctionNode, Value] = {}
        self.attrs: Dict[Tuple[ast.ClassDef, str], Value] = {}
        #: How often each return, parameter and attribute fact grew (:meth:`kept`).
        self.growths: Dict[object, int] = {}
        #: The units that store a proxy into each class attribute (None: the module body, a class body, or
        #: another module): when every one runs in a child, a child reading it reads its own binding.
        self.attr_units: Dict[Tuple[ast.ClassDef, str], Set[Optional[ast.AST]]] = {}
        self.child_targets: Set[FunctionNode] = set()
        #: Child targets and the functions they call directly: code that runs in a child process.
        self.in_child: Set[FunctionNode] = set()
        #: Functions pools run as their ``initializer`` (in every worker, before its tasks), and the module
        #: globals they bind (``global shared; shared = d``): the child sets those itself (no MPP202).
        self.initializers: Set[FunctionNode] = set()
        self.child_globals: Set[str] = set()
        #: Functions that start a manager when called (directly or through functions they call).
        self.manager_starters: Set[FunctionNode] = set()
        #: Every call site of a function of the file, and how it runs it (direct, thread, process, pool).
        self.calls: Dict[FunctionNode, Dict[ast.Call, str]] = {}
        #: The unit (function, or None for the module body) each call site is in, and the calls made in a loop
        #: or comprehension: what :mod:`concurrency` needs to tell who may run at the same time.
        self.call_units: Dict[ast.Call, Optional[FunctionNode]] = {}
        self.repeated_calls: Set[ast.Call] = set()
        #: Starts of concurrent code the analysis cannot follow (``os.fork()``, a Process, Thread or pool whose
        #: target is not a function it knows), with their unit: any function may then run at the same time.
        self.opaque_starts: Dict[ast.AST, Optional[FunctionNode]] = {}
        #: Units that start a child when they run (directly, or through a function they call directly).
        self.child_starters: Set[Optional[FunctionNode]] = set()
        #: Direct calls made before their unit has started any child itself, outside loops (latest walk wins),
        #: with the functions the unit called directly before them (any that starts a child makes it late).
        self.early_calls: Dict[ast.Call, CallsBefore] = {}
        self.proxies: Dict[ast.AST, Proxy] = {}
        #: Where each proxy is made: its unit, and whether a loop or comprehension there makes one per turn.
        self.made_in: Dict[ast.AST, Tuple[Optional[FunctionNode], bool]] = {}
        self.managers: Dict[ast.AST, Manager] = {}
        self.manager_classes: Dict[object, ManagerClass] = {}
        self.classes: Dict[ast.ClassDef, ClassInfo] = {}
        #: Record classes made by a call (``namedtuple("Job", "store key")``): one per call site, for good.
        self.made_classes: Dict[ast.Call, ClassInfo] = {}
        self.functions: Dict[FunctionNode, Function] = {}

    def kept(self, key: object, value: Optional[Value]) -> Optional[Value]:
        """``value`` as the fact ``key`` keeps it (:func:`values.bounded`): cut shallower once the fact has
        grown a few times, so a value that grows on every walk stops growing soon."""
        widened = self.growths.get(key, 0) >= GROWTHS_BEFORE_WIDENING
        return bounded(value, limit=WIDE_DEPTH) if widened else bounded(value)

    def grown(self, key: object) -> None:
        self.growths[key] = self.growths.get(key, 0) + 1

    def read(self, kind: FactKind, *subject: object) -> None:
        """The unit being walked used the fact ``kind`` about ``subject`` (see :data:`solver.FACT_KINDS`)."""
        self.solver.read(_new_key(FactKey, (kind, subject)))  # (not FactKey(...): a Python-level __new__)

    def wrote(self, kind: FactKind, *subject: object) -> None:
        """The fact grew: the units that used it are walked again."""
        self.solver.grew(_new_key(FactKey, (kind, subject)))


class Scope:
    """A module, class or function scope during one walk of a unit."""

    def __init__(self, kind: str, parent: Optional["Scope"], func: Optional[FunctionNode] = None) -> None:
        self.kind = kind
        self.parent = parent
        self.func = func
        #: The unit whose walk builds this scope: comprehension and class scopes belong to the unit around
        #: them (asked at every lookup that leaves a scope, so computed once here).
        self.unit: Optional[FunctionNode] = (
            func if func is not None or kind == "module" or parent is None else parent.unit)
        #: For a comprehension's scope (a function scope of no function): the scope around it, whose loop, lock
        #: and function state code here shares (asked at every call and store); None for the others (not
        #: ``self``: a scope pointing at itself would wait for the cyclic collector).
        self.home: Optional[Scope] = (
            (parent.home or parent) if func is None and kind == "function" and parent is not None else None)
        self.vars: Dict[str, Optional[Value]] = {}
        self.globals: Set[str] = set()
        self.nonlocals: Set[str] = set()
        self.shutdown: Set[Manager] = set()
        self.aliases = AliasTracker()
        #: ``with <manager lock>:`` blocks around the current statement, and the loops around it (this unit).
        self.lock_depth = 0
        #: The manager lock proxies those ``with`` blocks hold, innermost last.
        self.held_locks: List[Proxy] = []
        self.loop_depth = 0
        self.owner: Optional[ClassInfo] = None

