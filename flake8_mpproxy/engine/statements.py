"""How each statement binds names and reports traps: the statement half of the inference walker."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from .observations import CopyStored, PlainStore, ProxyAttributeStore, ProxyAugmented, ReadModifyWrite
from .calls import CHANGED_INSIDE, call_function
from .locks import is_mutex
from .syntax import alias_root, display, is_main_guard, key_source, reads_same, target_names
from ..model.mpapi import (API_NAMES, MANAGER_CLASSES, PROCESS_CLASSES, RECORD_BASES, RECORD_DECORATORS, THREAD_CLASSES,
                   library_of, standard_name)
from .values import (
    INTERESTING, ClassInfo, Copy, Either, Function, Instance, Manager, Mapping, Partial, Proxy, QualName,
    RemoteInstance, Seq, Value, mapping_join,
)
from .facts import Scope
from .links import inherited_init

if TYPE_CHECKING:  # pragma: no cover
    from .walker import Walker

class Statements:
    """How each statement binds names and reports what it sees, for the :class:`Walker` that owns the walk
    state; dispatch by statement type through the explicit table :data:`HANDLERS`."""

    def __init__(self, walker: "Walker") -> None:
        self.w = walker
        #: The store into a proxy of the assignment being walked, if any (``d[k] = x``: ``x`` is stored).
        self.proxy_store: Optional[Tuple[ast.AST, Proxy]] = None

    def walk_body(self, body: List[ast.stmt]) -> None:
        for stmt in body:
            self.walk_stmt(stmt, body)

    def walk_stmt(self, stmt: ast.stmt, block: List[ast.stmt]) -> None:
        saved = self.w.cursor.stmt
        self.w.cursor.stmt = stmt
        self.w.cursor.stack.append((stmt, block))
        handler = HANDLERS.get(type(stmt))
        if handler is not None:
            handler(self, stmt)
        else:
            self.w.expressions.ev_children(stmt)
        self.w.cursor.stack.pop()
        self.w.cursor.stmt = saved

    def statement_path(self) -> Tuple[ast.AST, ...]:
        return tuple(stmt for stmt, _ in self.w.cursor.stack)

    def stmt_Expr(self, stmt: ast.Expr) -> None:
        self.w.discarded = stmt.value  # (``d.pop(k)`` as a statement: its result is used nowhere)
        self.w.expressions.ev(stmt.value)

    def stmt_Assign(self, stmt: ast.Assign) -> None:
        value = self.w.expressions.ev(stmt.value)
        self.proxy_store = None
        for target in stmt.targets:
            self.assign(target, value, stmt.value)
        if self.proxy_store is not None and not isinstance(value, Proxy):
            self.stored_object(stmt, *self.proxy_store)
        self.proxy_store = None

    def stored_object(self, stmt: ast.Assign, target: ast.AST, proxy: Proxy) -> None:
        """``d[k] = x`` (or ``x = d[k] = []``, ``ns.cfg = x``): the manager pickles the object now and keeps
        that copy, so changing ``x`` afterwards and not storing it again is lost, as for ``x = d[k]``."""
        names = [stmt.value] + [t for t in stmt.targets if t is not target]
        scope = self.w.scope
        if isinstance(target, ast.Subscript):
            copy = Copy(proxy, display(target.value), target, key_source(target.slice), "subscript", target.slice)
        else:
            copy = Copy(proxy, display(target.value), target, repr(target.attr), "attribute")  # type: ignore[attr-defined]
        for node in names:
            if not isinstance(node, ast.Name) or node.id in scope.globals or node.id in scope.nonlocals:
                continue
            if node is stmt.value and node.id not in scope.vars:
                continue  # (a global or closure name: changed and stored where it lives)
            if scope.aliases.is_alias(node.id):
                self.w.end_aliases(scope.aliases.end([node.id]))
            block = self.w.cursor.stack[-1][1] if self.w.cursor.stack else []
            scope.aliases.bind(node.id, copy, self.w.site(), block)
            scope.aliases.states[node.id].stored = True

    def stmt_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        value = self.w.expressions.ev(stmt.value) if stmt.value is not None else self.w.annotation_value(stmt.annotation, stmt)
        if stmt.value is not None or value is not None:
            self.assign(stmt.target, value, stmt.value)

    def stmt_AugAssign(self, stmt: ast.AugAssign) -> None:
        self.w.expressions.ev(stmt.value)
        self.mutate_target(stmt.target, "aug", stmt)

    def stmt_Delete(self, stmt: ast.Delete) -> None:
        for target in stmt.targets:
            self.mutate_target(target, "delete", stmt)

    def stmt_Return(self, stmt: ast.Return) -> None:
        if stmt.value is not None:
            self.w.scope.aliases.escape_names(stmt.value)
            value = self.w.expressions.ev(stmt.value)
            self.w.note_use(value, "returned")
            if self.w.scope.func is not None:
                self.w.note_return(self.w.scope.func, value)

    def stmt_If(self, stmt: ast.If) -> None:
        guard = is_main_guard(stmt.test) and self.w.scope.kind == "module"
        with self.w.barrier():
            self.w.expressions.truth(stmt.test)
        self.w.main_guard += guard
        self.walk_body(stmt.body)
        self.w.main_guard -= guard
        self.walk_body(stmt.orelse)

    def stmt_While(self, stmt: ast.While) -> None:
        with self.w.barrier():
            self.w.expressions.truth(stmt.test)
        self.walk_loop_body(stmt.body)
        self.walk_body(stmt.orelse)

    def walk_loop_body(self, body: List[ast.stmt]) -> None:
        scope = self.w.function_scope()
        scope.loop_depth += 1
        try:
            self.walk_body(body)
        finally:
            scope.loop_depth -= 1

    def stmt_For(self, stmt: ast.For) -> None:
        iterable = self.w.expressions.ev(stmt.iter)
        element = self.w.element_of(iterable, stmt.target, stmt.iter)
        self.assign(stmt.target, element, None, loop=True)
        self.walk_loop_body(stmt.body)
        self.w.end_aliases(self.w.scope.aliases.end(target_names(stmt.target)))
        self.walk_body(stmt.orelse)

    def stmt_With(self, stmt: ast.With) -> None:
        entered: List[Manager] = []
        locks = 0
        held: List[Proxy] = []
        for item in stmt.items:
            value = self.w.expressions.ev(item.context_expr)
            if isinstance(value, Copy):
                self.w.note_use(value, "used as a context manager")
            if isinstance(value, Proxy) and is_mutex(value):
                locks += 1
                held.append(value)
            if isinstance(value, Manager):
                value.with_node = stmt
                entered.append(value)
                self.w.manager_started(item.context_expr)
            if item.optional_vars is not None:
                self.assign(item.optional_vars, self.w.entered(item.context_expr, value), item.context_expr)
        scope = self.w.function_scope()
        scope.lock_depth += locks
        scope.held_locks.extend(held)
        self.walk_body(stmt.body)
        del scope.held_locks[len(scope.held_locks) - len(held):]
        scope.lock_depth -= locks
        self.w.scope.shutdown.update(entered)

    def stmt_Try(self, stmt: ast.Try) -> None:
        self.walk_body(stmt.body)
        for handler in stmt.handlers:
            if handler.type is not None:
                self.w.expressions.ev(handler.type)
            if handler.name:
                self.w.binder.bind(handler.name, None)
            self.walk_body(handler.body)
        self.walk_body(stmt.orelse)
        self.walk_body(stmt.finalbody)

    def stmt_Match(self, stmt: ast.AST) -> None:
        self.w.expressions.ev(stmt.subject)  # type: ignore[attr-defined]
        for case in stmt.cases:  # type: ignore[attr-defined]
            if case.guard is not None:
                self.w.expressions.ev(case.guard)
            self.walk_body(case.body)

    def stmt_Global(self, stmt: ast.Global) -> None:
        self.w.scope.globals.update(stmt.names)

    def stmt_Nonlocal(self, stmt: ast.Nonlocal) -> None:
        self.w.scope.nonlocals.update(stmt.names)

    def stmt_Import(self, stmt: ast.Import) -> None:
        for alias in stmt.names:
            if alias.asname:
                self.w.binder.bind(alias.asname, QualName(alias.name))
            else:
                top = alias.name.split(".")[0]
                self.w.binder.bind(top, QualName(top))

    def stmt_ImportFrom(self, stmt: ast.ImportFrom) -> None:
        links = self.w.links
        if (stmt.level or not stmt.module) and links is None:
            for alias in stmt.names:
                self.w.binder.bind(alias.asname or alias.name, None)
            return
        # with a project, a relative import keeps its dots (``.workers.collect``): the project resolves it
        module = "." * stmt.level + (stmt.module or "")
        prefix = module if module.endswith(".") else module + "."
        for alias in stmt.names:
            if alias.name == "*":
                names = star_names(module) or (links.names_of(module) if links is not None else [])
                for name in names:
                    imported = links.imported(f"{prefix}{name}") if links is not None else None
                    self.w.binder.bind(name, imported if imported is not None else QualName(f"{prefix}{name}"))
                continue
            name = f"{prefix}{alias.name}"
            imported = links.imported(name) if links is not None else None
            self.w.binder.bind(alias.asname or alias.name, imported if imported is not None else QualName(name))

    def stmt_FunctionDef(self, stmt: ast.AST) -> None:
        with self.w.barrier():
            decorators = [self.w.expressions.ev(decorator) for decorator in stmt.decorator_list]  # type: ignore[attr-defined]
            function = self.w.define_function(stmt)
            for decorator, value in zip(stmt.decorator_list, decorators):  # type: ignore[attr-defined]
                if isinstance(value, (Function, Partial, Either)):
                    # a decorator of this file runs with the function: ``cls.handlers[name] = func`` registers it
                    call_function(self.w, decorator, value, [function], {}, how="direct")
        self.w.binder.bind(stmt.name, function)  # type: ignore[attr-defined]

    def stmt_ClassDef(self, stmt: ast.ClassDef) -> None:
        with self.w.barrier():
            bases = [self.w.expressions.ev(base) for base in stmt.bases]
            for keyword in stmt.keywords:
                self.w.expressions.ev(keyword.value)
            decorators = []
            for decorator in stmt.decorator_list:
                self.w.expressions.ev(decorator)
                if isinstance(decorator, ast.Call):  # ``@dataclass(frozen=True)``: what is called
                    decorators.append(self.w.expressions.ev(decorator.func))
                else:
                    decorators.append(self.w.expressions.ev(decorator))
        info = self.w.facts.classes.get(stmt)
        if info is None:
            info = self.w.facts.classes[stmt] = ClassInfo(stmt)
        info.bases = [base for base in bases if isinstance(base, ClassInfo)]
        info.process = any(isinstance(base, QualName) and base.name in PROCESS_CLASSES for base in bases)
        info.imported_bases = [base.name for base in bases if isinstance(base, QualName) and base.name not in
                               PROCESS_CLASSES and base.name not in THREAD_CLASSES and base.name not in MANAGER_CLASSES]
        info.tuple_like = any(isinstance(base, QualName) and base.name in RECORD_BASES for base in bases)
        if info.tuple_like or any(isinstance(d, QualName) and d.name in RECORD_DECORATORS for d in decorators):
            info.fields = record_fields(stmt, info)
        manager_base = next((self.w.manager_class_of(b) for b in bases if self.w.manager_class_of(b)), None)
        value: Value = info
        if manager_base is not None:
            value = self.w.manager_class(stmt, stmt.name, manager_base)
        first_pending = len(self.w.pending)
        class_scope = Scope("class", self.w.scope)
        class_scope.owner = info
        saved = self.w.scope
        self.w.scope = class_scope
        for item in stmt.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                with self.w.barrier():
                    for decorator in item.decorator_list:
                        self.w.expressions.ev(decorator)
                    function = self.w.define_function(item, owner=info, closure=saved)
                info.methods[item.name] = function
                class_scope.vars[item.name] = function
            else:
                self.walk_stmt(item, stmt.body)
        for name, attr_value in class_scope.vars.items():
            if isinstance(attr_value, INTERESTING) and not isinstance(attr_value, Function):
                self.w.set_attr(info, name, attr_value)
        if saved is self.w.module_scope and self.w.links is not None and stmt.name in self.w.links.inherited:
            inherited_init(self.w, info, self.w.links.inherited.pop(stmt.name))
        if saved is self.w.module_scope and self.w.links is not None and self.w.links.remote_in:
            # a top-level class whose attributes other modules assign (``Registry.shared = manager.dict()``)
            for name, attr_value in self.w.links.remote_attributes(stmt.name).items():
                self.w.set_attr(info, name, attr_value, elsewhere=True)
        self.w.scope = saved
        # pending runs last-in first-out (callers before callees); methods should run __init__ first
        self.w.pending[first_pending:] = reversed(self.w.pending[first_pending:])
        self.w.binder.bind(stmt.name, value)

    # --- binding ---------------------------------------------------------------------------------------------

    def assign(self, target: ast.AST, value: Optional[Value], value_node: Optional[ast.AST],
               loop: bool = False) -> None:
        if isinstance(target, ast.Name):
            self.w.binder.bind(target.id, value)
            self.w.scope.aliases.derive(target.id, value_node)
            if isinstance(value, Copy):
                block = getattr(self.w.cursor.stmt, "body", None) if loop else (self.w.cursor.stack[-1][1] if self.w.cursor.stack else None)
                self.w.scope.aliases.bind(target.id, value, self.w.site(), block or [])
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = value.items if isinstance(value, Seq) else self.record_items(value)
            # ``d["a"], d["b"] = a, []``: each target gets its own expression (a write-back is seen as one)
            nodes = value_node.elts if isinstance(value_node, (ast.Tuple, ast.List)) and len(value_node.elts) == \
                len(target.elts) and not any(isinstance(e, ast.Starred) for e in value_node.elts) else None
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Starred):
                    self.assign(element.value, None, None, loop)
                    continue
                part = items[index] if items is not None and index < len(items) else None
                self.assign(element, part, nodes[index] if nodes is not None else None, loop)
        elif isinstance(target, ast.Subscript):
            self.store_subscript(target, value, value_node)
        elif isinstance(target, ast.Attribute):
            self.store_attribute(target, value, value_node)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, None, None, loop)

    def record_items(self, value: Optional[Value]) -> Optional[List[Optional[Value]]]:
        """A ``NamedTuple`` instance unpacks into its fields (``store, key = task``)."""
        if isinstance(value, Instance) and value.cls.tuple_like and value.cls.fields is not None:
            own = value.fields or {}
            return [own.get(name) or self.w.class_attr(value.cls, name) for name in value.cls.fields]
        return None

    def store_subscript(self, target: ast.Subscript, value: Optional[Value], value_node: Optional[ast.AST]) -> None:
        base = self.w.expressions.ev(target.value)
        self.w.expressions.ev(target.slice)
        if isinstance(base, Proxy):
            self.w.note_write(base)
            key = key_source(target.slice)
            if isinstance(value, Proxy) and base.keeps_proxies():
                self.w.store_nested(base, key, value)
            else:
                self.w.record_store(base, key, target, value_node)
                self.w.facts.read("nested", base)
                self.w.facts.read("relied", base)
                self.w.report.observe(PlainStore(target, base, key, value_node, self.w.site(locks=False)))
            written_back = self.w.scope.aliases.write_back(base, value_node)
            if base.kind in ("dict", "list") and not isinstance(value, Proxy):
                self.proxy_store = (target, base)
            rereads = value_node is not None and reads_same(value_node, target)
            if rereads:
                self.w.note_use(base, "d[k] = d[k] + ... stores a plain value back")
            if value_node is not None and (written_back or rereads):
                self.w.report.observe(ReadModifyWrite(target, base, self.w.site(locks=False), self.w.unit()))
            return
        self.w.grow_class_container(target.value, base, value, target.slice)  # (before the store below changes it)
        if isinstance(base, Mapping):
            store_item(base, target.slice, value)
        self.w.note_use(value, "stored in another container")
        self.mutation_through(target, base, "store")

    def store_attribute(self, target: ast.Attribute, value: Optional[Value], value_node: Optional[ast.AST]) -> None:
        base = self.w.expressions.ev(target.value)
        if isinstance(base, Proxy):
            self.w.note_write(base)
            if isinstance(value, Proxy) and base.kind == "namespace" and not target.attr.startswith("_") \
                    and base.keeps_proxies():
                self.w.store_nested(base, repr(target.attr), value)
            self.w.report.observe(ProxyAttributeStore(target, base))
            written_back = self.w.scope.aliases.write_back(base, value_node)
            if base.kind == "namespace" and not target.attr.startswith("_") and not isinstance(value, Proxy):
                self.proxy_store = (target, base)
                if value_node is not None and (written_back or reads_same(value_node, target)):
                    # (``ns.n = ns.n + 1``, ``ns.items = items`` after ``items = ns.items``: two round trips)
                    self.w.report.observe(ReadModifyWrite(target, base, self.w.site(locks=False), self.w.unit()))
        elif isinstance(base, Instance):
            self.w.set_attr(base.cls, target.attr, value)
        elif isinstance(base, ClassInfo):
            self.w.set_attr(base, target.attr, value)
        else:
            if isinstance(base, QualName) and not isinstance(base, RemoteInstance) and self.w.links is not None:
                # (an imported class or module)
                self.w.links.store_remote(f"{base.name}.{target.attr}", value, self.w.unit())
            self.w.note_use(value, "stored in another object")
            self.mutation_through(target, base, "store")

    def mutate_target(self, target: ast.AST, action: str, stmt: ast.stmt) -> None:
        """Augmented assignment or ``del`` of ``target``."""
        if isinstance(target, ast.Name):
            value, _ = self.w.binder.lookup(target.id)
            if isinstance(value, Proxy):
                self.w.note_write(value)
            if action == "aug" and isinstance(value, Proxy):
                self.w.report.observe(ProxyAugmented(stmt, target, value))  # type: ignore[arg-type]
            elif action == "aug" and self.w.scope.aliases.is_alias(target.id) \
                    and not self.w.scope.aliases.states[target.id].stored:
                op = getattr(stmt, "op", None)
                self.w.note_value_use(self.w.scope.aliases.states[target.id].copy,
                                      "augmented +=" if isinstance(op, ast.Add) else "augmented assignment")
                self.w.note_write(self.w.scope.aliases.states[target.id].copy.proxy)
                self.w.scope.aliases.mutate(target.id, target, self.statement_path(), "+=")
            if action == "delete":
                self.w.binder.bind(target.id, None)
            return
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.mutate_target(element, action, stmt)
            return
        if not isinstance(target, (ast.Subscript, ast.Attribute)):
            self.w.expressions.ev(target)
            return
        base = self.w.expressions.ev(target.value)
        if isinstance(target, ast.Subscript):
            self.w.expressions.ev(target.slice)
        if isinstance(base, Proxy):
            self.w.note_write(base)
            if action == "aug" and (isinstance(target, ast.Subscript) or base.kind == "namespace"):
                self.w.report.observe(ReadModifyWrite(target, base, self.w.site(locks=False), self.w.unit()))
            if isinstance(target, ast.Attribute):
                self.w.report.observe(ProxyAttributeStore(target, base))
            return
        self.mutation_through(target, base, action)

    def mutation_through(self, target: ast.AST, base: Optional[Value], action: str) -> None:
        """A store, delete or augmented assignment into ``target.value``: lost when that is a copy."""
        inner = target.value  # type: ignore[attr-defined]
        root = alias_root(inner)
        if root is not None and self.w.scope.aliases.is_alias(root):
            self.w.note_value_use(self.w.scope.aliases.states[root].copy,
                                  _item_use(action) if isinstance(inner, ast.Name) else CHANGED_INSIDE)
            self.w.note_write(self.w.scope.aliases.states[root].copy.proxy)
            self.w.scope.aliases.mutate(root, target, self.statement_path(), _action_word(action))
        elif isinstance(base, Copy):
            self.w.note_value_use(base, CHANGED_INSIDE if base.deep else _item_use(action))
            self.w.note_write(base.proxy)
            self.w.report.observe(CopyStored(target, base, action, self.w.site()))
        elif isinstance(base, Proxy) and inner in self.w.nested_reads:
            self.w.rely(inner)

    # --- expressions -----------------------------------------------------------------------------------------



#: How each statement type is walked: built once (a table of bound methods per walker would tie each walker
#: into a reference cycle); statements without an entry only have their expressions evaluated.
HANDLERS: Dict[type, Callable[[Statements, Any], None]] = {
    ast.Expr: Statements.stmt_Expr, ast.Assign: Statements.stmt_Assign, ast.AnnAssign: Statements.stmt_AnnAssign,
    ast.AugAssign: Statements.stmt_AugAssign, ast.Delete: Statements.stmt_Delete,
    ast.Return: Statements.stmt_Return, ast.If: Statements.stmt_If, ast.While: Statements.stmt_While,
    ast.For: Statements.stmt_For, ast.AsyncFor: Statements.stmt_For, ast.With: Statements.stmt_With,
    ast.AsyncWith: Statements.stmt_With, ast.Try: Statements.stmt_Try, ast.Global: Statements.stmt_Global,
    ast.Nonlocal: Statements.stmt_Nonlocal, ast.Import: Statements.stmt_Import,
    ast.ImportFrom: Statements.stmt_ImportFrom, ast.FunctionDef: Statements.stmt_FunctionDef,
    ast.AsyncFunctionDef: Statements.stmt_FunctionDef, ast.ClassDef: Statements.stmt_ClassDef,
}
for _name, _handler in (("TryStar", Statements.stmt_Try), ("Match", Statements.stmt_Match)):
    _node_type = getattr(ast, _name, None)  # Python 3.11 / 3.10 and later
    if _node_type is not None:
        HANDLERS[_node_type] = _handler


def _item_use(action: str) -> str:
    """``v[j] = x`` / ``v[j] += x`` / ``del v[j]`` of a value read from a proxy, as :mod:`model.nested` names it."""
    return "delete-item" if action == "delete" else "store-item"


def record_fields(stmt: ast.ClassDef, info: ClassInfo) -> List[str]:
    """The parameters of a record class's generated ``__init__``: the fields of its record bases of this file,
    then its own annotated names (not ``ClassVar``, not ``field(init=False)``)."""
    own: List[str] = []
    for item in stmt.body:
        if not isinstance(item, ast.AnnAssign) or not isinstance(item.target, ast.Name) or not item.simple:
            continue
        if "ClassVar" in display(item.annotation) or (isinstance(item.value, ast.Call) and any(
                keyword.arg == "init" and isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                for keyword in item.value.keywords)):
            continue
        own.append(item.target.id)
    inherited = [name for base in info.bases if base.fields is not None for name in base.fields]
    return [name for name in inherited if name not in own] + own


def star_names(module: str) -> List[str]:
    """The names of the API tables that ``from <module> import *`` binds (``Manager``, ``Process``, ...); a
    library of :data:`api.LIBRARIES` binds the standard module's."""
    library = library_of(module)
    if library is not None:
        module = standard_name(module, library)
    prefix = module + "."
    return sorted({name[len(prefix):] for name in API_NAMES
                   if name.startswith(prefix) and "." not in name[len(prefix):]})


def _action_word(action: str) -> str:
    return {"store": "[...] =", "delete": "del", "aug": "+="}.get(action, action)


def store_item(mapping: Mapping, key: ast.AST, value: Optional[Value]) -> None:
    """``opts["info"] = {}``: the item at a constant key is what was stored last (a read there no longer
    answers with the dict's other values); at another key the stored value joins the rest."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        mapping.items[key.value] = value
    mapping.values_join = mapping_join([*mapping.items.values(), mapping.values_join, value])
