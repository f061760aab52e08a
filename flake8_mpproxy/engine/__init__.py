"""One scope-aware abstract interpretation of a module: which values are managers, proxies and copies read
from proxies.

The walker evaluates statements in order, binding names to the abstract values of :mod:`values`. Facts that
cross scopes (parameters of functions called with proxies, return values, class attributes, nested proxies
stored per key, child targets, the bindings of enclosing scopes) live in :class:`Facts`, and facts only grow.
The :class:`solver.Solver` decides what to walk: each unit (the module body, each function) once, then again
only when a fact it read grew. Findings are kept per unit (:meth:`observations.Observer.begin`), so the result is
the union of every unit's latest walk.

How much work a file took: :attr:`InferenceResult.walks` (walks per unit) for one call of :func:`analyse`,
and the module-level :data:`stats` (files analysed, unit walks, units) summed over every call in the process,
for benchmarks (reset it with ``stats.reset()``).
"""

from .solver import FactKey, Solver
from .walker import InferenceResult, Walker, WalkStats, analyse, stats

__all__ = ["FactKey", "InferenceResult", "Solver", "WalkStats", "Walker", "analyse", "stats"]


def WALKS() -> "dict[str, int]":  # noqa: N802 (the name benchmarks/walks.py looks for)
    """Walks so far in this process: ``{"modules": ..., "units": ...}`` (see :data:`stats`)."""
    return stats.counts()
