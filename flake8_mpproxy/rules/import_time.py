"""MPP201: a manager started while the module is imported (again in every spawned child)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.catalogue import FIX_UNSAFE
from ..model.findings import FORM_GUARD
from ..engine.observations import ManagerStarted
from ..engine.syntax import display

if TYPE_CHECKING:
    from .reporter import Reporter

CODES = ("MPP201",)


def manager_started(reporter: "Reporter", seen: ManagerStarted) -> None:
    node = seen.node
    if "MPP201" in reporter.enabled and reporter.first(("MPP201", id(node))):
        reporter.add("MPP201", node, {"expr": display(node), "note": ""}, form=FORM_GUARD, applicability=FIX_UNSAFE)


HANDLES = {ManagerStarted: manager_started}
