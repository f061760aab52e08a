"""The checks: the walker tells the Reporter what it saw; the Reporter turns traps into Findings.

Every method is gated by the enabled codes, so a deselected rule costs a set lookup. Positions and the
details the fixer needs (statement range, read range, key, known value type, init sites) are filled here.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, List, Optional, Set, Tuple

from .catalogue import FIX_NONE, FIX_SAFE, FIX_UNSAFE
from .findings import (
    FORM_GUARD, FORM_NONE, FORM_PASS_ARG, FORM_REASSIGN, FORM_REPLACE, FORM_WRITEBACK, Finding,
)
from .syntax import display, loaded_names, node_range
from .concurrency import Concurrency, Write
from .values import (
    OLDEST_TARGET, PROXY_CLASS_OF_KIND, is_constant_key, slot_of, TYPEID_SINCE, Copy, Manager, Proxy, Value, Version, method_since, version_text,
)

#: Calls that make a plain copy of their argument, changes included.
COPYING_CALLS = frozenset({"dict", "list", "set", "tuple", "frozenset", "sorted", "deepcopy"})
#: Statements the fixer can wrap with a read before and a write-back after.
FIXABLE_STATEMENTS = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)
LIST_METHODS = frozenset({"append", "extend", "insert", "remove", "sort", "reverse"})
DICT_METHODS = frozenset({"update", "setdefault", "popitem"})
#: In-place operators -> the dunder a proxy must expose for them (MPP107 asks the API table).
AUGMENTED_DUNDERS = {ast.BitOr: ("__ior__", "|="), ast.BitAnd: ("__iand__", "&="), ast.BitXor: ("__ixor__", "^="),
                     ast.Sub: ("__isub__", "-=")}


@dataclass(frozen=True)
class Site:
    """The statement a finding sits in, whether statements can be inserted around it, and who may write the
    proxy at the same time: the unit it runs in, a manager lock held around it, the manager locks in sight."""

    stmt: ast.AST
    open: bool
    write: Write = Write(None, None, False)
    held: bool = False
    locks: Tuple[Tuple[str, bool], ...] = ()

    def fixable(self) -> bool:
        return self.open and isinstance(self.stmt, FIXABLE_STATEMENTS)


@dataclass
class AliasState:
    """A name bound to a copy read from a proxy, and what happened to it since."""

    copy: Copy
    site: Site
    bound_at: ast.AST
    #: The statements the write-back may follow: the binding's block, or the loop body for loop targets.
    block: List[ast.stmt]
    #: (node, enclosing statements outermost first, change) per mutation
    mutations: List[Tuple[ast.AST, Tuple[ast.AST, ...], str]]
    written: bool = False
    escaped: bool = False


class AliasTracker:
    """MPP103 bookkeeping for one scope: aliases of copies, their mutations, write-backs and escapes."""

    def __init__(self) -> None:
        self.states: Dict[str, AliasState] = {}
        #: Names bound to a plain copy of aliases (``new = dict(e)``): storing them writes the aliases back.
        self.derived: Dict[str, Set[str]] = {}

    def names(self) -> List[str]:
        return list(self.states)

    def bind(self, name: str, copy: Copy, site: Site, block: List[ast.stmt]) -> None:
        self.states[name] = AliasState(copy, site, site.stmt, block, [])

    def is_alias(self, name: str) -> bool:
        return name in self.states

    def mutate(self, name: str, node: ast.AST, path: Tuple[ast.AST, ...], change: str) -> None:
        self.states[name].mutations.append((node, path, change))

    def write_back(self, proxy: Proxy, value_node: Optional[ast.AST]) -> bool:
        """Mark the aliases of ``proxy`` that ``value_node`` stores back; True when there was one."""
        found = False
        if not self.states:
            return found
        for loaded in loaded_names(value_node):
            for name in {loaded} | self.derived.get(loaded, set()):
                state = self.states.get(name)
                if state is not None and state.copy.proxy is proxy:
                    state.written = found = True
        return found

    def derive(self, name: str, value_node: Optional[ast.AST]) -> None:
        """``name = dict(alias)`` (or list, set, copy.copy, ``alias.copy()``...): ``name`` holds the alias's
        changes, so storing it back is the alias's write-back. Any other binding of ``name`` ends that."""
        self.derived.pop(name, None)
        if not self.states or not isinstance(value_node, ast.Call) or not value_node.args and not (
                isinstance(value_node.func, ast.Attribute) and value_node.func.attr == "copy"):
            return
        func = value_node.func
        if isinstance(func, ast.Name) and func.id in COPYING_CALLS or \
                isinstance(func, ast.Attribute) and func.attr in ("copy", "deepcopy"):
            sources = {n for n in loaded_names(value_node) if n in self.states}
            if sources:
                self.derived[name] = sources

    def write_back_any(self, proxy: Proxy, call: ast.Call) -> None:
        for arg in list(call.args) + [k.value for k in call.keywords]:
            self.write_back(proxy, arg)

    def escape_names(self, node: Optional[ast.AST]) -> None:
        if not self.states:
            return
        for name in loaded_names(node):
            if name in self.states:
                self.states[name].escaped = True

    def pop(self, name: str) -> Optional[AliasState]:
        return self.states.pop(name, None)


@dataclass
class PendingCopy:
    """A change of a copy (MPP101-MPP103) whose fix depends on facts known only after the walk: the stores of
    the proxy (value type, init sites) and who else may write it at the same time."""

    code: str
    node: ast.AST
    copy: Copy
    site: Site
    args: Dict[str, str]
    detail: Dict[str, Any]
    #: the form the fix takes when one writer is certain (FORM_REASSIGN, FORM_WRITEBACK or FORM_NONE)
    form: str
    #: the remedy the message gives for that form
    remedy: str
    #: MPP101: the mutating method and its call (the remedy spells ``d[k] += [v]`` where the fix writes it)
    method: str = ""
    call: Optional[ast.Call] = None


@dataclass
class _UnitFindings:
    """What one walk of one unit reported (replaced when the unit is walked again)."""

    findings: List[Finding] = field(default_factory=list)
    once: Set[Tuple[Any, ...]] = field(default_factory=set)
    pending: List[PendingCopy] = field(default_factory=list)
    rmw: List[Tuple[ast.AST, Proxy, Site]] = field(default_factory=list)


class Reporter:
    """Collects findings for the enabled codes, per unit of the analysis: the latest walk of each unit counts."""

    def __init__(self, enabled: FrozenSet[str], target: Version = OLDEST_TARGET) -> None:
        self.enabled = enabled
        #: The oldest Python the checked code must run on: MPP107 reports what it lacks.
        self.target = target
        self.findings: List[Finding] = []
        self.once: Set[Tuple[Any, ...]] = set()
        self.pending: List[PendingCopy] = []
        self.rmw: List[Tuple[ast.AST, Proxy, Site]] = []
        self._units: Dict[object, _UnitFindings] = {}

    def begin(self, unit: object) -> None:
        """Start (again) collecting the findings of ``unit`` (a function node, or None for the module body):
        a unit walked again replaces its own findings, and the others' stay as they are."""
        record = self._units[unit] = _UnitFindings()
        self.findings, self.once, self.pending, self.rmw = record.findings, record.once, record.pending, record.rmw

    def complete(self, concurrency: Concurrency) -> List[Finding]:
        """Build the findings that depend on the whole file: changes of copies (their fix form depends on the
        proxy's stores and on concurrent writers) and MPP301 (which flags read-modify-writes that may race)."""
        records = list(self._units.values())
        self.findings = [finding for record in records for finding in record.findings]
        self.pending = [pending for record in records for pending in record.pending]
        self.rmw = [rmw for record in records for rmw in record.rmw]
        for pending in self.pending:
            self._complete_copy(pending, concurrency)
        for target, proxy, site in self.rmw:
            reason = None if site.held else concurrency.why(Write(proxy, site.write.unit, site.write.early))
            if reason is not None and "MPP301" in self.enabled:
                name = display(target.value)  # type: ignore[attr-defined]
                self._add("MPP301", target, {"expr": display(target), "proxy": name, "reason": reason},
                          proxy=name)
        return self.findings

    def _complete_copy(self, pending: PendingCopy, concurrency: Concurrency) -> None:
        copy, detail, site = pending.copy, pending.detail, pending.site
        stores = init_stores(copy)
        types = {kind for _, kind, _, _ in stores}
        detail["value_type"] = types.pop() if len(types) == 1 else ""
        detail["init_sites"] = [(node_range(value) if value is not None else None, kind, manager)
                                for _, kind, manager, value in stores]
        detail["nested_blocked"] = sorted(copy.proxy.incompatible)
        form, applicability = pending.form, FIX_SAFE if pending.form != FORM_NONE else FIX_NONE
        text = pending.remedy
        if pending.code in ("MPP101", "MPP102"):
            text = remedy(copy, pending.method, pending.call, detail["value_type"])
        reason = None if site.held else concurrency.why(Write(copy.proxy, site.write.unit, site.write.early))
        if reason is not None:
            detail["concurrent"] = reason
            lock = pick_lock(site, concurrency)
            # a nested proxy makes method calls atomic; an augmented assignment into it is still a
            # read-modify-write (two round trips), so it gets no nested form here
            augmented = pending.args.get("action", "").startswith("Augmented")
            if augmented:
                detail["nested_races"] = True
            nested = nested_site(detail) if copy.via == "subscript" and not augmented else None
            target = store_target(copy) or "the proxy"
            spelled = f"{target} = {nested[1]}.{nested[0]}()" if nested else ""
            if lock is not None and form != FORM_NONE:
                detail["lock"] = lock
                text = (f"Other writers may run at the same time ({reason}): write it back while holding "
                          f"manager lock '{lock}' (with {lock}: ...).")
            else:
                form, applicability = FORM_NONE, FIX_NONE
                if spelled:
                    detail["nested_only"] = True
                text = (f"Writing it back would race with other writers ({reason}): "
                          + (f"store a nested proxy ({spelled}) or " if spelled else "store a nested proxy or ")
                          + "hold a manager lock around the read and the write.")
        args = dict(pending.args)
        args["remedy"] = text
        self._add(pending.code, pending.node, args, proxy=copy.proxy_name, key=copy.key, form=form,
                  applicability=applicability, detail=detail)

    def _add(self, code: str, node: ast.AST, args: Dict[str, str], **extra: Any) -> None:
        rng = node_range(node)
        detail = extra.pop("detail", None)
        detail = {} if detail is None else detail
        detail["node"] = rng  # ``ast`` coordinates: the finding's own columns may become character columns
        self.findings.append(Finding(code, *rng, tuple(args.items()), detail=detail, **extra))

    # --- MPP101 / MPP102: changes to a copy ------------------------------------------------------------------

    def mutation_of_copy(self, call: ast.Call, copy: Copy, method: str, site: Site) -> None:
        if "MPP101" not in self.enabled:
            return
        receiver = call.func.value  # type: ignore[attr-defined]
        args = {"expr": display(receiver), "method": method, "proxy": copy.proxy_name, "remedy": ""}
        self._copy_finding("MPP101", call, copy, site, args, method, call)

    def store_into_copy(self, target: ast.AST, copy: Copy, action: str, site: Site) -> None:
        if "MPP102" not in self.enabled:
            return
        words = {"store": "Storing into", "delete": "Deleting from", "aug": "Augmented assignment into"}
        args = {"action": words.get(action, action), "expr": display(target.value),  # type: ignore[attr-defined]
                "proxy": copy.proxy_name, "remedy": ""}
        self._copy_finding("MPP102", target, copy, site, args)

    def _copy_finding(self, code: str, node: ast.AST, copy: Copy, site: Site, args: Dict[str, str],
                      method: str = "", call: Optional[ast.Call] = None) -> None:
        fixable = (site.fixable() and copy.via in ("subscript", "get", "setdefault", "attribute")
                   and encloses(site.stmt, copy.root))
        self.pending.append(PendingCopy(code, node, copy, site, args, copy_detail(copy, site),
                                        FORM_REASSIGN if fixable else FORM_NONE, "", method, call))

    # --- MPP103: aliases --------------------------------------------------------------------------------------

    def rebind(self, tracker: AliasTracker, name: str) -> None:
        if tracker.is_alias(name):
            self.finalize_aliases(tracker, [name])

    def finalize_aliases(self, tracker: AliasTracker, names: List[str]) -> None:
        for name in names:
            state = tracker.pop(name)
            if state is None or not state.mutations or state.written or state.escaped:
                continue
            if "MPP103" in self.enabled:
                self._alias_finding(name, state)

    def _alias_finding(self, name: str, state: AliasState) -> None:
        copy = state.copy
        first_node, _, change = state.mutations[0]
        expr = store_target(copy) or f"an item of {display(copy.root)}"
        write = write_back_text(copy, name)
        args = {"alias": name, "expr": expr, "proxy": copy.proxy_name, "change": change,
                "remedy": f"Add {write} after the last change." if write else
                "Iterate over items() and store each changed value back, or store nested proxies."}
        if write and not stable_key(copy):
            args["remedy"] = (f"Read the key into a name first (key = {copy.key}; {name} = {copy.proxy_name}[key]) "
                              f"and add {copy.proxy_name}[key] = {name} after the last change.")
        first, last = self._lifted(state, 0), self._lifted(state, -1)
        refusal = write_back_refusal(state, first, last, copy)
        fixable = bool(write) and first is not None and last is not None and refusal is None
        detail = copy_detail(copy, None)
        detail.update({"alias": name, "write_back": write, "bound_at": node_range(state.bound_at),
                       "insert_after": node_range(last) if last is not None else None,
                       "first_change": node_range(first) if first is not None else None,
                       # one simple statement holds every change: nothing can leave between two of them
                       "needs_finally": first is not last or not isinstance(first, FIXABLE_STATEMENTS)})
        if refusal is not None:
            args["remedy"] = f"{args['remedy']} (--fix leaves it: {refusal}.)"
        self.pending.append(PendingCopy("MPP103", first_node, copy, state.site, args, detail,
                                        FORM_WRITEBACK if fixable else FORM_NONE, args["remedy"]))

    @staticmethod
    def _lifted(state: AliasState, index: int) -> Optional[ast.AST]:
        """The statement of the alias's block that holds mutation ``index`` (the write-back goes after the
        last one; a ``try/finally`` starts at the first)."""
        path = state.mutations[index][1]
        for stmt in reversed(path):
            if any(stmt is candidate for candidate in state.block):
                return stmt
        return None

    # --- MPP104-MPP107: proxies themselves --------------------------------------------------------------------

    def plain_store(self, target: ast.Subscript, proxy: Proxy, key: str, value_node: Optional[ast.AST],
                    site: Site) -> None:
        if "MPP104" not in self.enabled or not proxy.nested:
            return
        slot = slot_of(key)
        nested_here = slot in proxy.nested if is_constant_key(key) else bool(proxy.nested)
        relied = slot in proxy.relied or "*" in proxy.relied
        rereads = value_node is not None and reads_same(value_node, target)
        if nested_here and relied and (rereads or is_constant_key(key)):
            self._add("MPP104", target, {"target": display(target)}, proxy=display(target.value), key=key)

    def proxy_attribute_store(self, target: ast.Attribute, proxy: Proxy) -> None:
        name = display(target.value)
        if proxy.kind == "namespace" and target.attr.startswith("_") and "MPP105" in self.enabled:
            self._add("MPP105", target, {"expr": display(target), "proxy": name}, proxy=name)
        elif proxy.kind == "auto" and "MPP106" in self.enabled:
            self._add("MPP106", target, {"expr": display(target), "proxy": name}, proxy=name)

    def unsupported_method(self, call: ast.Call, proxy: Proxy, name: str, method: str) -> None:
        """MPP107: a method the proxy type gained after the target Python (``l.clear()`` before 3.14)."""
        since = method_since(proxy.kind, method)
        if since is None or self.target >= since or "MPP107" not in self.enabled:
            return
        if proxy.kind == "list" and method == "clear" and not call.args and not call.keywords:
            self._unsupported(call, f"{name}.clear()", proxy.kind, name, since, f"del {name}[:]", fixable=True)
            return
        spelled = {("list", "copy"): f"{name}[:]", ("dict", "fromkeys"): "dict.fromkeys(...)"}
        self._unsupported(call, f"{name}.{method}()", proxy.kind, name, since,
                          spelled.get((proxy.kind, method), f"it only on Python {version_text(since)} or later"))

    def augmented_proxy(self, stmt: ast.AugAssign, target: ast.Name, proxy: Proxy) -> None:
        """MPP107: ``d |= x`` on a DictProxy before 3.14 (the in-place operators the kind gained later)."""
        method, symbol = AUGMENTED_DUNDERS.get(type(stmt.op), ("", ""))
        since = method_since(proxy.kind, method)
        if since is None or self.target >= since or "MPP107" not in self.enabled:
            return
        replacement = f"{target.id}.update({display(stmt.value)})"
        self._unsupported(stmt, f"{target.id} {symbol} ...", proxy.kind, target.id, since, replacement,
                          fixable=proxy.kind == "dict" and method == "__ior__")

    def unsupported_operator(self, node: ast.BinOp, proxy: Proxy, name: str, reflected: bool) -> None:
        """MPP107: ``d | x`` or ``x | d`` with a DictProxy before 3.14 (TypeError)."""
        method = ("__ror__" if reflected else "__or__") if isinstance(node.op, ast.BitOr) else ""
        since = method_since(proxy.kind, method)
        if since is None or self.target >= since or "MPP107" not in self.enabled:
            return
        spelled = f"{display(node.left)} | {name}.copy()" if reflected else f"{name}.copy() | {display(node.right)}"
        self._unsupported(node, f"{display(node.left)} | {display(node.right)}", proxy.kind, name, since, spelled)

    def unsupported_reversed(self, call: ast.Call, proxy: Proxy, name: str) -> None:
        """MPP107: ``reversed(d)`` on a DictProxy before 3.14 (KeyError: 0, from the sequence fallback)."""
        since = method_since(proxy.kind, "__reversed__")
        if since is not None and self.target < since and "MPP107" in self.enabled:
            self._unsupported(call, f"reversed({name})", proxy.kind, name, since, f"reversed({name}.keys())")

    def unsupported_typeid(self, call: ast.Call, manager_name: str, typeid: str) -> None:
        """MPP107: ``manager.set()`` before 3.14: SyncManager has no such typeid (AttributeError).

        The call still makes a proxy for the inference (a SetProxy stored in a dict is a nested proxy, not a
        copy), so the one finding is here, at the cause, and not at every later use.
        """
        since = TYPEID_SINCE.get(typeid)
        if since is None or self.target >= since or "MPP107" not in self.enabled:
            return
        self._unsupported(call, f"{manager_name}.{typeid}()", "SyncManager", manager_name, since,
                          f"{manager_name}.dict() with the members as keys")

    def _unsupported(self, node: ast.AST, expr: str, kind: str, name: str, since: Version, replacement: str,
                     fixable: bool = False) -> None:
        args = {"expr": expr, "proxy_type": PROXY_CLASS_OF_KIND.get(kind, kind), "proxy": name,
                "since": version_text(since), "target": version_text(self.target), "replacement": replacement}
        if fixable:
            self._add("MPP107", node, args, proxy=name, form=FORM_REPLACE, applicability=FIX_SAFE,
                      detail={"replacement": replacement})
        else:
            self._add("MPP107", node, args, proxy=name)

    # --- MPP201-MPP204, MPP301: processes and lifetimes -------------------------------------------------------

    def manager_started(self, node: ast.AST, at_module_level: bool) -> None:
        if at_module_level and "MPP201" in self.enabled and ("MPP201", id(node)) not in self.once:
            self.once.add(("MPP201", id(node)))
            self._add("MPP201", node, {"expr": display(node), "note": ""}, form=FORM_GUARD,
                      applicability=FIX_UNSAFE)

    def name_read(self, node: ast.Name, value: Value, origin: str, scope: Any, facts: Any) -> None:
        if (origin == "global" and isinstance(value, Proxy) and scope.func in facts.child_targets
                and "MPP202" in self.enabled and ("MPP202", id(scope.func), node.id) not in self.once):
            self.once.add(("MPP202", id(scope.func), node.id))
            self._global_in_child(node, scope.func, facts.calls.get(scope.func, {}))
        manager = value.manager if isinstance(value, Proxy) else None
        if (isinstance(manager, Manager) and manager in scope.shutdown and "MPP204" in self.enabled
                and ("MPP204", id(scope), node.id) not in self.once):
            self.once.add(("MPP204", id(scope), node.id))
            with_end = getattr(manager.with_node, "end_lineno", 0)
            self._add("MPP204", node, {"name": node.id, "with_end": str(with_end)}, proxy=node.id)

    def _global_in_child(self, node: ast.Name, func: ast.AST, calls: Dict[ast.Call, str]) -> None:
        """MPP202; fixable when every call site is ``Process(target=<name>, ...)`` and a parameter can be added."""
        func_name = getattr(func, "name", "<lambda>")
        sites = [(node_range(call), how) for call, how in calls.items()]
        fixable = (isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and bool(sites)
                   and all(how == "process" for _, how in sites) and can_add_parameter(func)
                   and all(targets_by_name(call, func_name) for call in calls))
        self._add("MPP202", node, {"name": node.id, "func": func_name}, proxy=node.id,
                  form=FORM_PASS_ARG if fixable else FORM_NONE,
                  applicability=FIX_UNSAFE if fixable else FIX_NONE,
                  detail={"function": func_name, "function_range": node_range(func), "call_sites": sites})

    def attribute_in_child(self, node: ast.Attribute, func: ast.AST, calls: Dict[ast.Call, str]) -> None:
        """MPP202 for a class attribute holding a proxy, read in code that runs in a child (no fix: the value
        must become a parameter of the child's target, and this function may be a helper of it)."""
        name = display(node)
        if "MPP202" not in self.enabled or ("MPP202", id(func), name) in self.once:
            return
        self.once.add(("MPP202", id(func), name))
        func_name = getattr(func, "name", "<lambda>")
        self._add("MPP202", node, {"name": name, "func": func_name}, proxy=name,
                  detail={"function": func_name, "function_range": node_range(func),
                          "call_sites": [(node_range(call), how) for call, how in calls.items()]})

    def manager_passed(self, node: ast.AST) -> None:
        if "MPP203" in self.enabled and ("MPP203", id(node)) not in self.once:
            self.once.add(("MPP203", id(node)))
            self._add("MPP203", node, {"name": display(node)})

    def read_modify_write(self, target: ast.AST, proxy: Proxy, site: Site, func: Optional[ast.AST]) -> None:
        """``d[k] += x``, ``d[k] = d[k] + x`` or a write-back ``d[k] = alias``: MPP301 when it may race."""
        if "MPP301" in self.enabled and not (func is not None and has_acquire(func)):
            self.rmw.append((target, proxy, site))


# --- pure helpers ---------------------------------------------------------------------------------------------

def copy_detail(copy: Copy, site: Optional[Site]) -> Dict[str, Any]:
    """What the fixer needs to rewrite a change to ``copy`` (the store facts come in :meth:`Reporter.complete`)."""
    detail: Dict[str, Any] = {
        "root": node_range(copy.root),
        "root_text": display(copy.root),
        "proxy_name": copy.proxy_name,
        "via": copy.via,
        "key_text": copy.key,
    }
    if site is not None:
        detail["stmt"] = node_range(site.stmt)
    return detail


def encloses(outer: ast.AST, inner: ast.AST) -> bool:
    """``inner`` lies inside ``outer`` (by position): a copy read elsewhere (an alias of an enclosing function,
    a ``nonlocal``) cannot be rewritten in this statement."""
    start = (getattr(outer, "lineno", 0), getattr(outer, "col_offset", 0))
    end = (getattr(outer, "end_lineno", 0), getattr(outer, "end_col_offset", 0))
    where = (getattr(inner, "lineno", -1), getattr(inner, "col_offset", -1))
    return start <= where <= end


def pick_lock(site: Site, concurrency: Concurrency) -> Optional[str]:
    """The one manager lock the fixed read-modify-write can hold: in sight, and a parameter, local or closure
    name where the code may run in a child (a module global there is another object, or no object at all)."""
    parent_only = concurrency.contexts(site.write.unit) <= {("parent",)}
    names = [name for name, is_global in site.locks if parent_only or not is_global]
    return names[0] if len(names) == 1 else None


def nested_site(detail: Dict[str, Any]) -> Optional[Tuple[str, str]]:
    """(``"list"`` or ``"dict"``, manager name) when the value has one init site the nested fix can rewrite."""
    sites = detail.get("init_sites") or []
    if len(sites) == 1 and sites[0][0] is not None and sites[0][1] in ("list", "dict") and sites[0][2]:
        return str(sites[0][1]), str(sites[0][2])
    return None


def init_stores(copy: Copy) -> List[Tuple[ast.AST, str, str, Optional[ast.AST]]]:
    """The plain stores that may have put the value read: same constant key, or any key when either side
    is a variable."""
    if copy.key is None:
        return []
    if is_constant_key(copy.key):
        found = list(copy.proxy.stores.get(copy.key, []))
        for key, stores in copy.proxy.stores.items():
            if not is_constant_key(key):
                found += stores
        return found
    return [store for stores in copy.proxy.stores.values() for store in stores]


def remedy(copy: Copy, method: str, call: Optional[ast.Call], value_type: str) -> str:
    """The fix, spelled out for this very expression as ``--fix`` writes it (``+=`` only where the value is
    known to be a list, as the fixer requires)."""
    if copy.via == "method":
        return "Change it through a method of the registered class that stores the result."
    target = store_target(copy)
    if target is None:
        return "Store the changed value back into the proxy, or store nested proxies."
    one_list = value_type == "list" and copy.via == "subscript" and call is not None and len(call.args) == 1 \
        and not call.keywords and not isinstance(call.args[0], ast.Starred)
    if method == "append" and one_list and call is not None:
        write = f"{target} += [{display(call.args[0])}]"
    elif method == "extend" and one_list and call is not None:
        write = f"{target} += {display(call.args[0])}"
    else:
        temp = temp_base(copy.key)
        change = f"{temp}.{method}(...)" if method else "change it"
        if copy.via == "subscript" and copy.key_node is not None and not stable_key(copy):
            write = f"key = {copy.key}; {temp} = {copy.proxy_name}[key]; {change}; {copy.proxy_name}[key] = {temp}"
        else:
            write = f"{temp} = {display(copy.root)}; {change}; {target} = {temp}"
    nested = "manager.list()" if method in LIST_METHODS else "manager.dict()" if method in DICT_METHODS else ""
    if nested and copy.via != "value":
        return f"Write it back ({write}) or store a nested proxy ({target} = {nested})."
    return f"Write it back ({write})."


def temp_base(key: Optional[str]) -> str:
    """The name of the fix's temporary: from a constant string key (``d["items"]`` -> ``items``), else
    ``value`` (the fixer adds a number when the name is taken)."""
    key = key or ""
    if len(key) > 2 and key[0] == key[-1] and key[0] in "'\"":
        word = re.sub(r"\W+", "_", key[1:-1]).strip("_").lower()
        if word.isidentifier() and not keyword.iskeyword(word) and len(word) <= 30:
            return word
    return "value"


def store_target(copy: Copy) -> Optional[str]:
    if copy.via == "attribute":
        return display(copy.root)
    if copy.via == "value":
        return f"{copy.proxy_name}.value"
    if copy.key is None:
        return None
    return f"{copy.proxy_name}[{copy.key}]"


def write_back_text(copy: Copy, alias: str) -> Optional[str]:
    target = store_target(copy)
    return f"{target} = {alias}" if target else None


def write_back_refusal(state: AliasState, first: Optional[ast.AST], last: Optional[ast.AST],
                       copy: Copy) -> Optional[str]:
    """Why a write-back after the last change would not store the change where it was read, or None.

    The key must be a name or constant (evaluating it again has no side effects), and neither the key nor
    the proxy's name may be bound again between the read and the write-back.
    """
    if not stable_key(copy):
        return "the key has side effects or may change, so it cannot be evaluated again"
    if first is None or last is None:
        return None
    names = {n for n in (copy.proxy_name, getattr(copy.key_node, "id", None)) if n}
    block = state.block
    start = next((i for i, stmt in enumerate(block) if stmt is state.bound_at), -1) + 1
    end = next((i for i, stmt in enumerate(block) if stmt is last), len(block) - 1)
    rebound = {n for stmt in block[start:end + 1] for n in stored_names(stmt)} & names
    if rebound:
        return f"'{sorted(rebound)[0]}' is bound again between the read and the last change"
    return None


def stored_names(stmt: ast.AST) -> Set[str]:
    """Names a statement binds or deletes (in its own scope, not in functions or classes it defines)."""
    found: Set[str] = set()
    stack = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                stack.append(child)
    return found


def stable_key(copy: Copy) -> bool:
    """A write-back may repeat the key only when it is a name or a constant (no side effects)."""
    if copy.key is None:
        return copy.via in ("attribute", "value")
    return copy.key_node is None or isinstance(copy.key_node, (ast.Name, ast.Constant))


def reads_same(value_node: ast.AST, target: ast.Subscript) -> bool:
    wanted = ast.dump(target.value), ast.dump(target.slice)
    for node in ast.walk(value_node):
        if isinstance(node, ast.Subscript) and (ast.dump(node.value), ast.dump(node.slice)) == wanted:
            return True
    return False


def has_acquire(func: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "acquire"
               for n in ast.walk(func))


def can_add_parameter(func: ast.AST) -> bool:
    """A parameter can be appended without changing other calls: no defaults, *args or **kwargs."""
    args: ast.arguments = func.args  # type: ignore[attr-defined]
    return not (args.defaults or args.kw_defaults or args.vararg or args.kwarg or args.kwonlyargs)


def targets_by_name(call: ast.Call, func_name: str) -> bool:
    """``Process(target=func_name, args=<tuple literal>?)``: a call the pass-arg fix can extend."""
    keywords = {k.arg: k.value for k in call.keywords}
    target = keywords.get("target")
    args = keywords.get("args")
    return (isinstance(target, ast.Name) and target.id == func_name and len(call.args) == 0
            and (args is None or isinstance(args, ast.Tuple)))
