"""What a call means to the inference: managers and proxies made, copies read, functions started as children."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional

from ..model.mpapi import (
    ARGUMENT_MUTATORS, COPY_READ_METHODS, CONTEXT_FACTORIES, MANAGER_CLASSES, MUTATORS, OPAQUE_STARTS, PARTIAL,
    POOL_METHODS, PROCESS_CLASSES, PROCESS_POOLS, PROXY_TYPE_NAMES, RECORD_FACTORIES, REPEATERS, SHALLOW_COPY,
    STANDARD, SYNC_MANAGER, THREAD_CLASSES, THREAD_POOLS, Library
)
from .values import (
    INTERESTING, PURE_BUILTINS, ClassInfo, Context, Copy, Either, Function, Instance, Iteration, Manager,
    ManagerClass, Mapping, Partial, Pool, Proxy, QualName, RemoteFunction, RemoteInstance, Seq, Value, conflate_locks,
    either, join, mapping_join, richness
)

from .concurrency import INITIALIZER_HOWS, CallsBefore
from .observations import CopyMutated, ManagerPassed, ProxyMethodCall, ProxyReversed, TypeidCall
from .syntax import alias_root, display, is_main_guard, key_source, stand_in_class
from ..model.nested import container_use, method_use
from .registries import ELEMENT_METHODS

if TYPE_CHECKING:  # pragma: no cover
    from .walker import Walker
    from .observations import AliasState


def evaluate_call(w: "Walker", node: ast.Call) -> Optional[Value]:
    """Evaluate ``node``'s parts, then give the call its meaning (see the module docstring)."""
    func = node.func
    receiver: Optional[Value] = None
    callee: Optional[Value] = None
    if isinstance(func, ast.Attribute):
        receiver = w.expressions.ev(func.value)
        callee = w.expressions.ev_Attribute(func) if isinstance(receiver, (QualName, Instance, ClassInfo)) else None
    else:
        callee = w.expressions.ev(func)
    ev = w.expressions.ev
    args: List[Optional[Value]] = []
    for arg in node.args:  # (a loop: a list comprehension is one more frame per call)
        args.append(None if type(arg) is ast.Constant else ev(arg))
    kwargs: Dict[str, Optional[Value]] = {}
    for keyword in node.keywords:
        value = ev(keyword.value)
        if keyword.arg is not None:
            kwargs[keyword.arg] = value
        elif isinstance(value, Mapping):  # ``f(**options)`` of a dict with known keys: each one by name
            for name, item in value.items.items():
                kwargs.setdefault(name, item)
    changed = changed_arguments(w, node, callee, args)
    for index in changed:
        argument_mutated(w, node, callee.name, args[index], node.args[index])  # type: ignore[union-attr]
    if w.scope.aliases.states:
        note_escapes(w, node, callee, skip=changed)
    for value in (*args, *kwargs.values()):
        if isinstance(value, USE_TRACKED):
            note_opaque_uses(w, node, callee, receiver, args, kwargs)
            break
    if isinstance(func, ast.Attribute) and is_super(w, func.value):
        return super_call(w, node, func.attr, args, kwargs)
    if isinstance(func, ast.Attribute) and not isinstance(receiver, (QualName, Instance, ClassInfo)):
        return method_call(w, node, func, receiver, args, kwargs)
    return plain_call(w, node, callee, args, kwargs)


def branch_roots(node: ast.expr) -> List[str]:
    """The names at the root of ``x[i].attr`` (one), or of each branch of ``a if c else b`` / ``a or b`` (each
    may be what the expression is); empty when some branch does not start at a name."""
    if isinstance(node, ast.IfExp):
        body, orelse = branch_roots(node.body), branch_roots(node.orelse)
        return body + orelse if body and orelse else []
    if isinstance(node, ast.BoolOp):
        parts = [branch_roots(value) for value in node.values]
        return [root for part in parts for root in part] if all(parts) else []
    root = alias_root(node)
    return [root] if root is not None else []


def is_super(w: "Walker", node: ast.expr) -> bool:
    """``super()`` (the builtin, no arguments) in a method of a class of this file."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
            and not node.args and not node.keywords and w.function_scope().owner is not None
            and w.binder.lookup("super")[1] == "builtin")


def super_call(w: "Walker", node: ast.Call, method: str, args: List[Optional[Value]],
               kwargs: Dict[str, Optional[Value]]) -> Optional[Value]:
    """``super().method(...)`` in a method of ``owner``: the method of a base of this file, called on ``self``;
    ``super().__init__(...)`` with an imported base: that class's ``__init__`` (a call of the class, in the
    module that defines it); anything else is not followed."""
    owner = w.function_scope().owner
    if owner is None:
        return None
    for base in owner.bases:
        found = base.method(method)
        if found is not None:
            return call_function(w, node, Function(found.node, found.owner, bound=True), args, kwargs, "direct")
    target = owner.imported_base() if method == "__init__" else None
    if target is not None:
        w.external_call(node, target, args, kwargs, "direct")
    return None


def note_escapes(w: "Walker", node: ast.Call, callee: Optional[Value], skip: FrozenSet[int] = frozenset()) -> None:
    """An alias passed to a call we cannot see through may be written back there: stop tracking it (the
    arguments the function is known to change in place, ``skip``, are changes, not escapes)."""
    if not w.scope.aliases.states:
        return
    if isinstance(node.func, ast.Name) and node.func.id in PURE_BUILTINS and w.binder.lookup(node.func.id)[1] == "builtin":
        return
    for index, arg in enumerate(node.args):
        if index not in skip:
            w.scope.aliases.escape_names(arg)
    for keyword in node.keywords:
        w.scope.aliases.escape_names(keyword.value)


def changed_arguments(w: "Walker", node: ast.Call, callee: Optional[Value], args: List[Optional[Value]]
                      ) -> FrozenSet[int]:
    """The positional arguments the called function changes in place: the first of a standard function that
    does (:data:`api.ARGUMENT_MUTATORS`), those an imported project function changes (asked of the project
    only when a copy read from a proxy, or an alias of one, is passed)."""
    if not isinstance(callee, QualName) or not node.args:
        return frozenset()
    if callee.name in ARGUMENT_MUTATORS:
        return frozenset({0}) if type(node.args[0]) is not ast.Starred else frozenset()
    if w.links is None or not any(isinstance(value, Copy) or is_alias_argument(w, arg)
                                  for value, arg in zip(args, node.args)):
        return frozenset()
    starred = next((index for index, arg in enumerate(node.args) if type(arg) is ast.Starred), len(node.args))
    return frozenset(index for index in w.links.changed_arguments(callee.name) if index < starred)


def is_alias_argument(w: "Walker", arg: ast.expr) -> bool:
    root = alias_root(arg)
    return root is not None and w.scope.aliases.is_alias(root)


def argument_mutated(w: "Walker", node: ast.Call, function: str, value: Optional[Value], arg: ast.expr) -> None:
    """``heapq.heappush(d[k], x)``, ``bisect.insort(x, v)``, ``random.shuffle(l[i])``, ``add_to(items, v)`` of
    another project module: the function changes that argument in place, as a mutating method would."""
    root = alias_root(arg)
    if root is not None and w.scope.aliases.is_alias(root):
        w.note_write(w.scope.aliases.states[root].copy.proxy)
        w.scope.aliases.mutate(root, node, w.statements.statement_path(), f" passed to {display(node.func)}()")
    elif isinstance(value, Copy):
        w.note_write(value.proxy)
        w.report.observe(CopyMutated(node, value, function.rsplit(".", 1)[-1], w.site(), function, arg))


#: Builtins that look at a value's shape only: its length, truth or iteration (the use each is for a value read
#: from a proxy); on the proxy itself or an iteration over its values the same whatever the values are.
SHAPE_BUILTINS: Dict[str, str] = {"len": "len", "bool": "truth", "iter": "iter", "enumerate": "iter", "zip": "iter",
                                  "reversed": "iter", "next": "iter"}
#: Builtins that look at every element: the elements of a value read from a proxy are plain either way, the
#: proxy's own values (``sum(d.values(), [])``, ``sorted(l)``) would be nested proxies.
ELEMENT_BUILTINS = frozenset({"sum", "min", "max", "sorted", "any", "all"})
#: Builtins that make a plain container of what they are given: of a value read from the proxy, the same plain
#: value whether the proxy holds it nested or not; of the proxy itself, a snapshot of nested proxies.
CONVERTERS = frozenset({"list", "tuple", "set", "frozenset", "dict"})


#: Values whose uses the ``auto`` fix style cares about (a proxy, a copy read from one, containers of them).
USE_TRACKED = (Proxy, Copy, Seq, Mapping, Iteration)


def note_opaque_uses(w: "Walker", node: ast.Call, callee: Optional[Value], receiver: Optional[Value],
                     args: List[Optional[Value]], kwargs: Dict[str, Optional[Value]]) -> None:
    """The arguments' uses: of a builtin by what it looks at (:func:`builtin_use`), of a call that may look at
    their types or serialise them (see :func:`opaque_call`) as ``passed to f()``."""
    func = node.func
    if isinstance(func, ast.Name) and w.binder.lookup(func.id)[1] == "builtin" and (
            func.id in SHAPE_BUILTINS or func.id in ELEMENT_BUILTINS or func.id in CONVERTERS):
        keyed = any(keyword.arg == "key" for keyword in node.keywords)
        for value in args:
            use = builtin_use(func.id, value, keyed)
            if use is not None:
                w.note_use(value, use)
        return
    if not opaque_call(w, node, callee, receiver):
        return
    for value in args + list(kwargs.values()):
        w.note_use(value, f"passed to {display(node.func)}()")


def builtin_use(name: str, value: Optional[Value], keyed: bool = False) -> Optional[str]:
    """How ``name(value)`` uses ``value`` (None: in no way a nested proxy changes); ``keyed``: a ``key=``
    function is given."""
    if isinstance(value, Copy):
        if name in SHAPE_BUILTINS:
            return SHAPE_BUILTINS[name]
        if name in ELEMENT_BUILTINS:
            return "iter"
        return "converted with dict()" if name == "dict" else "converted"
    if name in SHAPE_BUILTINS:
        return None
    if isinstance(value, Iteration) and name == "sorted" and value.mode == "items" and not keyed:
        return container_use("sorted(items())")
    if isinstance(value, Iteration) and name in ("list", "tuple"):
        return None  # (the same stored values, followed where they are used)
    if isinstance(value, Proxy) and value.kind == "list" and name in ("list", "tuple"):
        return None  # (an iteration over its values: followed too)
    if isinstance(value, (Seq, Mapping)) and name in CONVERTERS:
        return None
    if name in ELEMENT_BUILTINS:
        return f"passed to {name}(), which looks at each stored value"
    return f"copied whole with {name}()"


def opaque_call(w: "Walker", node: ast.Call, callee: Optional[Value], receiver: Optional[Value]) -> bool:
    """A call that may look at its arguments' types or serialise them (``json.dumps``, ``print``,
    ``isinstance``, ``dict(d)``, a library's function): what ``auto`` must not store nested proxies under.
    Calls the analysis follows (functions of this file, child starts, proxy and manager methods) are not."""
    if isinstance(callee, (Function, Partial, Either, ClassInfo, ManagerClass)):
        return False
    if isinstance(receiver, (Proxy, Copy, Manager, Pool, Context, ManagerClass, Partial)):
        return False
    if isinstance(callee, QualName) and (callee.name in PROCESS_CLASSES or callee.name in THREAD_CLASSES
                                         or callee.name in PARTIAL or callee.name in SHALLOW_COPY):
        return False
    return True


def method_call(w: "Walker", node: ast.Call, func: ast.Attribute, receiver: Optional[Value],
                args: List[Optional[Value]], kwargs: Dict[str, Optional[Value]]) -> Optional[Value]:
    method = func.attr
    if method in ELEMENT_METHODS and len(args) > ELEMENT_METHODS[method]:
        w.grow_class_container(func.value, receiver, args[ELEMENT_METHODS[method]])
    roots = branch_roots(func.value)
    if roots and all(w.scope.aliases.is_alias(root) for root in roots) and w.is_mutator(method):
        if method == "clear" and isinstance(func.value, ast.Name) and w.scope.aliases.states[roots[0]].stored:
            w.scope.aliases.pop(roots[0])  # d[k] = batch; batch.clear(): the stored copy is kept, the buffer reused
            return None
        for root in roots:  # (``(a if c else b).append(x)``: either alias may be the one changed)
            copy = w.scope.aliases.states[root].copy
            w.note_value_use(copy, value_method_use(node, method, args, kwargs) if isinstance(func.value, ast.Name)
                             else CHANGED_INSIDE)
            w.note_write(copy.proxy)
            w.scope.aliases.mutate(root, node, w.statements.statement_path(), f".{method}()")
        if isinstance(receiver, Proxy):  # a parameter given a proxy at another call: that call changes it
            return proxy_method(w, node, func, receiver, args)
        return None
    if isinstance(receiver, Copy):
        mutates = w.is_mutator(method)
        if not receiver.deep:  # (``d[k][j].append(x)`` is a finding itself: its fix nests one level deeper)
            w.note_value_use(receiver, value_method_use(node, method, args, kwargs))
        if mutates:
            w.note_write(receiver.proxy)
            w.report.observe(CopyMutated(node, receiver, method, w.site()))
        return None
    if isinstance(receiver, Proxy):
        return proxy_method(w, node, func, receiver, args)
    if isinstance(receiver, Manager):
        return manager_method(w, node, receiver, method, args, kwargs)
    if isinstance(receiver, ManagerClass):
        if method == "register":
            register_typeid(w, node, receiver)
        return None
    if isinstance(receiver, Context):
        return context_method(w, node, receiver, method, args, kwargs)
    if isinstance(receiver, Pool):
        return pool_method(w, node, receiver.child, method, args, kwargs)
    if isinstance(receiver, Partial) and method == "__call__":
        return call_function(w, node, receiver, args, kwargs, how="direct")
    if isinstance(receiver, Mapping):
        return mapping_method(node, receiver, method)
    return None


#: A change made inside a value read from a proxy (``d[k][j].append(x)``): with ``d[k]`` a nested proxy,
#: ``d[k][j]`` is still a copy and the change is lost, while the write-back of ``d[k]`` keeps it.
CHANGED_INSIDE = "changed inside (v[j].append(), v[j][i] = x)"


def value_method_use(node: ast.Call, method: str, args: List[Optional[Value]],
                     kwargs: Dict[str, Optional[Value]]) -> str:
    """The use ``v.method(...)`` of a value read from a proxy. Where it is a nested proxy, the manager runs the
    method and must unpickle its arguments: a function among them (``v.sort(key=...)``) is another use."""
    functions = any(isinstance(value, (Function, Partial)) for value in (*args, *kwargs.values())) \
        or any(isinstance(arg, ast.Lambda) for arg in node.args) \
        or any(k.arg == "key" or isinstance(k.value, ast.Lambda) for k in node.keywords)
    return method_use(method) + (" with a function argument" if functions else "")




def note_container_method(w: "Walker", node: ast.Call, proxy: Proxy, method: str) -> None:
    """``proxy.method(...)`` on a list or dict proxy: a use of the container the ``auto`` style judges by
    :data:`model.nested.CONTAINER_SAME` (``pop`` whose result is dropped is another use than ``x = d.pop(k)``)."""
    if proxy.kind not in ("list", "dict") or method in COPY_READ_METHODS[proxy.kind] or method in ("values", "items"):
        return  # (reads whose values the analysis follows: they are judged where they are used)
    use = container_use(method)
    if method in ("pop", "popitem") and w.discarded is node:
        use += ", result unused"
    w.note_use_on(proxy, None, use)


def mapping_method(node: ast.Call, mapping: Mapping, method: str) -> Optional[Value]:
    """A plain dict's values as its methods hand them out: ``values()`` and ``items()`` as sequences of any
    value (a registry of functions: ``for func in HANDLERS.values()``), ``get(key)`` as the subscript."""
    any_value = mapping.values_join if mapping.values_join is not None else mapping_join(list(mapping.items.values()))
    if method == "values":
        return Seq(elem=any_value) if any_value is not None else None
    if method == "items":
        return Seq(elem=Seq(items=[None, any_value])) if any_value is not None else None
    if method in ("get", "pop") and node.args:
        key = node.args[0]
        const = key.value if isinstance(key, ast.Constant) else None
        return mapping.items[const] if isinstance(const, str) and const in mapping.items else any_value
    return None


def proxy_method(w: "Walker", node: ast.Call, func: ast.Attribute, proxy: Proxy,
                 args: List[Optional[Value]]) -> Optional[Value]:
    method = func.attr
    name = display(func.value)
    if method in MUTATORS:
        w.note_write(proxy)
    if func.value in w.nested_reads and w.is_mutator(method):
        w.rely(func.value)
    w.report.observe(ProxyMethodCall(node, proxy, name, method))
    note_container_method(w, node, proxy, method)
    if method == "update":
        w.scope.aliases.write_back_any(proxy, node)
    if proxy.kind == "dict" and method in ("values", "items"):
        return Iteration(proxy, name, method, node)
    if proxy.kind == "pool":
        return pool_method(w, node, True, method, args, {})
    reads = COPY_READ_METHODS.get(proxy.kind, {})
    if method in reads:
        key_node = node.args[0] if reads[method] and node.args else None
        key = key_source(key_node) if key_node is not None else None
        nested = w.nested_of(proxy, key) if key is not None else None
        if nested is not None:
            return nested
        if isinstance(args[1] if len(args) > 1 else None, Proxy) and method == "setdefault" \
                and proxy.keeps_proxies():
            return args[1]
        return Copy(proxy, name, node, key, method, key_node)
    if proxy.kind == "auto" and not method.startswith("_"):
        return Copy(proxy, name, node, None, "method")
    return None


def manager_method(w: "Walker", node: ast.Call, manager: Manager, method: str,
                   args: List[Optional[Value]], kwargs: Optional[Dict[str, Optional[Value]]] = None) -> Optional[Value]:
    if method == "start":
        w.manager_started(node)
        return None
    if method == "shutdown":
        if runs_unconditionally(w):  # (a shutdown in a branch or a loop may not be what ran before a read)
            manager.shutdown_node = node
            w.scope.shutdown.add(manager)
        return None
    if method == "Pool":
        return Pool(child=True)
    w.facts.read("typeids")
    kind = manager.cls.typeid_kind(method)
    if kind is None:
        return None
    if not manager.cls.registers(method):  # SyncManager's own typeid: may be newer than the target
        w.report.observe(TypeidCall(node, display(node.func.value), method))  # type: ignore[attr-defined]
    proxy = w.proxy_at(node, kind, manager)
    if proxy.keeps_proxies():
        initial_nested(w, node, proxy, args, kwargs)
    record_initial_data(w, proxy, node)
    return proxy


def runs_unconditionally(w: "Walker") -> bool:
    """Does the statement being walked run whenever its unit reaches that point: enclosed only by ``try``
    bodies and ``finally`` blocks, ``with`` blocks and the main guard (no branch, loop or handler)?"""
    stack = w.cursor.stack
    for (parent, _), (_, block) in zip(stack, stack[1:]):
        if isinstance(parent, ast.Try) and (block is parent.body or block is parent.finalbody):
            continue
        if isinstance(parent, (ast.With, ast.AsyncWith)) and block is parent.body:
            continue
        if isinstance(parent, ast.If) and is_main_guard(parent.test) and block is parent.body:
            continue
        return False
    return True


def initial_nested(w: "Walker", node: ast.Call, proxy: Proxy, args: List[Optional[Value]],
                   kwargs: Optional[Dict[str, Optional[Value]]]) -> None:
    """The proxies ``manager.dict(...)`` / ``manager.list(...)`` get as initial data, nested in ``proxy``."""
    initial = args[0] if args else None
    keyed = nested_by_key(node.args[0] if node.args else None, initial)
    # ``manager.dict(a=manager.list())`` (the form the nested fix writes for ``manager.dict(a=[])``)
    keyed.update({repr(name): value for name, value in (kwargs or {}).items() if isinstance(value, Proxy)})
    if keyed:
        for key, keyed_proxy in keyed.items():
            w.store_nested(proxy, key, keyed_proxy)
    else:
        nested = nested_in_initial(initial)
        if nested is not None:
            w.store_nested(proxy, "*", nested)


def nested_by_key(data: Optional[ast.AST], initial: Optional[Value]) -> Dict[str, Proxy]:
    """``manager.dict({"a": manager.list(), "b": []})`` / ``manager.list([manager.list(), []])``: the nested
    proxies at constant keys, when every key is a constant (reads at the other keys get plain copies)."""
    found: Dict[str, Proxy] = {}
    if isinstance(data, ast.Dict) and isinstance(initial, Mapping) and data.keys \
            and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in data.keys):
        for key in data.keys:
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                value = initial.items.get(key.value)
                if isinstance(value, Proxy):
                    found[key_source(key)] = value
    elif isinstance(data, ast.List) and isinstance(initial, Seq) and initial.items is not None \
            and not any(isinstance(e, ast.Starred) for e in data.elts):
        for index, value in enumerate(initial.items):
            if isinstance(value, Proxy):
                found[str(index)] = value
    return found


def record_initial_data(w: "Walker", proxy: Proxy, node: ast.Call) -> None:
    """``manager.dict({k: [] ...})``, ``manager.dict({"a": []})``, ``manager.dict(a=[])``: init sites per key."""
    data = node.args[0] if node.args else None
    value: Optional[ast.expr] = data.value if isinstance(data, ast.DictComp) else None  # None: {**d for ...}
    if isinstance(data, ast.DictComp) and value is not None:
        w.record_store(proxy, "*", value, value)
    elif isinstance(data, ast.Dict):
        for key, value in zip(data.keys, data.values):
            if key is not None:
                w.record_store(proxy, key_source(key), value, value)
    for keyword in node.keywords:
        if keyword.arg is not None:
            w.record_store(proxy, repr(keyword.arg), keyword.value, keyword.value)


def nested_in_initial(initial: Optional[Value]) -> Optional[Proxy]:
    """``manager.dict({k: manager.list() ...})`` / ``manager.list([manager.dict()])`` store nested proxies."""
    if isinstance(initial, Mapping):
        inner = initial.values_join
        return inner if isinstance(inner, Proxy) else None
    if isinstance(initial, Seq):
        inner = initial.element()
        return inner if isinstance(inner, Proxy) else None
    return None


def register_typeid(w: "Walker", node: ast.Call, cls: ManagerClass) -> None:
    if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
        return
    typeid = node.args[0].value
    kind = "auto"
    # register(typeid, callable=None, proxytype=None, ...): the proxy type by keyword or third positionally
    proxytypes = [k.value for k in node.keywords if k.arg == "proxytype"] + list(node.args[2:3])
    for proxytype in proxytypes:
        name = proxytype.attr if isinstance(proxytype, ast.Attribute) else getattr(proxytype, "id", "")
        kind = PROXY_TYPE_NAMES.get(name, "auto")
    if cls.typeids.get(typeid) != kind:
        cls.typeids[typeid] = kind
        w.facts.wrote("typeids")


def context_method(w: "Walker", node: ast.Call, context: Context, method: str, args: List[Optional[Value]],
                   kwargs: Dict[str, Optional[Value]]) -> Optional[Value]:
    if method == "Manager":
        return new_manager(w, node, context.library)
    if method == "Process":
        start_process(w, node, args, kwargs, child=True, library=context.library)
        return None
    if method == "Pool":
        return new_pool(w, node, args, kwargs, child=True, executor=False)
    return None


def new_pool(w: "Walker", node: ast.Call, args: List[Optional[Value]], kwargs: Dict[str, Optional[Value]],
             child: bool, executor: bool) -> Pool:
    """A pool, or an executor (its ``initializer`` comes one argument later): the initializer runs in every
    worker with ``initargs``, often to keep a proxy in a global the workers read (see :func:`mark_initializer`)."""
    at = 2 if executor else 1
    initializer = kwargs.get("initializer", args[at] if len(args) > at else None)
    initargs = kwargs.get("initargs", args[at + 1] if len(args) > at + 1 else None)
    if isinstance(initializer, (Function, Partial, Either, QualName)):
        positional = list(initargs.items) if isinstance(initargs, Seq) and initargs.items is not None else []
        call_function(w, node, initializer, positional, {}, how="initializer" if child else "thread-pool")
    return Pool(child=child)


def mark_initializer(w: "Walker", func: ast.AST) -> None:
    """``func`` runs as a pool's initializer in every worker (the globals it binds are the worker's own)."""
    if func not in w.facts.initializers:
        w.facts.initializers.add(func)
        w.facts.wrote("initializer", func)


def new_manager(w: "Walker", node: ast.Call, library: Library = STANDARD) -> Manager:
    """``Manager()`` (of the standard module or of ``library``): a started SyncManager."""
    manager = w.manager_at(node, w.library_manager_class(SYNC_MANAGER, library))
    w.manager_started(node)
    return manager


def plain_call(w: "Walker", node: ast.Call, callee: Optional[Value], args: List[Optional[Value]],
               kwargs: Dict[str, Optional[Value]]) -> Optional[Value]:
    if isinstance(callee, (Function, Partial, Either, ClassInfo, QualName)) and unpacks(node):
        args = spread(node, args)
    if isinstance(callee, RemoteInstance):  # ``obj(...)``: its class's ``__call__``
        w.external_call(node, callee.name + ".__call__", args, kwargs, "direct")
        return None
    if isinstance(callee, QualName) and callee.name in callee.library.index_spawns:
        index_spawn(w, node, args, kwargs)
        return None
    if isinstance(callee, QualName):
        return qualified_call(w, node, callee.name, args, kwargs, callee.library)
    if isinstance(callee, ManagerClass):
        return w.manager_at(node, callee)
    if isinstance(callee, (Function, Partial, Either)):
        return call_function(w, node, callee, args, kwargs, how="direct")
    if isinstance(callee, ClassInfo):
        init = callee.method("__init__")
        if callee.fields is not None and "__init__" not in callee.methods:
            return Instance(callee, construct_record(w, callee, args, kwargs))
        if init is not None:
            call_function(w, node, Function(init.node, init.owner, bound=True), args, kwargs, how="direct")
        else:
            inherited = callee.imported_base()
            if inherited is not None:  # the __init__ of a class another module defines: a call of that class
                w.external_call(node, inherited, args, kwargs, "direct")
        run = callee.method("run") if callee.is_process() else None
        if run is not None:  # class Worker(Process): run() is the child's target (started by start())
            call_function(w, node, Function(run.node, run.owner, bound=True), [], {}, how="process")
        return Instance(callee)
    if isinstance(node.func, ast.Name) and w.binder.lookup(node.func.id)[1] == "builtin":
        return builtin_call(w, node, node.func.id, args)
    if isinstance(node.func, ast.Name) and node.func.id in w.factories:
        return new_manager(w, node)
    return None


def record_factory(w: "Walker", node: ast.Call) -> Optional[Value]:
    """``namedtuple("Job", ["store", "key"])`` (or ``"store key"``, ``"store, key"``; ``NamedTuple("Job",
    [("store", DictProxy), ...])``): a record class whose fields are known when they are written out."""
    made = w.facts.made_classes.get(node)
    if made is not None:
        return made
    spec = node.args[1] if len(node.args) > 1 else next(
        (k.value for k in node.keywords if k.arg in ("field_names", "fields")), None)
    fields: List[str] = []
    if isinstance(spec, ast.Constant) and isinstance(spec.value, str):
        fields = spec.value.replace(",", " ").split()
    elif isinstance(spec, (ast.List, ast.Tuple)):
        for item in spec.elts:
            if isinstance(item, (ast.Tuple, ast.List)) and item.elts:
                item = item.elts[0]
            if not (isinstance(item, ast.Constant) and isinstance(item.value, str)):
                return None
            fields.append(item.value)
    if not fields or not all(field.isidentifier() for field in fields):
        return None
    name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else "record"
    info = w.facts.made_classes[node] = ClassInfo(stand_in_class(str(name), node), fields=fields, tuple_like=True)
    return info


def construct_record(w: "Walker", cls: ClassInfo, args: List[Optional[Value]],
                     kwargs: Dict[str, Optional[Value]]) -> Dict[str, Optional[Value]]:
    """``Job(shared, "a")`` of a record class: its generated ``__init__`` keeps each argument on the instance
    under the field's name (class-wide, as what an ``__init__`` stores on ``self``); the fields of this very
    instance are returned too (they travel with it to other modules)."""
    fields = cls.fields or []
    found: Dict[str, Optional[Value]] = dict(zip(fields, args))
    found.update((name, value) for name, value in kwargs.items() if name in fields)
    for name, value in found.items():
        w.set_attr(cls, name, value)
    return found


def builtin_call(w: "Walker", node: ast.Call, name: str, args: List[Optional[Value]]) -> Optional[Value]:
    first = args[0] if args else None
    if name == "reversed" and isinstance(first, Proxy):
        w.report.observe(ProxyReversed(node, first, display(node.args[0])))
    if name == "enumerate" and isinstance(first, Proxy) and first.kind == "list":
        return Iteration(first, display(node.args[0]), "enumerate", node)
    if name in ("iter", "list", "tuple", "sorted", "reversed") and isinstance(first, (Seq, Iteration)):
        return first  # (sorted(d.items()): the same copies, in another order)
    if name in ("iter", "list", "tuple", "sorted") and isinstance(first, Proxy) and first.kind == "list":
        return Iteration(first, display(node.args[0]), "elements", node)  # list(l): a list of copies
    if name == "enumerate" and isinstance(first, Iteration) and first.mode in ("values", "elements"):
        return Iteration(first.proxy, first.proxy_name, "enumerated", first.node)
    if name == "zip":
        return zipped(w, node, args)
    if name == "enumerate" and isinstance(first, Seq) and first.element() is not None:
        return Seq(elem=Seq(items=[None, first.element()]))
    return None


def unpacks(node: ast.Call) -> bool:
    """Does the call unpack a positional argument (``f(*args)``)?"""
    return any(type(arg) is ast.Starred for arg in node.args)


def spread(node: ast.Call, args: List[Optional[Value]]) -> List[Optional[Value]]:
    """The positional arguments a callee's parameters get from a call that unpacks: ``run(f, *args)``
    forwarding the tuple its own ``*args`` received gives ``f`` each item at its position. Past an unpacked
    value of unknown length the positions are unknown: nothing more is bound."""
    positional: List[Optional[Value]] = []
    for arg, value in zip(node.args, args):
        if type(arg) is not ast.Starred:
            positional.append(value)
        elif isinstance(value, Seq) and value.items is not None:
            positional.extend(value.items)
        else:
            break
    return positional


def zipped(w: "Walker", node: ast.Call, args: List[Optional[Value]]) -> Optional[Value]:
    """``zip(repeat(shared), keys)``: rows whose items are the elements of each iterable (the arguments a pool's
    ``starmap`` gives its worker). None when no iterable has a known element, or one is unpacked (``*``)."""
    if any(isinstance(arg, ast.Starred) for arg in node.args):
        return None
    items = [w.element_of(value, arg, arg) for value, arg in zip(args, node.args)]
    return Seq(elem=Seq(items=items)) if any(item is not None for item in items) else None


def qualified_call(w: "Walker", node: ast.Call, name: str, args: List[Optional[Value]],
                   kwargs: Dict[str, Optional[Value]], library: Library = STANDARD) -> Optional[Value]:
    """A call of an imported name (``library``: the one it was imported from, ``name`` spelled as the standard
    module's)."""
    if w.is_manager_factory(name):
        return new_manager(w, node, library)
    if name in MANAGER_CLASSES:
        return w.manager_at(node, w.library_manager_class(name, library))
    if name in CONTEXT_FACTORIES:
        return Context(library)
    if name in OPAQUE_STARTS:  # the child runs whatever code follows: nothing here is known to run alone
        w.opaque_start(node)
    if name in PROCESS_CLASSES or name in THREAD_CLASSES:
        start_process(w, node, args, kwargs, child=name in PROCESS_CLASSES, library=library)
        return None
    if name in PROCESS_POOLS or name in THREAD_POOLS:
        return new_pool(w, node, args, kwargs, child=name in PROCESS_POOLS, executor=name.endswith("Executor"))
    if name in PARTIAL and args:
        return Partial(args[0] or Value(), list(args[1:]), dict(kwargs))
    if name in SHALLOW_COPY and args and isinstance(args[0], Proxy):
        return args[0]
    if name in REPEATERS:
        return Seq(elem=args[0]) if args and args[0] is not None else None
    if name in RECORD_FACTORIES:
        return record_factory(w, node)
    if name.endswith(".__init__") and args and isinstance(args[0], Instance):
        # ``Base.__init__(self, shared)`` with ``Base`` imported: a call of the class, in the module defining it
        w.external_call(node, name[:-len(".__init__")], args[1:], kwargs, "direct")
        return None
    record = w.links.record_class(name) if w.links is not None else None
    if record is not None:  # a record class of another project module (a dataclass, a NamedTuple)
        return Instance(record, construct_record(w, record, args, kwargs))
    w.external_call(node, name, args, kwargs, "direct")
    if w.links is None:
        return None
    returned = w.links.returned(name, node, args)
    return returned if returned is not None else w.links.instance_of(name)


def index_spawn(w: "Walker", node: ast.Call, args: List[Optional[Value]],
                kwargs: Dict[str, Optional[Value]]) -> None:
    """``spawn(fn, args=(d,), nprocs=4)`` (torch.multiprocessing): ``fn(i, d)`` runs in each of ``nprocs``
    children, at once; unless ``nprocs`` is the literal 1, several copies of ``fn`` write concurrently."""
    target = kwargs.get("fn", args[0] if args else None)
    call_args = kwargs.get("args", args[1] if len(args) > 1 else None)
    positional = list(call_args.items) if isinstance(call_args, Seq) and call_args.items is not None else []
    nprocs = next((k.value for k in node.keywords if k.arg == "nprocs"), node.args[2] if len(node.args) > 2 else None)
    if not (isinstance(nprocs, ast.Constant) and nprocs.value == 1):
        w.facts.repeated_calls.add(node)
    if target is not None:
        rank: List[Optional[Value]] = [None]
        call_function(w, node, target, rank + positional, {}, how="process")


def start_process(w: "Walker", node: ast.Call, args: List[Optional[Value]],
                  kwargs: Dict[str, Optional[Value]], child: bool, library: Library = STANDARD) -> None:
    """``Process(group, target, name, args, kwargs)``: the target's parameters get ``args`` and ``kwargs``. A
    manager among them is MPP203 unless the library's Process pickles managers (multiprocess)."""
    target = kwargs.get("target", args[1] if len(args) > 1 else None)
    call_args = kwargs.get("args", args[3] if len(args) > 3 else None)
    call_kwargs = kwargs.get("kwargs", args[4] if len(args) > 4 else None)
    positional = call_args.items if isinstance(call_args, Seq) and call_args.items is not None else []
    named = call_kwargs.items if isinstance(call_kwargs, Mapping) else {}
    if child and not library.process_pickles_manager:
        for keyword in node.keywords:
            if keyword.arg in ("args", "kwargs"):
                report_managers_in(w, keyword.value, call_args if keyword.arg == "args" else call_kwargs)
    if isinstance(target, (Function, Partial, Either, QualName)):
        call_function(w, node, target, list(positional), dict(named), how="process" if child else "thread")
    elif "target" in kwargs or len(args) > 1:  # a target the analysis cannot follow runs at the same time
        w.opaque_start(node)


def pool_method(w: "Walker", node: ast.Call, child: bool, method: str, args: List[Optional[Value]],
                kwargs: Dict[str, Optional[Value]]) -> Optional[Value]:
    mode = POOL_METHODS.get(method)
    if mode is None or not args:
        return None
    target = args[0]
    positional: List[Optional[Value]] = []
    named: Dict[str, Optional[Value]] = {}
    if mode == "iter":
        positional = [element(value) for value in args[1:]] if method == "map" and len(args) > 2 else [
            element(args[1] if len(args) > 1 else None)]
    elif mode == "star":
        row = element(args[1] if len(args) > 1 else None)
        positional = list(row.items) if isinstance(row, Seq) and row.items is not None else []
    elif mode == "apply":
        call_args = kwargs.get("args", args[1] if len(args) > 1 else None)
        call_kwargs = kwargs.get("kwds", args[2] if len(args) > 2 else None)
        positional = list(call_args.items) if isinstance(call_args, Seq) and call_args.items is not None else []
        named = dict(call_kwargs.items) if isinstance(call_kwargs, Mapping) else {}
        if child and len(node.args) > 1:
            report_managers_in(w, node.args[1], call_args)
    else:  # submit(fn, *args, **kwargs)
        positional, named = list(args[1:]), dict(kwargs)
        if child:
            for arg_node, value in zip(node.args[1:], args[1:]):
                if isinstance(value, Manager):
                    w.report.observe(ManagerPassed(arg_node))
    if isinstance(target, (Function, Partial, Either, QualName)):
        call_function(w, node, target, positional, named, how="pool" if child else "thread-pool")
    else:  # a worker the analysis cannot follow runs at the same time
        w.opaque_start(node)
    return None


def element(value: Optional[Value]) -> Optional[Value]:
    return value.element() if isinstance(value, Seq) else None


def report_managers_in(w: "Walker", node: ast.AST, value: Optional[Value]) -> None:
    """MPP203: a manager among a child's arguments, at the element that holds it."""
    if isinstance(value, Manager):
        w.report.observe(ManagerPassed(node))
    elif isinstance(value, Seq) and value.items is not None:
        nodes = value.nodes or []
        for index, item in enumerate(value.items):
            if isinstance(item, Manager):
                w.report.observe(ManagerPassed(nodes[index] if index < len(nodes) else node))
    elif isinstance(value, Mapping):
        for item in value.items.values():
            if isinstance(item, Manager):
                w.report.observe(ManagerPassed(node))


def call_function(w: "Walker", node: ast.Call, callee: Value, args: List[Optional[Value]],
                  kwargs: Dict[str, Optional[Value]], how: str) -> Optional[Value]:
    """Bind the call's arguments to the parameters of a function of this file; return what it returns.

    ``how`` says how the call runs it: "direct", "thread", or in a child: "process" / "pool".
    """
    if isinstance(callee, Partial):
        merged = dict(callee.kwargs)
        merged.update(kwargs)
        return call_function(w, node, callee.func, list(callee.args) + list(args), merged,
                             "partial-" + how if how in ("process", "pool", "initializer") else how)
    if isinstance(callee, QualName):
        w.external_call(node, callee.name + (".__call__" if isinstance(callee, RemoteInstance) else ""), args,
                        kwargs, how)
        return None
    if isinstance(callee, Either):  # any of them may run: each gets the arguments
        return join([call_function(w, node, option, args, kwargs, how) for option in callee.options])
    if not isinstance(callee, Function):
        return None
    child = how in ("process", "pool", "partial-process", "partial-pool", "initializer", "partial-initializer")
    if how in INITIALIZER_HOWS:
        mark_initializer(w, callee.node)
    if child and callee.node not in w.facts.child_targets:
        w.facts.child_targets.add(callee.node)
        w.facts.wrote("child", callee.node)
    if how == "direct":
        w.facts.read("in-child", unit_of(w))
    if (child or how == "direct" and unit_of(w) in w.facts.in_child) and callee.node not in w.facts.in_child:
        w.facts.in_child.add(callee.node)
        w.facts.wrote("in-child", callee.node)
    sites = w.facts.calls.setdefault(callee.node, {})
    if node not in sites:
        sites[node] = how
        w.facts.wrote("calls", callee.node)
    unit = w.unit()
    w.facts.call_units[node] = unit
    if w.function_scope().loop_depth:
        w.facts.repeated_calls.add(node)
    if how != "direct":
        w.child_started(unit)
    else:
        if unit not in w.cursor.started and not w.function_scope().loop_depth:
            w.facts.early_calls[node] = CallsBefore(w.cursor.direct_callees, len(w.cursor.direct_callees))
        else:
            w.facts.early_calls.pop(node, None)
    bind_arguments(w, callee, args, kwargs)
    w.walk_out_of_turn(callee.node)  # first, so that what follows sees whether it starts a manager
    if how == "direct":  # if it starts children, what follows the call runs beside them (Concurrency.early)
        w.cursor.direct_callees.append(callee.node)
    if how == "direct" and w.start_matters():  # in the main guard a started manager is no finding
        w.facts.read("starts", callee.node)
        if callee.node in w.facts.manager_starters:
            w.manager_started(node)  # the call starts a manager: at import time when it runs there
    w.facts.read("return", callee.node)
    return w.facts.returns.get(callee.node)


def unit_of(w: "Walker") -> Optional[ast.AST]:
    return w.unit()


def bind_arguments(w: "Walker", callee: Function, args: List[Optional[Value]],
                   kwargs: Dict[str, Optional[Value]]) -> None:
    spec: ast.arguments = callee.node.args  # type: ignore[attr-defined]
    positional = [a.arg for a in spec.posonlyargs + spec.args]
    if callee.bound and positional:
        positional = positional[1:]
    for name, value in zip(positional, args):
        set_param(w, callee.node, name, value)
    if spec.vararg is not None and len(args) > len(positional):
        set_param(w, callee.node, spec.vararg.arg, Seq(items=list(args[len(positional):])))
    keyword_names = set(positional) | {a.arg for a in spec.kwonlyargs}
    extra: Dict[str, Optional[Value]] = {}
    for name, value in kwargs.items():
        if name in keyword_names:
            set_param(w, callee.node, name, value)
        else:
            extra[name] = value
    if spec.kwarg is not None and extra:
        set_param(w, callee.node, spec.kwarg.arg, Mapping(items=extra))


def set_param(w: "Walker", func: ast.AST, name: str, value: Optional[Value]) -> None:
    params = w.facts.params.setdefault(func, {})
    if isinstance(value, Copy):  # a copy read from a proxy, handed to a helper that may change it
        handed = handed_from(w, value)
        known = params.get(name)
        if isinstance(known, Proxy):  # a proxy at another call: the copy goes beside it
            known = w.facts.param_copies.get(func, {}).get(name)
            if known is None or known.proxy is not value.proxy:
                param_copy(w, func, name, value, handed)
                return
        if isinstance(known, Copy) and known.via == "argument" and known.proxy is value.proxy:
            known.handed = None if known.handed is None or handed is None else known.handed + handed
            return
        value = Copy(value.proxy, value.proxy_name, value.root, None, "argument", None, value.deep)
        value.handed = handed
    elif not isinstance(value, INTERESTING):
        return
    elif isinstance(value, Proxy) and isinstance(params.get(name), Copy):
        moved = params.pop(name)
        assert isinstance(moved, Copy)
        w.facts.param_copies.setdefault(func, {})[name] = moved  # (the proxy takes its place, the copy stays)
    value = w.facts.kept(("param", func, name), value)
    if value is None:  # (a container cut at the depth bound)
        return
    conflate_locks((value, params.get(name)))  # the parameter holds one lock or the other
    merged = callables_added(params.get(name), value)
    if merged is not None:
        value = merged
    if merged is not None or richness(value) > richness(params.get(name)):
        w.facts.grown(("param", func, name))
        params[name] = value
        w.facts.wrote("param", func)


def callables_added(known: Optional[Value], value: Optional[Value]) -> Optional[Value]:
    """A parameter given other functions at another call (``start_each([add_b], ...)``, then
    ``start_each([add_c], ...)``) holds any of them, and a list of them a list of any: the join with what it
    held, when that adds a function (None otherwise). Functions are finite, so this grows a bounded number of
    times."""
    if isinstance(known, Seq) and isinstance(value, Seq):
        inner = callables_added(known.element(), value.element())
        return Seq(elem=inner) if inner is not None else None
    if isinstance(known, NAMED_FUNCTIONS) and isinstance(value, NAMED_FUNCTIONS):
        merged = either([known, value])
        return merged if options_of(merged) > options_of(known) else None
    return None


#: Functions the analysis names (a top-level or nested ``def``, another module's, or any of several).
NAMED_FUNCTIONS = (Function, RemoteFunction, Either)


def options_of(value: Value) -> int:
    return len(value.options) if isinstance(value, Either) else 1


def param_copy(w: "Walker", func: ast.AST, name: str, value: Copy,
               handed: Optional[List["AliasState"]]) -> None:
    """``func``'s parameter ``name`` holds a proxy, and this call hands it a copy: kept beside the proxy (one
    copy per parameter: the first proxy it was read from)."""
    copies = w.facts.param_copies.setdefault(func, {})
    if name in copies:
        return
    copy = Copy(value.proxy, value.proxy_name, value.root, None, "argument", None, value.deep)
    copy.handed = handed
    copies[name] = copy
    w.facts.param_copy_reads.setdefault(value.root, []).append((func, name))
    w.facts.grown(("param", func, name))
    w.facts.wrote("param", func)


def handed_from(w: "Walker", copy: Copy) -> Optional[List["AliasState"]]:
    """The callers' aliases behind an argument that is a copy: the alias of the calling scope that holds it,
    or those its own parameter was handed from (a chain of helpers); None when no name holds it."""
    if copy.via == "argument":
        return copy.handed
    state = next((state for state in w.scope.aliases.states.values() if state.copy is copy), None)
    return None if state is None else [state]


__all__ = ["evaluate_call"]
