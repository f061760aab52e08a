"""MPP101-MPP103: changes of a copy read from a proxy (a method, a store, a name mutated and never written back).

The three share their fix planning: each change is kept (:class:`PendingCopy`) until the whole file is known,
since the fix form depends on the proxy's stores (value type, init sites) and on who else may write it at
the same time (:mod:`flake8_mpproxy.concurrency`); :func:`complete` then builds the findings.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple, cast

from ..model.catalogue import FIX_NONE, FIX_SAFE
from ..model.nested import blocking, describe
from ..engine.concurrency import Concurrency, Write
from ..model.findings import FORM_NONE, FORM_REASSIGN, FORM_WRITEBACK, CopyDetail, Range, temp_base
from ..engine.observations import FIXABLE_STATEMENTS, AliasEnded, AliasState, CopyMutated, CopyStored, Site
from ..engine.syntax import display, node_range
from ..engine.values import Copy, Proxy, is_constant_key

if TYPE_CHECKING:
    from .reporter import Reporter

NAME = "copies"
CODES = ("MPP101", "MPP102", "MPP103")

LIST_METHODS = frozenset({"append", "extend", "insert", "remove", "sort", "reverse"})
DICT_METHODS = frozenset({"update", "setdefault", "popitem"})


@dataclass
class PendingCopy:
    """A change of a copy (MPP101-MPP103) whose fix depends on facts known only after the walk: the stores of
    the proxy (value type, init sites) and who else may write it at the same time."""

    code: str
    node: ast.AST
    copy: Copy
    site: Site
    args: Dict[str, str]
    detail: CopyDetail
    #: the form the fix takes when one writer is certain (FORM_REASSIGN, FORM_WRITEBACK or FORM_NONE)
    form: str
    #: the remedy the message gives for that form
    remedy: str
    #: MPP101: the mutating method and its call (the remedy spells ``d[k] += [v]`` where the fix writes it)
    method: str = ""
    call: Optional[ast.Call] = None
    #: MPP101 through a standard function that changes its argument (``heapq.heappush``): its name
    function: str = ""


# --- observations -> pending changes ------------------------------------------------------------------------------

def copy_mutated(reporter: "Reporter", seen: CopyMutated) -> None:
    """MPP101: ``d[k].append(v)``."""
    if "MPP101" not in reporter.enabled:
        return
    call, copy = seen.call, seen.copy
    if seen.function:  # heapq.heappush(d[k], x): the copy is the argument the function changes
        argument = seen.argument if seen.argument is not None else call.args[0]
        expr = display(argument)
        before = "..., " if call.args and argument is not call.args[0] else ""
        after = ", ..." if len(call.args) > 1 and argument is not call.args[-1] or call.keywords else ""
        mutation = f"{display(call.func)}({before}{expr}{after})"
    else:
        expr = display(call.func.value)  # type: ignore[attr-defined]
        mutation = f"{display(call.func)}()"  # (``(a if c else b).append()``: as written, brackets kept)
    args = {"mutation": mutation, "expr": expr, "method": seen.method, "proxy": copy.proxy_name, "remedy": "",
            **origin_arg(copy.proxy_name, copy.proxy)}
    _copy_change(reporter, "MPP101", call, copy, seen.site, args, seen.method, call, seen.function)


def copy_stored(reporter: "Reporter", seen: CopyStored) -> None:
    """MPP102: ``d[k][j] = v``, ``del d[k][j]``, ``d[k][j] += 1``."""
    if "MPP102" not in reporter.enabled:
        return
    words = {"store": "Storing into", "delete": "Deleting from", "aug": "Augmented assignment into"}
    args = {"action": words.get(seen.action, seen.action),
            "expr": display(seen.target.value),  # type: ignore[attr-defined]
            "proxy": seen.copy.proxy_name, "remedy": "", **origin_arg(seen.copy.proxy_name, seen.copy.proxy)}
    _copy_change(reporter, "MPP102", seen.target, seen.copy, seen.site, args)


def origin_arg(name: str, value: object) -> Dict[str, str]:
    """``{"origin": "('shared' holds the manager dict created at main.py:8.)"}`` for a proxy (or manager)
    made in another module of the project; nothing for one made here (the user sees where it is made)."""
    origin = getattr(value, "origin", "")
    if not origin:
        return {}
    if isinstance(value, Proxy):
        return {"origin": f"('{name}' holds the manager {value.kind} created at {origin}.)"}
    return {"origin": f"('{name}' is the manager created at {origin}.)"}


def _copy_change(reporter: "Reporter", code: str, node: ast.AST, copy: Copy, site: Site, args: Dict[str, str],
                 method: str = "", call: Optional[ast.Call] = None, function: str = "") -> None:
    fixable = (site.fixable() and copy.via in ("subscript", "get", "setdefault", "attribute")
               and encloses(site.stmt, copy.root))
    detail = copy_detail(copy, site)
    if function:  # heapq needs a real list, and the others take one round trip per step: no nested proxy
        detail["nested_unfit"] = function
    reporter.defer(NAME, PendingCopy(code, node, copy, site, args, detail,
                                     FORM_REASSIGN if fixable else FORM_NONE, "", method, call, function))


def alias_ended(reporter: "Reporter", seen: AliasEnded) -> None:
    """MPP103: a name bound to a copy was mutated, and neither written back nor passed on, before it ended."""
    state = seen.state
    if not state.mutations or state.written or state.escaped or "MPP103" not in reporter.enabled:
        return
    name, copy = seen.name, state.copy
    first_node, _, change = state.mutations[0]
    expr = store_target(copy) or copy_source(copy)
    write = write_back_text(copy, name)
    args = {"alias": name, "expr": expr, "proxy": copy.proxy_name, "change": change,
            **origin_arg(copy.proxy_name, copy.proxy),
            "remedy": f"Add {write} after the last change." if write else
            "Iterate over items() and store each changed value back"
            + (", or store nested proxies." if copy.proxy.keeps_proxies() else ".")}
    if copy.via == "choice":
        expr = display(copy.root)
        args.update(expr=expr, remedy="Store it back into the item it was read from on each path (they differ)"
                                      + (", or store nested proxies." if copy.proxy.keeps_proxies() else "."))
    if write and not stable_key(copy):
        args["remedy"] = (f"Read the key into a name first (key = {copy.key}; {name} = {copy.proxy_name}[key]) "
                          f"and add {copy.proxy_name}[key] = {name} after the last change.")
    first, last = _lifted(state, 0), _lifted(state, -1)
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
    reporter.defer(NAME, PendingCopy("MPP103", first_node, copy, state.site, args, detail,
                                     FORM_WRITEBACK if fixable else FORM_NONE, args["remedy"]))


def _lifted(state: AliasState, index: int) -> Optional[ast.AST]:
    """The statement of the alias's block that holds mutation ``index`` (the write-back goes after the
    last one; a ``try/finally`` starts at the first)."""
    path = state.mutations[index][1]
    for stmt in reversed(path):
        if any(stmt is candidate for candidate in state.block):
            return stmt
    return None


HANDLES = {CopyMutated: copy_mutated, CopyStored: copy_stored, AliasEnded: alias_ended}


# --- pending changes -> findings, once the whole file is known ----------------------------------------------------

def complete(reporter: "Reporter", pending: List[PendingCopy], concurrency: Concurrency) -> None:
    for item in pending:
        if not written_back_by_callers(item.copy):
            _complete_copy(reporter, item, concurrency)


def written_back_by_callers(copy: Copy) -> bool:
    """A helper changed the copy its caller handed it, and every caller wrote its alias back afterwards
    (``rows = d[k]; add(rows, x); d[k] = rows``): the change reaches the manager."""
    return copy.via == "argument" and bool(copy.handed) and all(state.written for state in copy.handed or ())


def _complete_copy(reporter: "Reporter", pending: PendingCopy, concurrency: Concurrency) -> None:
    copy, detail, site = pending.copy, pending.detail, pending.site
    stores = init_stores(copy)
    types = {kind for _, kind, _, _ in stores}
    detail["value_type"] = next(iter(types)) if len(types) == 1 else ""
    detail["init_sites"] = [(node_range(value) if value is not None else None, kind, manager)
                            for _, kind, manager, value in stores]
    line = getattr(copy.proxy.site, "lineno", None)
    if not copy.proxy.origin and isinstance(line, int) and line:
        detail["proxy_line"] = line
    if made_elsewhere(copy):
        detail["made_in"] = made_elsewhere(copy)
        detail["origin"] = copy.proxy.origin
        if not stores:  # the values are stored where the proxy is made: the nested fix rewrites that module
            detail["init_sites"] = [(cast(Range, tuple(rng)) if rng else None, kind, manager)
                                    for _, kind, manager, rng in remote_init_stores(copy)]
    kinds = {str(site[1]) for site in detail["init_sites"]}
    lines = copy.proxy.use_lines
    detail["nested_blocked"] = [describe(use) + (f" (line {lines[use]})" if lines.get(use) else "")
                                for use in blocking(copy.proxy.uses_at(copy.key), kinds)]
    form, applicability = pending.form, FIX_SAFE if pending.form != FORM_NONE else FIX_NONE
    text = pending.remedy
    if pending.code in ("MPP101", "MPP102"):
        text = remedy(copy, pending.method, pending.call, detail["value_type"], pending.function)
    write = replace(site.write, proxy=copy.proxy)
    reason = concurrency.why(write)
    if reason is not None:
        detail["concurrent"] = reason
        lock = pick_lock(site, concurrency, write)
        # a nested proxy makes method calls atomic; an augmented assignment into it is still a
        # read-modify-write (two round trips), so it gets no nested form here
        augmented = pending.args.get("action", "").startswith("Augmented")
        if augmented:
            detail["nested_races"] = True
        unfit = bool(detail.get("nested_unfit"))
        nested = nested_site(detail) if copy.via == "subscript" and not augmented and not unfit else None
        target = store_target(copy) or "the proxy"
        spelled = f"{target} = {nested[1]}.{nested[0]}()" if nested else ""
        if unfit:
            spelled = ""
        elif made_elsewhere(copy) and copy.via == "subscript" and not augmented:
            spelled = f"where {made_elsewhere(copy)} stores the values"
        if lock is not None and form != FORM_NONE:
            detail["lock"] = lock
            text = (f"Other writers may run at the same time ({reason}): write it back while holding "
                    f"manager lock '{lock}' (with {lock}: ...).")
        else:
            form, applicability = FORM_NONE, FIX_NONE
            if nested:
                detail["nested_only"] = True
            text = (f"Writing it back would race with other writers ({reason}): "
                    + (f"store a nested proxy ({spelled}) or " if spelled else
                       "" if unfit else "store a nested proxy or ")
                    + "hold a manager lock around the read and the write.")
    args = dict(pending.args)
    args["remedy"] = text
    reporter.add(pending.code, pending.node, args, proxy=copy.proxy_name, key=copy.key, form=form,
                 applicability=applicability, detail=detail)


# --- helpers --------------------------------------------------------------------------------------------------

def copy_detail(copy: Copy, site: Optional[Site]) -> CopyDetail:
    """What the fixer needs to rewrite a change to ``copy`` (the store facts come in :meth:`Reporter.complete`)."""
    detail: CopyDetail = {
        "root": node_range(copy.root),
        "root_text": display(copy.root),
        "proxy_name": copy.proxy_name,
        "via": copy.via,
        "key_text": copy.key,
    }
    if site is not None:
        detail["stmt"] = node_range(site.stmt)
    if not copy.proxy.keeps_proxies():  # billiard: a nested proxy is read back as a copy too
        detail["nested_unfit"] = copy.proxy.library.module
    return detail


def encloses(outer: ast.AST, inner: ast.AST) -> bool:
    """``inner`` lies inside ``outer`` (by position): a copy read elsewhere (an alias of an enclosing function,
    a ``nonlocal``) cannot be rewritten in this statement."""
    start = (getattr(outer, "lineno", 0), getattr(outer, "col_offset", 0))
    end = (getattr(outer, "end_lineno", 0), getattr(outer, "end_col_offset", 0))
    where = (getattr(inner, "lineno", -1), getattr(inner, "col_offset", -1))
    return start <= where <= end


def pick_lock(site: Site, concurrency: Concurrency, write: Write) -> Optional[str]:
    """The one manager lock the fixed read-modify-write can hold: in sight, and a parameter, local or closure
    name where the code may run in a child (a module global there is another object, or no object at all);
    one object for every writer, held (or in sight, to be wrapped by the same fix) by every other writer."""
    parent_only = concurrency.contexts(site.write.unit) <= {("parent",)}
    locks = [(name, proxy) for name, is_global, proxy in site.locks if parent_only or not is_global]
    if len(locks) != 1 or concurrency.why(write, lock=locks[0][1]) is not None:
        return None
    return locks[0][0]


def nested_site(detail: CopyDetail) -> Optional[Tuple[str, str]]:
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


def remote_init_stores(copy: Copy) -> List[Tuple[str, str, str, Tuple[int, ...]]]:
    """:func:`init_stores` for a proxy made in another module: the stores its summary carries."""
    if copy.key is None:
        return []
    sites = copy.proxy.remote_inits
    if is_constant_key(copy.key):
        return [site for site in sites if site[0] == copy.key or not is_constant_key(site[0])]
    return list(sites)


def remedy(copy: Copy, method: str, call: Optional[ast.Call], value_type: str, function: str = "") -> str:
    """The fix, spelled out for this very expression as ``--fix`` writes it (``+=`` only where the value is
    known to be a list, as the fixer requires)."""
    if copy.via == "method":
        return "Change it through a method of the registered class that stores the result."
    target = store_target(copy)
    if target is None:
        return "Store the changed value back into the proxy" + (
            ", or store nested proxies." if copy.proxy.keeps_proxies() else ".")
    one_list = not function and value_type == "list" and copy.via == "subscript" and call is not None \
        and len(call.args) == 1 \
        and not call.keywords and not isinstance(call.args[0], ast.Starred)
    if method == "append" and one_list and call is not None:
        write = f"{target} += [{display(call.args[0])}]"
    elif method == "extend" and one_list and call is not None:
        write = f"{target} += {display(call.args[0])}"
    else:
        temp = temp_base(copy.key)
        change = f"{temp}.{method}(...)" if method else "change it"
        if function:
            change = with_argument(call, copy.root, temp) if call is not None else f"{function}({temp})"
        if copy.via == "subscript" and copy.key_node is not None and not stable_key(copy):
            write = f"key = {copy.key}; {temp} = {copy.proxy_name}[key]; {change}; {copy.proxy_name}[key] = {temp}"
        else:
            write = f"{temp} = {display(copy.root)}; {change}; {target} = {temp}"
    manager = manager_name(copy)
    nested = "" if function or not copy.proxy.keeps_proxies() else f"{manager}.list()" if method in LIST_METHODS \
        else f"{manager}.dict()" if method in DICT_METHODS else ""
    elsewhere = made_elsewhere(copy)
    if nested and copy.via != "value" and elsewhere:
        return (f"Write it back ({write}) or store nested proxies ({nested}) where {elsewhere} stores the values "
                "(--fix-style nested writes them there).")
    if nested and copy.via != "value":
        return f"Write it back ({write}) or store a nested proxy ({target} = {nested})."
    return f"Write it back ({write})."


def manager_name(copy: Copy) -> str:
    """The name that holds the proxy's manager where its values are stored (what the nested fix writes), when
    the stores agree on one; else ``manager``."""
    names = {name for _, _, name, _ in init_stores(copy) if name}
    return names.pop() if len(names) == 1 else "manager"


def with_argument(call: ast.Call, argument: ast.AST, name: str) -> str:
    """``call`` as written, the argument ``argument`` spelled ``name`` (``inner(1, k)`` for ``inner(1, d["k"])``)."""
    args = [ast.Name(id=name, ctx=ast.Load()) if arg is argument else arg for arg in call.args]
    spelled = ast.unparse(ast.Call(func=call.func, args=args, keywords=call.keywords))
    if len(spelled) <= 60:
        return spelled
    before = "..., " if call.args and argument is not call.args[0] else ""
    after = ", ..." if len(call.args) > 1 and argument is not call.args[-1] or call.keywords else ""
    return f"{display(call.func)}({before}{name}{after})"  # (a long call: the arguments elided)


def made_elsewhere(copy: Copy) -> str:
    """The module (``main.py``) that stores the values into the proxy when another module made it: the one
    that made it, unless that one stores none and the values are stored where it was handed (a factory's
    proxy): the nested form rewrites that module (:mod:`flake8_mpproxy.fixer.remote` checks the project first)."""
    origin = getattr(copy.proxy, "origin", "")
    if not origin or not copy.proxy.remote_inits and copy.proxy.stores:  # (stored here: a local nested fix)
        return ""
    return copy.proxy.remote_inits_in or str(origin).rsplit(":", 1)[0]


def copy_source(copy: Copy) -> str:
    """Where a copy no single item names came from: read in a caller and handed on, returned by a helper, or
    one item of an iteration over the proxy."""
    if copy.via == "argument":
        return f"{display(copy.root)}, handed to this function,"
    if copy.via == "returned":
        return f"{display(copy.root)}, returned by a helper,"
    return f"an item of {display(copy.root)}"


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
    if copy.via == "choice":
        return "it is a copy of one item or another, and one write-back cannot store it into both"
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
    touched = next((node for stmt in block[start:end + 1] for node in touches(stmt, copy)), None)
    if touched is not None:
        return (f"{display(touched)} is read or changed again before the write-back would run, and storing the "
                "copy back would overwrite that change (or the other copy's write-back would overwrite this one)")
    return None


#: Methods of a dict or list proxy that change the item a write-back stores.
PROXY_ITEM_WRITERS = frozenset({"update", "pop", "popitem", "clear", "setdefault", "__setitem__", "__delitem__",
                                "remove", "insert", "extend", "append", "sort", "reverse"})


def touches(stmt: ast.AST, copy: Copy) -> List[ast.AST]:
    """Places in ``stmt`` that read the item ``copy`` came from again (a second copy, which a fix would write
    back too), or change it (which the write-back would overwrite): ``proxy[key]`` with the same key (or a key
    that may be the same), ``proxy.attr`` for an attribute, and item-changing methods of the proxy itself."""
    found: List[ast.AST] = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Subscript) and copy.via == "subscript" and _is_name(node.value, copy.proxy_name):
            key = display(node.slice)
            if key == copy.key or not (is_constant_key(key) and copy.key is not None and is_constant_key(copy.key)):
                found.append(node)
        elif isinstance(node, ast.Attribute) and copy.via == "attribute" and _is_name(node.value, copy.proxy_name) \
                and node.attr == copy.key:
            found.append(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and _is_name(node.func.value, copy.proxy_name) and node.func.attr in PROXY_ITEM_WRITERS:
            found.append(node)
    return found


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


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


