"""One scope-aware abstract pass over a module: which values are managers, proxies and copies read from proxies.

The walker evaluates statements in order, binding names to the abstract values of :mod:`values`. Facts that
cross scopes (parameters of functions called with proxies, return values, ``self`` attributes, nested proxies
stored per key, child targets) live in :class:`Facts`. Facts only grow. A pass is final when no fact it read
changed after it was read: its findings (reported through :mod:`checks`) then rest on complete facts. Most
files need one pass (callers are walked before the functions they call); otherwise the module is walked again.
"""

from __future__ import annotations

import ast
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from . import checks
from .findings import Finding
from .syntax import (
    alias_root, annotation_kind, assigns_to_first_arg, display, is_constant_key, is_main_guard, key_source,
    target_names, value_type,
)
from .values import (
    INTERESTING, MANAGER_CLASSES, MANAGER_FACTORIES, MUTATORS, ClassInfo, Copy, Function, Instance, Iteration, Manager,
    ManagerClass, Mapping, Proxy, QualName, Seq, Value, join, richness,
)

MAX_PASSES = 8
FunctionNode = ast.AST  # ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


class Facts:
    """Cross-scope facts, keyed by AST node so they persist across passes; ``changed`` marks growth."""

    def __init__(self) -> None:
        self.params: Dict[FunctionNode, Dict[str, Value]] = {}
        self.returns: Dict[FunctionNode, Value] = {}
        self.attrs: Dict[Tuple[ast.ClassDef, str], Value] = {}
        self.child_targets: Set[FunctionNode] = set()
        #: Every call site of a function of the file, and how it runs it (direct, thread, process, pool).
        self.calls: Dict[FunctionNode, Dict[ast.Call, str]] = {}
        self.proxies: Dict[ast.AST, Proxy] = {}
        self.managers: Dict[ast.AST, Manager] = {}
        self.manager_classes: Dict[object, ManagerClass] = {}
        self.classes: Dict[ast.ClassDef, ClassInfo] = {}
        self.functions: Dict[FunctionNode, Function] = {}
        self.changed = False
        self.reads: Set[Tuple[object, ...]] = set()

    def read(self, *key: object) -> None:
        """This pass used the fact ``key``."""
        self.reads.add(key)

    def wrote(self, *key: object) -> None:
        """The fact ``key`` grew: the pass must be repeated if something already used it."""
        if key in self.reads:
            self.changed = True


class Scope:
    """A module, class or function scope during one pass."""

    def __init__(self, kind: str, parent: Optional["Scope"], func: Optional[FunctionNode] = None) -> None:
        self.kind = kind
        self.parent = parent
        self.func = func
        self.vars: Dict[str, Optional[Value]] = {}
        self.globals: Set[str] = set()
        self.nonlocals: Set[str] = set()
        self.shutdown: Set[Manager] = set()
        self.aliases = checks.AliasTracker()
        self.with_depth = 0
        self.owner: Optional[ClassInfo] = None


class Walker:
    """Evaluates one module; see the module docstring for the pass structure."""

    def __init__(self, tree: ast.Module, enabled: FrozenSet[str], factories: Iterable[str]) -> None:
        self.tree = tree
        self.facts = Facts()
        self.factories = frozenset(factories)
        self.report = checks.Reporter(enabled)
        self.module_scope = Scope("module", None)
        self.scope = self.module_scope
        self.pending: List[Tuple[FunctionNode, Scope, Optional[ClassInfo]]] = []
        self.stmt: ast.AST = tree
        self.barrier = 0  # > 0 inside expressions where statements cannot be inserted (lambda, comprehension...)
        self.main_guard = 0
        self.nested_reads: Dict[ast.AST, Tuple[Proxy, str]] = {}
        self.defaults_of: Dict[ast.AST, Dict[str, Optional[Value]]] = {}
        self.stack: List[Tuple[ast.stmt, List[ast.stmt]]] = []
        self.mutators: Dict[Tuple[str, int], bool] = {}

    # --- passes ----------------------------------------------------------------------------------------------

    def run(self) -> List[Finding]:
        for _ in range(MAX_PASSES):
            self.facts.changed = False
            self.facts.reads = set()
            self.report.reset()
            self.walk_module()
            if not self.facts.changed or not (self.facts.proxies or self.facts.managers):
                break  # stable, or nothing a finding could come from
        return self.report.complete()

    def walk_module(self) -> None:
        self.module_scope = self.scope = Scope("module", None)
        self.pending = []
        self.main_guard = 0
        self.walk_body(self.tree.body)
        self.end_scope(self.module_scope)
        while self.pending:
            node, closure, owner = self.pending.pop()
            self.walk_function(node, closure, owner)

    def walk_function(self, node: FunctionNode, closure: Scope, owner: Optional[ClassInfo]) -> None:
        scope = Scope("function", closure, node)
        scope.owner = owner
        saved = self.scope, self.main_guard
        self.scope, self.main_guard = scope, 0
        self.bind_parameters(node, scope, owner)
        if isinstance(node, ast.Lambda):
            self.barrier += 1
            self.note_return(node, self.ev(node.body))
            self.barrier -= 1
        else:
            self.walk_body(node.body)
        self.end_scope(scope)
        self.scope, self.main_guard = saved

    def end_scope(self, scope: Scope) -> None:
        self.report.finalize_aliases(scope.aliases, scope.aliases.names())

    # --- statements ------------------------------------------------------------------------------------------

    def walk_body(self, body: List[ast.stmt]) -> None:
        for stmt in body:
            self.walk_stmt(stmt, body)

    def walk_stmt(self, stmt: ast.stmt, block: List[ast.stmt]) -> None:
        saved = self.stmt
        self.stmt = stmt
        self.stack.append((stmt, block))
        handler = STATEMENTS.get(type(stmt))
        if handler is not None:
            handler(self, stmt)
        else:
            self.ev_children(stmt)
        self.stack.pop()
        self.stmt = saved

    def statement_path(self) -> Tuple[ast.AST, ...]:
        return tuple(stmt for stmt, _ in self.stack)

    def stmt_Expr(self, stmt: ast.Expr) -> None:
        self.ev(stmt.value)

    def stmt_Assign(self, stmt: ast.Assign) -> None:
        value = self.ev(stmt.value)
        for target in stmt.targets:
            self.assign(target, value, stmt.value)

    def stmt_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        value = self.ev(stmt.value) if stmt.value is not None else self.annotation_value(stmt.annotation, stmt)
        if stmt.value is not None or value is not None:
            self.assign(stmt.target, value, stmt.value)

    def stmt_AugAssign(self, stmt: ast.AugAssign) -> None:
        self.ev(stmt.value)
        self.mutate_target(stmt.target, "aug", stmt)

    def stmt_Delete(self, stmt: ast.Delete) -> None:
        for target in stmt.targets:
            self.mutate_target(target, "delete", stmt)

    def stmt_Return(self, stmt: ast.Return) -> None:
        if stmt.value is not None:
            self.scope.aliases.escape_names(stmt.value)
            if self.scope.func is not None:
                self.note_return(self.scope.func, self.ev(stmt.value))
            else:
                self.ev(stmt.value)

    def stmt_If(self, stmt: ast.If) -> None:
        guard = is_main_guard(stmt.test) and self.scope.kind == "module"
        self.barrier += 1
        self.ev(stmt.test)
        self.barrier -= 1
        self.main_guard += guard
        self.walk_body(stmt.body)
        self.main_guard -= guard
        self.walk_body(stmt.orelse)

    def stmt_While(self, stmt: ast.While) -> None:
        self.barrier += 1
        self.ev(stmt.test)
        self.barrier -= 1
        self.walk_body(stmt.body)
        self.walk_body(stmt.orelse)

    def stmt_For(self, stmt: ast.For) -> None:
        iterable = self.ev(stmt.iter)
        element = self.element_of(iterable, stmt.target)
        self.assign(stmt.target, element, None, loop=True)
        self.walk_body(stmt.body)
        self.report.finalize_aliases(self.scope.aliases, target_names(stmt.target))
        self.walk_body(stmt.orelse)

    stmt_AsyncFor = stmt_For

    def stmt_With(self, stmt: ast.With) -> None:
        entered: List[Manager] = []
        for item in stmt.items:
            value = self.ev(item.context_expr)
            if isinstance(value, Manager):
                value.with_node = stmt
                entered.append(value)
                self.report.manager_started(item.context_expr, self.at_module_level())
            if item.optional_vars is not None:
                self.assign(item.optional_vars, value, item.context_expr)
        self.scope.with_depth += 1
        self.walk_body(stmt.body)
        self.scope.with_depth -= 1
        self.scope.shutdown.update(entered)

    stmt_AsyncWith = stmt_With

    def stmt_Try(self, stmt: ast.Try) -> None:
        self.walk_body(stmt.body)
        for handler in stmt.handlers:
            if handler.type is not None:
                self.ev(handler.type)
            if handler.name:
                self.bind(handler.name, None)
            self.walk_body(handler.body)
        self.walk_body(stmt.orelse)
        self.walk_body(stmt.finalbody)

    stmt_TryStar = stmt_Try

    def stmt_Match(self, stmt: ast.AST) -> None:
        self.ev(stmt.subject)  # type: ignore[attr-defined]
        for case in stmt.cases:  # type: ignore[attr-defined]
            if case.guard is not None:
                self.ev(case.guard)
            self.walk_body(case.body)

    def stmt_Global(self, stmt: ast.Global) -> None:
        self.scope.globals.update(stmt.names)

    def stmt_Nonlocal(self, stmt: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(stmt.names)

    def stmt_Import(self, stmt: ast.Import) -> None:
        for alias in stmt.names:
            if alias.asname:
                self.bind(alias.asname, QualName(alias.name))
            else:
                top = alias.name.split(".")[0]
                self.bind(top, QualName(top))

    def stmt_ImportFrom(self, stmt: ast.ImportFrom) -> None:
        if stmt.level or not stmt.module:
            for alias in stmt.names:
                self.bind(alias.asname or alias.name, None)
            return
        for alias in stmt.names:
            self.bind(alias.asname or alias.name, QualName(f"{stmt.module}.{alias.name}"))

    def stmt_FunctionDef(self, stmt: ast.AST) -> None:
        self.barrier += 1
        for decorator in stmt.decorator_list:  # type: ignore[attr-defined]
            self.ev(decorator)
        function = self.define_function(stmt)
        self.barrier -= 1
        self.bind(stmt.name, function)  # type: ignore[attr-defined]

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def stmt_ClassDef(self, stmt: ast.ClassDef) -> None:
        self.barrier += 1
        bases = [self.ev(base) for base in stmt.bases]
        for keyword in stmt.keywords:
            self.ev(keyword.value)
        for decorator in stmt.decorator_list:
            self.ev(decorator)
        self.barrier -= 1
        info = self.facts.classes.get(stmt)
        if info is None:
            info = self.facts.classes[stmt] = ClassInfo(stmt)
        info.bases = [base for base in bases if isinstance(base, ClassInfo)]
        manager_base = next((self.manager_class_of(b) for b in bases if self.manager_class_of(b)), None)
        value: Value = info
        if manager_base is not None:
            value = self.manager_class(stmt, stmt.name, manager_base)
        first_pending = len(self.pending)
        class_scope = Scope("class", self.scope)
        class_scope.owner = info
        saved = self.scope
        self.scope = class_scope
        for item in stmt.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.barrier += 1
                for decorator in item.decorator_list:
                    self.ev(decorator)
                function = self.define_function(item, owner=info, closure=saved)
                self.barrier -= 1
                info.methods[item.name] = function
                class_scope.vars[item.name] = function
            else:
                self.walk_stmt(item, stmt.body)
        for name, attr_value in class_scope.vars.items():
            if isinstance(attr_value, INTERESTING) and not isinstance(attr_value, Function):
                self.set_attr(info, name, attr_value)
        self.scope = saved
        # pending runs last-in first-out (callers before callees); methods should run __init__ first
        self.pending[first_pending:] = reversed(self.pending[first_pending:])
        self.bind(stmt.name, value)

    # --- binding ---------------------------------------------------------------------------------------------

    def bind(self, name: str, value: Optional[Value], origin: Optional[ast.AST] = None) -> None:
        scope = self.scope
        self.report.rebind(scope.aliases, name)
        if name in scope.globals:
            scope = self.module_scope
        elif name in scope.nonlocals:
            scope = self.enclosing_with(name) or scope
        scope.vars[name] = value

    def enclosing_with(self, name: str) -> Optional[Scope]:
        parent = self.scope.parent
        while parent is not None and parent.kind != "module":
            if name in parent.vars:
                return parent
            parent = parent.parent
        return None

    def lookup(self, name: str) -> Tuple[Optional[Value], str]:
        scope = self.scope
        if name in scope.globals:
            return self.module_scope.vars.get(name), "global"
        if name in scope.vars:
            return scope.vars[name], "local" if scope.kind != "module" else "module"
        parent = scope.parent
        while parent is not None:
            if parent.kind == "module":
                if name in parent.vars:
                    return parent.vars[name], "global"
                break
            if parent.kind == "function" and name in parent.vars:
                return parent.vars[name], "enclosing"
            parent = parent.parent
        return None, "builtin"

    def assign(self, target: ast.AST, value: Optional[Value], value_node: Optional[ast.AST],
               loop: bool = False) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
            if isinstance(value, Copy):
                block = getattr(self.stmt, "body", None) if loop else (self.stack[-1][1] if self.stack else None)
                self.scope.aliases.bind(target.id, value, self.stmt, block or [])
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = value.items if isinstance(value, Seq) else None
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Starred):
                    self.assign(element.value, None, None, loop)
                    continue
                part = items[index] if items is not None and index < len(items) else None
                self.assign(element, part, None, loop)
        elif isinstance(target, ast.Subscript):
            self.store_subscript(target, value, value_node)
        elif isinstance(target, ast.Attribute):
            self.store_attribute(target, value, value_node)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, None, None, loop)

    def store_subscript(self, target: ast.Subscript, value: Optional[Value], value_node: Optional[ast.AST]) -> None:
        base = self.ev(target.value)
        self.ev(target.slice)
        if isinstance(base, Proxy):
            key = key_source(target.slice)
            if isinstance(value, Proxy):
                self.store_nested(base, key, value)
            else:
                self.record_store(base, key, target, value_node)
                self.facts.read("nested", base)
                self.facts.read("relied", base)
                self.report.plain_store(target, base, key, value_node, self.site())
                child = self.child_context() if "MPP301" in self.report.enabled else None
                if child is not None and value_node is not None and checks.reads_same(value_node, target):
                    self.report.read_modify_write(self.stmt, target, base, child)
            self.scope.aliases.write_back(base, value_node)
            return
        self.mutation_through(target, base, "store")

    def store_attribute(self, target: ast.Attribute, value: Optional[Value], value_node: Optional[ast.AST]) -> None:
        base = self.ev(target.value)
        if isinstance(base, Proxy):
            if isinstance(value, Proxy) and base.kind == "namespace" and not target.attr.startswith("_"):
                self.store_nested(base, repr(target.attr), value)
            self.report.proxy_attribute_store(target, base)
            self.scope.aliases.write_back(base, value_node)
        elif isinstance(base, Instance):
            self.set_attr(base.cls, target.attr, value)
        elif isinstance(base, ClassInfo):
            self.set_attr(base, target.attr, value)
        else:
            self.mutation_through(target, base, "store")

    def mutate_target(self, target: ast.AST, action: str, stmt: ast.stmt) -> None:
        """Augmented assignment or ``del`` of ``target``."""
        if isinstance(target, ast.Name):
            value, _ = self.lookup(target.id)
            if action == "aug" and isinstance(value, Proxy):
                self.report.augmented_proxy(stmt, target, value)  # type: ignore[arg-type]
            elif action == "aug" and self.scope.aliases.is_alias(target.id):
                self.scope.aliases.mutate(target.id, target, self.statement_path(), "+=")
            if action == "delete":
                self.bind(target.id, None)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.mutate_target(element, action, stmt)
            return
        if not isinstance(target, (ast.Subscript, ast.Attribute)):
            self.ev(target)
            return
        base = self.ev(target.value)
        if isinstance(target, ast.Subscript):
            self.ev(target.slice)
        if isinstance(base, Proxy):
            if action == "aug":
                self.report.read_modify_write(stmt, target, base, self.child_context())
            if isinstance(target, ast.Attribute):
                self.report.proxy_attribute_store(target, base)
            return
        self.mutation_through(target, base, action)

    def mutation_through(self, target: ast.AST, base: Optional[Value], action: str) -> None:
        """A store, delete or augmented assignment into ``target.value``: lost when that is a copy."""
        inner = target.value  # type: ignore[attr-defined]
        root = alias_root(inner)
        if root is not None and self.scope.aliases.is_alias(root):
            self.scope.aliases.mutate(root, target, self.statement_path(), _action_word(action))
        elif isinstance(base, Copy):
            self.report.store_into_copy(target, base, action, self.site())
        elif isinstance(base, Proxy) and inner in self.nested_reads:
            self.rely(inner)

    # --- expressions -----------------------------------------------------------------------------------------

    def ev(self, node: Optional[ast.AST]) -> Optional[Value]:
        if node is None:
            return None
        handler = EXPRESSIONS.get(type(node))
        if handler is not None:
            return handler(self, node)  # type: ignore[no-any-return]
        self.ev_children(node)
        return None

    def ev_children(self, node: ast.AST) -> None:
        """Evaluate the sub-expressions of a node no handler knows (``BinOp``, ``Compare``, f-strings, ...)."""
        for name in node._fields:
            child = getattr(node, name, None)
            if isinstance(child, list):
                for item in child:
                    if isinstance(item, ast.expr):
                        self.ev(item)
                    elif isinstance(item, (ast.keyword, ast.comprehension)):
                        self.ev_children(item)
            elif isinstance(child, ast.expr):
                self.ev(child)
            elif isinstance(child, ast.arguments):
                self.ev_children(child)

    def ev_BinOp(self, node: ast.BinOp) -> None:
        self.ev(node.left)
        self.ev(node.right)

    def ev_Compare(self, node: ast.Compare) -> None:
        self.ev(node.left)
        for comparator in node.comparators:
            self.ev(comparator)

    def ev_UnaryOp(self, node: ast.UnaryOp) -> None:
        self.ev(node.operand)

    def ev_Constant(self, node: ast.Constant) -> None:
        return None

    def ev_Name(self, node: ast.Name) -> Optional[Value]:
        if not isinstance(node.ctx, ast.Load):
            return None
        value, origin = self.lookup(node.id)
        if isinstance(value, (Proxy, Manager)):
            if origin == "global":
                self.facts.read("child", self.scope.func)
                self.facts.read("calls", self.scope.func)
            self.report.name_read(node, value, origin, self.scope, self.facts)
        return value

    def ev_Attribute(self, node: ast.Attribute) -> Optional[Value]:
        base = self.ev(node.value)
        if isinstance(base, QualName):
            return QualName(f"{base.name}.{node.attr}")
        if isinstance(base, Proxy):
            return self.proxy_attribute(node, base)
        if isinstance(base, Copy):
            return Copy(base.proxy, base.proxy_name, base.root, base.key, base.via, base.key_node)
        if isinstance(base, (Instance, ClassInfo)):
            cls = base.cls if isinstance(base, Instance) else base
            method = cls.method(node.attr)
            if method is not None:
                decorators = {display(d) for d in getattr(method.node, "decorator_list", [])}
                bound = "classmethod" in decorators or (isinstance(base, Instance) and "staticmethod" not in decorators)
                return Function(method.node, method.owner, bound=bound)
            return self.class_attr(cls, node.attr)
        if isinstance(base, ManagerClass) and node.attr == "register":
            return None
        return None

    def proxy_attribute(self, node: ast.Attribute, proxy: Proxy) -> Optional[Value]:
        if proxy.kind == "namespace" and not node.attr.startswith("_"):
            key = repr(node.attr)
            self.nested_of(proxy, key)
            nested = proxy.nested.get(key)
            if nested is not None:
                self.nested_reads[node] = (proxy, key)
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
        if isinstance(base, Proxy) and base.kind in ("dict", "list"):
            key = key_source(node.slice)
            nested = self.nested_of(base, key)
            if nested is not None:
                self.nested_reads[node] = (base, key)
                return nested
            return Copy(base, display(node.value), node, key, "subscript", node.slice)
        if isinstance(base, Copy):
            return Copy(base.proxy, base.proxy_name, base.root, base.key, base.via, base.key_node)
        if isinstance(base, Seq) and base.items is not None and isinstance(node.slice, ast.Constant):
            index = node.slice.value
            if isinstance(index, int) and -len(base.items) <= index < len(base.items):
                return base.items[index]
        return None

    def ev_Tuple(self, node: ast.AST) -> Optional[Value]:
        items = [self.ev(element) for element in node.elts]  # type: ignore[attr-defined]
        return Seq(items=items, nodes=list(node.elts))  # type: ignore[attr-defined]

    ev_List = ev_Tuple
    ev_Set = ev_Tuple

    def ev_Dict(self, node: ast.Dict) -> Optional[Value]:
        mapping = Mapping()
        values = []
        for key, value_node in zip(node.keys, node.values):
            self.ev(key)
            value = self.ev(value_node)
            values.append(value)
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                mapping.items[key.value] = value
        mapping.values_join = join(values)
        return mapping

    def evaluate_comprehension(self, node: ast.AST, parts: List[ast.AST]) -> Optional[Value]:
        saved = self.scope
        self.scope = Scope("function", saved, None)
        self.scope.globals, self.scope.vars = set(), {}
        self.barrier += 1
        for generator in node.generators:  # type: ignore[attr-defined]
            iterable = self.ev(generator.iter)
            self.assign(generator.target, self.element_of(iterable, generator.target), None)
            for condition in generator.ifs:
                self.ev(condition)
        results = [self.ev(part) for part in parts]
        self.barrier -= 1
        self.scope = saved
        if len(results) == 2:
            return Mapping(values_join=results[1])
        return Seq(elem=results[0])

    def ev_ListComp(self, node: ast.ListComp) -> Optional[Value]:
        return self.evaluate_comprehension(node, [node.elt])

    ev_SetComp = ev_ListComp
    ev_GeneratorExp = ev_ListComp

    def ev_DictComp(self, node: ast.DictComp) -> Optional[Value]:
        return self.evaluate_comprehension(node, [node.key, node.value])

    def ev_Lambda(self, node: ast.Lambda) -> Optional[Value]:
        self.barrier += 1
        function = self.define_function(node)
        self.barrier -= 1
        return function

    def ev_IfExp(self, node: ast.IfExp) -> Optional[Value]:
        self.ev(node.test)
        return join([self.ev(node.body), self.ev(node.orelse)])

    def ev_NamedExpr(self, node: ast.NamedExpr) -> Optional[Value]:
        value = self.ev(node.value)
        self.assign(node.target, value, node.value)
        return value

    def ev_Await(self, node: ast.Await) -> Optional[Value]:
        return self.ev(node.value)

    def ev_Starred(self, node: ast.Starred) -> Optional[Value]:
        return self.ev(node.value)

    def ev_BoolOp(self, node: ast.BoolOp) -> Optional[Value]:
        return join([self.ev(value) for value in node.values])

    def ev_Call(self, node: ast.Call) -> Optional[Value]:
        from .calls import evaluate_call  # the call semantics live in their own module

        return evaluate_call(self, node)

    # --- helpers shared with calls.py ------------------------------------------------------------------------

    def site(self) -> checks.Site:
        return checks.Site(self.stmt, self.barrier == 0)

    def at_module_level(self) -> bool:
        return self.scope.kind in ("module", "class") and self.main_guard == 0 and self.scope.parent in (
            None, self.module_scope) and self.scope.func is None

    def child_context(self) -> Optional[FunctionNode]:
        """The enclosing function when it runs in a child and holds no lock (for MPP301)."""
        func = self.scope.func
        self.facts.read("child", func)
        if func is None or func not in self.facts.child_targets or self.scope.with_depth:
            return None
        return func

    def element_of(self, iterable: Optional[Value], target: ast.AST) -> Optional[Value]:
        if isinstance(iterable, Seq):
            return iterable.element()
        if isinstance(iterable, Iteration):
            return self.iteration_element(iterable, target)
        if isinstance(iterable, Proxy) and iterable.kind == "list":
            nested = self.nested_of(iterable, None)
            return nested or Copy(iterable, "proxy", iterable.site, None, "iteration")
        if isinstance(iterable, Mapping):
            return None
        return None

    def iteration_element(self, it: Iteration, target: ast.AST) -> Optional[Value]:
        proxy = it.proxy
        nested = self.nested_of(proxy, None)
        key_node = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else None
        key = key_source(key_node) if isinstance(key_node, ast.Name) else None
        element: Value = nested or Copy(proxy, it.proxy_name, it.node, key, it.mode, key_node)
        if it.mode == "values":
            return element
        return Seq(items=[None, element])

    def note_return(self, func: FunctionNode, value: Optional[Value]) -> None:
        if isinstance(value, INTERESTING) and richness(value) > richness(self.facts.returns.get(func)):
            self.facts.returns[func] = value
            self.facts.wrote("return", func)

    def set_attr(self, cls: ClassInfo, attr: str, value: Optional[Value]) -> None:
        key = (cls.node, attr)
        if isinstance(value, INTERESTING) and richness(value) > richness(self.facts.attrs.get(key)):
            self.facts.attrs[key] = value
            self.facts.wrote("attr", cls.node, attr)

    def class_attr(self, cls: ClassInfo, attr: str) -> Optional[Value]:
        self.facts.read("attr", cls.node, attr)
        if (cls.node, attr) in self.facts.attrs:
            return self.facts.attrs[(cls.node, attr)]
        for base in cls.bases:
            found = self.class_attr(base, attr)
            if found is not None:
                return found
        return None

    def nested_of(self, proxy: Proxy, key: Optional[str]) -> Optional[Proxy]:
        """The nested proxy a read at ``key`` may return; the read of a plain value sees the stores too."""
        self.facts.read("nested", proxy)
        return proxy.nested_at(key)

    def store_nested(self, proxy: Proxy, key: str, value: Proxy) -> None:
        slot = key if is_constant_key(key) else "*"
        if slot not in proxy.nested:
            proxy.nested[slot] = value
            self.facts.wrote("nested", proxy)

    def record_store(self, proxy: Proxy, key: str, target: ast.AST, value_node: Optional[ast.AST]) -> None:
        stores = proxy.stores.setdefault(key, [])
        if all(store[0] is not target for store in stores):
            stores.append((target, value_type(value_node), self.name_of(proxy.manager)))
            # no read tracking: the findings take their store facts at the end (Reporter.complete)

    def name_of(self, manager: Optional[Manager]) -> str:
        """A name visible here that holds ``manager`` ("" when none: a nested-proxy fix needs one)."""
        if manager is None:
            return ""
        scope: Optional[Scope] = self.scope
        while scope is not None:
            for name, value in scope.vars.items():
                if value is manager:
                    return name
            scope = scope.parent
        return ""

    def rely(self, read: ast.AST) -> None:
        proxy, key = self.nested_reads[read]
        slot = key if is_constant_key(key) else "*"
        if slot not in proxy.relied:
            proxy.relied.add(slot)
            self.facts.wrote("relied", proxy)

    def proxy_at(self, site: ast.AST, kind: str, manager: Optional[Manager]) -> Proxy:
        proxy = self.facts.proxies.get(site)
        if proxy is None:
            proxy = self.facts.proxies[site] = Proxy(kind, site, manager)
        return proxy

    def manager_at(self, site: ast.AST, cls: ManagerClass) -> Manager:
        manager = self.facts.managers.get(site)
        if manager is None:
            manager = self.facts.managers[site] = Manager(site, cls)
        return manager

    def manager_class(self, key: object, name: str, base: Optional[ManagerClass]) -> ManagerClass:
        cls = self.facts.manager_classes.get(key)
        if cls is None:
            cls = self.facts.manager_classes[key] = ManagerClass(name, base=base)
        return cls

    def manager_class_of(self, value: Optional[Value]) -> Optional[ManagerClass]:
        if isinstance(value, ManagerClass):
            return value
        if isinstance(value, QualName) and value.name in MANAGER_CLASSES:
            return self.manager_class(value.name, value.name, None)
        return None

    def is_manager_factory(self, name: str) -> bool:
        return name in MANAGER_FACTORIES or name in self.factories

    def define_function(self, node: ast.AST, owner: Optional[ClassInfo] = None,
                        closure: Optional[Scope] = None) -> Function:
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        defaults = {}
        positional = args.posonlyargs + args.args
        for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            defaults[arg.arg] = self.ev(default)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            if default is not None:
                defaults[arg.arg] = self.ev(default)
        for arg in positional + args.kwonlyargs:
            if arg.annotation is not None:
                annotated = self.annotation_value(arg.annotation, arg)
                if annotated is not None:
                    defaults.setdefault(arg.arg, annotated)
        function = self.facts.functions.get(node)
        if function is None:
            function = self.facts.functions[node] = Function(node, owner)
        self.defaults_of[node] = defaults
        self.pending.append((node, closure or self.scope, owner))
        return function

    def is_mutator(self, method: str) -> bool:
        """A known mutator, or a method of a class of this file that changes ``self`` state (DESIGN §1)."""
        if method in MUTATORS:
            return True
        key = (method, len(self.facts.classes))
        if key not in self.mutators:
            self.mutators[key] = any(
                isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name == method
                and item.args.args and assigns_to_first_arg(item)
                for cls in self.facts.classes for item in cls.body)
        return self.mutators[key]

    def annotation_value(self, annotation: ast.AST, site: ast.AST) -> Optional[Value]:
        kind = annotation_kind(annotation)
        if kind is None:
            return None
        if kind == "manager":
            return self.manager_at(site, self.manager_class("multiprocessing.managers.SyncManager",
                                                              "multiprocessing.managers.SyncManager", None))
        return self.proxy_at(site, kind, None)

    def bind_parameters(self, node: FunctionNode, scope: Scope, owner: Optional[ClassInfo]) -> None:
        args: ast.arguments = node.args  # type: ignore[attr-defined]
        self.facts.read("param", node)
        facts = self.facts.params.get(node, {})
        defaults = self.defaults_of.get(node, {})
        ordered = args.posonlyargs + args.args
        names = [arg.arg for arg in ordered + args.kwonlyargs]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        for name in names:
            scope.vars[name] = facts.get(name, defaults.get(name))
        if owner is not None and ordered and not isinstance(node, ast.Lambda):
            first = ordered[0].arg
            decorators = {display(d) for d in node.decorator_list}  # type: ignore[attr-defined]
            if "staticmethod" not in decorators and scope.vars.get(first) is None:
                scope.vars[first] = owner if "classmethod" in decorators else Instance(owner)


def _handlers(prefix: str) -> Dict[type, object]:
    """``Walker.stmt_If`` -> ``{ast.If: Walker.stmt_If}``: dispatch by node type without building names."""
    table = {}
    for attribute in dir(Walker):
        if attribute.startswith(prefix) and hasattr(ast, attribute[len(prefix):]):
            table[getattr(ast, attribute[len(prefix):])] = getattr(Walker, attribute)
    return table


STATEMENTS = _handlers("stmt_")
EXPRESSIONS = _handlers("ev_")


def infer(tree: ast.Module, enabled: FrozenSet[str], manager_factories: Iterable[str] = ()) -> List[Finding]:
    """Run the analysis on a parsed module and return its findings for the ``enabled`` codes."""
    return Walker(tree, enabled, manager_factories).run()


def _action_word(action: str) -> str:
    return {"store": "[...] =", "delete": "del", "aug": "+="}.get(action, action)
