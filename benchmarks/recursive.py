"""A corpus of manager programs that carry recursive helpers over containers: the shapes whose values have no
finite depth for the analysis (a builder that rebuilds dicts and lists one level per call, a conditional
expression that calls itself, two functions wrapping each other's results, a structure that contains itself,
recursion through a dict of functions, helpers that take the proxy and recurse over it or over a tree of
nested proxies, a method that calls itself on ``self``'s proxy).

Each file holds 2 or 3 such pieces, sometimes beside one piece of :mod:`realistic`, with the same import styles
and names; about a third of the files hold one real trap (a piece's buggy variant: a change to a copy read from
a proxy, lost at run time). :func:`generate` returns, per file, the codes the tool is expected to report there
(an empty set: a correct program). ``generate(dest, n_files, seed)`` is deterministic for a given seed.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Callable, Dict, FrozenSet, List, Tuple

import realistic
from realistic import COMMON_IMPORTS, DATA, PLAIN, STYLES, Names, Piece, _fill

#: Names for the recursive helpers, per role: what such helpers are called in real code.
HELPER_NAMES: Dict[str, List[str]] = {
    "plain": ["plain", "snapshot", "to_builtin", "deep_copy", "to_plain"],
    "pick": ["pick", "follow", "hop"], "nest": ["nest", "bury", "wrap_levels"],
    "leaf": ["leaf", "innermost", "bottom"], "wrap": ["wrap", "box"], "pack": ["pack", "enclose"],
    "size": ["depth_of", "box_depth"], "unwrap": ["unwrap", "unbox"], "context": ["context", "make_context"],
    "descend": ["descend", "down"], "walk": ["walk", "rebuild", "visit"], "fill": ["fill", "add_each", "spread"],
    "total": ["total", "count_all"], "deep_set": ["deep_set", "set_path"], "deep_get": ["deep_get", "get_path"],
    "grow": ["grow", "build_tree"], "collect": ["collect_tree", "gather_tree"],
}
#: Middle words of the file names.
FILE_WORDS = ["tree", "nested", "walk", "snapshot", "context", "recursive"]

Make = Callable[[random.Random, Names, Dict[str, str], bool], Piece]


def helper(rng: random.Random, names: Names, role: str) -> str:
    """A fresh name for this file's helper with ``role`` (a key of :data:`HELPER_NAMES`; a number is added on
    reuse)."""
    base = rng.choice(HELPER_NAMES[role])
    name, number = base, 2
    while name in names.used:
        name, number = f"{base}{number}", number + 1
    names.used.add(name)
    return name


def helpers(rng: random.Random, names: Names, *roles: str) -> Dict[str, str]:
    """A fresh name for each role: the placeholders of a piece's helpers."""
    return {role: helper(rng, names, role) for role in roles}


def _piece(code: str, api: Dict[str, str], call: str, buggy: bool, **names: str) -> Piece:
    """The piece ``code`` with its placeholders filled; its buggy variant changes a copy read from a proxy
    (MPP101)."""
    return Piece(_fill(code, api, **names), call, frozenset({"MPP101"} if buggy else ()))


def _start_all(children: str) -> str:
    """Start and join the processes in ``children`` (a list expression), as the run functions do."""
    return (f"    children = {children}\n    for child in children:\n        child.start()\n"
            "    for child in children:\n        child.join()\n")


def builder(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    """A recursive builder of dicts and lists (statement or conditional-expression form) copying a proxy's
    content, in children that then change the proxy under a lock."""
    if rng.random() < 0.5:
        body = ('    return {str(key): $plain(item) for key, item in value.items()} if isinstance(value, dict) \\\n'
                '        else [$plain(item) for item in value] if isinstance(value, (list, tuple)) else value\n')
    else:
        body = ('    if isinstance(value, dict):\n'
                '        return {str(key): $plain(item) for key, item in value.items()}\n'
                '    if isinstance(value, (list, tuple)):\n'
                '        return [$plain(item) for item in value]\n'
                '    return value\n')
    change = ("        shared[key].append(local[\"value\"][0])\n" if buggy else
              "        shared[key] = shared[key] + [local[\"value\"][0]]\n")
    code = '''
def $plain(value):
    """A plain copy of nested dicts, lists and tuples."""
''' + body + '''

def $worker(shared, lock, key, value):
    local = $plain({"seen": shared.copy(), "value": [value, (value, [value])]})
    local["seen"].setdefault(key, []).append(value)
    with lock:
''' + change + '''

def $run(manager, items):
    shared = manager.dict({"all": []})
    lock = manager.Lock()
''' + _start_all("[$PROCESS(target=$worker, args=(shared, lock, \"all\", item)) for item in items]") + '''\
    return $plain({"shared": shared.copy(), "again": [shared.copy()]})
'''
    run = names.fresh("func")
    return _piece(code, api, f"{run}(manager, {rng.choice(DATA)})", buggy, worker=names.fresh("func"), run=run,
                  **helpers(rng, names, "plain"))


def conditional(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    """Conditional-expression recursion: one helper returns the proxy it was given after ``hops`` calls, one
    nests a value in dicts one level per call, one descends such a nest again."""
    through = rng.choice(["$pick(shared, 3)", "$leaf(tree)"])
    change = (f'        {through}["seen"].append(value)\n' if buggy else
              f'        target = {through}\n        target["seen"] = target["seen"] + [value]\n')
    code = '''
def $pick(table, hops):
    """The table itself, reached through ``hops`` calls."""
    return table if hops <= 0 else $pick(table, hops - 1)


def $nest(value, depth):
    return value if depth <= 0 else {"child": $nest(value, depth - 1), "depth": [depth, (depth,)]}


def $leaf(node):
    return $leaf(node["child"]) if isinstance(node, dict) and "child" in node else node


def $run(manager, values):
    shared = manager.dict(seen=[])
    tree = $nest(shared, len(values))
    for value in values:
''' + change + '''    return $leaf(tree)["seen"], $leaf($nest([1, [2]], 4))
'''
    run = names.fresh("func")
    return _piece(code, api, f"{run}(manager, {rng.choice(DATA)})", buggy, run=run,
                  **helpers(rng, names, "pick", "nest", "leaf"))


def mutual(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    """Mutual recursion through containers: two functions wrap each other's results in dicts and lists, two more
    measure and undo the wrapping recursively; pool workers wrap the proxy they are given."""
    target = rng.choice(["shared", "$unwrap(boxed)"])
    change = (f"        {target}[key].append($size(boxed))\n" if buggy else
              f"        {target}[key] = {target}[key] + [$size(boxed)]\n")
    code = '''
def $wrap(value, depth):
    return $pack(value, depth - 1) if depth > 0 else value


def $pack(value, depth):
    return $wrap({"inner": value, "trail": [value, depth]}, depth)


def $size(box):
    return 1 + $size(box["inner"]) if isinstance(box, dict) and "inner" in box else 0


def $unwrap(box):
    return $unwrap(box["inner"]) if isinstance(box, dict) and "inner" in box else box


def $worker(shared, lock, key, value):
    boxed = $wrap(shared, len(str(value)) % 4)
    with lock:
''' + change + '''

def $run(manager, values):
    shared = manager.dict(sizes=[])
    lock = manager.Lock()
    with $POOL(2) as pool:
        pool.starmap($worker, [(shared, lock, "sizes", value) for value in values])
    return list(shared["sizes"]), $size($wrap([values], 3))
'''
    run = names.fresh("func")
    return _piece(code, api, f"{run}(manager, {rng.choice(DATA)})", buggy, worker=names.fresh("func"), run=run,
                  **helpers(rng, names, "wrap", "pack", "size", "unwrap"))


def self_referential(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    """A context that contains itself (``ctx["self"] = ctx``, and in its own list of children), built around
    the proxy in each child, and a helper that descends it recursively."""
    through = rng.choice(['ctx["self"]', "$descend(ctx, 2)"])
    change = (f'        {through}["store"][key].append(value)\n' if buggy else
              f'        {through}["store"][key] = ctx["store"][key] + [value]\n')
    code = '''
def $context(store, name):
    ctx = {"store": store, "name": name, "children": []}
    ctx["self"] = ctx
    ctx["children"].append(ctx)
    return ctx


def $descend(ctx, depth):
    return $descend(ctx["children"][0], depth - 1) if depth > 0 else ctx


def $worker(store, lock, key, value):
    ctx = $context(store, key)
    with lock:
''' + change + '''    return $descend(ctx, 3)["name"]


def $run(manager, values):
    store = manager.dict(log=[])
    lock = manager.RLock()
''' + _start_all("[$PROCESS(target=$worker, args=(store, lock, \"log\", value)) for value in values]") + '''\
    return list(store["log"])
'''
    run = names.fresh("func")
    return _piece(code, api, f"{run}(manager, {rng.choice(DATA)})", buggy, worker=names.fresh("func"), run=run,
                  **helpers(rng, names, "context", "descend"))


def dispatch(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    """Recursion through a dict of functions: a walker picks the handler for a value's type from a module-level
    dict, and the dict and list handlers call the walker on each item."""
    change = ('        shared["flat"].append(len(copy["tree"]["leaves"]))\n' if buggy else
              '        shared["flat"] = shared["flat"] + [len(copy["tree"]["leaves"])]\n')
    code = '''
def $walk(value):
    """Rebuild ``value``: dicts and lists recurse through $HANDLERS."""
    return $HANDLERS.get(type(value).__name__, $same)(value)


def $walk_dict(value):
    return {key: $walk(item) for key, item in value.items()}


def $walk_list(value):
    return [$walk(item) for item in value]


def $same(value):
    return value


$HANDLERS = {"dict": $walk_dict, "list": $walk_list, "tuple": $walk_list}


def $run(manager, values):
    shared = manager.dict(tree={"leaves": []}, flat=[])
    for value in values:
        copy = $walk(shared.copy())
        copy["tree"]["leaves"].append(value)
''' + change + '''    return $walk({"shared": shared.copy(), "values": [values, shared]})
'''
    run = names.fresh("func")
    return _piece(code, api, f"{run}(manager, {rng.choice(DATA)})", buggy,
                  walk_dict=names.fresh("func"), walk_list=names.fresh("func"), same=names.fresh("func"),
                  HANDLERS=names.fresh("global"), run=run, **helpers(rng, names, "walk"))


#: The correct path setter of :func:`over_proxy`: each level read from the proxy is a copy, changed by the
#: recursive call and stored back.
PATH_HELPERS = '''

def $deep_set(table, path, value):
    """Set ``value`` at ``path`` in nested dicts, storing each changed level back."""
    if len(path) == 1:
        table[path[0]] = value
        return
    inner = table[path[0]]
    $deep_set(inner, path[1:], value)
    table[path[0]] = inner


def $deep_get(table, path):
    return $deep_get(table[path[0]], path[1:]) if path else table
'''


def over_proxy(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    """Helpers that take the proxy and recurse over it: one key per level down a list of keys and, in half the
    files, a setter down a path of nested dicts (:data:`PATH_HELPERS`)."""
    change = ("    shared[keys[0]].append(value)\n" if buggy else
              "    shared[keys[0]] = shared[keys[0]] + [value]\n")
    paths = rng.random() < 0.5
    code = '''
def $fill(shared, keys, value):
    """Add ``value`` under each key, one key per level of recursion."""
    if not keys:
        return 0
''' + change + '''    return 1 + $fill(shared, keys[1:], value)


def $total(shared, keys):
    return len(shared[keys[0]]) + $total(shared, keys[1:]) if keys else 0
''' + (PATH_HELPERS if paths else "") + '''

def $run(manager, values):
    keys = ["a", "b", "c"]
    shared = manager.dict({key: [] for key in keys}, cfg={"limits": {}})
    for value in values:
        $fill(shared, keys, value)
'''
    if paths:
        code += ('        $deep_set(shared, ["cfg", "limits", str(value)], value)\n'
                 '    return $total(shared, keys), $deep_get(shared, ["cfg", "limits"])\n')
    else:
        code += "    return $total(shared, keys)\n"
    run = names.fresh("func")
    extra = helpers(rng, names, "deep_set", "deep_get") if paths else {}
    return _piece(code, api, f"{run}(manager, {rng.choice(DATA)})", buggy, run=run, **extra,
                  **helpers(rng, names, "fill", "total"))


def proxy_tree(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    """A tree of nested proxies built recursively, filled recursively by executor workers and read back
    recursively; the buggy variant keeps a plain list at each node."""
    items = "[]" if buggy else "manager.list()"
    code = '''
def $grow(manager, depth):
    """A chain of dict proxies, each with its items."""
    node = manager.dict(items=''' + items + ''')
    if depth > 0:
        node["child"] = $grow(manager, depth - 1)
    return node


def $add(node, value):
    node["items"].append(value)
    if "child" in node:
        $add(node["child"], value)


def $collect(node):
    return list(node["items"]) + ($collect(node["child"]) if "child" in node else [])


def $run(manager, values):
    root = $grow(manager, 3)
    with ProcessPoolExecutor(max_workers=2) as executor:
        for future in [executor.submit($add, root, value) for value in values]:
            future.result()
    return $collect(root)
'''
    run = names.fresh("func")
    return _piece(code, api, f"{run}(manager, {rng.choice(DATA)})", buggy, add=names.fresh("func"), run=run,
                  **helpers(rng, names, "grow", "collect"))


def recursive_method(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    """A class keeping a proxy on ``self`` whose methods call themselves: an insert that records a path and
    each of its prefixes, and a depth computed recursively."""
    change = ("        self.nodes.setdefault(key, []).append(value)\n" if buggy else
              "        self.nodes[key] = self.nodes.get(key, []) + [value]\n")
    code = '''
class $cls:
    """Values recorded per path and per prefix, in a dict proxy."""

    def __init__(self, manager):
        self.nodes = manager.dict()

    def insert(self, path, value):
        if not path:
            return
        key = "/".join(path)
''' + change + '''        self.insert(path[:-1], value)

    def depth(self, key):
        return 0 if "/" not in key else 1 + self.depth(key.rsplit("/", 1)[0])


def $run(manager, values):
    board = $cls(manager)
    for value in values:
        board.insert(["root", str(value), "leaf"], value)
    return {key: board.depth(key) for key in board.nodes.keys()}
'''
    run = names.fresh("func")
    return _piece(code, api, f"{run}(manager, {rng.choice(DATA)})", buggy, cls=names.fresh("class"), run=run)


PIECES: List[Make] = [builder, conditional, mutual, self_referential, dispatch, over_proxy, proxy_tree,
                      recursive_method]


def program(rng: random.Random, index: int, buggy_rate: float) -> Tuple[str, FrozenSet[str]]:
    """One module: a docstring, imports, a few plain helpers, 2 or 3 recursive pieces (and sometimes one piece
    of :mod:`realistic`), and ``main()`` under a main guard."""
    api = rng.choice(STYLES)
    names = Names(rng)
    chosen: List[Make] = rng.sample(PIECES, k=rng.randint(2, 3))
    if rng.random() < 0.4:
        chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(realistic.PIECES))
    buggy_at = rng.randrange(len(chosen)) if rng.random() < buggy_rate else -1
    pieces = [make(rng, names, api, position == buggy_at) for position, make in enumerate(chosen)]
    return realistic.assemble(rng, api, f"Recursive helpers {index}: {', '.join(p.__name__ for p in chosen)}.",
                              pieces, 1)


def generate(dest: Path, n_files: int, seed: int = 0, buggy_rate: float = 0.35
             ) -> List[Tuple[Path, FrozenSet[str]]]:
    """Write ``n_files`` programs under ``dest`` (packages of 40) and return each path with its expected codes."""
    rng = random.Random(seed)
    written = []
    for index in range(n_files):
        package = dest / f"rec{index // 40:03}"
        package.mkdir(parents=True, exist_ok=True)
        text, codes = program(rng, index, buggy_rate)
        path = package / f"{rng.choice(realistic.VERBS)}_{rng.choice(FILE_WORDS)}_{index:04}.py"
        path.write_text(text, encoding="utf-8")
        written.append((path, codes))
    return written
