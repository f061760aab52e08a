"""MPP105 / MPP106: attribute stores on proxies (a private Namespace attribute, any attribute of an AutoProxy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.observations import ProxyAttributeStore
from ..engine.syntax import display

if TYPE_CHECKING:
    from .reporter import Reporter

CODES = ("MPP105", "MPP106")


def attribute_store(reporter: "Reporter", seen: ProxyAttributeStore) -> None:
    target, proxy = seen.target, seen.proxy
    name = display(target.value)
    if proxy.kind == "namespace" and target.attr.startswith("_") and "MPP105" in reporter.enabled:
        reporter.add("MPP105", target, {"expr": display(target), "proxy": name}, proxy=name)
    elif proxy.kind == "auto" and "MPP106" in reporter.enabled:
        reporter.add("MPP106", target, {"expr": display(target), "proxy": name}, proxy=name)


HANDLES = {ProxyAttributeStore: attribute_store}
