"""The rules: each module turns the walker's observations (:mod:`flake8_mpproxy.observations`) into findings.

One module per rule, or per group of rules that share their fix planning (:mod:`.copies` holds MPP101-MPP103).
The rules run as the engine's observer (:class:`reporter.Reporter`): :func:`analyse` is the engine's walk
with the enabled rules listening. A rule module exposes:

- ``CODES``: the catalogue codes it reports;
- ``HANDLES``: a dict from observation type to the function that handles it, ``handler(reporter, observation)``;
  the handler reports through :meth:`checks.Reporter.add` (deduplicating with :meth:`~checks.Reporter.first`);
- optionally ``complete(reporter, items, concurrency)``: the findings that need the whole file, built from
  what the handlers kept with :meth:`checks.Reporter.defer` (``defer(NAME, item)``, ``NAME`` the module's name).

The registry (in :mod:`.reporter`) is explicit: each catalogue entry names its module (``Rule.module``), the module's
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

import ast
from typing import FrozenSet, Iterable, Optional

from .. import engine
from ..engine.links import Links
from ..engine.walker import InferenceResult
from ..model.mpapi import OLDEST_TARGET, Version
from .reporter import MODULES, Reporter, RuleModule, handlers_for, modules_for

__all__ = ["MODULES", "Reporter", "RuleModule", "analyse", "handlers_for", "modules_for"]


def analyse(tree: ast.Module, enabled: FrozenSet[str], manager_factories: Iterable[str] = (),
            target: Version = OLDEST_TARGET, budget: Optional[int] = None,
            links: Optional[Links] = None) -> InferenceResult:
    """The engine's walk of a parsed module with the rules of the ``enabled`` codes listening: their findings,
    for code that must run on Python ``target`` and later, and the walk counts (``budget``: the walks allowed,
    default by size); ``links`` brings calls from other modules of the project and collects the calls this one
    makes."""
    return engine.analyse(tree, Reporter(enabled, target), manager_factories, budget, links)
