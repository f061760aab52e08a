"""The one libcst transform of a round: apply the planned :class:`Edits` (replacements, insertions after
statements, removals, and the main-guard move) in a single visit of the module."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Set, cast

import libcst as cst

from .plan import Edits
from .rewrites import main_guard


class Apply(cst.CSTTransformer):
    """Applies :class:`Edits`: node replacements, insertions after statements, and the main-guard move."""

    def __init__(self, edits: Edits, parents: Optional[Mapping[cst.CSTNode, cst.CSTNode]] = None) -> None:
        """``parents`` (the round's parent map): visit only the nodes on the way to an edit, so the cost of a
        round follows its edits, not the size of the module; without it every node is visited."""
        super().__init__()
        self.edits = edits
        self.wanted: Optional[Set[cst.CSTNode]] = None if parents is None else on_the_way(edits, parents)

    def on_visit(self, node: cst.CSTNode) -> bool:
        return self.wanted is None or node in self.wanted

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> Any:
        edits = self.edits
        if isinstance(updated, cst.Module):
            return self.finish_module(updated)
        if original in edits.remove:
            return cst.RemovalSentinel.REMOVE
        result: object = updated
        for build in edits.replace.get(original, []):
            result = build(result)  # type: ignore[arg-type]
        if edits.guard is not None and original is edits.guard and isinstance(result, cst.If):
            result = prepend(result, edits.prepend_to_guard)
        if original in edits.insert_after:
            items = list(result.nodes) if isinstance(result, cst.FlattenSentinel) else [result]
            result = cst.FlattenSentinel(cast(List[cst.CSTNode], items) + list(edits.insert_after[original]))
        return result

    def finish_module(self, updated: cst.Module) -> cst.Module:
        """Without a main guard to move into, append one at the end of the module; comments that a move left
        behind at the end stay at the end."""
        if self.edits.footer:
            updated = updated.with_changes(footer=list(self.edits.footer) + list(updated.footer))
        if self.edits.prepend_to_guard and self.edits.guard is None:
            return updated.with_changes(body=list(updated.body) + [main_guard(self.edits.prepend_to_guard)])
        return updated


def on_the_way(edits: Edits, parents: Mapping[cst.CSTNode, cst.CSTNode]) -> Set[cst.CSTNode]:
    """The nodes an edit changes and all their ancestors (the module included): the rest stays as it is."""
    edited: List[cst.CSTNode] = [*edits.replace, *edits.insert_after, *edits.remove]
    if edits.guard is not None:
        edited.append(edits.guard)
    wanted: Set[cst.CSTNode] = set()
    for node in edited:
        current: Optional[cst.CSTNode] = node
        while current is not None and current not in wanted:
            wanted.add(current)
            current = parents.get(current)
    return wanted


#: Calls that must run before any manager starts: the moved statements go after them in the guard.
FIRST_IN_MAIN = frozenset({"freeze_support", "set_start_method", "set_executable", "set_forkserver_preload"})


def prepend(guard: cst.If, statements: Sequence[cst.BaseStatement]) -> cst.If:
    """Put ``statements`` at the start of the guard's block, after its start-up calls."""
    body = guard.body
    if not isinstance(body, cst.IndentedBlock):
        return guard
    existing = list(body.body)
    at = 0
    while at < len(existing) and is_start_up_call(existing[at]):
        at += 1
    return guard.with_changes(body=body.with_changes(body=existing[:at] + list(statements) + existing[at:]))


def is_start_up_call(stmt: cst.BaseStatement) -> bool:
    """``multiprocessing.freeze_support()``, ``mp.set_start_method("spawn")``, ``set_executable(...)``."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return False
    small = stmt.body[0]
    if not isinstance(small, cst.Expr) or not isinstance(small.value, cst.Call):
        return False
    func = small.value.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in FIRST_IN_MAIN
