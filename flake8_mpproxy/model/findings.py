"""Finding: one frozen result of the analysis, and its message rendered from the catalogue."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import List, Literal, Optional, Tuple, TypedDict, Union, cast

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


#: A source range in ``ast`` coordinates: (line, col, end_line, end_col).
Range = Tuple[int, int, int, int]


class CopyDetail(TypedDict, total=False):
    """MPP101-MPP103, a change of a copy read from a proxy: what the reassign, write-back and nested forms
    rewrite. Filled in two steps: at the change (:func:`rules.copies.copy_detail`), then from the whole file's
    stores and writers (``complete``)."""

    node: Range
    #: The read of the copy (``d[k]``, ``d.get(k)``, ``ns.items``), its text, the proxy's name, how it was read
    #: (subscript, get, attribute, choice, argument...) and the key as written (None: no single key).
    root: Range
    root_text: str
    proxy_name: str
    via: str
    key_text: Optional[str]
    #: The statement holding the change (MPP101/MPP102).
    stmt: Range
    #: The library whose nested proxies come back as copies (billiard): no nested form.
    nested_unfit: str
    #: The type of the values stored ("list", "dict", "" when they differ) and where each store is:
    #: (range or None, value type, manager name).
    value_type: str
    init_sites: List[Tuple[Optional[Range], str, str]]
    #: Uses that a nested proxy would break (``auto`` keeps the reassign form).
    nested_blocked: List[str]
    #: The proxy was made in another module of the project (relative path) and where there.
    made_in: str
    origin: str
    #: The line this module made the proxy on (its origin for the other modules of the project, which may use
    #: its values where a nested proxy would change what they see).
    proxy_line: int
    #: Why other writers may run at the same time, the manager lock to hold, and what that leaves.
    concurrent: str
    lock: str
    nested_races: bool
    nested_only: bool
    #: MPP103: the alias, the write-back statement, where the alias was bound, changed first and last, and
    #: whether the write-back must survive an exception (``try``/``finally``).
    alias: str
    write_back: Optional[str]
    bound_at: Range
    first_change: Optional[Range]
    insert_after: Optional[Range]
    needs_finally: bool


class ReplaceDetail(TypedDict, total=False):
    """MPP107: the spelling the target Python has (``del l[:]`` for ``l.clear()``)."""

    node: Range
    replacement: str


class GuardDetail(TypedDict, total=False):
    """MPP201: the top-level statements that move under the main guard, or why none may."""

    node: Range
    move: List[Range]
    refusal: str


class ChildDetail(TypedDict, total=False):
    """MPP202: the child's target function and the calls that start it (range, how: process, pool...)."""

    node: Range
    function: str
    function_range: Range
    call_sites: List[Tuple[Range, str]]


#: What the fixer needs beyond a finding's position: one shape per group of rules.
Detail = Union[CopyDetail, ReplaceDetail, GuardDetail, ChildDetail]


def temp_base(key: Optional[str]) -> str:
    """The name of the fix's temporary: from a constant string key (``d["items"]`` -> ``items``), else
    ``value`` (the fixer adds a number when the name is taken)."""
    key = key or ""
    if len(key) > 2 and key[0] == key[-1] and key[0] in "'\"":
        word = re.sub(r"\W+", "_", key[1:-1]).strip("_").lower()
        if word.isidentifier() and not keyword.iskeyword(word) and len(word) <= 30:
            return word
    return "value"


def no_detail() -> Detail:
    return CopyDetail()


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
    detail: Detail = field(default_factory=no_detail, compare=False, hash=False)
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


def copy_detail(finding: Finding) -> CopyDetail:
    """The detail of an MPP101-MPP103 finding."""
    return cast(CopyDetail, finding.detail)


def guard_detail(finding: Finding) -> GuardDetail:
    """The detail of an MPP201 finding."""
    return cast(GuardDetail, finding.detail)


def child_detail(finding: Finding) -> ChildDetail:
    """The detail of an MPP202 finding."""
    return cast(ChildDetail, finding.detail)


def replace_detail(finding: Finding) -> ReplaceDetail:
    """The detail of an MPP107 finding."""
    return cast(ReplaceDetail, finding.detail)
