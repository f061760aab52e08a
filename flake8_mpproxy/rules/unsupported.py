"""MPP107: a proxy operation the target Python lacks (a method, operator or typeid added later)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..model.catalogue import FIX_SAFE
from ..model.findings import FORM_REPLACE
from ..engine.observations import ProxyAugmented, ProxyMethodCall, ProxyOperator, ProxyReversed, TypeidCall
from ..engine.syntax import display
from ..model.mpapi import PROXY_CLASS_OF_KIND, TYPEID_SINCE, Version, method_since, version_text

if TYPE_CHECKING:
    from .reporter import Reporter

CODES = ("MPP107",)

#: In-place operators -> the dunder a proxy must expose for them (the API table says since when).
AUGMENTED_DUNDERS = {ast.BitOr: ("__ior__", "|="), ast.BitAnd: ("__iand__", "&="), ast.BitXor: ("__ixor__", "^="),
                     ast.Sub: ("__isub__", "-=")}


def method_call(reporter: "Reporter", seen: ProxyMethodCall) -> None:
    """``l.clear()`` before 3.14."""
    call, proxy, name, method = seen
    since = method_since(proxy.kind, method)
    if since is None or reporter.target >= since or "MPP107" not in reporter.enabled:
        return
    if proxy.kind == "list" and method == "clear" and not call.args and not call.keywords:
        _unsupported(reporter, call, f"{name}.clear()", proxy.kind, name, since, f"del {name}[:]", fixable=True)
        return
    spelled = {("list", "copy"): f"{name}[:]", ("dict", "fromkeys"): "dict.fromkeys(...)"}
    _unsupported(reporter, call, f"{name}.{method}()", proxy.kind, name, since,
                 spelled.get((proxy.kind, method), f"it only on Python {version_text(since)} or later"))


def augmented(reporter: "Reporter", seen: ProxyAugmented) -> None:
    """``d |= x`` on a DictProxy before 3.14 (the in-place operators the kind gained later)."""
    stmt, target, proxy = seen
    method, symbol = AUGMENTED_DUNDERS.get(type(stmt.op), ("", ""))
    since = method_since(proxy.kind, method)
    if since is None or reporter.target >= since or "MPP107" not in reporter.enabled:
        return
    replacement = f"{target.id}.update({display(stmt.value)})"
    _unsupported(reporter, stmt, f"{target.id} {symbol} ...", proxy.kind, target.id, since, replacement,
                 fixable=proxy.kind == "dict" and method == "__ior__")


def operator(reporter: "Reporter", seen: ProxyOperator) -> None:
    """``d | x`` or ``x | d`` with a DictProxy before 3.14 (TypeError)."""
    node, proxy, name, reflected = seen
    method = ("__ror__" if reflected else "__or__") if isinstance(node.op, ast.BitOr) else ""
    since = method_since(proxy.kind, method)
    if since is None or reporter.target >= since or "MPP107" not in reporter.enabled:
        return
    spelled = f"{display(node.left)} | {name}.copy()" if reflected else f"{name}.copy() | {display(node.right)}"
    _unsupported(reporter, node, f"{display(node.left)} | {display(node.right)}", proxy.kind, name, since, spelled)


def reversed_proxy(reporter: "Reporter", seen: ProxyReversed) -> None:
    """``reversed(d)`` on a DictProxy before 3.14 (KeyError: 0, from the sequence fallback)."""
    call, proxy, name = seen
    since = method_since(proxy.kind, "__reversed__")
    if since is not None and reporter.target < since and "MPP107" in reporter.enabled:
        _unsupported(reporter, call, f"reversed({name})", proxy.kind, name, since, f"reversed({name}.keys())")


def typeid_call(reporter: "Reporter", seen: TypeidCall) -> None:
    """``manager.set()`` before 3.14: SyncManager has no such typeid (AttributeError).

    The call still makes a proxy for the inference (a SetProxy stored in a dict is a nested proxy, not a
    copy), so the one finding is here, at the cause, and not at every later use.
    """
    call, manager_name, typeid = seen
    since = TYPEID_SINCE.get(typeid)
    if since is None or reporter.target >= since or "MPP107" not in reporter.enabled:
        return
    _unsupported(reporter, call, f"{manager_name}.{typeid}()", "SyncManager", manager_name, since,
                 f"{manager_name}.dict() with the members as keys")


def _unsupported(reporter: "Reporter", node: ast.AST, expr: str, kind: str, name: str, since: Version,
                 replacement: str, fixable: bool = False) -> None:
    args = {"expr": expr, "proxy_type": PROXY_CLASS_OF_KIND.get(kind, kind), "proxy": name,
            "since": version_text(since), "target": version_text(reporter.target), "replacement": replacement}
    if fixable:
        reporter.add("MPP107", node, args, proxy=name, form=FORM_REPLACE, applicability=FIX_SAFE,
                     detail={"replacement": replacement})
    else:
        reporter.add("MPP107", node, args, proxy=name)


HANDLES = {ProxyMethodCall: method_call, ProxyAugmented: augmented, ProxyOperator: operator,
           ProxyReversed: reversed_proxy, TypeidCall: typeid_call}
