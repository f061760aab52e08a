"""The target Python: the oldest version the checked code must run on (``py39`` .. ``py315``).

Version-dependent rules (MPP107, ``SyncManager.set()``) ask it. Given nothing, it is the lowest Python the
``requires-python`` of the nearest ``pyproject.toml`` admits (as ruff reads it), else the running interpreter.
Versions outside the known range are clamped to it: what multiprocessing offers before 3.9 is what 3.9 offers,
and nothing newer than 3.15 is known.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from .mpapi import NEWEST_TARGET, OLDEST_TARGET, Version

TARGET_NAMES = tuple(f"py3{minor}" for minor in range(OLDEST_TARGET[1], NEWEST_TARGET[1] + 1))
_CLAUSE = re.compile(r"^(~=|===|==|!=|<=|>=|<|>)\s*v?([0-9]+(?:\.[0-9]+)*)(\.\*)?(?:[-_.]?[A-Za-z][A-Za-z0-9.]*)?$")


def parse_target(text: str) -> Version:
    """``"py314"`` -> ``(3, 14)``; ValueError naming the accepted spellings otherwise."""
    if text not in TARGET_NAMES:
        raise ValueError(f"expected one of {', '.join(TARGET_NAMES)}, got {text!r}")
    return 3, int(text[3:])


def clamp(version: Version) -> Version:
    return max(OLDEST_TARGET, min(NEWEST_TARGET, version))


def running() -> Version:
    """The interpreter this tool runs on, as a target."""
    return clamp((sys.version_info[0], sys.version_info[1]))


def lowest_admitted(requires_python: str) -> Version:
    """The lowest ``(major, minor)`` some release of which satisfies every clause of a PEP 440 specifier set
    (``">=3.9"`` -> (3, 9); ``"~=3.10.2"`` -> (3, 10); ``">=2.7, !=3.0.*"`` -> (2, 7)).

    Checked by trying releases (patch levels up to 99) rather than by algebra: short, and right for every
    operator including ``!=X.*`` and ``~=``. ValueError for a clause that is not a version comparison.
    """
    tests = [_clause_test(clause.strip()) for clause in requires_python.split(",") if clause.strip()]
    for major, last_minor in ((2, 7), (3, 40)):
        for minor in range(last_minor + 1):
            if any(all(test((major, minor, patch)) for test in tests) for patch in range(100)):
                return major, minor
    raise ValueError(f"requires-python {requires_python!r} admits no Python version")


def _clause_test(clause: str) -> Callable[[Tuple[int, int, int]], bool]:
    match = _CLAUSE.match(clause)
    if match is None:
        raise ValueError(f"requires-python: cannot read the clause {clause!r}")
    op, digits, wildcard = match.group(1), [int(part) for part in match.group(2).split(".")], match.group(3)
    if wildcard:
        if op not in ("==", "!="):
            raise ValueError(f"requires-python: '.*' goes with == or != only, not in {clause!r}")
        prefix = tuple(digits)
        return lambda v: (v[:len(prefix)] == prefix) == (op == "==")
    spec = _padded(digits)
    if op == "~=":
        if len(digits) < 2:
            raise ValueError(f"requires-python: ~= needs two version parts, not {clause!r}")
        head = tuple(digits[:-1])
        return lambda v: v >= spec and v[:len(head)] == head
    compare = {"==": lambda v: v == spec, "===": lambda v: v == spec, "!=": lambda v: v != spec,
               "<=": lambda v: v <= spec, ">=": lambda v: v >= spec, "<": lambda v: v < spec,
               ">": lambda v: v > spec}
    return compare[op]


def _padded(digits: List[int]) -> Tuple[int, int, int]:
    parts = (digits + [0, 0, 0])[:3]
    return parts[0], parts[1], parts[2]


def nearest_pyproject(paths: Sequence[str]) -> Optional[Path]:
    """The nearest ``pyproject.toml`` at or above the first checked path (the current directory for stdin)."""
    start = Path(paths[0] if paths and paths[0] != "-" else ".").resolve()
    directory = start if start.is_dir() else start.parent
    for folder in [directory, *directory.parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None
