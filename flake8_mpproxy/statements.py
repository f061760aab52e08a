"""How each statement binds names and reports traps: the statement half of the inference walker."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Tuple

from . import checks
from .facts import Scope
from .locks import is_mutex
from .syntax import alias_root, is_main_guard, key_source, target_names
from .values import API_NAMES, INTERESTING, PROCESS_CLASSES, ClassInfo, Copy, Function, Instance, Manager, Proxy, QualName, Seq, Value

#: ``ast.If`` -> ``Statements.stmt_If``; filled by :mod:`inference` once the walker class exists.
HANDLERS: Dict[type, object] = {}


class Statements:
    """Mixin of :class:`inference.Walker`: statements, bindings and targets."""

    def walk_body(self, body: List[ast.stmt]) -> None:
        for stmt in body:
            self.walk_stmt(stmt, body)

    def walk_stmt(self, stmt: ast.stmt, block: List[ast.stmt]) -> None:
        saved = self.stmt
        self.stmt = stmt
        self.stack.append((stmt, block))
        handler = HANDLERS.get(type(stmt))
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
            value = self.ev(stmt.value)
            self.note_use(value, "returned")
            if self.scope.func is not None:
                self.note_return(self.scope.func, value)

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
        self.walk_loop_body(stmt.body)
        self.walk_body(stmt.orelse)

    def walk_loop_body(self, body: List[ast.stmt]) -> None:
        scope = self.function_scope()
        scope.loop_depth += 1
        try:
            self.walk_body(body)
        finally:
            scope.loop_depth -= 1

    def stmt_For(self, stmt: ast.For) -> None:
        iterable = self.ev(stmt.iter)
        element = self.element_of(iterable, stmt.target, stmt.iter)
        self.assign(stmt.target, element, None, loop=True)
        self.walk_loop_body(stmt.body)
        self.report.finalize_aliases(self.scope.aliases, target_names(stmt.target))
        self.walk_body(stmt.orelse)

    stmt_AsyncFor = stmt_For

    def stmt_With(self, stmt: ast.With) -> None:
        entered: List[Manager] = []
        locks = 0
        for item in stmt.items:
            value = self.ev(item.context_expr)
            locks += isinstance(value, Proxy) and is_mutex(value)
            if isinstance(value, Manager):
                value.with_node = stmt
                entered.append(value)
                self.manager_started(item.context_expr)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, value, item.context_expr)
        self.scope.with_depth += 1
        self.function_scope().lock_depth += locks
        self.walk_body(stmt.body)
        self.function_scope().lock_depth -= locks
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
            if alias.name == "*":
                for name in star_names(stmt.module):
                    self.bind(name, QualName(f"{stmt.module}.{name}"))
                continue
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
        info.process = any(isinstance(base, QualName) and base.name in PROCESS_CLASSES for base in bases)
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
        if scope is not self.scope:
            self.bind_outer(scope, name, value)

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
            self.read_binding(self.module_scope, name)
            return self.module_scope.vars.get(name), "global"
        if name in scope.vars:
            return scope.vars[name], "local" if scope.kind != "module" else "module"
        parent = scope.parent
        while parent is not None:
            if parent.kind == "module":
                self.read_binding(parent, name)
                if name in parent.vars:
                    return parent.vars[name], "global"
                break
            if parent.kind == "function" and name in parent.vars:
                self.read_binding(parent, name)
                return parent.vars[name], "enclosing"
            parent = parent.parent
        return None, "builtin"

    def assign(self, target: ast.AST, value: Optional[Value], value_node: Optional[ast.AST],
               loop: bool = False) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
            self.scope.aliases.derive(target.id, value_node)
            if isinstance(value, Copy):
                block = getattr(self.stmt, "body", None) if loop else (self.stack[-1][1] if self.stack else None)
                self.scope.aliases.bind(target.id, value, self.site(), block or [])
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
            self.note_write(base)
            key = key_source(target.slice)
            if isinstance(value, Proxy):
                self.store_nested(base, key, value)
            else:
                self.record_store(base, key, target, value_node)
                self.facts.read("nested", base)
                self.facts.read("relied", base)
                self.report.plain_store(target, base, key, value_node, self.site())
            written_back = self.scope.aliases.write_back(base, value_node)
            if value_node is not None and checks.reads_same(value_node, target):
                self.note_use(base, "d[k] = d[k] + ... stores a plain value back")
            if value_node is not None and (written_back or checks.reads_same(value_node, target)):
                self.report.read_modify_write(target, base, self.site(), self.unit())
            return
        self.note_use(value, "stored in another container")
        self.mutation_through(target, base, "store")

    def store_attribute(self, target: ast.Attribute, value: Optional[Value], value_node: Optional[ast.AST]) -> None:
        base = self.ev(target.value)
        if isinstance(base, Proxy):
            self.note_write(base)
            if isinstance(value, Proxy) and base.kind == "namespace" and not target.attr.startswith("_"):
                self.store_nested(base, repr(target.attr), value)
            self.report.proxy_attribute_store(target, base)
            self.scope.aliases.write_back(base, value_node)
        elif isinstance(base, Instance):
            self.set_attr(base.cls, target.attr, value)
        elif isinstance(base, ClassInfo):
            self.set_attr(base, target.attr, value)
        else:
            self.note_use(value, "stored in another object")
            self.mutation_through(target, base, "store")

    def mutate_target(self, target: ast.AST, action: str, stmt: ast.stmt) -> None:
        """Augmented assignment or ``del`` of ``target``."""
        if isinstance(target, ast.Name):
            value, _ = self.lookup(target.id)
            if isinstance(value, Proxy):
                self.note_write(value)
            if action == "aug" and isinstance(value, Proxy):
                self.report.augmented_proxy(stmt, target, value)  # type: ignore[arg-type]
            elif action == "aug" and self.scope.aliases.is_alias(target.id):
                self.note_write(self.scope.aliases.states[target.id].copy.proxy)
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
            self.note_write(base)
            if action == "aug" and isinstance(target, ast.Subscript):
                self.report.read_modify_write(target, base, self.site(), self.unit())
            if isinstance(target, ast.Attribute):
                self.report.proxy_attribute_store(target, base)
            return
        self.mutation_through(target, base, action)

    def mutation_through(self, target: ast.AST, base: Optional[Value], action: str) -> None:
        """A store, delete or augmented assignment into ``target.value``: lost when that is a copy."""
        inner = target.value  # type: ignore[attr-defined]
        root = alias_root(inner)
        if root is not None and self.scope.aliases.is_alias(root):
            self.note_write(self.scope.aliases.states[root].copy.proxy)
            self.scope.aliases.mutate(root, target, self.statement_path(), _action_word(action))
        elif isinstance(base, Copy):
            self.note_write(base.proxy)
            self.report.store_into_copy(target, base, action, self.site())
        elif isinstance(base, Proxy) and inner in self.nested_reads:
            self.rely(inner)

    # --- expressions -----------------------------------------------------------------------------------------



def star_names(module: str) -> List[str]:
    """The names of the API tables that ``from <module> import *`` binds (``Manager``, ``Process``, ...)."""
    prefix = module + "."
    return sorted({name[len(prefix):] for name in API_NAMES
                   if name.startswith(prefix) and "." not in name[len(prefix):]})


def _action_word(action: str) -> str:
    return {"store": "[...] =", "delete": "del", "aug": "+="}.get(action, action)
