"""Settings: which codes run and what the inference should know, as one frozen value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from .catalogue import DEFAULT_OFF, RULES


@dataclass(frozen=True)
class Settings:
    """Everything that changes what the analysis reports.

    Selection follows flake8: the longest matching prefix decides between ``select``/``extend_select`` and
    ``ignore``; a rule that is off by default (MPP301) runs only when a select prefix names it explicitly.
    """

    select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    manager_factories: Tuple[str, ...] = ()

    def is_enabled(self, code: str) -> bool:
        chosen = (self.select or ("MPP",)) + self.extend_select
        best_select = _longest_prefix(code, chosen)
        if best_select < 0:
            return False
        if code in DEFAULT_OFF and not (self.select or self.extend_select):
            return False
        if code in DEFAULT_OFF and _longest_prefix(code, self.select + self.extend_select) < 0:
            return False
        return best_select >= _longest_prefix(code, self.ignore) if self.ignore else True

    def enabled_codes(self) -> frozenset:
        return frozenset(rule.code for rule in RULES if self.is_enabled(rule.code))


def _longest_prefix(code: str, prefixes: Tuple[str, ...]) -> int:
    """Length of the longest prefix of ``code`` in ``prefixes``; -1 when none matches."""
    return max((len(p) for p in prefixes if code.startswith(p)), default=-1)
