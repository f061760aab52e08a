"""Which codes run: ruff's rule selection over layers (configuration, then command line).

Each layer may hold ``select`` (replaces everything chosen so far), ``extend-select`` and ``ignore``. Inside a
layer the most specific prefix decides a code; when a select prefix and an ignore prefix are equally specific,
ignore wins (ruff and flake8 agree on this). A later layer decides only the codes it names, except that its
``select`` starts afresh: so ``--ignore MPP301`` beats ``extend-select = ["MPP301"]`` in pyproject, and
``--select MPP1`` drops the configured ``ignore``. Opt-in codes (MPP301) need a prefix longer than ``MPP``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Optional, Sequence, Tuple

from .catalogue import DEFAULT_OFF, RULES


@dataclass(frozen=True)
class Layer:
    """The selection options of one source (a pyproject table or the command line)."""

    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()


def _specificity(code: str, prefixes: Sequence[str], opt_in: bool = False) -> int:
    """Length of the longest prefix of ``code``; -1 when none (opt-in codes ignore the bare ``MPP``)."""
    return max((len(p) for p in prefixes if code.startswith(p) and not (opt_in and len(p) <= 3)), default=-1)


def _decide(code: str, layer: Layer, before: bool) -> bool:
    chosen = _specificity(code, (layer.select or ()) + layer.extend_select, opt_in=code in DEFAULT_OFF)
    ignored = _specificity(code, layer.ignore)
    if chosen > ignored:
        return True
    if ignored >= 0:
        return False
    return False if layer.select is not None else before


def enabled_codes(layers: Sequence[Layer]) -> FrozenSet[str]:
    """The codes that run after applying ``layers`` in order over the default (every default-on code)."""
    state = {rule.code: rule.code not in DEFAULT_OFF for rule in RULES}
    for layer in layers:
        state = {code: _decide(code, layer, on) for code, on in state.items()}
    return frozenset(code for code, on in state.items() if on)
