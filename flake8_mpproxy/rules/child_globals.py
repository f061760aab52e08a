"""MPP202: a proxy reached through a module global or a class attribute in code that runs in a child.

Under spawn the child imports the module again: the global is not the parent's proxy (or not a proxy at all).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Dict

from ..model.catalogue import FIX_NONE, FIX_UNSAFE
from ..model.findings import FORM_NONE, FORM_PASS_ARG
from ..engine.observations import ClassAttributeInChild, NameRead
from ..engine.syntax import display, node_range
from ..engine.links import MODULE_GLOBAL
from ..engine.values import Proxy
from .copies import origin_arg

if TYPE_CHECKING:
    from .reporter import Reporter

CODES = ("MPP202",)


def name_read(reporter: "Reporter", seen: NameRead) -> None:
    node, scope, facts = seen.node, seen.scope, seen.facts
    if (seen.origin == "global" and isinstance(seen.value, Proxy) and scope.func in facts.child_targets
            and node.id not in facts.child_globals
            and "MPP202" in reporter.enabled and reporter.first(("MPP202", id(scope.func), node.id))):
        _global_in_child(reporter, node, scope.func, facts.calls.get(scope.func, {}), seen.value)


def _global_in_child(reporter: "Reporter", node: ast.Name, func: ast.AST, calls: Dict[ast.Call, str],
                     value: Proxy) -> None:
    """Fixable when every call site is ``Process(target=<name>, ...)`` and a parameter can be added."""
    func_name = getattr(func, "name", "<lambda>")
    sites = [(node_range(call), how) for call, how in calls.items()]
    fixable = (isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and bool(sites)
               and all(how == "process" for _, how in sites) and can_add_parameter(func)
               and all(targets_by_name(call, func_name) for call in calls))
    reporter.add("MPP202", node, {"name": node.id, "func": func_name, "holder": MODULE_GLOBAL,
                                  **origin_arg(node.id, value)}, proxy=node.id,
                 form=FORM_PASS_ARG if fixable else FORM_NONE,
                 applicability=FIX_UNSAFE if fixable else FIX_NONE,
                 detail={"function": func_name, "function_range": node_range(func), "call_sites": sites})


def attribute_in_child(reporter: "Reporter", seen: ClassAttributeInChild) -> None:
    """A class attribute holding a proxy (no fix: the value must become a parameter of the child's target,
    and this function may be a helper of it)."""
    node, func, calls = seen.node, seen.func, seen.calls
    name = display(node)
    if "MPP202" not in reporter.enabled or not reporter.first(("MPP202", id(func), name)):
        return
    func_name = getattr(func, "name", "<lambda>")
    reporter.add("MPP202", node, {"name": name, "func": func_name, "holder": seen.holder}, proxy=name,
                 detail={"function": func_name, "function_range": node_range(func),
                         "call_sites": [(node_range(call), how) for call, how in calls.items()]})


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


HANDLES = {NameRead: name_read, ClassAttributeInChild: attribute_in_child}
