"""MPP104: a plain value stored where the proxy holds a nested proxy that code relies on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.observations import PlainStore
from ..engine.syntax import display, reads_same
from ..engine.values import is_constant_key, slot_of

if TYPE_CHECKING:
    from .reporter import Reporter

CODES = ("MPP104",)


def plain_store(reporter: "Reporter", seen: PlainStore) -> None:
    proxy, key, target, value_node = seen.proxy, seen.key, seen.target, seen.value_node
    if "MPP104" not in reporter.enabled or not proxy.nested:
        return
    slot = slot_of(key)
    nested_here = slot in proxy.nested if is_constant_key(key) else bool(proxy.nested)
    relied = slot in proxy.relied or "*" in proxy.relied
    rereads = value_node is not None and reads_same(value_node, target)
    if nested_here and relied and (rereads or is_constant_key(key)):
        reporter.add("MPP104", target, {"target": display(target)}, proxy=display(target.value), key=key)


HANDLES = {PlainStore: plain_store}
