"""MPP204: a proxy used after its manager shut down (after the ``with Manager()`` block ended, or after an
unconditional ``manager.shutdown()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.observations import NameRead
from ..engine.values import Manager, Proxy

if TYPE_CHECKING:
    from .reporter import Reporter

CODES = ("MPP204",)


def name_read(reporter: "Reporter", seen: NameRead) -> None:
    node, value, scope = seen.node, seen.value, seen.scope
    manager = value.manager if isinstance(value, Proxy) else None
    if (isinstance(manager, Manager) and manager in scope.shutdown and "MPP204" in reporter.enabled
            and reporter.first(("MPP204", id(scope), node.id))):
        if manager.shutdown_node is not None:
            ended = f"that .shutdown() on line {getattr(manager.shutdown_node, 'lineno', 0)} stopped"
        else:
            ended = f"of the with block ending on line {getattr(manager.with_node, 'end_lineno', 0)}"
        reporter.add("MPP204", node, {"name": node.id, "ended": ended}, proxy=node.id)


HANDLES = {NameRead: name_read}
