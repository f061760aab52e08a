"""MPP301: a read-modify-write of a proxy item (``d[k] += 1``) that other writers may race with.

Whether another writer may run at the same time is known only once the whole file is walked, so the
handler keeps each read-modify-write and :func:`complete` decides.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING, List, Tuple

from ..engine.concurrency import Concurrency
from ..engine.observations import ReadModifyWrite, Site
from ..engine.syntax import display
from ..engine.values import Proxy

if TYPE_CHECKING:
    from .reporter import Reporter

NAME = "races"
CODES = ("MPP301",)


def read_modify_write(reporter: "Reporter", seen: ReadModifyWrite) -> None:
    if "MPP301" in reporter.enabled and not (seen.func is not None and has_acquire(seen.func)):
        reporter.defer(NAME, (seen.target, seen.proxy, seen.site))


def complete(reporter: "Reporter", pending: List[Tuple[ast.AST, Proxy, Site]], concurrency: Concurrency) -> None:
    for target, proxy, site in pending:
        reason = concurrency.why(replace(site.write, proxy=proxy))
        if reason is not None and "MPP301" in reporter.enabled:
            name = display(target.value)  # type: ignore[attr-defined]
            reporter.add("MPP301", target, {"expr": display(target), "proxy": name, "reason": reason}, proxy=name)


def has_acquire(func: ast.AST) -> bool:
    """The function calls ``.acquire()`` somewhere: it manages a lock by hand, which the analysis cannot follow."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "acquire"
               for n in ast.walk(func))


HANDLES = {ReadModifyWrite: read_modify_write}
