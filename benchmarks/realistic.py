"""A manager-heavy corpus of small, realistic programs: every file starts a manager and hands proxies to helpers,
pools (``Pool.map/starmap/apply_async``), ``ProcessPoolExecutor.submit``, ``Process`` targets and classes that keep
proxies on ``self``; nested proxies, locks, namespaces, values, queues, aliases with and without a write-back,
helpers that return proxies, short call chains, custom managers and a main guard.

Unlike :mod:`synthetic` (one fixed layout), each file is assembled from a random choice of pieces, import styles
and names, so the analysis meets the variety of real code. About a third of the files hold a real trap (a piece's
buggy variant); :func:`generate` returns, per file, the codes the tool is expected to report there (an empty set:
a correct program), so the benchmark can check it measures a tool that still finds what it should.

``generate(dest, n_files, seed)`` is deterministic for a given seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Callable, Dict, FrozenSet, List, Set, Tuple

#: Import styles: the header and the expressions each piece uses for the multiprocessing API.
STYLES: List[Dict[str, str]] = [
    {"header": "import multiprocessing as mp\n", "MANAGER": "mp.Manager()", "POOL": "mp.Pool",
     "PROCESS": "mp.Process"},
    {"header": "from multiprocessing import Manager, Pool, Process\n", "MANAGER": "Manager()", "POOL": "Pool",
     "PROCESS": "Process"},
    {"header": "import multiprocessing\n", "MANAGER": "multiprocessing.Manager()",
     "POOL": "multiprocessing.Pool", "PROCESS": "multiprocessing.Process"},
    {"header": "from multiprocessing import Manager as make_manager, Pool as WorkerPool, Process as Child\n",
     "MANAGER": "make_manager()", "POOL": "WorkerPool", "PROCESS": "Child"},
    {"header": "import multiprocessing as mp\n\nCTX = mp.get_context(\"spawn\")\n", "MANAGER": "CTX.Manager()",
     "POOL": "CTX.Pool", "PROCESS": "CTX.Process"},
]

COMMON_IMPORTS = ("from concurrent.futures import ProcessPoolExecutor\nfrom functools import partial\n"
                  "from multiprocessing.managers import SyncManager\n")

NOUNS = ["orders", "events", "jobs", "users", "pages", "metrics", "frames", "tiles", "tokens", "records", "logs",
         "tasks", "samples", "batches", "chunks", "invoices", "sensors", "reads", "scores", "routes"]
VERBS = ["collect", "tally", "record", "ingest", "process", "handle", "update", "merge", "scan", "index", "gather",
         "track", "sum", "load", "apply"]
DATA = ['["alpha", "beta", "gamma"]', "list(range(6))", '["a", "bb", "ccc", "dd"]', "[3, 1, 4, 1, 5]",
        '["north", "south"]', "list(range(3))"]


@dataclass
class Names:
    """Fresh identifiers for one file: readable, varied, and never reused within the file."""

    rng: random.Random
    used: Set[str] = field(default_factory=set)

    def fresh(self, kind: str) -> str:
        base = {"func": lambda: f"{self.rng.choice(VERBS)}_{self.rng.choice(NOUNS)}",
                "class": lambda: self.rng.choice(NOUNS).title().rstrip("s") + self.rng.choice(
                    ["Tracker", "Store", "Board", "Ledger", "Registry"]),
                "global": lambda: self.rng.choice(NOUNS).upper()}[kind]()
        name, number = base, 2
        while name in self.used:
            name, number = f"{base}{number}", number + 1
        self.used.add(name)
        return name


@dataclass
class Piece:
    """Top-level code, the call ``main()`` makes (``manager`` is in scope there), and the expected codes."""

    code: str
    call: str
    codes: FrozenSet[str] = frozenset()


def _fill(template: str, api: Dict[str, str], **names: str) -> str:
    return Template(template).substitute(api, **names)


def tally(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    body = ("        counts.setdefault(word, []).append(len(word))\n" if buggy else
            "        counts[word] = counts.get(word, 0) + 1\n")
    code = _fill('''
def $tally(counts, lock, word):
    """Count one word; the lock makes the read-modify-write atomic."""
    with lock:
''' + body + '''

def $run(manager, words):
    counts = manager.dict()
    lock = manager.Lock()
    with $POOL(2) as pool:
        pool.map(partial($tally, counts, lock), words)
    return dict(counts)
''', api, tally=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP101"} if buggy else ()))


def tracker(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    finish = ('        self.states[job]["state"] = "done"\n' if buggy else
              '        entry = self.states[job]\n        entry["state"] = "done"\n        self.states[job] = entry\n')
    code = _fill('''
class $cls:
    """Job states and history shared with the worker processes."""

    def __init__(self, manager):
        self.states = manager.dict()
        self.history = manager.list()

    def start(self, job):
        self.states[job] = {"state": "running", "tries": 0}
        self.history.append((job, "start"))

    def finish(self, job):
''' + finish + '''
    def summary(self):
        return {job: entry["state"] for job, entry in self.states.items()}


def $work(board, job):
    board.start(job)
    board.finish(job)


def $run(manager, jobs):
    board = $cls(manager)
    workers = [$PROCESS(target=$work, args=(board, job)) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return board.summary()
''', api, cls=names.fresh("class"), work=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP102"} if buggy else ()))


def nested(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    slot = "[]" if buggy else "manager.list()"
    code = _fill('''
def $build(manager, keys):
    table = manager.dict()
    for key in keys:
        table[key] = ''' + slot + '''
    return table


def $fill(table, key, value):
    table[key].append(value)


def $run(manager, keys):
    table = $build(manager, keys)
    with ProcessPoolExecutor(max_workers=2) as executor:
        futures = [executor.submit($fill, table, key, index) for index, key in enumerate(keys)]
        for future in futures:
            future.result()
    return {key: list(table[key]) for key in keys}
''', api, build=names.fresh("func"), fill=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP101"} if buggy else ()))


def results(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    store = "    results[key].append($compute(value))\n" if buggy else "    results[key] = $compute(value)\n"
    prefill = "        results[key] = []\n" if buggy else "        results[key] = None\n"
    code = _fill('''
def $compute(value):
    """CPU-bound work done in the child."""
    return sum(i * i for i in range(len(str(value)) * 100))


def $worker(results, key, value):
''' + store + '''

def $run(manager, values):
    results = manager.dict()
    for key in range(len(values)):
''' + prefill + '''    children = [$PROCESS(target=$worker, args=(results, key, value))
                for key, value in enumerate(values)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    return dict(results)
''', api, compute=names.fresh("func"), worker=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP101"} if buggy else ()))


def write_back(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    back = "" if buggy else "    shared[key] = bucket\n"
    code = _fill('''
def $append(shared, key, item):
    bucket = shared[key]
    bucket.append(item)
''' + back + '''

def $run(manager, items):
    shared = manager.dict({"all": []})
    with $POOL(processes=2) as pool:
        pending = [pool.apply_async($append, (shared, "all", item)) for item in items]
        for result in pending:
            result.get()
    return shared["all"]
''', api, append=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP103"} if buggy else ()))


def namespace(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    items = "        ns.items.append(amount)\n" if buggy else "        ns.items = ns.items + [amount]\n"
    code = _fill('''
def $step(ns, lock, amount):
    with lock:
        ns.total += len(str(amount))
''' + items + '''

def $run(manager, amounts):
    ns = manager.Namespace()
    ns.total = 0
    ns.items = []
    lock = manager.Lock()
    procs = [$PROCESS(target=$step, args=(ns, lock, amount)) for amount in amounts]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    return ns.total, list(ns.items)
''', api, step=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP101"} if buggy else ()))


def counter(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    log = "        log[0].append(amount)\n" if buggy else "        log.append(amount)\n"
    code = _fill('''
def $bump(counter, log, lock, amount):
    with lock:
        counter.value += 1
''' + log + '''

def $run(manager, amounts):
    counter = manager.Value("i", 0)
    log = manager.list([[]])
    lock = manager.RLock()
    with $POOL(2) as pool:
        pool.starmap($bump, [(counter, log, lock, amount) for amount in amounts])
    return counter.value, list(log)
''', api, bump=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP101"} if buggy else ()))


def pipeline(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    code = _fill('''
def $produce(queue, items):
    for item in items:
        queue.put(item)
    queue.put(None)


def $consume(queue, out):
    while True:
        item = queue.get()
        if item is None:
            break
        out.append(item)


def $run(manager, items):
    queue = manager.Queue()
    out = manager.list()
    producer = $PROCESS(target=$produce, args=(queue, items))
    consumer = $PROCESS(target=$consume, args=(queue, out))
    producer.start()
    consumer.start()
    producer.join()
    consumer.join()
    return list(out)
''', api, produce=names.fresh("func"), consume=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})")


def factory(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    use = ("        store[key].extend([len(str(key))])\n" if buggy else
           "        store[key] = store[key] + [len(str(key))]\n")
    code = _fill('''
def $make(manager, keys):
    """A dict proxy with an empty list per key."""
    store = manager.dict()
    for key in keys:
        store[key] = []
    return store


def $run(manager, keys):
    store = $make(manager, keys)
    for key in keys:
''' + use + '''    return dict(store)
''', api, make=names.fresh("func"), run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP101"} if buggy else ()))


def global_proxy(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    if buggy:  # a manager started at import time, and a child reading its proxy from the global
        head = "\n$mgr = $MANAGER\n$shared = $mgr.dict()\n"
        child = "    $shared[key] = len(str(key))\n"
    else:
        head = '\n$shared = {"retries": 3, "timeout": 1.5}\n'
        child = '    return key, $shared["retries"]\n'
    code = _fill(head + '''

def $child(key):
''' + child + '''

def $run(manager, keys):
    with $POOL(2) as pool:
        return pool.map($child, keys)
''', api, mgr=names.fresh("global"), shared=names.fresh("global"), child=names.fresh("func"),
                 run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})",
                 frozenset({"MPP201", "MPP202"} if buggy else ()))


def chain(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    depth = rng.randint(2, 4)
    funcs = [names.fresh("func") for _ in range(depth)]
    bottom = "    shared[key].append(value)\n" if buggy else "    shared[key] = shared[key] + [value]\n"
    defs = [f"def {funcs[i]}(shared, key, value):\n    {funcs[i + 1]}(shared, key, value)\n"
            for i in range(depth - 1)]
    defs.append(f"def {funcs[-1]}(shared, key, value):\n{bottom}")
    if rng.random() < 0.5:
        defs.reverse()  # callees first
    code = _fill("\n\n" + "\n\n".join(defs) + '''

def $run(manager, values):
    shared = manager.dict(seen=[])
    for value in values:
        ''' + funcs[0] + '''(shared, "seen", value)
    return shared["seen"]
''', api, run=(run := names.fresh("func")))
    return Piece(code, f"{run}(manager, {rng.choice(DATA)})", frozenset({"MPP101"} if buggy else ()))


def custom_manager(rng: random.Random, names: Names, api: Dict[str, str], buggy: bool) -> Piece:
    use = "            shared[key].append(1)\n" if buggy else "            shared[key] = shared[key] + [1]\n"
    code = _fill('''
class $cls(SyncManager):
    """The application's own manager (a subclass, so it can register more types later)."""


def $run(keys):
    with $cls() as manager:
        shared = manager.dict({key: [] for key in keys})
        for key in keys:
''' + use + '''        return dict(shared)
''', api, cls=names.fresh("class") + "Manager", run=(run := names.fresh("func")))
    return Piece(code, f"{run}({rng.choice(DATA)})", frozenset({"MPP101"} if buggy else ()))


PLAIN = ['''
def chunked(items, size):
    """Split ``items`` into lists of at most ``size``."""
    return [items[i:i + size] for i in range(0, len(items), size)]
''', '''
def normalise(text):
    return " ".join(text.lower().split())
''', '''
class Settings:
    """Run settings read from the environment."""

    def __init__(self, workers=2, verbose=False):
        self.workers = workers
        self.verbose = verbose

    def describe(self):
        return f"{self.workers} workers, verbose={self.verbose}"
''', '''
def parse_args(argv):
    options = {"workers": 2}
    for arg in argv:
        if arg.startswith("--workers="):
            options["workers"] = int(arg.split("=", 1)[1])
    return options
''']

PIECES: List[Callable[[random.Random, Names, Dict[str, str], bool], Piece]] = [
    tally, tracker, nested, results, write_back, namespace, counter, pipeline, factory, global_proxy, chain,
    custom_manager]


def program(rng: random.Random, index: int, buggy_rate: float) -> Tuple[str, FrozenSet[str]]:
    """One module: a docstring, imports, a few plain helpers, 2 to 4 pieces and ``main()`` under a main guard."""
    api = rng.choice(STYLES)
    names = Names(rng)
    chosen = rng.sample(PIECES, k=rng.randint(2, 4))
    buggy_at = rng.randrange(len(chosen)) if rng.random() < buggy_rate else -1
    pieces = [make(rng, names, api, position == buggy_at) for position, make in enumerate(chosen)]
    return assemble(rng, api, f"Worker program {index}: {', '.join(p.__name__ for p in chosen)}.", pieces, 2)


def assemble(rng: random.Random, api: Dict[str, str], title: str, pieces: List[Piece], most_plain: int
             ) -> Tuple[str, FrozenSet[str]]:
    """One program of ``pieces`` (and up to ``most_plain`` functions that touch no proxy), with a ``main()``
    calling each piece inside ``with Manager()`` or after it; and the codes its planted traps expect."""
    parts = [f'"""{title}"""\n', api["header"],
             COMMON_IMPORTS, *("\n" + plain for plain in rng.sample(PLAIN, k=rng.randint(0, most_plain)))]
    parts += ["\n" + piece.code for piece in pieces]
    calls = [piece.call for piece in pieces]
    manager_calls = "\n".join(f"        print({call})" for call in calls if "manager" in call)
    other_calls = "\n".join(f"    print({call})" for call in calls if "manager" not in call)
    main = f"\n\ndef main():\n    with {api['MANAGER']} as manager:\n{manager_calls or '        pass'}\n"
    main += (other_calls + "\n" if other_calls else "") + '\n\nif __name__ == "__main__":\n    main()\n'
    parts.append(main)
    codes: FrozenSet[str] = frozenset().union(*(piece.codes for piece in pieces))
    return "".join(parts), codes


def generate(dest: Path, n_files: int, seed: int = 0, buggy_rate: float = 0.35
             ) -> List[Tuple[Path, FrozenSet[str]]]:
    """Write ``n_files`` programs under ``dest`` (packages of 40) and return each path with its expected codes."""
    rng = random.Random(seed)
    written = []
    for index in range(n_files):
        package = dest / f"app{index // 40:03}"
        package.mkdir(parents=True, exist_ok=True)
        text, codes = program(rng, index, buggy_rate)
        path = package / f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}_{index:04}.py"
        path.write_text(text, encoding="utf-8")
        written.append((path, codes))
    return written
