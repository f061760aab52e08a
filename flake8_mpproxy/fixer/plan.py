"""Plan the edits of one round: map each fixable finding to its libcst nodes and the rewrite that fixes it.

A finding whose nodes cannot be found, or whose statement another edit of this round already touches, is
left for the next round (the fixer re-analyses between rounds); one that can never be fixed is refused.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, cast

import libcst as cst

from ..model.findings import (
    FORM_GUARD, FORM_PASS_ARG, FORM_REASSIGN, FORM_REPLACE, FORM_WRITEBACK, Finding, child_detail, copy_detail,
    guard_detail, temp_base,
)
from ..engine.syntax import is_main_guard
from . import rewrites
from .locate import BARRIERS, NodeIndex

Build = Callable[[cst.CSTNode], object]

#: Asked before a nested fix is planned in another module: (that module's path, "") when every use of the
#: stored values the project analysis saw allows a nested proxy, else ("", why not).
RemoteCheck = Callable[[Finding], Tuple[str, str]]


@dataclass(frozen=True)
class RemoteEdit:
    """A nested fix written in the module that made the proxy: the value at ``rng`` (``ast`` coordinates of
    that module) becomes ``manager.<kind>(...)``."""

    path: str
    rng: Tuple[int, ...]
    kind: str
    manager: str


@dataclass
class Edits:
    """Everything one round changes, keyed by the original nodes of the round's module."""

    replace: Dict[cst.CSTNode, List[Build]] = field(default_factory=dict)
    insert_after: Dict[cst.CSTNode, List[cst.BaseStatement]] = field(default_factory=dict)
    remove: Set[cst.CSTNode] = field(default_factory=set)
    prepend_to_guard: List[cst.BaseStatement] = field(default_factory=list)
    guard: Optional[cst.If] = None
    #: comment lines left behind at the end of the module by a move
    footer: List[cst.EmptyLine] = field(default_factory=list)
    touched: Set[cst.CSTNode] = field(default_factory=set)
    #: statements moved into a new block (``with lock:``, ``try/finally``): no other edit may touch them
    frozen: Set[cst.CSTNode] = field(default_factory=set)
    applied: List[Finding] = field(default_factory=list)
    names: Set[str] = field(default_factory=set)
    #: Nested fixes in other modules, by the finding they fix (applied only if every one can be written).
    remote: List[Tuple[Finding, RemoteEdit]] = field(default_factory=list)
    #: Why a nested fix in another module was refused, one line per finding.
    refusals: List[str] = field(default_factory=list)

    def add(self, node: cst.CSTNode, build: Build) -> None:
        self.replace.setdefault(node, []).append(build)


class Planner:
    """Turns findings into :class:`Edits` for one parsed module."""

    def __init__(self, module: cst.Module, index: NodeIndex, text: str, style: str,
                 remote: Optional[RemoteCheck] = None) -> None:
        self.module = module
        self.index = index
        self.style = style
        self.remote = remote
        self.edits = Edits(names=identifiers(text))
        self.nested_sites: Set[cst.CSTNode] = set()
        self.passed: Set[Tuple[Any, ...]] = set()

    def plan(self, findings: List[Finding]) -> Edits:
        handlers: Dict[str, Callable[[Finding], bool]] = {
            FORM_REASSIGN: self.plan_reassign, FORM_WRITEBACK: self.plan_write_back,
            FORM_REPLACE: self.plan_replace, FORM_GUARD: self.plan_guard, FORM_PASS_ARG: self.plan_pass_arg,
        }
        for finding in findings:
            handler = handlers.get(finding.form)
            if handler is None and copy_detail(finding).get("nested_only") and self.style in ("nested", "auto"):
                handler = self.plan_nested
            if handler is not None and handler(finding):
                self.edits.applied.append(finding)
        return self.edits

    def fresh_name(self, base: str) -> str:
        name, number = base, 1
        while name in self.edits.names:
            number += 1
            name = f"{base}_{number}"
        self.edits.names.add(name)
        return name

    # --- reassign (MPP101, MPP102) and the nested-proxy alternative ------------------------------------------

    def plan_reassign(self, finding: Finding) -> bool:
        """The reassign form; where other writers may run (``concurrent``), the nested form or the same form
        inside ``with lock:``, never the bare read-modify-write."""
        detail = copy_detail(finding)
        decided = self.nested_or_refused(finding)
        if decided is not None:
            return decided
        lock = detail.get("lock")
        root = self.index.node(detail["root"], (cst.Subscript, cst.Call, cst.Attribute))
        if root is None:
            return False
        stmt = self.index.enclosing(root, (cst.SimpleStatementLine,), BARRIERS)
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or not self.free(stmt):
            return False
        target = write_target(root, detail["via"])
        if target is None:
            return False
        self.edits.touched.add(stmt)
        lines = self.augmented(finding, stmt, root) or self.three_statements(finding, stmt, root, target)
        if lock:
            lines = [rewrites.with_lock(lock, lines, stmt.leading_lines)]
        self.edits.add(stmt, flatten_to(lines))
        return True

    def nested_or_refused(self, finding: Finding) -> Optional[bool]:
        """True: the nested form was planned; False: no write-back may be written (the nested style, or other
        writers and no lock to hold); None: go on with the write-back form."""
        if self.style in ("nested", "auto") and self.plan_nested(finding):
            return True
        if self.style == "nested" or ("concurrent" in copy_detail(finding) and not copy_detail(finding).get("lock")):
            return False
        return None

    def three_statements(self, finding: Finding, stmt: cst.SimpleStatementLine, root: cst.CSTNode,
                         target: cst.BaseAssignTargetExpression) -> List[cst.BaseStatement]:
        """``temp = d[k]; <stmt on temp>; d[k] = temp``, the key evaluated once when it is not a plain name."""
        detail = copy_detail(finding)
        read, hoisted = root, None
        key = key_of(root, detail["via"])
        if key is not None and not rewrites.is_simple_key(key):
            key_name = self.fresh_name("key")
            hoisted = rewrites.assign_line(cst.Name(key_name), key)
            read = rewrites.swap(root, key, cst.Name(key_name))
            target = write_target(read, detail["via"])  # type: ignore[assignment]
        temp = self.fresh_name(temp_base(detail.get("key_text")))
        return list(rewrites.reassign(stmt, root, read, target, temp, hoisted))  # type: ignore[arg-type]

    def augmented(self, finding: Finding, stmt: cst.SimpleStatementLine,
                  root: cst.CSTNode) -> Optional[List[cst.BaseStatement]]:
        """``d[k].append(v)`` -> ``d[k] += [v]`` where the stored value is known to be a list."""
        detail = copy_detail(finding)
        small = stmt.body[0]
        if finding.code != "MPP101" or detail.get("value_type") != "list" or detail["via"] != "subscript":
            return None
        if not (isinstance(small, cst.Expr) and isinstance(small.value, cst.Call)):
            return None
        call = small.value
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else ""
        if call.func.value is not root or method not in ("append", "extend"):  # type: ignore[attr-defined]
            return None
        if len(call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
            return None
        return [rewrites.augmented_append(stmt, cast(cst.BaseExpression, root), call, method)]

    def free(self, node: cst.CSTNode) -> bool:
        """No edit of this round has taken ``node`` or a range that contains it."""
        if node in self.edits.touched:
            return False
        current: Optional[cst.CSTNode] = node
        while current is not None:
            if current in self.edits.frozen:
                return False
            current = self.index.parents.get(current)
        return True

    def plan_nested(self, finding: Finding) -> bool:
        """Store a nested proxy at the unique init site instead (``d[k] = []`` -> ``manager.list()``, also inside
        ``manager.dict({k: [] for k in keys})``), and leave the mutation alone."""
        sites = copy_detail(finding).get("init_sites") or []
        if copy_detail(finding).get("nested_unfit"):
            # heapq.heappush(d[k], x) on a nested ListProxy raises TypeError: a real list only; billiard's
            # manager hands back a copy of a nested proxy's value, so changes through it are lost as well
            return False
        if len(sites) != 1 or copy_detail(finding).get("via") != "subscript":
            return False
        if copy_detail(finding).get("made_in"):
            return self.plan_remote_nested(finding)
        if copy_detail(finding).get("nested_races"):
            return False  # d[k][j] += 1 on a nested proxy is still a read-modify-write where writers race
        rng, kind, manager = sites[0]
        if rng is None or kind not in ("list", "dict") or not manager:
            return False
        if self.style == "auto" and copy_detail(finding).get("nested_blocked"):
            self.explain_auto(finding)  # the program would see proxies where it sees lists and dicts today
            return False
        elsewhere = self.remote(finding)[1] if self.remote is not None and \
            copy_detail(finding).get("proxy_line") else ""
        if elsewhere:  # (another module reads the values: the user named this file, not that one)
            self.edits.refusals.append(f"{finding.code} at line {finding.line}: not nested: {elsewhere}")
            return False
        value = self.index.node(rng, (cst.List, cst.Dict, cst.Call, cst.ListComp, cst.DictComp))
        stmt = self.index.enclosing(value, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) if value else None
        if value is None or stmt is None:
            return False
        if value in self.nested_sites:
            return True
        if stmt in self.edits.touched:
            return False
        self.edits.touched.add(stmt)
        self.nested_sites.add(value)
        self.edits.add(value, lambda updated: rewrites.nested_value(updated, manager, kind))  # type: ignore[arg-type]
        return True

    def explain_auto(self, finding: Finding) -> None:
        """``auto`` stores no nested proxy where it could have, because of a use a nested proxy would change
        (:mod:`model.nested`): say which, and what is done instead (the write-back, or nothing where other
        writers race and no lock is in reach, or where the finding has no write-back form)."""
        detail = copy_detail(finding)
        kept = finding.form not in (FORM_REASSIGN, FORM_WRITEBACK) or (
            "concurrent" in detail and not detail.get("lock"))
        done = "left as is: other writers race and no manager lock is in reach" if kept else "written back"
        self.edits.refusals.append(f"{finding.code} at line {finding.line}: {done}, not nested: a nested proxy "
                                   f"would change what the program sees where the values are "
                                   f"{detail['nested_blocked'][0]}")

    def plan_remote_nested(self, finding: Finding) -> bool:
        """The nested form for a proxy another module made: its init site is there. ``auto`` takes it only
        where writers race (one writer: the write-back here is safe and changes less); both styles refuse
        when a use anywhere in the project would see the difference (the user named this file, not that one)."""
        detail = copy_detail(finding)
        if self.style == "auto" and "concurrent" not in detail:
            return False
        if detail.get("nested_races"):
            return False
        rng, kind, manager = (detail.get("init_sites") or [(None, "", "")])[0]
        where = f"{finding.code} at line {finding.line}: no nested fix in {detail['made_in']}"
        if rng is None or kind not in ("list", "dict") or not manager:
            self.edits.refusals.append(f"{where}: the value stored there is not a list or dict literal with a "
                                       "manager in reach")
            return False
        if detail.get("nested_blocked"):
            self.edits.refusals.append(f"{where}: here the value is {detail['nested_blocked'][0]}, which a "
                                       "nested proxy would change")
            return False
        path, reason = self.remote(finding) if self.remote is not None else ("", "the project is not known")
        if reason or not path:
            self.edits.refusals.append(f"{where}: {reason}")
            return False
        self.edits.remote.append((finding, RemoteEdit(path, tuple(rng), str(kind), str(manager))))
        return True

    # --- write-back (MPP103) and replacements (MPP107) --------------------------------------------------------

    def plan_write_back(self, finding: Finding) -> bool:
        """The missing ``d[k] = alias``: after the only change, or in a ``finally`` around every change (so a
        ``return``, ``break``, ``continue`` or exception after a change still stores it), inside ``with lock:``
        from the read on where other writers may run."""
        detail = copy_detail(finding)
        decided = self.nested_or_refused(finding)
        if decided is not None:
            return decided
        lock = detail.get("lock")
        where, code = detail.get("insert_after"), detail.get("write_back")
        if where is None or not code:
            return False
        last = self.index.statement_at(where)
        first_change = detail.get("first_change")
        first = self.index.statement_at(first_change) if first_change is not None else last
        bound = self.index.statement_at(detail["bound_at"]) if lock else None
        if last is None or first is None or (lock and bound is None):
            return False
        root = self.index.node(detail["root"], (cst.Subscript, cst.Call, cst.Attribute))
        target = write_target(root, detail["via"]) if root is not None else None
        if target is not None:  # spell the key as the source does (quotes and all)
            code = f"{self.module.code_for_node(target)} = {detail['alias']}"
        write = rewrites.write_back_line(code)
        if not detail.get("needs_finally") and not lock:
            if not self.free(last) or self.holds_edit(last):
                return False
            self.edits.insert_after.setdefault(last, []).append(write)
            return True
        start = bound if lock and bound is not None else first
        block = self.sibling_range(start, last)
        if block is None or not all(self.free(stmt) for stmt in block):
            return False
        if any(self.holds_edit(stmt) for stmt in block):
            return False
        parts: List[cst.BaseStatement] = list(block)
        head: List[cst.BaseStatement] = []
        if detail.get("needs_finally"):
            head = [stmt for stmt in parts if not self.before(first, stmt)]
            protected = parts[len(head):]
            parts = head + [rewrites.try_finally(protected, write)]
        else:
            parts.append(write)
        if lock:
            parts = [rewrites.with_lock(lock, parts, block[0].leading_lines)]  # type: ignore[attr-defined]
        elif isinstance(parts[-1], cst.Try) and not head:
            parts[-1] = parts[-1].with_changes(leading_lines=block[0].leading_lines)  # type: ignore[attr-defined]
        self.edits.frozen.update(block)
        self.edits.add(block[0], flatten_to(parts))
        for stmt in block[1:]:
            self.edits.remove.add(stmt)
        return True

    def sibling_range(self, first: cst.CSTNode, last: cst.CSTNode) -> Optional[List[cst.BaseStatement]]:
        """The statements from ``first`` to ``last`` when both are in one block, in order."""
        parent = self.index.parents.get(first)
        if parent is None or parent is not self.index.parents.get(last):
            return None
        places = self.index.places(parent)
        if id(first) not in places or id(last) not in places:
            return None
        body = list(getattr(parent, "body", []))
        start, end = sorted((places[id(first)], places[id(last)]))
        return body[start:end + 1]

    def before(self, first: cst.CSTNode, stmt: cst.CSTNode) -> bool:
        """``stmt`` is ``first`` or comes after it in the same block."""
        parent = self.index.parents.get(first)
        positions = self.index.places(parent) if parent is not None else {}
        return positions.get(id(stmt), -1) >= positions.get(id(first), 0)

    def holds_edit(self, stmt: cst.CSTNode) -> bool:
        """Is ``stmt``, or a node inside it, edited already? (A walk of the statement, not of every edit: the
        cost of a fix stays the size of its statement, however many fixes the file has.)"""
        edits = self.edits
        return any(node in edits.replace or node in edits.insert_after or node in edits.remove
                   for node in self.index.descendants(stmt))

    def plan_replace(self, finding: Finding) -> bool:
        node = self.index.node(_finding_range(finding), (cst.Call, cst.SimpleStatementLine, cst.AugAssign))
        if node is None:
            return False
        stmt = self.index.enclosing(node, (cst.SimpleStatementLine,), BARRIERS)
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1 or stmt in self.edits.touched:
            return False
        small = stmt.body[0]
        if isinstance(node, cst.Call) and not (isinstance(small, cst.Expr) and small.value is node):
            return False
        self.edits.touched.add(stmt)
        new = stmt.with_changes(body=[rewrites.supported_spelling(small)])
        self.edits.add(stmt, lambda _updated: new)
        return True

    # --- guard (MPP201) and pass-arg (MPP202), unsafe ---------------------------------------------------------

    def plan_guard(self, finding: Finding) -> bool:
        """Move the statements the analysis planned (``detail["move"]``) into the main guard, after the
        guard's own ``freeze_support()`` / ``set_start_method()`` / ``set_executable()`` calls. Only the
        comments attached to a moved statement move; a comment block separated by a blank line stays."""
        ranges = guard_detail(finding).get("move") or []
        body = list(self.module.body)
        moving = [self.index.statement_at(rng) for rng in ranges]
        if not moving or any(stmt is None or not any(stmt is s for s in body) or stmt in self.edits.remove
                             for stmt in moving):
            return False
        guard = self.edits.guard or find_main_guard(self.module)
        self.edits.guard = guard
        self.edits.remove.update(moving)  # type: ignore[arg-type]
        for moved in moving:
            assert moved is not None
            staying, attached = split_comments(list(moved.leading_lines))  # type: ignore[attr-defined]
            if staying:
                self.keep_lines(moved, staying, body)
            self.edits.prepend_to_guard.append(cast(cst.BaseStatement, moved.with_changes(leading_lines=attached)))
        return True

    def keep_lines(self, moved: cst.CSTNode, lines: List[cst.EmptyLine], body: Sequence[cst.CSTNode]) -> None:
        """Give the comment lines that stay behind to the next statement that stays."""
        index = next(i for i, stmt in enumerate(body) if stmt is moved)
        following = next((stmt for stmt in body[index + 1:] if stmt not in self.edits.remove), None)
        if following is None:
            if any(line.comment is not None for line in lines):
                self.edits.footer.extend(lines)
            return
        def give(updated: Any) -> Any:
            return updated.with_changes(leading_lines=merge_blank_lines(lines, list(updated.leading_lines)))
        self.edits.add(following, give)

    def plan_pass_arg(self, finding: Finding) -> bool:
        detail = child_detail(finding)
        func = self.index.node(detail["function_range"], (cst.FunctionDef,))
        calls = [self.index.node(rng, (cst.Call,)) for rng, _ in detail["call_sites"]]
        if func is None or any(call is None for call in calls):
            return False
        key = (detail["function"], finding.proxy)
        if key in self.passed:
            return True
        self.passed.add(key)
        name = finding.proxy
        self.edits.add(func, lambda updated: rewrites.add_parameter(updated, name))  # type: ignore[arg-type]
        for call in calls:
            self.edits.add(call, lambda updated: rewrites.pass_argument(updated, name))  # type: ignore[arg-type]
        return True


# --- helpers -----------------------------------------------------------------------------------------------

def identifiers(text: str) -> Set[str]:
    """Every name token of the file (not words in strings or comments): fresh names avoid all of them."""
    try:
        return {tok.string for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                if tok.type == tokenize.NAME}
    except (tokenize.TokenError, SyntaxError):
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


def _finding_range(finding: Finding) -> Tuple[int, int, int, int]:
    """Findings carry character columns; the index wants the ``ast`` range the analysis kept."""
    return finding.detail["node"]


def flatten_to(statements: Sequence[Any]) -> Callable[[Any], Any]:
    """An edit that replaces a statement with ``statements``."""
    def build(_updated: Any) -> Any:
        return cst.FlattenSentinel(statements)
    return build


def write_target(root: cst.CSTNode, via: str) -> Optional[cst.BaseAssignTargetExpression]:
    """Where the changed value is stored back: ``d[k]`` for ``d[k]``, ``d.get(k)`` and ``d.setdefault(k, x)``."""
    if via in ("subscript", "attribute"):
        return root.deep_clone()  # type: ignore[return-value]
    if via in ("get", "setdefault") and isinstance(root, cst.Call) and isinstance(root.func, cst.Attribute):
        if not root.args or root.args[0].keyword is not None or root.args[0].star:
            return None
        key = root.args[0].value
        return cst.Subscript(value=root.func.value, slice=[cst.SubscriptElement(slice=cst.Index(value=key))])
    return None


def key_of(root: cst.CSTNode, via: str) -> Optional[cst.BaseExpression]:
    if via == "subscript" and isinstance(root, cst.Subscript) and len(root.slice) == 1:
        index = root.slice[0].slice
        return index.value if isinstance(index, cst.Index) else None
    if via in ("get", "setdefault") and isinstance(root, cst.Call) and root.args:
        return root.args[0].value
    return None


def find_main_guard(module: cst.Module) -> Optional[cst.If]:
    for stmt in module.body:
        if isinstance(stmt, cst.If):
            try:
                test = ast.parse(module.code_for_node(stmt.test).strip(), mode="eval").body
            except SyntaxError:
                continue
            if is_main_guard(test):
                return stmt
    return None


def merge_blank_lines(before: List[cst.EmptyLine], after: List[cst.EmptyLine]) -> List[cst.EmptyLine]:
    """``before`` then ``after``, the blank lines where they meet counted once (the larger run wins)."""
    trailing = 0
    while trailing < len(before) and before[len(before) - 1 - trailing].comment is None:
        trailing += 1
    leading = 0
    while leading < len(after) and after[leading].comment is None:
        leading += 1
    blank = before[len(before) - trailing:] if trailing >= leading else after[:leading]
    return before[:len(before) - trailing] + list(blank) + after[leading:]


def split_comments(lines: List[cst.EmptyLine]) -> "tuple[List[cst.EmptyLine], List[cst.EmptyLine]]":
    """(lines that stay, comment lines attached to the statement): a comment is attached when no blank line
    separates it from the statement. Blank lines never move (they do not belong inside the block)."""
    last_blank = max((i for i, line in enumerate(lines) if line.comment is None), default=-1)
    return lines[:last_blank + 1], [line for line in lines[last_blank + 1:] if line.comment is not None]
