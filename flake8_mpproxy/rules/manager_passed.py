"""MPP203: a manager object passed to a child process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.observations import ManagerPassed
from ..engine.syntax import display

if TYPE_CHECKING:
    from .reporter import Reporter

CODES = ("MPP203",)


def manager_passed(reporter: "Reporter", seen: ManagerPassed) -> None:
    if "MPP203" in reporter.enabled and reporter.first(("MPP203", id(seen.node))):
        reporter.add("MPP203", seen.node, {"name": display(seen.node)})


HANDLES = {ManagerPassed: manager_passed}
