"""The nested fix across modules: a finding in ``workers.py`` on a proxy that ``main.py`` made is fixed by
storing nested proxies where ``main.py`` stores the values (DESIGN §4, §4.1).

It rewrites a module the finding is not in, so it asks the project solver first: the origin module must be
the one the solver analysed (same bytes), the solve complete, and no module the solver saw may use the values
in a way a nested proxy changes (``json.dumps``, ``==``, ...), pass the proxy to code it does not analyse, or
export it to a module it did not analyse. Any doubt refuses, with the reason.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper

from ..pipeline.analysis import physical_lines
from ..model.config import Settings
from ..project.context import ProjectContext
from ..project.crossmodule import ProjectSolver
from ..model.findings import Finding, copy_detail
from ..engine.summaries import ProxyFact
from ..project.overlay import Overlay
from ..project.cache import content_hash
from ..model.source import SourceError, SourceFile, decode
from . import rewrites
from .apply import Apply
from .locate import NodeIndex
from .plan import Edits, RemoteEdit
from ..model.nested import blocking, describe

VALUE_NODES = (cst.List, cst.Dict, cst.Call, cst.ListComp, cst.DictComp)


class Checker:
    """Answers, per finding of ``path``, whether its nested fix may be written in the module that made the
    proxy: (that module's absolute path, "") or ("", why not); for a proxy ``path`` made itself, whether the
    other modules of the project use its values where a nested proxy would change what they see."""

    def __init__(self, path: str, settings: Settings, context: ProjectContext) -> None:
        self.path = os.path.abspath(path)
        self.settings = settings
        self.context = context

    def __call__(self, finding: Finding) -> Tuple[str, str]:
        solver = self.context.solver(self.path, self.settings) if os.path.isfile(self.path) else None
        line = copy_detail(finding).get("proxy_line")
        local = not copy_detail(finding).get("made_in") and bool(line)
        if solver is None:  # (a proxy made here, with no project around: no other module can see its values)
            return ("", "") if local else ("", "this file is not part of a project the analysis knows")
        solver.ensure(self.path)
        if local:  # made here: do other modules use its values?
            if solver.stopped:
                return "", "the project analysis stopped early, so some uses of the values may be unseen"
            kinds = [str(site[1]) for site in copy_detail(finding).get("init_sites") or []]
            return self.path, unsafe_uses(solver, f"{solver.index.relative(self.path)}:{line}", kinds, skip=self.path)
        if solver.stopped:
            return "", "the project analysis stopped early, so some uses of the values may be unseen"
        made_in, origin = str(finding.detail.get("made_in", "")), str(finding.detail.get("origin", ""))
        target = os.path.normpath(os.path.join(solver.index.root, made_in))
        record = solver.index.records.get(target)
        if target not in solver.summaries or record is None or not origin:
            return "", f"{made_in} was not analysed"
        try:
            raw = self.context.overlay.read_bytes(target)
        except OSError as err:
            return "", f"cannot read {made_in}: {err.strerror or err}"
        if record.digest != content_hash(raw):
            return "", f"{made_in} changed since the project was analysed"
        kinds = [str(site[1]) for site in copy_detail(finding).get("init_sites") or []]
        reason = unsafe_uses(solver, origin, kinds)
        return ("", reason) if reason else (target, "")


def unsafe_uses(solver: ProjectSolver, origin: str, kinds: Sequence[str] = (), skip: str = "") -> str:
    """Why storing nested proxies in the proxy made at ``origin`` could change what some module sees: a use
    that tells a proxy from a list or dict, a call into code that was not analysed, an export to modules that
    were not analysed, a store on a class or module the analysis does not see (or whose importers it does
    not). "" when there is none. ``skip``: a module whose own uses the caller judges itself."""
    for path, summary in sorted(solver.summaries.items()):
        if path == skip:
            continue
        blocked = blocking([how for made, how in summary.uses if made == origin], kinds)
        if blocked:
            return f"in {summary.path} the values are {describe(blocked[0])}, which a nested proxy would change"
        for call in summary.outgoing:
            facts = list(call.args) + [fact for _, fact in call.kwargs]
            if not any(carries(fact, origin) for fact in facts):
                continue
            hit = solver.index.resolve_call(call.target, path)
            if hit is None or hit[0] not in solver.summaries:
                return f"{summary.path} passes it to {call.target}(), which the analysis does not see"
        for export in summary.exports:
            if carries(export.fact, origin) and solver.opaque(path):
                return f"{summary.path} exports it to modules that were not analysed"
        for export in summary.remote:  # stored on another module's class or global: read wherever that is
            if not carries(export.fact, origin):
                continue
            hit = solver.index.resolve_call(export.name, path)
            if hit is None or hit[0] not in solver.summaries:
                return f"{summary.path} stores it in {export.name}, which the analysis does not see"
            if solver.opaque(hit[0]):
                return f"{summary.path} stores it in {export.name}, read by modules that were not analysed"
    return ""


def carries(fact: Optional[ProxyFact], origin: str) -> bool:
    """Is ``fact`` the proxy made at ``origin``, or does it hold it nested?"""
    if fact is None:
        return False
    return fact.origin == origin or any(carries(inner, origin) for _, inner in fact.nested)


@dataclass(frozen=True)
class Rewritten:
    """Another module's new text after the nested fixes: its path, what it was (bytes and decoded) and is now."""

    path: str
    before: bytes
    source: SourceFile
    text: str


def rewrite(edits: Iterable[RemoteEdit], overlay: Overlay) -> Tuple[List[Rewritten], str]:
    """Apply the nested fixes, grouped by module (as ``overlay`` shows them): (the new texts, "") or ([], why
    none can be written)."""
    by_path: Dict[str, List[RemoteEdit]] = {}
    for edit in edits:
        if edit not in by_path.setdefault(edit.path, []):
            by_path[edit.path].append(edit)
    done: List[Rewritten] = []
    for path, items in sorted(by_path.items()):
        try:
            raw = overlay.read_bytes(path)
            source = decode(path, raw)
            module = cst.parse_module(source.text)
        except (OSError, SourceError, cst.ParserSyntaxError) as err:
            return [], f"cannot rewrite {os.path.basename(path)}: {err}"
        index = NodeIndex(MetadataWrapper(module, unsafe_skip_copy=True), physical_lines(source.text))
        plan = Edits()
        for edit in items:
            value = index.node(edit.rng, VALUE_NODES)  # type: ignore[arg-type]
            if value is None or not is_plain(value, edit.kind):
                return [], f"the value stored in {os.path.basename(path)} is not where the analysis saw it"
            kind, manager = edit.kind, edit.manager
            plan.add(value, lambda updated, k=kind, m=manager: rewrites.nested_value(updated, m, k))  # type: ignore
        text = module.visit(Apply(plan)).code
        try:
            ast.parse(text)
        except SyntaxError as err:
            return [], f"the nested fix of {os.path.basename(path)} would not parse ({err.msg})"
        done.append(Rewritten(path, raw, source, text))
    return done, ""


def is_plain(value: cst.CSTNode, kind: str) -> bool:
    """The node a nested fix rewrites: a list or dict display, comprehension, or ``list()`` / ``dict()``."""
    if isinstance(value, cst.Call):
        return isinstance(value.func, cst.Name) and value.func.value == kind
    if kind == "list":
        return isinstance(value, (cst.List, cst.ListComp))
    return isinstance(value, (cst.Dict, cst.DictComp))
