"""Finding: one frozen result of the analysis, and its message rendered from the catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Optional, Tuple

from .catalogue import FIX_NONE, FIX_SAFE, FIX_UNSAFE, rule

#: Fix forms a finding can carry (the fixer dispatches on these).
Form = Literal["none", "reassign", "writeback", "replace", "guard", "pass-arg"]
FORM_NONE: Form = "none"
FORM_REASSIGN: Form = "reassign"  # MPP101 / MPP102: tmp = d[k]; <change tmp>; d[k] = tmp  (or d[k] += [v])
FORM_WRITEBACK: Form = "writeback"  # MPP103: add d[k] = alias after the last change
FORM_REPLACE: Form = "replace"  # MPP107: l.clear() -> del l[:], d |= x -> d.update(x)
FORM_GUARD: Form = "guard"  # MPP201: move the manager under the main guard
FORM_PASS_ARG: Form = "pass-arg"  # MPP202: give the child target a parameter, pass the proxy in args


#: ``--fix-style`` values: how a change of a copy is fixed (the reassign form, nested proxies, or the fixer picks).
FixStyle = Literal["reassign", "nested", "auto"]
FIX_STYLES: Tuple[FixStyle, ...] = ("reassign", "nested", "auto")


@dataclass(frozen=True)
class Finding:
    """A rule violation at a source range.

    Lines are 1-based and columns 0-based (``ast`` and flake8 conventions); the output layer adds 1 to the
    column when it prints, as flake8 does. ``args`` fills the catalogue template; ``detail`` carries what the
    fixer needs (init sites, value types, related positions) and takes no part in equality.
    """

    code: str
    line: int
    col: int
    end_line: int
    end_col: int
    args: Tuple[Tuple[str, str], ...]
    proxy: str = ""
    key: Optional[str] = None
    form: Form = FORM_NONE
    #: "safe", "unsafe" or "none": may ``--fix`` apply it, only with ``--unsafe-fixes``, or never.
    applicability: str = FIX_NONE
    detail: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: In a notebook: the cell (1-based among all cells); ``line``/``end_line`` then count from the cell's top.
    cell: Optional[int] = None

    @property
    def message(self) -> str:
        """The message without the code, e.g. ``d[k].append() mutates a copy ...`` (in a notebook cell, the
        rule's notebook wording when it has one; for a proxy made in another module, where it was made)."""
        args = dict(self.args)
        spec = rule(self.code)
        template = spec.notebook_message if self.cell is not None and spec.notebook_message else spec.message
        text = template.format(**args)
        origin = args.get("origin")
        return f"{text.rstrip()} {origin}" if origin else text

    @property
    def text(self) -> str:
        """``CODE message``: the form flake8 expects from a plugin."""
        return f"{self.code} {self.message}"

    @property
    def fixable(self) -> bool:
        return self.applicability != FIX_NONE

    def sort_key(self) -> Tuple[int, int, int, str]:
        return (self.cell or 0, self.line, self.col, self.code)

    @property
    def where(self) -> str:
        """``line:col`` (1-based column) as the text formats print it; ``cell N:line:col`` in a notebook."""
        return f"{'' if self.cell is None else f'cell {self.cell}:'}{self.line}:{self.col + 1}"


def applicable(finding: Finding, unsafe: bool) -> bool:
    """Will ``--fix`` apply this finding's fix (``unsafe``: with ``--unsafe-fixes``)?"""
    return finding.applicability == FIX_SAFE or (unsafe and finding.applicability == FIX_UNSAFE)


def fix_wanted(finding: Finding, unsafe: bool, style: str) -> bool:
    """Will a ``--fix`` run with ``style`` try to fix ``finding``: its applicability, or the nested form that
    only the nested and auto styles use where writing the value back would race with other writers."""
    return applicable(finding, unsafe) or (style != "reassign" and bool(finding.detail.get("nested_only")))
