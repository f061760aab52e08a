"""What each expression evaluates to: the expression half of the inference walker."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from .observations import NameRead, ProxyOperator
from .syntax import display, key_source
from .values import (
    ClassInfo, Copy, Function, Instance, Iteration, Manager, ManagerClass, Mapping, Proxy, QualName, RemoteInstance,
    Seq, Value, join, mapping_join,
)
from .calls import USE_TRACKED, evaluate_call
from .facts import Scope

if TYPE_CHECKING:  # pragma: no cover
    from .walker import Walker

class Expressions:
    """What each expression evaluates to, for the :class:`Walker`; dispatch by node type through the explicit
    table :data:`HANDLERS` (nodes without an entry only have their sub-expressions evaluated)."""

    def __init__(self, walker: "Walker") -> None:
        self.w = walker

    def ev(self, node: Optional[ast.AST]) -> Optional[Value]:
        kind = type(node)
        if kind is ast.Constant or node is None:  # a sixth of all expressions: nothing to evaluate
            return None
        if kind is ast.Name:  # half of them
            return self.ev_Name(node)  # type: ignore[arg-type]
        handler = HANDLERS.get(kind)
        if handler is not None:
            return handler(self, node)
        self.ev_children(node)
        return None

    def ev_children(self, node: ast.AST) -> None:
        """Evaluate the sub-expressions of a node no handler knows (``yield``, slices, ``raise``, ...): a proxy or
        a value read from one used there is used in a way nothing proves the same on a nested proxy."""
        for name in node._fields:
            child = getattr(node, name, None)
            if isinstance(child, list):
                for item in child:
                    if isinstance(item, ast.expr):
                        self.used_in(node, self.ev(item))
                    elif isinstance(item, (ast.keyword, ast.comprehension)):
                        self.ev_children(item)
            elif isinstance(child, ast.expr):
                self.used_in(node, self.ev(child))
            elif isinstance(child, ast.arguments):
                self.ev_children(child)

    def used_in(self, node: ast.AST, value: Optional[Value]) -> None:
        if value is not None and isinstance(value, USE_TRACKED):
            self.w.note_use(value, f"used in {NODE_WORDS.get(type(node).__name__, type(node).__name__)}")

    def truth(self, node: ast.expr) -> Optional[Value]:
        """``node`` as a condition (``if v:``, ``while v:``, ``not v``): its truth is a use of a value read."""
        value = self.ev(node)
        if isinstance(value, Copy):
            self.w.note_use(value, "truth")
        return value

    def ev_BinOp(self, node: ast.BinOp) -> Optional[Value]:
        left = self.ev(node.left)
        right = self.ev(node.right)
        if isinstance(node.op, ast.Add) and isinstance(left, (Iteration, Seq)) and isinstance(right, (Iteration, Seq)):
            # ``list(d.items()) + list(e.items())``: one list of the same stored values, followed where used
            return Seq(elem=join([self.w.element_of(left, node.left, node.left),
                                  self.w.element_of(right, node.right, node.right)]))
        for value in (left, right):
            if isinstance(value, (Proxy, Copy, Iteration)):  # (a nested proxy is no list to add or multiply)
                self.w.note_use(value, f"used as an operand of {OPERATOR_WORDS.get(type(node.op).__name__, 'an operator')}")
        if isinstance(left, Proxy):  # ``d | x``: an operator the proxy type may lack on the target (MPP107)
            self.w.report.observe(ProxyOperator(node, left, display(node.left), False))
        elif isinstance(right, Proxy):
            self.w.report.observe(ProxyOperator(node, right, display(node.right), True))
        elif isinstance(left, Seq) or isinstance(right, Seq):
            return repeated(node.op, left, right)
        return None

    def ev_Compare(self, node: ast.Compare) -> None:
        values = [self.ev(node.left)] + [self.ev(comparator) for comparator in node.comparators]
        for index, op in enumerate(node.ops):
            left, right = values[index], values[index + 1]
            if isinstance(op, (ast.In, ast.NotIn)):
                self.w.note_use(left, "compared (==, is, <)")  # (searched for: compared with each element)
                self.membership(right)
            else:
                self.w.note_use(left, "compared (==, is, <)")
                self.w.note_use(right, "compared (==, is, <)")

    def membership(self, value: Optional[Value]) -> None:
        """``x in value``: in a value read, or in a dict proxy's keys, the same on nested proxies; in a list
        proxy or its values, ``x`` is compared with each stored value."""
        if isinstance(value, Copy):
            self.w.note_use(value, "in")
        elif isinstance(value, Iteration) or (isinstance(value, Proxy) and value.kind != "dict"):
            self.w.note_use(value, "searched with in (compares each stored value)")
        elif isinstance(value, (Seq, Mapping)):
            self.w.note_use(value, "compared (==, is, <)")

    def ev_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.w.note_use(self.ev(node.value), "formatted into a string")
        self.ev(node.format_spec)

    def ev_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self.truth(node.operand)
        else:
            self.used_in(node, self.ev(node.operand))

    def ev_Constant(self, node: ast.Constant) -> None:
        return None

    def ev_Name(self, node: ast.Name) -> Optional[Value]:
        if not isinstance(node.ctx, ast.Load):
            return None
        scope = self.w.scope
        name = node.id
        if name in self.w.containers and (scope.kind == "module" or name in scope.globals or name not in scope.vars):
            registry = self.w.registry_value(name)
            if registry is not None:
                return registry
        if name in scope.vars and name not in scope.globals:  # the scope's own binding: no fact read
            value: Optional[Value] = scope.vars[name]
            if value is None or not isinstance(value, (Proxy, Manager)):
                return value
            origin = "local" if scope.kind != "module" else "module"
        else:
            value, origin = self.w.binder.lookup(name)
        if isinstance(value, (Proxy, Manager)):
            if origin == "global":
                self.w.facts.read("child", self.w.scope.func)
                self.w.facts.read("calls", self.w.scope.func)
                self.w.facts.read("child-global", name)
            self.w.report.observe(NameRead(node, value, origin, self.w.scope, self.w.facts))
            if isinstance(value, Proxy) and value.manager is not None and value.manager in self.w.scope.shutdown:
                self.w.note_use(value, "used after its manager shut down")
        return value

    def ev_Attribute(self, node: ast.Attribute) -> Optional[Value]:
        base = self.ev(node.value)
        if isinstance(base, RemoteInstance):
            # a proxy its class's code stores on ``self`` (an attribute fact of that class, read as the instance's
            # own: no class-attribute read in a child), else a method of the instance
            name = f"{base.name}.{node.attr}"
            held = self.w.links.imported(name) if self.w.links is not None else None
            return held if isinstance(held, Proxy) else QualName(name, base.library)
        if isinstance(base, QualName):
            name = f"{base.name}.{node.attr}"
            imported = self.w.links.imported(name) if self.w.links is not None else None
            holder = self.w.links.imported_holder(name) if isinstance(imported, Proxy) and \
                self.w.links is not None else ""
            if isinstance(imported, Proxy) and holder:
                self.w.class_attribute_read(node, imported, holder=holder)
            return imported if imported is not None else QualName(name, base.library)
        if isinstance(base, Proxy):
            return self.proxy_attribute(node, base)
        if isinstance(base, Copy):
            self.w.note_use(base, "an attribute read")
            return Copy(base.proxy, base.proxy_name, base.root, base.key, base.via, base.key_node, deep=True)
        if isinstance(base, Instance) and base.fields and base.fields.get(node.attr) is not None:
            return base.fields[node.attr]  # (a record's field on this very instance)
        if isinstance(base, (Instance, ClassInfo)):
            cls = base.cls if isinstance(base, Instance) else base
            method = cls.method(node.attr)
            if method is not None:
                decorators = {display(d) for d in getattr(method.node, "decorator_list", [])}
                if isinstance(base, Instance) and decorators & PROPERTIES:  # ``svc.jobs``: what the getter returns
                    self.w.facts.read("return", method.node)
                    return self.w.facts.returns.get(method.node)
                bound = "classmethod" in decorators or (isinstance(base, Instance) and "staticmethod" not in decorators)
                return Function(method.node, method.owner, bound=bound)
            value = self.w.class_attr(cls, node.attr)
            if isinstance(base, ClassInfo) and isinstance(value, Proxy):
                self.w.class_attribute_read(node, value, self.w.attr_owner(cls, node.attr))
            return value
        if isinstance(base, ManagerClass) and node.attr == "register":
            return None
        return None

    def proxy_attribute(self, node: ast.Attribute, proxy: Proxy) -> Optional[Value]:
        if proxy.kind == "namespace" and not node.attr.startswith("_"):
            key = repr(node.attr)
            self.w.nested_of(proxy, key)
            nested = proxy.nested.get(key)
            if nested is not None:
                self.w.nested_reads[node] = (proxy, key)
                self.w.read_is_nested(node)
                return nested
            return Copy(proxy, display(node.value), node, key, "attribute")
        if proxy.kind == "value" and node.attr == "value":
            return Copy(proxy, display(node.value), node, None, "value")
        return None

    def ev_Subscript(self, node: ast.Subscript) -> Optional[Value]:
        base = self.ev(node.value)
        self.ev(node.slice)
        if not isinstance(node.ctx, ast.Load):
            return None
        if isinstance(node.slice, ast.Slice) and isinstance(base, (Proxy, Copy)):
            # l[:] of a list proxy: a new list of copies; d[k][:] of a copy: a new list made on purpose
            if isinstance(base, Proxy) and base.kind == "list":
                return Iteration(base, display(node.value), "elements", node)
            self.w.note_use(base, "subscript")
            return None
        if isinstance(base, Proxy) and base.kind in ("dict", "list"):
            key = key_source(node.slice)
            nested = self.w.nested_of(base, key)
            if nested is not None:
                self.w.nested_reads[node] = (base, key)
                self.w.read_is_nested(node)
                return nested
            return Copy(base, display(node.value), node, key, "subscript", node.slice)
        if isinstance(base, Copy):
            self.w.note_use(base, "subscript")
            return Copy(base.proxy, base.proxy_name, base.root, base.key, base.via, base.key_node, deep=True)
        if isinstance(base, Seq) and base.items is not None and isinstance(node.slice, ast.Constant):
            index = node.slice.value
            if isinstance(index, int) and -len(base.items) <= index < len(base.items):
                return base.items[index]
        if isinstance(base, Seq) and not isinstance(node.slice, ast.Slice):
            # an element of a list built by a comprehension (``[v for v in [shared]][0]``), or one at an index
            # the analysis cannot name (what any element may be, unless proxies sit beside plain containers)
            return base.elem if base.items is None else mapping_join(list(base.items))
        if isinstance(base, Mapping):  # ``opts["d"]`` of ``{"d": shared, ...}`` (a worker's options)
            const = node.slice.value if isinstance(node.slice, ast.Constant) else None
            return base.items[const] if isinstance(const, str) and const in base.items else base.values_join
        return None

    def ev_Tuple(self, node: ast.AST) -> Optional[Value]:
        items: List[Optional[Value]] = []
        nodes: List[ast.AST] = []
        for element in node.elts:  # type: ignore[attr-defined]
            value = self.ev(element)
            if not isinstance(element, ast.Starred):
                items.append(value)
                nodes.append(element)
                continue
            self.unpacked(value, "*")
            if isinstance(value, Seq) and value.items is not None:  # ``(name, *args)``: each item at its place
                items.extend(value.items)
                nodes.extend([element] * len(value.items))
            else:
                items.append(value)
                nodes.append(element)
        return Seq(items=items, nodes=nodes)

    def unpacked(self, value: Optional[Value], star: str) -> None:
        """``[*v]`` / ``{**v}``: of a value read, a plain container either way; of the proxy, a snapshot of its
        stored values."""
        if isinstance(value, Copy):
            self.w.note_use(value, "converted")
        elif isinstance(value, (Proxy, Iteration)):
            self.w.note_use(value, f"copied whole with {star}")


    def ev_Dict(self, node: ast.Dict) -> Optional[Value]:
        mapping = Mapping()
        values = []
        for key, value_node in zip(node.keys, node.values):
            self.ev(key)
            value = self.ev(value_node)
            values.append(value)
            if key is None:
                self.unpacked(value, "**")
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                mapping.items[key.value] = value
        mapping.values_join = mapping_join(values)
        return mapping

    def evaluate_comprehension(self, node: ast.AST, parts: List[ast.AST]) -> Optional[Value]:
        saved = self.w.scope
        outer = self.w.function_scope()
        self.w.scope = Scope("function", saved, None)
        self.w.scope.globals, self.w.scope.vars = set(), {}
        with self.w.barrier():
            outer.loop_depth += 1
            for generator in node.generators:  # type: ignore[attr-defined]
                iterable = self.ev(generator.iter)
                self.w.statements.assign(generator.target, self.w.element_of(iterable, generator.target, generator.iter), None)
                for condition in generator.ifs:
                    self.ev(condition)
            results = [self.ev(part) for part in parts]
            outer.loop_depth -= 1
        self.w.scope = saved
        if len(results) == 2:
            return Mapping(values_join=results[1])
        return Seq(elem=results[0])

    def ev_ListComp(self, node: ast.ListComp) -> Optional[Value]:
        return self.evaluate_comprehension(node, [node.elt])


    def ev_DictComp(self, node: ast.DictComp) -> Optional[Value]:
        value: Optional[ast.expr] = node.value  # None for {**d for d in ds} (Python 3.15, PEP 798)
        if value is None:
            self.evaluate_comprehension(node, [node.key])
            return None
        return self.evaluate_comprehension(node, [node.key, value])

    def ev_Lambda(self, node: ast.Lambda) -> Optional[Value]:
        with self.w.barrier():
            function = self.w.define_function(node)
        return function

    def ev_IfExp(self, node: ast.IfExp) -> Optional[Value]:
        self.truth(node.test)
        body, orelse = self.ev(node.body), self.ev(node.orelse)
        if isinstance(body, Copy) and isinstance(orelse, Copy) and body.proxy is orelse.proxy and (
                body.key != orelse.key or body.via != orelse.via):
            # ``d["passed"] if ok else d["failed"]``: a copy of one item or the other; no single write-back
            # stores it where it was read
            return Copy(body.proxy, body.proxy_name, node, None, "choice", None, body.deep or orelse.deep)
        return join([body, orelse])

    def ev_NamedExpr(self, node: ast.NamedExpr) -> Optional[Value]:
        value = self.ev(node.value)
        self.w.statements.assign(node.target, value, node.value)
        return value

    def ev_Yield(self, node: ast.Yield) -> Optional[Value]:
        """``yield value``: what the generator hands out (kept for ``with f() as x`` of a ``@contextmanager``);
        the value is used in a way nothing proves the same on a nested proxy, as any node without a handler."""
        value = self.ev(node.value)
        self.used_in(node, value)
        unit = self.w.unit()
        if unit is not None:
            self.w.note_yield(unit, value)
        return None

    def ev_Await(self, node: ast.Await) -> Optional[Value]:
        return self.ev(node.value)

    def ev_Starred(self, node: ast.Starred) -> Optional[Value]:
        return self.ev(node.value)

    def ev_BoolOp(self, node: ast.BoolOp) -> Optional[Value]:
        return join([self.truth(value) for value in node.values])

    def ev_Call(self, node: ast.Call) -> Optional[Value]:
        return evaluate_call(self.w, node)  # the call semantics live in calls.py

    # --- helpers shared with calls.py ------------------------------------------------------------------------


#: How each expression type is evaluated: built once (a table of bound methods per walker would tie each
#: walker into a reference cycle); nodes without an entry only have their sub-expressions evaluated.
HANDLERS: Dict[type, Callable[[Expressions, Any], Optional[Value]]] = {
    ast.BinOp: Expressions.ev_BinOp, ast.Compare: Expressions.ev_Compare,
    ast.FormattedValue: Expressions.ev_FormattedValue, ast.UnaryOp: Expressions.ev_UnaryOp,
    ast.Constant: Expressions.ev_Constant, ast.Name: Expressions.ev_Name, ast.Attribute: Expressions.ev_Attribute,
    ast.Subscript: Expressions.ev_Subscript, ast.Tuple: Expressions.ev_Tuple, ast.List: Expressions.ev_Tuple,
    ast.Set: Expressions.ev_Tuple, ast.Dict: Expressions.ev_Dict, ast.ListComp: Expressions.ev_ListComp,
    ast.SetComp: Expressions.ev_ListComp, ast.GeneratorExp: Expressions.ev_ListComp,
    ast.DictComp: Expressions.ev_DictComp, ast.Lambda: Expressions.ev_Lambda, ast.IfExp: Expressions.ev_IfExp,
    ast.NamedExpr: Expressions.ev_NamedExpr, ast.Await: Expressions.ev_Await, ast.Starred: Expressions.ev_Starred,
    ast.BoolOp: Expressions.ev_BoolOp, ast.Call: Expressions.ev_Call, ast.Yield: Expressions.ev_Yield,
}


#: Decorators that make a method a computed attribute: reading it runs the method and gives its return value.
PROPERTIES = frozenset({"property", "cached_property", "functools.cached_property"})


#: How a message names the node a value is used in.
NODE_WORDS = {"Yield": "a yield", "YieldFrom": "a yield from", "Await": "an await", "Slice": "a slice",
              "Raise": "a raise", "Assert": "an assert", "UnaryOp": "a unary operation", "JoinedStr": "an f-string",
              "Expr": "an expression"}
#: How a message names a binary operator.
OPERATOR_WORDS = {"Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "FloorDiv": "//", "Mod": "%", "Pow": "**",
                  "BitOr": "|", "BitAnd": "&", "BitXor": "^", "LShift": "<<", "RShift": ">>", "MatMult": "@"}


def repeated(op: ast.operator, left: Optional[Value], right: Optional[Value]) -> Optional[Value]:
    """``[shared] * n`` (or ``n * [shared]``) and ``[a] + [b]``: a list of the same elements, in any number (the
    argument lists a pool's ``map`` zips); other operators make no container the analysis follows."""
    if isinstance(op, ast.Mult):
        seq = left if isinstance(left, Seq) else right
        item = seq.element() if isinstance(seq, Seq) else None
    elif isinstance(op, ast.Add) and isinstance(left, Seq) and isinstance(right, Seq):
        item = join([left.element(), right.element()])
    else:
        return None
    return Seq(elem=item) if item is not None else None
