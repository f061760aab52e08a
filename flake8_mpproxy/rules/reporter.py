"""The Reporter: hands the walker's observations to the rules, and keeps their findings per unit; and the
registry it reads (which rule module reports which code, which handlers hear which observation type).

The walker records what it saw (:mod:`observations`); the rules (:mod:`rules`) turn observations into
findings through the small interface below (:meth:`Reporter.add`, :meth:`Reporter.first`,
:meth:`Reporter.defer`). Only the rules whose codes are enabled hear anything, so a deselected rule costs
nothing but the record. Findings are kept per unit of the analysis: a unit walked again replaces its own.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
import importlib
from functools import lru_cache
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

from ..engine.concurrency import Concurrency
from ..model.findings import Detail, Finding, no_detail
from ..model.catalogue import RULES
from ..engine.syntax import node_range
from ..model.mpapi import OLDEST_TARGET, Version


# --- the registry: which rule modules the catalogue names, and which handlers hear each observation type ---

Handler = Callable[["Reporter", Any], None]
Complete = Callable[["Reporter", List[Any], "Concurrency"], None]


@dataclass(frozen=True)
class RuleModule:
    """One rule module as the registry sees it."""

    name: str
    codes: FrozenSet[str]
    handles: Mapping[type, Handler]
    complete: Optional[Complete]


def _load(name: str) -> RuleModule:
    module = importlib.import_module(f"{__package__}.{name}")
    return RuleModule(name, frozenset(module.CODES), dict(module.HANDLES), getattr(module, "complete", None))


def _registry() -> Tuple[RuleModule, ...]:
    """The rule modules the catalogue names, in catalogue order (the order their findings are built in)."""
    names: List[str] = []
    for entry in RULES:
        if entry.module not in names:
            names.append(entry.module)
    return tuple(_load(name) for name in names)


#: Every rule module, in catalogue order.
MODULES: Tuple[RuleModule, ...] = _registry()


@lru_cache(maxsize=None)
def modules_for(enabled: FrozenSet[str]) -> Tuple[RuleModule, ...]:
    """The rule modules that report at least one enabled code."""
    return tuple(module for module in MODULES if module.codes & enabled)


@lru_cache(maxsize=None)
def handlers_for(enabled: FrozenSet[str]) -> Dict[type, Tuple[Handler, ...]]:
    """Observation type -> the handlers of the enabled rules, in catalogue order."""
    table: Dict[type, Tuple[Handler, ...]] = {}
    for module in modules_for(enabled):
        for kind, handler in module.handles.items():
            table[kind] = table.get(kind, ()) + (handler,)
    return table


# --- the reporter ----------------------------------------------------------------------------------------------

@dataclass
class _UnitFindings:
    """What one walk of one unit reported (replaced when the unit is walked again)."""

    findings: List[Finding] = field(default_factory=list)
    once: Set[Tuple[Any, ...]] = field(default_factory=set)
    #: per rule module: what its ``complete`` builds once the whole file is known
    deferred: Dict[str, List[Any]] = field(default_factory=dict)


class Reporter:
    """Collects findings for the enabled codes, per unit of the analysis: the latest walk of each unit counts."""

    def __init__(self, enabled: FrozenSet[str], target: Version = OLDEST_TARGET) -> None:
        self.enabled = enabled
        #: The oldest Python the checked code must run on: MPP107 reports what it lacks.
        self.target = target
        self.findings: List[Finding] = []
        self.once: Set[Tuple[Any, ...]] = set()
        self.deferred: Dict[str, List[Any]] = {}
        self._units: Dict[object, _UnitFindings] = {}
        self._handlers = handlers_for(enabled)
        self._modules: Tuple[RuleModule, ...] = modules_for(enabled)

    def begin(self, unit: object) -> None:
        """Start (again) collecting the findings of ``unit`` (a function node, or None for the module body):
        a unit walked again replaces its own findings, and the others' stay as they are."""
        record = self._units[unit] = _UnitFindings()
        self.findings, self.once, self.deferred = record.findings, record.once, record.deferred

    def resume(self, unit: object) -> None:
        """Go on collecting the findings of ``unit``'s walk (another unit's walk nested in it has ended)."""
        record = self._units[unit]
        self.findings, self.once, self.deferred = record.findings, record.once, record.deferred

    def observe(self, observation: Tuple[Any, ...]) -> None:
        """The walker saw ``observation``: every enabled rule registered for its type hears of it."""
        for handler in self._handlers.get(type(observation), ()):
            handler(self, observation)

    def complete(self, concurrency: Concurrency) -> List[Finding]:
        """Build the findings that depend on the whole file (a rule module's ``complete``: the fix form of a
        change of a copy depends on the proxy's stores and on concurrent writers; MPP301 on who may race)."""
        records = list(self._units.values())
        self.findings = [finding for record in records for finding in record.findings]
        for module in self._modules:
            if module.complete is not None:
                items = [item for record in records for item in record.deferred.get(module.name, ())]
                module.complete(self, items, concurrency)
        return self.findings

    # --- what rules call ----------------------------------------------------------------------------------------

    def add(self, code: str, node: ast.AST, args: Dict[str, str], detail: Optional[Detail] = None,
            **extra: Any) -> None:
        """A finding of ``code`` at ``node``; ``args`` fill the catalogue message, ``detail`` what its fix needs,
        ``extra`` the Finding's other fields."""
        rng = node_range(node)
        detail = no_detail() if detail is None else detail
        detail["node"] = rng  # ``ast`` coordinates: the finding's own columns may become character columns
        self.findings.append(Finding(code, *rng, tuple(args.items()), detail=detail, **extra))

    def first(self, key: Tuple[Any, ...]) -> bool:
        """True the first time ``key`` is seen in this walk of this unit (one finding per key)."""
        if key in self.once:
            return False
        self.once.add(key)
        return True

    def defer(self, module: str, item: Any) -> None:
        """Keep ``item`` for the ``complete`` of rule module ``module`` (dropped if this unit is walked again)."""
        self.deferred.setdefault(module, []).append(item)
