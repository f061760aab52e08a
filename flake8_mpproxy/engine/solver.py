"""The worklist that drives the inference: which unit to walk next, and why.

A *unit* is the module body (``None``) or one function (its ``FunctionDef`` / ``AsyncFunctionDef`` /
``Lambda`` node). Walking a unit reads facts that other units produce: the values a function's parameters
receive, what a function returns, class attributes, nested proxies stored in a proxy, whether a function is a
child target, the bindings of an enclosing scope... Each such fact has a :class:`FactKey`. While a unit is
walked the solver records the keys it reads; when a fact grows (facts only grow), exactly the units that read
it in their latest walk are queued to be walked again. A unit walked again replaces what its previous walk
reported, so the analysis is final when the queue is empty: every unit's latest walk saw the facts as they
end up.

Units are first walked in the order the old whole-module passes used (the module body, then functions last
defined first, each function's nested definitions right after it); then the queue, first in first out. A
call chain written in either order costs at most two walks per function.

A budget bounds the walks (``BASE_STEPS`` + ``STEPS_PER_UNIT`` per unit known). Facts only grow and values
are bounded in depth, so the budget is a guard against a bug of ours, not a limit real code reaches; when it
is hit, :attr:`Solver.stopped` says so and the front ends print one line (``path: warning: analysis stopped
after N steps; findings may be missing``) instead of dropping findings silently.
"""

from __future__ import annotations

import ast
from collections import deque
from typing import Deque, Dict, List, Literal, NamedTuple, Optional, Set

Unit = Optional[ast.AST]  # a function node, or None for the module body

#: Walks allowed before the analysis stops: a base, plus this many per unit known.
BASE_STEPS = 200
STEPS_PER_UNIT = 16


FactKind = Literal["param", "return", "yield", "attr", "nested", "relied", "child", "calls", "in-child", "starts",
                   "initializer", "child-global", "typeids", "binding"]


class FactKey(NamedTuple):
    """One fact units exchange: ``kind`` is one of :data:`FACT_KINDS`, ``subject`` what it is about."""

    kind: FactKind
    subject: object


#: The kinds of facts, and what their subject is.
FACT_KINDS: Dict[FactKind, str] = {
    "param": "(function node,): the values the function's parameters (and defaults) receive",
    "return": "(function node,): what the function returns",
    "yield": "(function node,): what the generator function yields (a @contextmanager's value)",
    "attr": "(class node, attribute name): a class or instance attribute holding a tracked value",
    "nested": "(proxy,): the nested proxies stored in the proxy",
    "relied": "(proxy,): the keys whose nested proxy is changed in place",
    "child": "(function node or None,): the function runs as a child target",
    "calls": "(function node or None,): the function's call sites",
    "in-child": "(function node or None,): the function runs in a child (a target, or called by code that does)",
    "starts": "(function node,): calling the function starts a manager",
    "initializer": "(function node,): a pool runs the function as its initializer, in every worker",
    "child-global": "(name,): a pool initializer binds the module global in the child itself",
    "typeids": "(): typeids registered on manager classes of the file",
    "binding": "(unit, name): the final binding of a name in the scope of another unit",
}


class Solver:
    """The worklist of units, the facts each unit read in its latest walk, and the walk counts."""

    def __init__(self, budget: Optional[int] = None) -> None:
        #: Units never walked yet, walked last-in first-out (see the module docstring).
        self.first: List[Unit] = []
        self._discovered: Set[Unit] = set()
        #: The units in ``first`` still to be walked (one taken out of turn stays in the list, skipped).
        self._in_first: Set[Unit] = set()
        #: Units to walk again because a fact they read grew.
        self.again: Deque[Unit] = deque()
        self._queued: Set[Unit] = set()
        self.readers: Dict[FactKey, Set[Unit]] = {}
        self.reads_of: Dict[Unit, Set[FactKey]] = {}
        #: Walks per unit, in the order the units were first walked.
        self.walks: Dict[Unit, int] = {}
        self.current: Unit = None
        #: ``reads_of[current]`` (None before the first walk): read at every fact read, so kept at hand.
        self._reads: Optional[Set[FactKey]] = None
        self.steps = 0
        self.budget = budget
        self.stopped = False

    # --- the queue --------------------------------------------------------------------------------------------

    def discover(self, unit: Unit) -> bool:
        """A unit exists (its definition was walked): it will be walked once at least. True when it is new."""
        if unit in self._discovered:
            return False
        self._discovered.add(unit)
        self.first.append(unit)
        self._in_first.add(unit)
        return True

    def has_first_walks(self) -> bool:
        self._drop_taken()
        return bool(self.first)

    def _drop_taken(self) -> None:
        """Forget the units at the end of ``first`` that were walked out of turn already."""
        while self.first and self.first[-1] not in self._in_first:
            self.first.pop()

    def pop(self) -> Optional[List[Unit]]:
        """The next unit to walk, as a one-element list (None: the analysis is complete, or over budget)."""
        self._drop_taken()
        if not self.first and not self.again:
            return None
        if self.steps >= self.limit():
            self.stopped = True
            return None
        if self.first:
            unit = self.first.pop()
            self._in_first.discard(unit)
            return [unit]
        unit = self.again.popleft()
        self._queued.discard(unit)
        return [unit]

    def take(self, unit: Unit) -> bool:
        """Walk ``unit`` now, out of turn, if it was never walked and the budget allows: True when taken (the
        caller walks it and then :meth:`resume` s its own walk)."""
        if unit in self.walks or self.steps >= self.limit() or unit not in self._in_first:
            return False
        self._in_first.discard(unit)  # (left in ``first``, skipped when popped: a list removal is linear)
        return True

    def resume(self, unit: Unit) -> None:
        """Reads are ``unit``'s again: the walk of another unit nested in its own has ended."""
        self.current = unit
        self._reads = self.reads_of[unit]

    def limit(self) -> int:
        return self.budget if self.budget is not None else BASE_STEPS + STEPS_PER_UNIT * len(self._discovered)

    def begin(self, unit: Unit) -> None:
        """``unit`` is about to be walked: forget what its previous walk read."""
        for key in self.reads_of.pop(unit, ()):
            readers = self.readers.get(key)
            if readers is not None:
                readers.discard(unit)
        self.reads_of[unit] = self._reads = set()
        self.current = unit
        self.walks[unit] = self.walks.get(unit, 0) + 1
        self.steps += 1

    # --- facts ------------------------------------------------------------------------------------------------

    def read(self, key: FactKey) -> None:
        """The unit being walked used the fact ``key``."""
        reads = self._reads
        if reads is not None and key not in reads:
            reads.add(key)
            readers = self.readers.get(key)
            if readers is None:
                self.readers[key] = {self.current}
            else:
                readers.add(self.current)

    def grew(self, key: FactKey) -> None:
        """The fact ``key`` grew: every unit that read it (the one walked now included) must be walked again."""
        for unit in self.readers.get(key, ()):
            if unit not in self._queued and unit in self.walks:
                self._queued.add(unit)
                self.again.append(unit)

