"""The fixer: findings -> planned edits -> one libcst transform per round -> re-parse and re-analyse, until stable.

libcst is imported here only, and this module is imported only for files with at least one fixable finding.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper

from ..pipeline.analysis import check_source, physical_lines
from ..model.config import Settings
from ..project.context import ProjectContext
from ..model.findings import Finding, fix_wanted
from ..model.source import SourceError, SourceFile
from .locate import NodeIndex
from .plan import Edits, Planner, RemoteCheck, RemoteEdit
from .remote import Checker, Rewritten, rewrite
from .apply import Apply

MAX_ROUNDS = 10


@dataclass(frozen=True)
class FixResult:
    """The outcome of fixing one file: the new text, what was fixed, what remains, or why it failed."""

    text: str
    fixed: Tuple[Finding, ...]
    remaining: Tuple[Finding, ...]
    error: Optional[str] = None
    #: Other modules the fix rewrites (the nested form, where the proxy is made): written with this one or not at all.
    others: Tuple["Rewritten", ...] = ()
    #: Why a fix was not written (one line each, printed as warnings).
    notes: Tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.fixed)


def fix_source(source: SourceFile, findings: Sequence[Finding], settings: Settings = Settings(),
               unsafe: bool = False, style: str = "reassign", one_round: bool = False,
               context: Optional[ProjectContext] = None) -> FixResult:
    """Fix ``source`` whose analysis gave ``findings``; never returns text that does not parse, and never a
    text that one more round would change again (the original comes back with an error instead).

    ``one_round``: apply the fixes of ``findings`` alone, in one round (the language server's quick fix for
    one finding): a later round re-analyses the file and would take up its other findings too. ``context``: the
    projects the front end solved (None: this file's own)."""
    context = context if context is not None else ProjectContext()
    text = source.text
    current = tuple(findings)
    check: Optional[RemoteCheck] = Checker(source.path, settings, context) if os.path.isfile(source.path) else None
    remote: List[Tuple[Finding, RemoteEdit]] = []
    notes: List[str] = []
    for round_number in range(MAX_ROUNDS):
        wanted = [f for f in current if fix_wanted(f, unsafe, style)]
        if not wanted:
            break
        try:
            new_text, applied, edits = apply_round(text, wanted, style, check)
        except cst.ParserSyntaxError as err:
            return FixResult(source.text, (), tuple(findings), f"internal error: libcst cannot parse: {err.message}")
        if round_number == 0:  # the first round plans every finding; later rounds plan the same ones again
            remote, notes = list(edits.remote), list(edits.refusals)
        if not applied or new_text == text:
            break
        try:
            ast.parse(new_text)
        except SyntaxError as err:
            return FixResult(source.text, (), tuple(findings),
                             f"internal error: the fix would not parse ({err.msg}, line {err.lineno}); file left as is")
        text = new_text
        try:
            current = check_source(SourceFile(source.path, b"", text, source.encoding), settings,
                                   links=context.fix_links(source.path, settings), context=context)
        except SourceError as err:  # pragma: no cover - the text was just parsed
            return FixResult(source.text, (), tuple(findings), f"internal error: {err}")
        if one_round:
            break
    else:
        return FixResult(source.text, (), tuple(findings),
                         f"fix did not converge after {MAX_ROUNDS} rounds; file left as is")
    fixed = gone(findings, current) if text != source.text else ()
    others: List[Rewritten] = []
    if remote:
        others, why = rewrite((edit for _, edit in remote), context.overlay)
        if why:
            notes += [f"{finding.code} at line {finding.line}: no nested fix: {why}" for finding, _ in remote]
        else:  # claimed here; the front end checks again once the files are written
            fixed += tuple(finding for finding, _ in remote if finding not in fixed)
    return FixResult(text, fixed, current, others=tuple(others), notes=tuple(notes))


def gone(before: Sequence[Finding], after: Sequence[Finding]) -> Tuple[Finding, ...]:
    """The findings of ``before`` that ``after`` no longer has (matched by code and message, since the
    positions move): what the summary may call fixed."""
    left: Dict[Tuple[str, str], int] = {}
    for finding in after:
        left[(finding.code, finding.message)] = left.get((finding.code, finding.message), 0) + 1
    fixed = []
    for finding in before:
        key = (finding.code, finding.message)
        if left.get(key, 0):
            left[key] -= 1
        else:
            fixed.append(finding)
    return tuple(fixed)


def encode(text: str, source: SourceFile) -> bytes:
    """The fixed text in the file's own encoding; a BOM comes back through ``utf-8-sig``."""
    return text.encode(source.encoding)


def apply_round(text: str, findings: Sequence[Finding], style: str,
                check: Optional[RemoteCheck] = None) -> Tuple[str, List[Finding], Edits]:
    """Plan and apply the non-conflicting fixes of ``findings`` in one transform (the edits of other
    modules come back planned, not applied)."""
    module = cst.parse_module(text)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    index = NodeIndex(wrapper, physical_lines(text))
    edits = Planner(module, index, text, style, check).plan(list(findings))
    if not edits.applied:
        return text, [], edits
    new_module = module.visit(Apply(edits, index.parents))
    return new_module.code, edits.applied, edits
