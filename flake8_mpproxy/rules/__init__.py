"""The rules: each module turns the walker's observations (:mod:`flake8_mpproxy.observations`) into findings.

One module per rule, or per group of rules that share their fix planning (:mod:`.copies` holds MPP101-MPP103).
A rule module exposes:

- ``CODES``: the catalogue codes it reports;
- ``HANDLES``: a dict from observation type to the function that handles it, ``handler(reporter, observation)``;
  the handler reports through :meth:`checks.Reporter.add` (deduplicating with :meth:`~checks.Reporter.first`);
- optionally ``complete(reporter, items, concurrency)``: the findings that need the whole file, built from
  what the handlers kept with :meth:`checks.Reporter.defer` (``defer(NAME, item)``, ``NAME`` the module's name).

The registry below is explicit: each catalogue entry names its module (``Rule.module``), the module's
``HANDLES`` names the observation types it handles, and nothing is found by scanning names. Only the modules
with an enabled code hear anything.

Adding a rule
-------------
1. Add its :class:`~flake8_mpproxy.catalogue.Rule` to :data:`flake8_mpproxy.catalogue.RULES` (code, name,
   message, why, examples, fix) with ``module="<module>"``.
2. Write ``flake8_mpproxy/rules/<module>.py`` with ``CODES = ("MPPxxx",)`` and ``HANDLES`` mapping the
   observations it needs to handler functions (or add the code to an existing module of the same group).

That is all when the walker already records what the rule needs (see the types in
:data:`flake8_mpproxy.observations.OBSERVATIONS`). A rule that needs an event nobody records yet also adds one
NamedTuple to :mod:`flake8_mpproxy.observations` and the one ``reporter.observe(...)`` call in the walker that
records it. ``tests/test_catalogue.py`` checks that every catalogue code has exactly one module reporting it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Tuple

from ..catalogue import RULES

if TYPE_CHECKING:
    from ..checks import Reporter
    from ..concurrency import Concurrency

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
    module = importlib.import_module(f"{__name__}.{name}")
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
